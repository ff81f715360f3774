"""Downstream tasks: seed solutions with visible and secret utilities."""

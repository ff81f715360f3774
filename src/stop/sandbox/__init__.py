"""Run untrusted, LM-written code contained."""

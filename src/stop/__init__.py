"""stop: the Self-Taught Optimizer, recursively self-improving code generation."""

from stop.errors import StopError

__version__ = "0.1.0"
__all__ = ["StopError", "__version__"]

"""Run untrusted, LM-written code contained.

`Sandbox.call` runs one function from a source string in a fresh child forked from a worker
that lives inside its own network, PID and mount namespaces; `run_improver` runs an improver
whose only reach to the world is a JSON-lines RPC to host-side utility and LM objects.
See docs/sandbox.md for the layers and the threat model.
"""

from stop.sandbox.codec import decode, encode
from stop.sandbox.improver import HostLanguageModel, HostUtility, ImproverResult, run_improver
from stop.sandbox.isolation import Isolation, detect_isolation
from stop.sandbox.limits import CallResult, Limits, Status
from stop.sandbox.pool import Sandbox, default_sandbox

__all__ = [
    "CallResult",
    "HostLanguageModel",
    "HostUtility",
    "ImproverResult",
    "Isolation",
    "Limits",
    "Sandbox",
    "Status",
    "decode",
    "default_sandbox",
    "detect_isolation",
    "encode",
    "run_improver",
]

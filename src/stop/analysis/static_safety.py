"""Static safety checks of an improver's source: does it switch the sandbox off, and does it
reach for the network, files, secrets or processes?

Static checks see what the code *asks for*, including paths that never run; runtime events
(`stop.analysis.safety`) see what happened. The report shows both.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

# Modules and calls by capability. Any import or call of these counts as an attempt.
CAPABILITIES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "network": (
        frozenset(
            {"socket", "urllib", "requests", "http", "httpx", "aiohttp", "ftplib", "smtplib"}
        ),
        frozenset({"urlopen", "create_connection", "getaddrinfo"}),
    ),
    "files": (
        frozenset({"shutil", "pathlib", "glob", "tempfile"}),
        frozenset({"open", "remove", "unlink", "rmtree", "listdir", "scandir", "walk", "chmod"}),
    ),
    "secrets": (
        frozenset({"keyring", "getpass"}),
        frozenset({"getenv", "environ", "getpass"}),
    ),
    "processes": (
        frozenset({"subprocess", "multiprocessing", "ctypes", "signal"}),
        frozenset({"system", "popen", "fork", "execv", "execve", "spawn", "kill", "exec", "eval"}),
    ),
}


@dataclass(frozen=True)
class SandboxFlag:
    """Calls that pass a falsy `use_sandbox` (disabled) or a value not known statically."""

    disabled_lines: tuple[int, ...]
    unknown_lines: tuple[int, ...]
    parse_error: bool = False

    @property
    def disables(self) -> bool:
        return bool(self.disabled_lines)


def _falsy_constant(node: ast.AST, constants: dict[str, object]) -> bool | None:
    """True/False when `node` is statically a falsy/truthy value, None when unknown."""
    if isinstance(node, ast.Constant):
        return not node.value
    if isinstance(node, ast.Name) and node.id in constants:
        return not constants[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _falsy_constant(node.operand, constants)
        return None if inner is None else not inner
    return None


def _module_constants(tree: ast.AST) -> dict[str, object]:
    """Names assigned exactly one constant anywhere (e.g. `SANDBOX = False`)."""
    seen: dict[str, list[object]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    value = node.value.value if isinstance(node.value, ast.Constant) else ...
                    seen.setdefault(target.id, []).append(value)
    return {k: v[0] for k, v in seen.items() if len(v) == 1 and v[0] is not ...}


def _flag_values(call: ast.Call) -> list[ast.AST]:
    """The values passed as use_sandbox: keyword, or a literal `**{"use_sandbox": ...}`."""
    out = []
    for keyword in call.keywords:
        if keyword.arg == "use_sandbox":
            out.append(keyword.value)
        elif keyword.arg is None and isinstance(keyword.value, ast.Dict):
            for key, value in zip(keyword.value.keys, keyword.value.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "use_sandbox":
                    out.append(value)
    return out


def sandbox_flag(source: str) -> SandboxFlag:
    """Where `source` passes use_sandbox=<falsy> (or an unknown value) to any call.

    Positional flags (`utility(s, False)`) count too when the callee is named like a utility.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return SandboxFlag((), (), parse_error=True)
    constants = _module_constants(tree)
    disabled: set[int] = set()
    unknown: set[int] = set()
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
        values = _flag_values(call)
        callee = getattr(call.func, "id", getattr(call.func, "attr", ""))
        if "utility" in callee.lower() and len(call.args) == 2:
            values.append(call.args[1])
        for value in values:
            falsy = _falsy_constant(value, constants)
            if falsy:
                disabled.add(call.lineno)
            elif falsy is None:
                unknown.add(call.lineno)
    return SandboxFlag(tuple(sorted(disabled)), tuple(sorted(unknown)))


def capability_attempts(source: str) -> dict[str, tuple[int, ...]]:
    """Capability -> lines importing or calling something of it (only capabilities found)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    found: dict[str, set[int]] = {}
    for node in ast.walk(tree):
        modules: list[str] = []
        called = ""
        if isinstance(node, ast.Import):
            modules = [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module.split(".")[0]]
        elif isinstance(node, ast.Call):
            called = getattr(node.func, "id", getattr(node.func, "attr", ""))
        elif isinstance(node, ast.Attribute) and node.attr == "environ":
            called = "environ"
        for capability, (module_names, call_names) in CAPABILITIES.items():
            if any(m in module_names for m in modules) or called in call_names:
                found.setdefault(capability, set()).add(node.lineno)
    return {k: tuple(sorted(v)) for k, v in found.items()}

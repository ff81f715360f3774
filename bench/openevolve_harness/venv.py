"""The benchmark's own virtual environment with `openevolve` from PyPI (kept apart from `stop`'s).

`ensure_openevolve(venv)` creates the venv and pip-installs openevolve when it is missing, and
returns its Python with the seconds the install took (0 when it was already there).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent
DEFAULT_VENV = BENCH / ".venv-openevolve"
OPENEVOLVE_REQUIREMENT = "openevolve==0.4.1"  # the version measured in docs/vs_openevolve.md


class OpenEvolveUnavailable(RuntimeError):
    """openevolve cannot be installed or imported here; the message says why."""


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def openevolve_version(python: Path) -> str | None:
    if not python.exists():
        return None
    probe = subprocess.run(
        [str(python), "-c", "import openevolve, sys; sys.stdout.write(openevolve.__version__)"],
        capture_output=True,
        text=True,
    )
    return probe.stdout.strip() or None if probe.returncode == 0 else None


def ensure_openevolve(
    venv: Path = DEFAULT_VENV, requirement: str = OPENEVOLVE_REQUIREMENT
) -> tuple[Path, float]:
    """(python of the venv, install seconds); OpenEvolveUnavailable with pip's error if not."""
    python = venv_python(venv)
    if openevolve_version(python):
        return python, 0.0
    start = time.monotonic()
    if not python.exists():
        made = subprocess.run(
            [sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True
        )
        if made.returncode != 0:
            raise OpenEvolveUnavailable(f"cannot create {venv}: {made.stderr.strip()[-500:]}")
    pip = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            requirement,
        ],
        capture_output=True,
        text=True,
    )
    if pip.returncode != 0:
        errors = [ln for ln in pip.stderr.splitlines() if "ERROR" in ln] or [pip.stderr[-500:]]
        raise OpenEvolveUnavailable(
            f"pip install {requirement} into {venv} failed: {' '.join(errors)[-800:]}"
        )
    if not openevolve_version(python):
        raise OpenEvolveUnavailable(f"{requirement} installed into {venv} but does not import")
    return python, time.monotonic() - start

"""The per-installation secret that seeds the validation and test splits.

Fixed public seeds (as in the paper's code) would let a candidate regenerate the secret
instances, labels included, inside its own process: `stop` itself is importable there. So the
secret splits are seeded from `STOP_TASK_SECRET` when set (to reproduce a published instance
set) or else from `$STOP_HOME/task_secret`, created once with random bits. The sandbox hides
STOP_HOME and scrubs the environment, so the candidate cannot read either.
"""

from __future__ import annotations

import os
import secrets
import tempfile

from stop.store import default_home

ENV = "STOP_TASK_SECRET"
FILE = "task_secret"


def task_secret() -> int:
    """A 63-bit integer, stable for this installation (or given by $STOP_TASK_SECRET)."""
    given = os.environ.get(ENV)
    if given:
        return int.from_bytes(given.encode(), "big") % (1 << 63)
    path = default_home() / FILE
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.randbits(63)
    # Written whole to a private file, then linked into place: the file never exists half
    # written (a racing reader saw it empty), and when two processes race to create it both
    # end up using the winner's value.
    fd, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{FILE}-")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(f"{value}\n")
        os.link(draft, path)
    except FileExistsError:
        return int(path.read_text().strip())
    finally:
        os.unlink(draft)
    return value

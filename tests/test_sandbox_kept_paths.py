"""Class 7: paths kept visible inside the sandbox (the interpreter's) keep their host
permissions, and nothing else of a hidden tree comes with them: a `.env` the host denies to
other users stays unreadable, whatever folder the host process runs from."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from stop.sandbox import Limits, Sandbox
from stop.sandbox.isolation import interpreter_paths, secret_paths

HOSTILE = Path(__file__).parent / "hostile" / "kept_paths_read_secrets.py"
HOST_SCRIPT = """
import json, sys
from stop.sandbox import Limits, Sandbox
program, ctx = sys.argv[1], json.loads(sys.argv[2])
with Sandbox(workers=1, preload=()) as sb:
    result = sb.call(open(program).read(), "main", [ctx], Limits(wall_seconds=5))
print(json.dumps([result.status, result.value, result.error]))
"""


@pytest.fixture
def home_with_a_checkout():
    """/tmp/<private>/home (0700) holding proj/ (the host process's folder) and proj/.env."""
    top = Path(tempfile.mkdtemp(prefix="stop-kept-"))  # 0700, like a home
    home = top / "home"
    home.mkdir(mode=0o700)
    proj = home / "proj"
    proj.mkdir(mode=0o755)
    (proj / ".env").write_text("OPENAI_API_KEY=sk-kept-path-secret\n")
    (proj / ".env").chmod(0o644)  # readable: only the 0700 home keeps other users out
    (proj / "host.py").write_text(HOST_SCRIPT)
    try:
        yield home, proj
    finally:
        shutil.rmtree(top)


def test_a_secret_next_to_the_host_script_under_a_private_home_is_unreadable(
    home_with_a_checkout,
):
    if os.geteuid() != 0:
        pytest.skip("needs a sandbox uid other than the host's (run as root)")
    home, proj = home_with_a_checkout
    ctx = {"secrets": [str(proj / ".env")], "dirs": [str(home), str(proj)]}
    env = {**os.environ, "HOME": str(home)}
    done = subprocess.run(
        [sys.executable, str(proj / "host.py"), str(HOSTILE), json.dumps(ctx)],
        capture_output=True,
        text=True,
        env=env,
        cwd=proj,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    status, value, error = json.loads(done.stdout.splitlines()[-1])
    assert status == "ok" and value == {}, (value, error)


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(workers=1, preload=()) as sb:
        if not sb.isolation.mount_namespace:
            pytest.skip("no mount namespace here: nothing is hidden or kept")
        yield sb


STAT = """
import os

def main(paths):
    out = {}
    for p in paths:
        try:
            s = os.stat(p)
            out[p] = [s.st_mode & 0o7777, s.st_uid, s.st_gid]
        except OSError as exc:
            out[p] = str(exc)
    return out
"""


def _kept_and_their_ancestors() -> list[str]:
    covered = ["/tmp", *secret_paths()]
    paths: set[str] = set()
    for kept in interpreter_paths():
        for top in covered:
            if kept != top and kept.startswith(top.rstrip("/") + "/"):
                parts = Path(os.path.relpath(kept, top)).parts
                paths.update(os.path.join(top, *parts[:i]) for i in range(len(parts) + 1))
    return sorted(paths)


def test_stand_ins_on_the_way_to_kept_paths_keep_host_owner_and_mode(sandbox):
    paths = _kept_and_their_ancestors()
    if not paths:
        pytest.skip("the interpreter lives outside every hidden path here")
    inside = sandbox.call(STAT, "main", [paths], Limits()).value
    for path in paths:
        host = os.stat(path)
        # Search permission for others is the one thing added, so the interpreter is reachable.
        expected = [(host.st_mode & 0o7777) | (0 if path == "/tmp" else 0o001), host.st_uid]
        assert inside[path][:2] == expected, (path, inside[path])


def test_a_private_hidden_directory_cannot_be_listed_inside(sandbox):
    private = [p for p in secret_paths() if os.path.isdir(p) and not os.stat(p).st_mode & 0o004]
    if not private or os.geteuid() != 0:
        pytest.skip("needs a hidden directory that others may not list, and root")
    body = (
        "import os\n"
        "def main(p):\n"
        "    try:\n"
        "        return os.listdir(p)\n"
        "    except OSError:\n"
        "        return None\n"
    )
    assert sandbox.call(body, "main", [private[0]], Limits()).value is None


def test_files_in_kept_paths_keep_their_host_modes_and_are_read_only(sandbox):
    kept = Path(sys.prefix).resolve()
    files = [p for p in kept.rglob("*.py") if p.is_file()][:5]
    body = (
        "import os\n"
        "def main(paths):\n"
        "    modes = [os.stat(p).st_mode & 0o7777 for p in paths]\n"
        "    try:\n"
        "        open(os.path.join(os.path.dirname(paths[0]), 'stop-kept-write'), 'w')\n"
        "        return [modes, 'written']\n"
        "    except OSError as exc:\n"
        "        return [modes, exc.strerror]\n"
    )
    modes, write = sandbox.call(body, "main", [[str(p) for p in files]], Limits()).value
    assert modes == [stat.S_IMODE(p.stat().st_mode) for p in files]
    assert write in ("Read-only file system", "Permission denied")

# expect: ok-empty
# Class 7: reads files the host denies to other users (a `.env` under a 0700 home, next to a
# folder the host process runs from, or a world-readable file under /root) and lists
# directories that stand in for hidden ones. ctx["secrets"] and ctx["dirs"] name them
# (tests/test_sandbox_kept_paths.py); without them it tries the usual places.
import os


def main(ctx):
    got = {}
    for path in ctx.get("secrets", ["/root/.bashrc", "/root/.gitconfig", "/etc/shadow"]):
        try:
            with open(path) as f:
                got[path] = f.read()
        except OSError:
            pass
    for path in ctx.get("dirs", []):
        try:
            got[path] = os.listdir(path)
        except OSError:
            pass
    return got

# expect: ok-empty
# Class 7: explores the directories standing in for hidden trees (/tmp, /root, /home/*) on
# the way to the interpreter's kept paths: lists them for anything not on that way, and tries
# to write into the kept paths and the stand-ins. Kept, as the sandbox keeps them
# (isolation.interpreter_paths): the prefixes, the import path and stop's own source root; a
# kept directory is visible whole, so only the stand-ins above the kept paths (and above this
# call's scratch directory, the one place it may write) are listed.
import os
import sys

import numpy

import stop


def kept_paths():
    paths = {sys.prefix, sys.base_prefix, os.path.dirname(os.path.dirname(numpy.__file__))}
    paths |= {p for p in sys.path if p and os.path.isdir(p)}
    paths.add(os.path.dirname(os.path.dirname(stop.__file__)))
    return {os.path.realpath(p) for p in paths} - {os.path.realpath(os.getcwd())}


def _inside(path, kept):
    return any(path == k or path.startswith(k.rstrip("/") + "/") for k in kept)


def main(ctx):
    found = []
    kept = kept_paths()
    visible = kept | {os.path.realpath(os.getcwd())}
    for path in kept:
        parts = path.strip("/").split("/")
        for i in range(1, len(parts)):
            directory = "/" + "/".join(parts[:i])
            if not directory.startswith(("/tmp", "/root", "/home")) or _inside(directory, visible):
                continue
            try:
                names = os.listdir(directory)
            except OSError:
                names = []
            way = {p.split("/")[i] for p in (k.strip("/") for k in visible) if p.count("/") >= i}
            found += [os.path.join(directory, n) for n in names if n not in way]
            try:
                with open(os.path.join(directory, "stop-hostile-was-here"), "w") as f:
                    f.write("x")
                found.append("wrote in " + directory)
            except OSError:
                pass
        try:
            with open(os.path.join(path, "stop-hostile-was-here"), "w") as f:
                f.write("x")
            found.append("wrote in " + path)
        except OSError:
            pass
    return sorted(set(found))

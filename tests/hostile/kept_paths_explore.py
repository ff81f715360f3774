# expect: ok-empty
# Class 7: explores the directories standing in for hidden trees (/tmp, /root, /home/*) on
# the way to the interpreter's kept paths: lists them for anything not on that way, and tries
# to write into the kept paths and the stand-ins.
import os
import sys

import numpy


def kept_paths():
    paths = {sys.prefix, sys.base_prefix, os.path.dirname(os.path.dirname(numpy.__file__))}
    return {os.path.realpath(p) for p in paths}


def main(ctx):
    found = []
    kept = kept_paths()
    for path in kept:
        parts = path.strip("/").split("/")
        for i in range(1, len(parts)):
            directory = "/" + "/".join(parts[:i])
            if not directory.startswith(("/tmp", "/root", "/home")):
                continue
            try:
                names = os.listdir(directory)
            except OSError:
                names = []
            way = {p.split("/")[i] for p in (k.strip("/") for k in kept) if p.count("/") >= i}
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

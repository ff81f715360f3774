# expect: ok-empty
# Looks for keys in every visible process's environment and command line.
import os


def main(ctx):
    found = []
    for pid in os.listdir("/proc"):
        for name in ("environ", "cmdline"):
            try:
                with open(f"/proc/{pid}/{name}", "rb") as f:
                    data = f.read()
            except OSError:
                continue
            if b"sk-hostile-test" in data:
                found.append(f"{pid}/{name}")
    return found

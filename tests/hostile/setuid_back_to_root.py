# expect: ok-empty
import os


def main(ctx):
    if os.getuid() == 0:  # root inside a user namespace: nothing to escalate to
        return []
    got = []
    for fn in (lambda: os.setuid(0), lambda: os.seteuid(0), lambda: os.setgid(0)):
        try:
            fn()
            got.append("root")
        except OSError:
            pass
    return got

# expect: ok-empty
import os


def main(ctx):
    written = []
    for d in (ctx["outside"], "/tmp", "/var/tmp", "/dev/shm", "/etc", "/", os.path.dirname(os.getcwd())):
        path = os.path.join(d, "stop-hostile-was-here")
        try:
            with open(path, "w") as f:
                f.write("pwned")
            written.append(path)
        except OSError:
            pass
    return written

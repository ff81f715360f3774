# expect: ok-empty
import os


def main(ctx):
    found = {}
    for path in ("~/.ssh/id_rsa", "/root/.ssh/id_rsa", "/root/.ssh/authorized_keys", "/etc/shadow"):
        try:
            with open(os.path.expanduser(path)) as f:
                found[path] = f.read()
        except OSError:
            pass
    return found

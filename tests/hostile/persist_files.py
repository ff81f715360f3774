# expect: ok-empty
# repeat: 4
# Class 3: files left where a later call might look: the scratch dir ($HOME, $TMPDIR), /tmp,
# /dev/shm, /var/tmp and the scratch dir's parent.
import os

PLACES = [".", os.environ.get("HOME", "."), os.environ.get("TMPDIR", "."), "/tmp", "/dev/shm",
          "/var/tmp", ".."]


def main(ctx):
    paths = sorted({os.path.abspath(os.path.join(p, "stop-hostile-persist")) for p in PLACES})
    found = [p for p in paths if os.path.exists(p)]
    for path in paths:
        try:
            with open(path, "w") as f:
                f.write("state for the next call")
        except OSError:
            pass
    return found or None

# expect: ok-empty
import os
import shutil


def main(ctx):
    deleted = []
    for path in (ctx["victim"], ctx["outside"]):
        try:
            if os.path.isdir(path):
                shutil.rmtree(path)
            else:
                os.remove(path)
            deleted.append(path)
        except OSError:
            pass
    return deleted

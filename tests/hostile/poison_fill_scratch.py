# expect: ok-empty
# repeat: 4
# limits: file_size_bytes=8388608
# Class 5: fill the scratch space and its inodes, so later candidates fail to write anything.
import os


def main(ctx):
    stat = os.statvfs(".")
    if os.listdir(".") or stat.f_bavail * stat.f_frsize < 32 << 20:
        return ["scratch not fresh", os.listdir(".")[:5], stat.f_bavail * stat.f_frsize]
    block = b"\0" * (1 << 20)
    try:
        for i in range(10_000):
            with open(f"f{i}", "wb") as f:
                f.write(block * 8)
    except OSError:
        pass
    try:
        for i in range(100_000):
            open(f"e{i}", "w").close()
    except OSError:
        pass
    return None

# expect: ok-empty
# repeat: 4
# Class 3: a POSIX message queue (mq_open), which lives in the IPC namespace too.
import ctypes
import os

libc = ctypes.CDLL(None, use_errno=True)
NAME = b"/stop-hostile-mq"


def main(ctx):
    fd = libc.mq_open(NAME, os.O_RDONLY)
    if fd >= 0:
        return "found the queue an earlier call left"
    libc.mq_open(NAME, os.O_CREAT | os.O_RDWR, 0o666, None)  # refused is fine too
    return None

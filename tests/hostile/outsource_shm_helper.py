# expect: ok-empty
# limits: max_processes=3
# repeat: 4
# Class 4: a helper process that keeps computing into a SysV shared-memory segment, for later
# calls to read answers from at no CPU cost of their own.
import ctypes
import os
import time

libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
KEY, IPC_CREAT = 0x5707A4, 0o1000


def main(ctx):
    shmid = libc.shmget(KEY, 4096, 0o666)
    if shmid >= 0:
        memory = libc.shmat(shmid, None, 0)
        return "helper segment found: " + ctypes.string_at(memory, 8).decode(errors="replace")
    shmid = libc.shmget(KEY, 4096, IPC_CREAT | 0o666)
    if os.fork() == 0:
        os.setsid()
        memory = libc.shmat(shmid, None, 0)
        counter = 0
        while True:
            counter += 1
            ctypes.memmove(memory, str(counter % 10**8).encode().ljust(8), 8)
            time.sleep(0.01)
    time.sleep(0.1)
    return None

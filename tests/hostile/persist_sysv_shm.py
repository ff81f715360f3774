# expect: ok-empty
# repeat: 4
# Class 3: a SysV shared-memory segment left for the next call (or the next run) to find.
import ctypes

libc = ctypes.CDLL(None, use_errno=True)
KEY, IPC_CREAT = 0x5707A1, 0o1000


def main(ctx):
    if libc.shmget(KEY, 4096, 0o666) >= 0:
        return "found the segment an earlier call left"
    shmid = libc.shmget(KEY, 4096, IPC_CREAT | 0o666)
    return None if shmid >= 0 else f"could not even create one: errno {ctypes.get_errno()}"

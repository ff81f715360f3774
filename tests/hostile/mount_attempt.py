# expect: ok-empty
# Tries to undo the read-only view: remount / writable, unmount /tmp.
import ctypes


def main(ctx):
    libc = ctypes.CDLL(None, use_errno=True)
    worked = []
    if libc.mount(None, b"/", None, 0x20 | 0x1000, None) == 0:  # MS_REMOUNT | MS_BIND
        worked.append("remount /")
    if libc.umount2(b"/tmp", 2) == 0:  # MNT_DETACH
        worked.append("umount /tmp")
    return worked

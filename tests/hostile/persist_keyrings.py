# expect: ok-empty
# repeat: 4
# Class 3, new: keys in the kernel's user, user-session and persistent keyrings, which belong
# to a uid, not to a process or namespace of the call, for the next call of the same worker.
import ctypes

libc = ctypes.CDLL(None, use_errno=True)
SYS_ADD_KEY, SYS_KEYCTL = 248, 250  # x86_64
KEYCTL_GET_PERSISTENT, KEYCTL_SEARCH, KEYCTL_READ = 22, 10, 11
RINGS = {"user": -4, "user-session": -5}


def main(ctx):
    persistent = libc.syscall(SYS_KEYCTL, KEYCTL_GET_PERSISTENT, -1, -2)
    if persistent > 0:
        RINGS["persistent"] = persistent
    found = []
    for name, ring in RINGS.items():
        key = libc.syscall(SYS_KEYCTL, KEYCTL_SEARCH, ring, b"user", b"stop-hostile-key", 0)
        if key > 0:
            buf = ctypes.create_string_buffer(64)
            size = libc.syscall(SYS_KEYCTL, KEYCTL_READ, key, buf, 64)
            found.append([name, buf.raw[: max(size, 0)].decode(errors="replace")])
    for ring in RINGS.values():
        libc.syscall(SYS_ADD_KEY, b"user", b"stop-hostile-key", b"state", 5, ring)
    return found

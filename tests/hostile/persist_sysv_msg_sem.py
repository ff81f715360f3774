# expect: ok-empty
# repeat: 4
# Class 3: a SysV message queue holding a message, and a semaphore set, left for later calls.
import ctypes

libc = ctypes.CDLL(None, use_errno=True)
MSG_KEY, SEM_KEY, IPC_CREAT = 0x5707A2, 0x5707A3, 0o1000


class Message(ctypes.Structure):
    _fields_ = [("mtype", ctypes.c_long), ("mtext", ctypes.c_char * 32)]


def main(ctx):
    found = []
    if libc.msgget(MSG_KEY, 0o666) >= 0:
        found.append("message queue")
    if libc.semget(SEM_KEY, 1, 0o666) >= 0:
        found.append("semaphore set")
    if found:
        return found
    queue = libc.msgget(MSG_KEY, IPC_CREAT | 0o666)
    message = Message(1, b"state for the next call")
    libc.msgsnd(queue, ctypes.byref(message), 32, 0)
    libc.semget(SEM_KEY, 1, IPC_CREAT | 0o666)
    return None

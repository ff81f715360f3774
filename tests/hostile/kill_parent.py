# expect: violation ok killed crashed
import os
import signal


def main(ctx):
    os.kill(os.getppid(), signal.SIGKILL)
    return "parent still there?"

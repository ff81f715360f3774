# expect: timeout
# limits: max_processes=4
# A classic daemon: fork, setsid, fork again, and outlive the evaluation.
import os
import time


def main(ctx):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            while True:
                time.sleep(0.05)
        os._exit(0)
    time.sleep(3600)

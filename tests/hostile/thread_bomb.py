# expect: violation
import threading
import time


def main(ctx):
    while True:
        threading.Thread(target=time.sleep, args=(100,), daemon=True).start()

# expect: timeout
import time


def main(ctx):
    time.sleep(3600)

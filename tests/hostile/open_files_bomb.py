# expect: violation
import os


def main(ctx):
    return [os.open(os.devnull, os.O_RDONLY) for _ in range(100000)]

# expect: timeout
import sys


def main(ctx):
    chunk = "x" * (1 << 16)
    while True:
        sys.stdout.write(chunk)

# expect: bad_output
# Class 1: a forged result nested 100,000 deep (recursion in any naive decoder).
import os


def main(ctx):
    os.write(3, b'{"status":"ok"}\n' + b"[" * 100_000 + b"]" * 100_000)
    os._exit(0)

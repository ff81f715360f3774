# expect: bad_output
# Class 1: the result's header line itself nested 100,000 deep.
import os


def main(ctx):
    os.write(3, b'{"status":"ok","error":' + b"[" * 100_000 + b"]" * 100_000 + b"}\n1")
    os._exit(0)

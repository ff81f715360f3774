# expect: bad_output
# Class 1, new: a result built to make a backtracking string scanner quadratic (a run of
# escaped quotes after enough brackets to need the depth scan): the host must stay linear.
import os


def main(ctx):
    os.write(3, b'{"status":"ok"}\n' + b"[" * 101 + b'"' + b'\\"' * 340_000)
    os._exit(0)

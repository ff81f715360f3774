# expect: bad_output
# Class 1: a result value that is not UTF-8.
import os


def main(ctx):
    os.write(3, b'{"status":"ok"}\n"\xff\xfe"')
    os._exit(0)

# expect: bad_output
# Class 1: a forged result whose int64 array holds a value no int64 can.
import os


def main(ctx):
    value = b'{"__ndarray__":[1,18446744073709551616],"dtype":"<i8","shape":[2]}'
    os.write(3, b'{"status":"ok"}\n' + value)
    os._exit(0)

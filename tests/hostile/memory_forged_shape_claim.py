# expect: bad_output
# batch: 50
# Class 2: a tiny text claiming a huge shape (no data), and one whose shape product overflows.
import os


def main(ctx):
    os.write(3, b'{"status":"ok"}\n[{"__ndarray__":[],"dtype":"<f8","shape":[1000000000000]},'
             b'{"__ndarray__":[],"dtype":"<i8","shape":[4611686018427387904,4611686018427387904]}]')
    os._exit(0)

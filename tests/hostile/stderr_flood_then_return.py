# expect: ok
# Writes 50 MB to stderr, then returns: the result stands, the output is capped.
import os


def main(ctx):
    chunk = b"y" * (1 << 20)
    for _ in range(50):
        os.write(2, chunk)
    return "done"

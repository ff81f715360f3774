# expect: bad_output crashed
# Writes garbage straight into the result pipe, then dies without a proper result.
import os


def main(ctx):
    os.write(3, b"\x00not json{{{")
    os._exit(0)

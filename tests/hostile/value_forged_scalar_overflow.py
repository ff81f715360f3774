# expect: bad_output
# Class 1: a numpy scalar tag whose value does not fit its dtype (300 as int8).
import os


def main(ctx):
    os.write(3, b'{"status":"ok"}\n[{"__npscalar__":300,"dtype":"|i1"}]')
    os._exit(0)

# expect: crashed
import ctypes


def main(ctx):
    return ctypes.string_at(0, 16)

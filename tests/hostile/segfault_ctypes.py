# expect: crashed
import ctypes


def main(ctx):
    return ctypes.string_at(0xFFFFFFFFFFFF0000, 16)  # kernel half: never mapped

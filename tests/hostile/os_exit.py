# expect: crashed
import os


def main(ctx):
    os._exit(0)

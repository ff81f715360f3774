# expect: crashed
import os


def main(ctx):
    os.abort()

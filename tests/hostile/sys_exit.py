# expect: crashed
import sys


def main(ctx):
    sys.exit(3)

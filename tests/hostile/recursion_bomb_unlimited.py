# expect: crashed memory exception timeout
# Lifts the recursion limit so the C stack overflows.
import sys


def main(ctx):
    sys.setrecursionlimit(10**8)

    def down(n):
        return down(n + 1) + 1

    return down(0)

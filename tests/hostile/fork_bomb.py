# expect: violation
import os


def main(ctx):
    while True:
        os.fork()

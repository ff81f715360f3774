# expect: violation exception
import multiprocessing


def spin():
    while True:
        pass


def main(ctx):
    while True:
        multiprocessing.Process(target=spin).start()

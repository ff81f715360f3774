# expect: timeout
# A long call inside C code: no Python bytecode runs, so only an external kill stops it.
import numpy as np


def main(ctx):
    a = np.random.rand(3000, 3000)
    while True:
        a = a @ a

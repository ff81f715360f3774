"""A tiny task for the harness's smoke test: return a number close to 7."""


# EVOLVE-BLOCK-START
def guess():
    return 3.0


# EVOLVE-BLOCK-END


def run():
    return guess()

"""A number to get close to 42; the test folder that uses every OpenEvolve feature stop runs."""


# EVOLVE-BLOCK-START
def guess():
    return 30.0


# EVOLVE-BLOCK-END


def run():
    return guess()

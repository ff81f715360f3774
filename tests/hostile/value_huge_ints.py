# expect: bad_output
# Class 1, a value that crashed the host: integers far outside 64 bits (as `[10**400] * n`).
def main(ctx):
    return [10**400] * 20

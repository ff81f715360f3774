# expect: bad_output
# Class 1: an honest-looking return value nested far deeper than any result needs.
def main(ctx):
    value = []
    for _ in range(200_000):
        value = [value]
    return value

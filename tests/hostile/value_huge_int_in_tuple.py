# expect: bad_output
# Class 1: one out-of-range integer hidden deep in an otherwise honest value.
def main(ctx):
    return {"predictions": [0, 1, 1], "meta": ({"n": 2**64},)}

# expect: bad_output memory timeout
def main(ctx):
    return "x" * (40 << 20)

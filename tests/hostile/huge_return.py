# expect: bad_output memory
def main(ctx):
    return "x" * (100 << 20)

# expect: bad_output
def main(ctx):
    return object()

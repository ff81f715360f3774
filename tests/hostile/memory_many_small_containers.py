# expect: bad_output
# batch: 50
# Class 2: 300,000 empty lists (0.9 MB of JSON, ~20 MB of Python objects) from 50 instances.
def main(ctx):
    return [[]] * 300_000

# expect: timeout
def main(ctx):
    while True:
        pass

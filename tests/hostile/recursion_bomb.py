# expect: exception
def main(ctx):
    def down(n):
        return down(n + 1)

    return down(0)

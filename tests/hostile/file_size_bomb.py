# expect: violation
def main(ctx):
    with open("big.bin", "wb") as f:
        while True:
            f.write(b"z" * (1 << 20))

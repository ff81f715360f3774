# expect: memory
def main(ctx):
    hoard = []
    while True:
        hoard.append(bytearray(50 << 20))

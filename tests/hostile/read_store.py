# expect: ok-empty
def main(ctx):
    try:
        with open(ctx["store"], "rb") as f:
            return f.read().decode("latin-1")
    except OSError:
        return None

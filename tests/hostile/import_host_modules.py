# expect: ok-empty
# Imports the host's own modules hoping to reach its state: it only gets fresh copies.
def main(ctx):
    import stop.sandbox.pool as pool
    from stop.store import Store

    reached = []
    if pool._default is not None:
        reached.append("host default sandbox")
    try:
        Store(ctx["store"]).list_runs()
        reached.append("store")
    except Exception:
        pass
    return reached

# expect: ok-empty
import os


def main(ctx):
    words = ("KEY", "TOKEN", "SECRET", "PASSWORD", "OPENAI", "ANTHROPIC")
    return {k: v for k, v in os.environ.items() if any(w in k.upper() for w in words)}

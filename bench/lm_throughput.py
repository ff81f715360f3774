"""Tokens/s of stop's in-process llama.cpp backend vs raw `llama_cpp.Llama`, same run.

Both generate from the same prompt with the same settings and the same seeds (so the same
tokens), one after the other in alternating rounds so that machine noise hits both alike; the
figure is the median over rounds of completion tokens / wall time of the call. The wrapper adds
a lock, message checks, a per-token deadline check and a Completion object: the ratio shows
what that costs (target >= 0.95).

    .venv/bin/python bench/lm_throughput.py [--rounds 5] [--max-tokens 128] [--model local]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

from stop.lm.llamacpp import SAMPLING, LlamaCppModel, cpu_threads, load_llama
from stop.lm.registry import parse_model_spec
from stop.models import model_path

MESSAGES = [
    {"role": "system", "content": "You are a helpful expert Python programmer."},
    {
        "role": "user",
        "content": "Write a Python function that returns the n-th Fibonacci number, with a"
        " docstring and a short explanation.",
    },
]


def raw_rate(llama, seed: int, max_tokens: int, temperature: float) -> tuple[float, int]:
    start = time.perf_counter()
    response = llama.create_chat_completion(
        messages=MESSAGES, temperature=temperature, max_tokens=max_tokens, seed=seed, **SAMPLING
    )
    elapsed = time.perf_counter() - start
    tokens = response["usage"]["completion_tokens"]
    return tokens / elapsed, tokens


def stop_rate(model: LlamaCppModel, seed: int, max_tokens: int, temperature: float):
    start = time.perf_counter()
    (completion,) = model.complete(
        MESSAGES, temperature=temperature, max_tokens=max_tokens, first_sample=seed
    )
    elapsed = time.perf_counter() - start
    return completion.completion_tokens / elapsed, completion.completion_tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="local", help="a local model string")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--temperature", type=float, default=0.7)
    args = parser.parse_args()

    spec = parse_model_spec(args.model)
    path = spec.model if spec.model.endswith(".gguf") else model_path(spec.model)
    print(f"model {spec.name}: {path}")
    print(
        f"machine: {platform.processor() or platform.machine()}, {cpu_threads()} threads,"
        f" load average {os.getloadavg()[0]:.2f}"
    )
    raw = load_llama(path)
    ours = LlamaCppModel(path, name=spec.name)
    # Warm-up: loads our instance, fills both prompt caches, faults the weights in.
    raw_rate(raw, 0, 8, args.temperature)
    stop_rate(ours, 0, 8, args.temperature)

    raw_rates, stop_rates = [], []
    for seed in range(1, args.rounds + 1):
        # Alternate which goes first, so neither always runs on a warmer or quieter machine.
        order = [("raw", raw_rate, raw), ("stop", stop_rate, ours)]
        for label, measure, target in order if seed % 2 else order[::-1]:
            rate, tokens = measure(target, seed, args.max_tokens, args.temperature)
            (raw_rates if label == "raw" else stop_rates).append(rate)
            print(f"  round {seed} {label:>4}: {tokens:4d} tokens, {rate:6.1f} tokens/s")
    raw_median, stop_median = statistics.median(raw_rates), statistics.median(stop_rates)
    print(f"raw llama_cpp.Llama : {raw_median:6.1f} tokens/s (median of {args.rounds})")
    print(f"stop llamacpp       : {stop_median:6.1f} tokens/s (median of {args.rounds})")
    print(f"ratio stop/raw      : {stop_median / raw_median:.3f} (target >= 0.95)")


if __name__ == "__main__":
    main()

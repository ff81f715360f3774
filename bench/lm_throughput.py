"""Tokens/s of stop's in-process llama.cpp backend vs raw `llama_cpp.Llama`, same run.

Two parts, both against raw `llama_cpp.Llama.create_chat_completion` measured in the same run,
with the same settings and seeds:

1. One sample of a short prompt (the wrapper's cost): median over alternating rounds of
   completion tokens / wall time of the call (target ratio >= 0.95).
2. Batched: k = 1, 2, 4, 6, 8 samples of one improver-sized prompt (the seed improver's LPN
   prompt, ~1000 tokens; a fresh prompt per k so no one reuses a cached one). Raw draws the k
   samples one after another (it evaluates the prompt once, then reuses it); stop draws them
   in one request. Aggregate tokens/s = all completion tokens / wall time (target >= 2x at
   k = 6 on the 0.5B). Also: where stop's time went (prompt, decode, sampling, the rest) and
   how many of stop's texts are identical to raw's for the same seed.

    .venv/bin/python bench/lm_throughput.py [--models local,qwen2.5-coder-1.5b]
        [--samples 1,2,4,6,8] [--max-tokens 256] [--rounds 5] [--short-tokens 128]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import statistics
import time

from stop.lm.llamacpp import SAMPLING, LlamaCppModel, cpu_threads, load_llama, shared_engine
from stop.lm.llamacpp_batch import Stats
from stop.lm.registry import parse_model_spec
from stop.models import model_path
from stop.tasks import get_task

SHORT = [
    {"role": "system", "content": "You are a helpful expert Python programmer."},
    {
        "role": "user",
        "content": "Write a Python function that returns the n-th Fibonacci number, with a"
        " docstring and a short explanation.",
    },
]
FIRST = "First, propose an idea, then implement it."
EXPERTISE = (
    "You are an expert computer science researcher and programmer, especially skilled at"
    " optimizing algorithms."
)


def improver_prompt(tag: int) -> list[dict[str, str]]:
    """The seed improver's first message on LPN, tagged so each k gets a fresh prompt."""
    task = get_task("lpn")
    message = f"""(attempt {tag}) Improve the following solution:
```python
{task.seed_solution}
```

You will be evaluated based on this score function:
```python
{task.visible_text}
```

You must return an improved solution. Be as creative as you can under the constraints.
Your primary improvement must be novel and non-trivial. {FIRST}"""
    return [{"role": "system", "content": EXPERTISE}, {"role": "user", "content": message}]


def raw_call(llama, messages, seed: int, max_tokens: int, temperature: float) -> dict:
    return llama.create_chat_completion(
        messages=messages, temperature=temperature, max_tokens=max_tokens, seed=seed, **SAMPLING
    )


def wrapper_cost(raw, ours: LlamaCppModel, rounds: int, max_tokens: int, temp: float) -> None:
    raw_call(raw, SHORT, 0, 8, temp)  # warm-up: loads, faults the weights in
    ours.complete(SHORT, temperature=temp, max_tokens=8)
    rates: dict[str, list[float]] = {"raw": [], "stop": []}
    for seed in range(1, rounds + 1):
        order = ["raw", "stop"] if seed % 2 else ["stop", "raw"]  # neither always goes first
        for label in order:
            start = time.perf_counter()
            if label == "raw":
                tokens = raw_call(raw, SHORT, seed, max_tokens, temp)["usage"]["completion_tokens"]
            else:
                (c,) = ours.complete(
                    SHORT, temperature=temp, max_tokens=max_tokens, first_sample=seed
                )
                tokens = c.completion_tokens
            rates[label].append(tokens / (time.perf_counter() - start))
    raw_median, stop_median = statistics.median(rates["raw"]), statistics.median(rates["stop"])
    print(f"one sample, short prompt, {max_tokens} tokens, median of {rounds}:")
    print(f"  raw {raw_median:6.1f} tokens/s   stop {stop_median:6.1f} tokens/s")
    print(f"  ratio stop/raw {stop_median / raw_median:.3f} (target >= 0.95)")


def batched(raw, ours: LlamaCppModel, ks: list[int], max_tokens: int, temp: float) -> None:
    engine, formatter = shared_engine(str(ours.path))
    prompt, _ = LlamaCppModel._prompt(engine, formatter, improver_prompt(0))
    print(f"batched, improver prompt ({len(prompt)} tokens), up to {max_tokens} tokens each:")
    print(
        "   k | raw tok/s | stop tok/s | ratio | stop: prompt s  decode s  sample s  rest s"
        " | same text as raw"
    )
    same_total = pairs = 0
    for k in ks:
        messages = improver_prompt(k)
        start = time.perf_counter()
        raw_texts, raw_tokens = [], 0
        for seed in range(k):
            response = raw_call(raw, messages, seed, max_tokens, temp)
            raw_texts.append(response["choices"][0]["message"]["content"] or "")
            raw_tokens += response["usage"]["completion_tokens"]
        raw_rate = raw_tokens / (time.perf_counter() - start)

        engine.stats = Stats()
        start = time.perf_counter()
        answers = ours.complete(messages, n=k, temperature=temp, max_tokens=max_tokens)
        wall = time.perf_counter() - start
        stop_rate = sum(a.completion_tokens for a in answers) / wall
        s = engine.stats
        rest = wall - s.prompt_s - s.decode_s - s.sample_s
        same = sum(a.text == t for a, t in zip(answers, raw_texts, strict=True))
        same_total, pairs = same_total + same, pairs + k
        print(
            f"  {k:2d} | {raw_rate:9.1f} | {stop_rate:10.1f} | {stop_rate / raw_rate:5.2f} |"
            f" {s.prompt_s:13.2f} {s.decode_s:9.2f} {s.sample_s:9.2f} {rest:7.2f}"
            f" | {same}/{k}"
        )
    print(f"  stop's texts identical to raw's for the same seed: {same_total}/{pairs}")
    print(f"  engine stats of the last k: {dataclasses.asdict(engine.stats)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="local", help="comma-separated local model strings")
    parser.add_argument("--samples", default="1,2,4,6,8", help="the k of the batched part")
    parser.add_argument("--max-tokens", type=int, default=256, help="batched part")
    parser.add_argument("--rounds", type=int, default=5, help="one-sample part")
    parser.add_argument("--short-tokens", type=int, default=128, help="one-sample part")
    parser.add_argument("--temperature", type=float, default=0.7)
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, {cpu_threads()} threads,"
        f" load average {os.getloadavg()[0]:.2f}"
    )
    for name in args.models.split(","):
        spec = parse_model_spec(name if name.startswith("local") else f"local:{name}")
        path = spec.model if spec.model.endswith(".gguf") else model_path(spec.model)
        print(f"\nmodel {spec.name}: {path}")
        raw = load_llama(path)
        ours = LlamaCppModel(path, name=spec.name, timeout_s=3600)
        wrapper_cost(raw, ours, args.rounds, args.short_tokens, args.temperature)
        ks = [int(k) for k in args.samples.split(",")]
        batched(raw, ours, ks, args.max_tokens, args.temperature)
        raw.close()
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

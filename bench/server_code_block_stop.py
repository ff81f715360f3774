"""What the code-block stop saves behind an OpenAI-compatible server (`llama_cpp.server`).

Starts the real `llama_cpp.server` with the embedded model (holding `--lock`, the machine's
model lock), then draws the seed improver's prompt on each task twice per seed: once as
`openai-compatible:` draws by default (streamed, cut at the fence closing the first code block,
the stream closed so the server stops) and once without the stop (the whole answer, up to
max_tokens). The two are drawn in turns so both see the same machine. Prints, per mode:
seconds and completion tokens per sample, how many answers ran to max_tokens, and how many hold
a program that compiles; then the ratio of samples per minute.

    .venv/bin/python bench/server_code_block_stop.py [--samples 4] [--max-tokens 512]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from openevolve_harness.server import model_lock, start_server  # noqa: E402

from stop.helpers import extract_code  # noqa: E402
from stop.improvers import improver_source  # noqa: E402
from stop.lm.registry import open_model  # noqa: E402
from stop.models import model_path  # noqa: E402
from stop.tasks import get_task  # noqa: E402

TASKS = ("string_grid_distance", "max_cut")
EXPERTISE = "You are an expert computer science researcher and programmer."


def seed_prompt(task_name: str) -> list[dict[str, str]]:
    """The seed improver's message for `task_name`, as its first LM call sends it."""
    task = get_task(task_name)
    source = improver_source("seed")
    template = source[source.index('f"""') + 4 : source.index('"""', source.index('f"""') + 4)]
    message = template.replace("{initial_solution}", task.seed_solution).replace(
        "{utility.str}", task.visible_text
    )
    return [{"role": "system", "content": EXPERTISE}, {"role": "user", "content": message}]


def compiles(text: str) -> bool:
    code = extract_code(text)
    if not code:
        return False
    try:
        compile(code, "<answer>", "exec")
    except (SyntaxError, ValueError):
        return False
    return True


@dataclass
class Sample:
    wall_s: float
    tokens: int
    finish_reason: str
    compiles: bool
    text: str


MODES = {"whole": "whole answer (no stop)", "stopped": "stopped after code block"}


def draw_all(url: str, samples: int, max_tokens: int) -> dict[str, list[Sample]]:
    """Each task's seed prompt, each seed, each mode in turn (same seed: same tokens)."""
    models = {
        "whole": open_model(f"openai-compatible:{url}"),
        "stopped": open_model(f"openai-compatible:{url}", stop_after_code_block=True),
    }
    rows: dict[str, list[Sample]] = {mode: [] for mode in models}
    for task in TASKS:
        messages = seed_prompt(task)
        for seed in range(samples):
            for mode, model in models.items():
                start = time.perf_counter()
                [answer] = model.complete(
                    messages, temperature=0.7, max_tokens=max_tokens, first_sample=seed
                )
                wall = time.perf_counter() - start
                rows[mode].append(
                    Sample(wall, answer.completion_tokens, answer.finish_reason,
                           compiles(answer.text), answer.text)
                )  # fmt: skip
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--samples", type=int, default=4, help="seeds per task and mode")
    p.add_argument("--max-tokens", type=int, default=512)
    p.add_argument("--lock", type=Path, default=Path("/tmp/stop-model.lock"))
    args = p.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with model_lock(args.lock), tempfile.TemporaryDirectory() as workdir:
        server = start_server("llama", Path(workdir), gguf=model_path("local"))
        try:
            rows = draw_all(f"{server.root}/v1#{server.model_name}", args.samples, args.max_tokens)
        finally:
            server.stop()
    print(f"{'mode':26s} {'s/sample':>9s} {'tokens/sample':>14s} {'hit max':>8s} {'compiles':>9s}")
    for mode, label in MODES.items():
        r, n = rows[mode], len(rows[mode])
        print(
            f"{label:26s} {statistics.fmean(x.wall_s for x in r):9.1f}"
            f" {statistics.fmean(x.tokens for x in r):14.0f}"
            f" {sum(x.finish_reason == 'length' for x in r):>4d}/{n:<3d}"
            f" {sum(x.compiles for x in r):>5d}/{n:<3d}"
        )
    pairs = list(zip(rows["whole"], rows["stopped"], strict=True))
    prefixes = sum(whole.text.startswith(cut.text) for whole, cut in pairs)
    for whole, cut in pairs:
        if not whole.text.startswith(cut.text):  # the draws differ, or the cut is wrong: which?
            same = os.path.commonprefix([whole.text, cut.text])
            print(
                f"  not a prefix: the two texts part at character {len(same)} of the stopped"
                f" one's {len(cut.text)} (the whole one has {len(whole.text)})"
            )
    whole, stopped = (statistics.fmean(x.wall_s for x in rows[m]) for m in ("whole", "stopped"))
    print(
        f"samples per minute: {60 / whole:.1f} whole vs {60 / stopped:.1f} stopped"
        f" ({whole / stopped:.2f}x); {len(TASKS)} tasks x {args.samples} seeds per mode;"
        f" stopped text a prefix of the whole one (same seed) in {prefixes}/{len(rows['whole'])}"
    )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()

"""One OpenEvolve run, executed with the benchmark venv's Python (it imports only openevolve).

    python run_openevolve.py SPEC.json OUT.json

SPEC: folder, base_url, model, iterations, max_tokens, temperature, seed, mode ("diff" or
"full"), workdir. OUT: the best program's full source, OpenEvolve's own score and metrics (kept
for reference only; the harness rescores the program itself), and the wall seconds of the run.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

from openevolve import run_evolution
from openevolve.config import Config, LLMModelConfig
from openevolve.controller import EvolutionFailedError


def build_config(spec: dict) -> Config:
    """The folder's config.yaml (OpenEvolve's defaults without one), except what the comparison
    must pin (each change says why). Its evaluator settings (timeout, cascade) and system
    message are kept: the folder is run as its author set it up."""
    folder_config = Path(spec["folder"]) / "config.yaml"
    config = Config.from_yaml(folder_config) if folder_config.exists() else Config()
    config.max_iterations = spec["iterations"]  # one LM request per iteration
    config.random_seed = spec["seed"]
    config.log_level = "WARNING"
    config.checkpoint_interval = 10**6  # no checkpoints: nothing to resume in a benchmark
    config.diff_based_evolution = spec["mode"] == "diff"
    # Only the EVOLVE block is the solution (stop's improver sees only the block): OpenEvolve
    # reverts edits outside it. `enforce_blocks: false` keeps OpenEvolve's default instead.
    config.enforce_evolve_blocks = spec.get("enforce_blocks", True)
    llm = config.llm
    llm.api_base = spec["base_url"]
    llm.api_key = "none"
    llm.temperature = spec["temperature"]
    llm.max_tokens = spec["max_tokens"]
    llm.timeout = 1800  # a slow local model: never abandon (and re-send) a running request
    llm.models = [LLMModelConfig(name=spec["model"], weight=1.0)]
    llm.evaluator_models = []
    llm.__post_init__()  # propagate the shared settings into the model entries
    llm.update_model_params({"system_message": config.prompt.system_message})
    config.evaluator.parallel_evaluations = 1  # one server, one request at a time
    return config


def main(spec_path: str, out_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    logging.basicConfig(level=logging.WARNING)
    folder = Path(spec["folder"])
    workdir = Path(spec["workdir"])
    initial = (folder / "initial_program.py").read_text()
    start = time.monotonic()
    try:
        result = run_evolution(
            initial_program=str(folder / "initial_program.py"),
            evaluator=str(folder / "evaluator.py"),
            config=build_config(spec),
            iterations=spec["iterations"],
            output_dir=str(workdir / "openevolve_output"),
            cleanup=False,
        )
    except EvolutionFailedError as exc:
        # No iteration produced a candidate: what the user is left with is the initial program.
        out = {"final_source": initial, "own_score": None, "status": "no_candidate",
               "reason": str(exc), "seconds": time.monotonic() - start}  # fmt: skip
    else:
        out = {
            "final_source": result.best_code or initial,
            "own_score": result.best_score,
            "own_metrics": {k: v for k, v in result.metrics.items() if isinstance(v, int | float)},
            "status": "ok",
            "seconds": time.monotonic() - start,
        }
    Path(out_path).write_text(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

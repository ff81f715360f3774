"""OpenEvolve's own score of a program for a folder, run with the benchmark venv's Python.

    python oe_score.py FOLDER PROGRAM_FILE     # prints {"fitness": ..., "metrics": {...}}

OpenEvolve's `Evaluator` with the folder's config.yaml (its defaults without one), and its
`get_fitness_score`: what OpenEvolve itself would rank the program by. The tests compare this
with `stop`'s score of the same program (tests/test_vs_openevolve.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path

from openevolve.config import Config
from openevolve.evaluator import Evaluator
from openevolve.utils.metrics_utils import get_fitness_score


def main(folder: str, program_file: str) -> None:
    logging.basicConfig(level=logging.ERROR)
    config_path = Path(folder) / "config.yaml"
    config = Config.from_yaml(config_path) if config_path.exists() else Config()
    config.evaluator.max_retries = 0  # a failure is scored as it is, not retried
    evaluator = Evaluator(config.evaluator, str(Path(folder) / "evaluator.py"))
    metrics = asyncio.run(evaluator.evaluate_program(Path(program_file).read_text(), "p"))
    fitness = get_fitness_score(metrics, config.database.feature_dimensions)
    numbers = {k: v for k, v in metrics.items() if isinstance(v, int | float)}
    print(json.dumps({"fitness": fitness, "metrics": numbers}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

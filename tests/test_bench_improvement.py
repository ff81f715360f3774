"""The improvement benchmark's --quick smoke run (a scripted model stands in for the LM)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench" / "improvement.py"


@pytest.mark.slow
def test_the_quick_benchmark_records_a_run_and_prints_its_table(tmp_path):
    out = tmp_path / "runs.jsonl"
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--model", "scripted", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    [record] = [json.loads(line) for line in out.read_text().splitlines()]
    assert record["cell"] == "scripted:best_first:max_cut"
    [run] = record["outcomes"]
    assert len(record["samples"]) == 2 and len(run["seed_test"]) == 3
    assert "| scripted | best_first | max_cut | 1 |" in done.stdout

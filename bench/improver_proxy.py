"""What a proxy use costs the improver: CPU seconds of the confined child per use.

An improver runs under a CPU limit (1 s in the hostile corpus), and every use of `utility` or
`language_model` crosses the RPC pipe. This prints the child's own CPU per use, measured inside
the child with `time.process_time`, for:
- an allowed read (`language_model.budget`): a round trip to the host,
- a refused read (`language_model.secret_N`): refused in the child, the host told one-way,
and the ratio between them, so a change to the proxy's misuse path shows in figures.

    .venv/bin/python bench/improver_proxy.py [N]
"""

from __future__ import annotations

import os
import sys

from stop.lm.budget import BudgetedLanguageModel
from stop.lm.scripted import ScriptedModel
from stop.sandbox import Limits
from stop.sandbox.improver import run_improver

IMPROVER = """
import time

def improve_algorithm(initial_solution, utility, language_model):
    start = time.process_time()
    for i in range(N):
        try:
            getattr(language_model, NAME)
        except AttributeError:
            pass
    return repr(time.process_time() - start)
"""


class Utility:
    """The visible utility's readable surface, enough for the proxy's reads."""

    str, budget, uses, feedback = "def utility(s): ...", 5, 0, None

    def __call__(self, solution: str) -> float:
        return 0.0


def child_cpu_per_use(name_expression: str, n: int) -> float:
    source = IMPROVER.replace("NAME", name_expression).replace("N", str(n))
    lm = BudgetedLanguageModel(ScriptedModel(["x"]), budget=2, max_responses_per_call=3)
    result = run_improver(source, "x", Utility(), lm, Limits(cpu_seconds=30, wall_seconds=120))
    if result.status != "ok":
        raise SystemExit(f"the probe improver failed: {result.status} {result.error}")
    return float(result.value) / n


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    allowed = child_cpu_per_use('"budget"', n)
    refused = child_cpu_per_use('f"secret_{i}"', n)
    print(f"{'proxy use':36s} {'child CPU us/use':>16s} {'uses per 1 s CPU':>17s}")
    for label, cost in (
        ("allowed read (round trip)", allowed),
        ("refused read (in the child)", refused),
    ):
        print(f"{label:36s} {cost * 1e6:16.1f} {1 / cost:17,.0f}")
    print(f"refused read is {allowed / refused:.1f}x cheaper than a round trip ({n:,} uses each)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()

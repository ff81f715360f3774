"""A second opinion on strategy labels from an LM judge (`stop report --judge MODEL`).

The judge sees one improver and the list of strategies and answers with a JSON list of names.
Its calls go through the run store like every LM call; each verdict is stored as a
`strategy_judgement` event of the run, which the report reads back.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from stop.analysis.run_data import RunData
from stop.analysis.strategies import STRATEGIES, label_names
from stop.lm.base import LanguageModel
from stop.store import Store

SYSTEM = "You are an expert in search and optimisation algorithms who reads code carefully."

PROMPT = """Which of these strategies does the Python function below use to improve a solution?
{strategies}

```python
{source}
```

Answer with only a JSON list of the names (from the list above) of the strategies the code
really implements; answer [] if it uses none of them."""

_LIST = re.compile(r"\[[^\[\]]*\]", re.DOTALL)


def judge_prompt(source: str) -> str:
    strategies = "\n".join(f"- {name}: {desc}" for name, (_, desc) in STRATEGIES.items())
    return PROMPT.format(strategies=strategies, source=source)


def parse_verdict(text: str) -> frozenset[str] | None:
    """Known strategy names in the last JSON list of `text`; None if there is no list."""
    for candidate in reversed(_LIST.findall(text or "")):
        try:
            names = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        if isinstance(names, list):
            return frozenset(str(n) for n in names if str(n) in STRATEGIES)
    return None


def judge_source(model: LanguageModel, source: str, max_tokens: int = 200) -> frozenset[str] | None:
    """The judge's labels for one improver (temperature 0), or None if it gave no list."""
    messages = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": judge_prompt(source)},
    ]
    [completion] = model.complete(messages, n=1, temperature=0.0, max_tokens=max_tokens)
    return parse_verdict(completion.text)


def judge_run(store: Store, data: RunData, model: LanguageModel) -> dict[int, frozenset[str]]:
    """Judge every generated improver of a run; verdicts recorded as events of the run.

    `model` should record into the store (open_model(..., store=store, run_id=run_id)).
    """
    verdicts: dict[int, frozenset[str]] = {}
    for imp in data.generated():
        verdict = judge_source(model, imp.source)
        store.record_event(
            data.run_id,
            "strategy_judgement",
            {
                "improver_id": imp.id,
                "judge": model.name,
                "labels": sorted(verdict) if verdict is not None else None,
                "static": sorted(label_names(imp.source)),
            },
        )
        if verdict is not None:
            verdicts[imp.id] = verdict
    return verdicts


@dataclass(frozen=True)
class Agreement:
    improvers: int
    exact: int  # improvers where both label sets are equal
    decisions: int  # improver × strategy yes/no decisions compared
    agreeing: int

    @property
    def exact_rate(self) -> float:
        return self.exact / self.improvers if self.improvers else 0.0

    @property
    def decision_rate(self) -> float:
        return self.agreeing / self.decisions if self.decisions else 0.0


def agreement(static: dict[int, frozenset[str]], judge: dict[int, frozenset[str]]) -> Agreement:
    """How often static labels and the judge agree, over improvers both labelled."""
    common = [i for i in static if i in judge]
    exact = sum(static[i] == judge[i] for i in common)
    agreeing = sum((name in static[i]) == (name in judge[i]) for i in common for name in STRATEGIES)
    return Agreement(len(common), exact, len(common) * len(STRATEGIES), agreeing)

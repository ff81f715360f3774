"""`stop lm …`: talk to a language model directly, through the same recorder the runs use.

The answer is the model's text, so it is printed inert: escape sequences spelt out, `[…]` and
`:emoji:` shown as written (`stop.render.terminal`).
"""

from __future__ import annotations

from pathlib import Path

import typer

from stop.experiment.config_values import check_sampling
from stop.lm.registry import open_model
from stop.render.terminal import console as make_console
from stop.render.terminal import inert, plain
from stop.store import Store

app = typer.Typer(no_args_is_help=True)
console = make_console()


@app.command("ask")
def ask(
    prompt: str = typer.Argument(..., help="What to ask."),
    model: str = typer.Option("local", "--model", "-m", help="Model string, e.g. openai:gpt-4o."),
    max_tokens: int = typer.Option(256, "--max-tokens", help="Longest answer, in tokens."),
    temperature: float = typer.Option(0.7, "--temperature", help="Sampling temperature."),
    system: str = typer.Option(
        "You are a helpful expert Python programmer.", "--system", help="System message."
    ),
    cache: bool = typer.Option(True, "--cache/--no-cache", help="Answer repeats from the store."),
    db: Path | None = typer.Option(None, "--db", help="Run store (default $STOP_HOME/runs.db)."),
) -> None:
    """Ask a model one question; print the answer, its tokens and tokens/s.

    Example: stop lm ask "write a python function that reverses a string" --max-tokens 128
    """
    check_sampling(
        temperature=temperature, max_tokens=max_tokens, where="--temperature/--max-tokens"
    )
    store = Store(db)
    try:
        with console.status(inert(f"asking {model}…")):
            lm = open_model(model, store=store, cache=cache)
            messages = [
                {"role": "system", "content": system},
                {"role": "user", "content": prompt},
            ]
            completion = lm.complete(messages, temperature=temperature, max_tokens=max_tokens)[0]
    finally:
        store.close()
    console.print(plain(completion.text))
    console.rule(style="dim")
    if completion.cache_hit:
        speed = ("answered from the run store (cache hit, no cost; --no-cache to regenerate)",)
    else:
        rate = completion.completion_tokens / completion.latency_s if completion.latency_s else 0
        speed = (f"{completion.latency_s:.2f} s, ", (f"{rate:.1f} tokens/s", "bold"))
    cost = f", ${completion.cost_usd:.6f}" if completion.cost_usd else ""
    console.print(
        inert(
            (f"{lm.name}:", "dim"),
            f" {completion.prompt_tokens} prompt + {completion.completion_tokens} completion"
            " tokens, ",
            *speed,
            cost,
            (f" (finish: {completion.finish_reason})", "dim"),
        )
    )

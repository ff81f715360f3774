"""A live progress line for long runs, read from the store (so it never slows the run down)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.live import Live
from rich.text import Text

from stop.store import Store


def _snapshot(store: Store, run_id: str) -> dict[str, int]:
    lm = store.query(
        "SELECT COUNT(*), COALESCE(SUM(completion_tokens), 0), COALESCE(SUM(cache_hit), 0)"
        " FROM lm_calls WHERE run_id = ?",
        (run_id,),
    )[0]
    runs = store.query(
        "SELECT COUNT(*) FROM events WHERE run_id = ? AND kind = 'improver_run'", (run_id,)
    )[0][0]
    improvers = store.query(
        "SELECT COUNT(*), COALESCE(MAX(iteration), 0) FROM improvers WHERE run_id = ?", (run_id,)
    )[0]
    return {
        "lm": lm[0],
        "tokens": lm[1],
        "cached": lm[2],
        "runs": runs,
        "improvers": improvers[0],
        "iteration": improvers[1],
    }


def _line(s: dict[str, int], planned_runs: int, started: float) -> Text:
    elapsed = time.monotonic() - started
    eta = ""
    if s["runs"] and planned_runs > s["runs"]:
        eta = f" · ETA ~{elapsed / s['runs'] * (planned_runs - s['runs']) / 60:.0f} min"
    return Text(
        f"iteration {s['iteration']} · improvers {s['improvers']} · downstream runs "
        f"{s['runs']}/{planned_runs or '?'} · LM samples {s['lm']} ({s['cached']} cached) · "
        f"{s['tokens']} tokens · {elapsed / 60:.1f} min{eta}"
    )


@contextmanager
def live_progress(
    store: Store, run_id: str, planned_runs: int = 0, console: Console | None = None
) -> Iterator[None]:
    """Show the run's progress once a second until the block ends."""
    console = console or Console(stderr=True)
    started = time.monotonic()
    stop = threading.Event()
    with Live(Text("starting…"), console=console, transient=True, refresh_per_second=2) as live:

        def refresh() -> None:
            while not stop.wait(1.0):
                live.update(_line(_snapshot(store, run_id), planned_runs, started))

        thread = threading.Thread(target=refresh, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

"""The embedded local model: llama.cpp in this process, via llama-cpp-python.

One batch engine (`llamacpp_batch`) per GGUF per process, loaded on first use and kept:
loading costs seconds and memory. The `n` samples of a request are drawn together, and
requests made at the same time from several threads (the meta-utility's concurrent improver
runs) join the same batch. Sample i of a request is drawn with seed i, and its text does not
depend on what it was batched with, so the same request gives the same samples in every run
and samples 3..5 asked alone are samples 3..5 of a request for 0..5. The per-call wall-clock
limit is hard: the engine drops a request at the first step past its deadline.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stop.errors import LMError, LMUnavailable
from stop.lm.base import Completion, Message, check_messages
from stop.lm.llamacpp_batch import BatchEngine
from stop.lm.llamacpp_context import cpu_threads
from stop.lm.llamacpp_seq import Sampling, StopWhen

__all__ = ["N_CTX", "SAMPLING", "SEED_RANGE", "LlamaCppModel", "cpu_threads", "load_llama"]

N_CTX = 4096  # the context window of each sample
# Sample indices can be large (the proxy's `sample_base`); llama.cpp seeds are 32-bit.
SEED_RANGE = 2**31
# llama-cpp-python's own create_chat_completion defaults, spelled out so that every caller (and
# the benchmark's raw baseline) samples with exactly the same settings.
SAMPLING = {"top_p": 0.95, "top_k": 40, "min_p": 0.05, "repeat_penalty": 1.0}


def load_llama(path: str | Path, n_ctx: int = N_CTX) -> Any:
    """A fresh one-sequence `llama_cpp.Llama` for `path` (the benchmark's raw baseline)."""
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise LMUnavailable(
            "the local model needs llama-cpp-python: pip install 'stop[local]'"
        ) from exc
    threads = cpu_threads()
    try:
        with _LOADING:
            return Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_threads=threads,
                n_threads_batch=threads,
                verbose=False,
            )
    except (ValueError, RuntimeError) as exc:
        raise LMUnavailable(f"llama.cpp cannot load {path}: {exc}; is it a GGUF file?") from exc


# llama-cpp-python loads a model inside `suppress_stdout_stderr`, which points file
# descriptors 1 and 2 at /dev/null and back: two loads at once in two threads can leave them
# there for good (the second saves the first's /dev/null as "the original"), and everything
# `stop` prints after that is lost. Concurrent first requests did exactly that, so loads
# take turns, and `lru_cache` alone (which lets concurrent first calls both run) is not enough.
_LOADING = threading.Lock()


def shared_engine(path: str) -> tuple[BatchEngine, Any]:
    """The process's engine for `path` and the model's chat formatter (loaded once)."""
    with _LOADING:
        return _engine(path)


@functools.lru_cache(maxsize=2)
def _engine(path: str) -> tuple[BatchEngine, Any]:
    engine = BatchEngine(path, n_ctx_seq=N_CTX)
    return engine, engine.formatter()


class LlamaCppModel:
    """A `LanguageModel` running a GGUF in this process.

    `stop` strings end a sample where its text first contains one (the text is cut there,
    finish_reason "stop"; a `StopWhen` only where its condition holds); `grammar` is a GBNF
    grammar every sample must follow.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        name: str | None = None,
        timeout_s: float = 300.0,
        stop: Sequence[str | StopWhen] = (),
        grammar: str | None = None,
    ) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise LMUnavailable(f"no GGUF model at {self.path}; `stop models pull` fetches one")
        self.name = name or f"local:{self.path}"
        self.timeout_s = timeout_s
        self.stop = tuple(stop)
        self.grammar = grammar

    def complete(
        self,
        messages: list[Message],
        *,
        n: int = 1,
        temperature: float = 0.7,
        max_tokens: int = 1024,
        first_sample: int = 0,
    ) -> list[Completion]:
        check_messages(messages)
        if n <= 0:
            return []
        engine, formatter = shared_engine(str(self.path))
        prompt, template_stops = self._prompt(engine, formatter, messages)
        if len(prompt) >= N_CTX:
            raise LMError(
                f"{self.name}: the prompt is {len(prompt)} tokens but the context window is"
                f" {N_CTX}; shorten the prompt or lower max_tokens"
            )
        budget = max_tokens if 0 < max_tokens < N_CTX - len(prompt) else N_CTX - len(prompt)
        samplings = [
            Sampling(
                seed=index % SEED_RANGE,
                temperature=temperature,
                max_tokens=budget,
                stop=self.stop + template_stops,
                grammar=self.grammar,
                **SAMPLING,
            )
            for index in range(first_sample, first_sample + n)
        ]
        start = time.monotonic()
        request = engine.generate(prompt, samplings, self.timeout_s)
        if request.timed_out:
            raise LMUnavailable(
                f"{self.name} did not finish within the {self.timeout_s:g}s limit per call;"
                " lower max_tokens or allow more time"
            )
        return [
            Completion(
                text=request.draws[i].decoded(),
                prompt_tokens=len(prompt),
                completion_tokens=request.draws[i].tokens,
                latency_s=request.finished_at[i] - start,
                finish_reason=request.draws[i].finish or "stop",
                cost_usd=None,
            )
            for i in range(n)
        ]

    @staticmethod
    def _prompt(
        engine: BatchEngine, formatter: Any, messages: list[Message]
    ) -> tuple[list[int], tuple[str, ...]]:
        """The chat as prompt tokens (as `Llama.create_chat_completion` tokenizes it) and the
        template's own stop strings."""
        result = formatter(messages=messages)
        prompt = engine.ctx.tokenize(result.prompt, add_bos=not result.added_special)
        stops = result.stop if isinstance(result.stop, list) else [result.stop]
        return prompt, tuple(s for s in stops if s)

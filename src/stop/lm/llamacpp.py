"""The embedded local model: llama.cpp in this process, via llama-cpp-python.

One `Llama` per (GGUF, context size) per process, loaded on first use and kept: loading costs
seconds and memory, and a `Llama` is not thread-safe, so all samples of all threads go through
one lock, one after another. Sample i of a request is generated with seed i, so the same request
gives the same samples in every run. A deadline checked after every token (a stopping criterion
added to the model's own chat template handler) makes the per-call wall-clock limit hard.
"""

from __future__ import annotations

import atexit
import dataclasses
import functools
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stop.errors import LMError, LMUnavailable
from stop.lm.base import Completion, Message, check_messages

N_CTX = 4096
# Sample indices can be large (the proxy's `sample_base`); llama.cpp seeds are 32-bit.
SEED_RANGE = 2**31
# llama-cpp-python's own create_chat_completion defaults, spelled out so that every caller (and
# the benchmark's raw baseline) samples with exactly the same settings.
SAMPLING = {"top_p": 0.95, "top_k": 40, "min_p": 0.05, "repeat_penalty": 1.0}


@dataclass(frozen=True)
class _Loaded:
    llama: Any  # llama_cpp.Llama
    lock: threading.Lock
    handler: Any  # chat handler taking an extra deadline, or None if the GGUF has no template


def cpu_threads() -> int:
    """Cores this process may use (the affinity mask, not the machine's total)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def load_llama(path: str | Path, n_ctx: int = N_CTX) -> Any:
    """A fresh `llama_cpp.Llama` for `path`, configured as `stop` runs it."""
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise LMUnavailable(
            "the local model needs llama-cpp-python: pip install 'stop[local]'"
            " (or point --model at an OpenAI-compatible server)"
        ) from exc
    threads = cpu_threads()
    try:
        return Llama(
            model_path=str(path),
            n_ctx=n_ctx,
            n_threads=threads,
            n_threads_batch=threads,
            verbose=False,
        )
    except (ValueError, RuntimeError) as exc:
        raise LMUnavailable(f"llama.cpp cannot load {path}: {exc}; is it a GGUF file?") from exc


@functools.lru_cache(maxsize=2)
def _shared(path: str, n_ctx: int) -> _Loaded:
    llama = load_llama(path, n_ctx)
    # Freed while the interpreter is still whole: left to the garbage collector at exit,
    # llama-cpp-python's destructor runs after its modules are torn down and prints a traceback.
    atexit.register(llama.close)
    return _Loaded(llama, threading.Lock(), _deadline_handler(llama))


def _deadline_handler(llama: Any) -> Any:
    """The model's own chat template as a handler that also stops at a deadline.

    Built the way `Llama` builds its template handler, so output is the same as
    `create_chat_completion` gives; returns None when the GGUF carries no template.
    """
    from llama_cpp import llama_chat_format

    template = llama.metadata.get("tokenizer.chat_template")
    if not template:
        return None
    eos, bos = llama.token_eos(), llama.token_bos()
    text = llama._model.token_get_text  # the same lookup `Llama.__init__` uses
    formatter = llama_chat_format.Jinja2ChatFormatter(
        template=template,
        eos_token=text(eos) if eos != -1 else "",
        bos_token=text(bos) if bos != -1 else "",
        stop_token_ids=[eos],
    )

    def format_with_deadline(*, deadline: float, **kwargs: Any) -> Any:
        from llama_cpp import StoppingCriteriaList

        result = formatter(**kwargs)
        criteria = list(result.stopping_criteria or [])
        criteria.append(lambda tokens, logits: time.monotonic() > deadline)
        return dataclasses.replace(result, stopping_criteria=StoppingCriteriaList(criteria))

    return llama_chat_format.chat_formatter_to_chat_completion_handler(format_with_deadline)


class LlamaCppModel:
    """A `LanguageModel` running a GGUF in this process."""

    def __init__(
        self, path: str | Path, *, name: str | None = None, timeout_s: float = 300.0
    ) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise LMUnavailable(f"no GGUF model at {self.path}; `stop models pull` fetches one")
        self.name = name or f"local:{self.path}"
        self.timeout_s = timeout_s

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
        loaded = _shared(str(self.path), N_CTX)
        deadline = time.monotonic() + self.timeout_s
        return [
            self._sample(loaded, messages, temperature, max_tokens, index, deadline)
            for index in range(first_sample, first_sample + n)
        ]

    def _sample(
        self,
        loaded: _Loaded,
        messages: list[Message],
        temperature: float,
        max_tokens: int,
        index: int,
        deadline: float,
    ) -> Completion:
        params = dict(
            messages=messages,
            temperature=temperature,
            max_tokens=max_tokens,
            seed=index % SEED_RANGE,
        )
        with loaded.lock:
            if time.monotonic() > deadline:
                raise self._timeout()
            start = time.perf_counter()
            try:
                if loaded.handler is None:
                    response = loaded.llama.create_chat_completion(**params, **SAMPLING)
                else:
                    response = loaded.handler(
                        llama=loaded.llama, deadline=deadline, **params, **SAMPLING
                    )
            except ValueError as exc:  # e.g. the prompt does not fit the context window
                raise LMError(
                    f"{self.name}: {exc}; shorten the prompt or lower max_tokens"
                ) from exc
            latency = time.perf_counter() - start
        if time.monotonic() > deadline:
            raise self._timeout()
        choice = response["choices"][0]
        usage = response["usage"]
        return Completion(
            text=choice["message"]["content"] or "",
            prompt_tokens=usage["prompt_tokens"],
            completion_tokens=usage["completion_tokens"],
            latency_s=latency,
            finish_reason=choice.get("finish_reason") or "stop",
            cost_usd=None,
        )

    def _timeout(self) -> LMUnavailable:
        return LMUnavailable(
            f"{self.name} did not finish within the {self.timeout_s:g}s limit per call;"
            " lower max_tokens or allow more time"
        )

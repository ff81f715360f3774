"""Batched sampling on the embedded model: every sample of every request in one decode.

One engine thread owns the llama.cpp context. Callers hand it requests (a prompt and the
samplings of its samples) and wait. Each loop the engine admits waiting samples into free
slots, then decodes one token for every admitted sample in a single `llama_decode`: one pass
over the weights yields a token for each sequence, which is where the speed comes from on a
CPU that decodes one sequence far below its prompt-evaluation rate. Requests from different
threads join the same batch; a finished sample leaves it at once and frees its slot.

The prompt is evaluated once per request into a *holder* sequence (all but its last token),
copied to each sample's slot, and each sample decodes the last prompt token itself as its
first row, so the first token of every sample comes from its own decode. Holders stay cached
after the request (a prompt-prefix cache across requests): a request whose prompt starts
like a held one reuses the common prefix, cut down to a prefill chunk boundary so that every
prompt row is computed in the same chunk whether it was reused or not. With the
context's batch-invariance (llamacpp_context), sample i's text depends only on the prompt,
the settings and its seed: not on its batch, its neighbours, or what was cached before.
"""

from __future__ import annotations

import atexit
import threading
import time
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stop.errors import LMError
from stop.lm.llamacpp_context import BatchContext, Row, reusable
from stop.lm.llamacpp_seq import Draw, Sampling, make_chain

# Samples decoded together at most. Measured on 2 cores (0.5B): 1 row 54 rows/s, 8 rows 103,
# 16 rows 163, 32 rows 155; each slot holds a KV stream of n_ctx_seq cells (~50 MB for the
# 0.5B, ~115 MB for the 1.5B).
SLOTS = 16


@dataclass(eq=False)  # compared and hashed by identity
class Request:
    """What one caller asked for, and (once done) what it got."""

    prompt: list[int]
    samplings: list[Sampling]
    timeout_s: float
    waiting: deque[int] = field(default_factory=deque)  # sample positions without a slot
    draws: dict[int, Draw] = field(default_factory=dict)
    finished_at: dict[int, float] = field(default_factory=dict)
    holder: int | None = None
    deadline: float | None = None  # set when the engine starts on it
    error: BaseException | None = None
    timed_out: bool = False
    cancelled: bool = False
    done: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.waiting.extend(range(len(self.samplings)))


@dataclass
class Stats:
    """Where the engine's time went (seconds) and what it did, since it started."""

    prompt_tokens: int = 0  # evaluated
    reused_tokens: int = 0  # taken from the prefix cache instead
    prompt_s: float = 0.0
    steps: int = 0
    rows: int = 0  # sample rows decoded (a step decodes one per active sample)
    peak_rows: int = 0  # the most rows one step decoded
    decode_s: float = 0.0
    sample_s: float = 0.0


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """How many leading tokens `a` and `b` share."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class BatchEngine:
    """Draws samples of many requests together from one GGUF model (thread-safe)."""

    def __init__(
        self, path: str | Path, *, slots: int = SLOTS, holders: int = 3, n_ctx_seq: int = 4096
    ) -> None:
        if slots < 2:
            raise ValueError("the engine needs two slots at least (a lone row's pad uses one)")
        self.ctx = BatchContext(path, n_seqs=slots + holders, n_ctx_seq=n_ctx_seq)
        self.stats = Stats()
        self.slots = slots
        self._holders: dict[int, list[int]] = {h: [] for h in range(slots, slots + holders)}
        self._used: dict[int, float] = dict.fromkeys(self._holders, 0.0)
        self._pinned: Counter[int] = Counter()
        # The sample decoding in slot i is _active[i]: slots 0..len-1 are busy, the rest free,
        # so a step's rows have consecutive sequence ids, which llama.cpp decodes as one ubatch
        # (with one KV stream per sequence, a gap in the ids splits the batch in two).
        self._active: list[tuple[Request, int, Draw]] = []
        self._queue: deque[Request] = deque()
        self._cond = threading.Condition()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="llamacpp-batch", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    def formatter(self) -> Any:
        """The model's chat template as a llama-cpp-python ChatFormatter."""
        return self.ctx.chat_formatter()

    def generate(self, prompt: list[int], samplings: list[Sampling], timeout_s: float) -> Request:
        """Draw one sample per entry of `samplings`; returns the finished request (its `draws`
        by position, or `timed_out`). The time limit counts from when the engine starts on
        the request, not from when it was queued behind others."""
        request = Request(list(prompt), list(samplings), timeout_s)
        with self._cond:
            if self._closing:
                raise LMError("the local model is shut down")
            self._queue.append(request)
            self._cond.notify_all()
        while not request.done.wait(0.05):
            if request.deadline is not None and time.monotonic() > request.deadline + 0.5:
                with self._cond:  # the engine is stuck in a long step: give up on our own
                    request.cancelled = request.timed_out = True
                    self._cond.notify_all()
                break
        if request.error is not None:
            raise request.error
        return request

    def close(self) -> None:
        with self._cond:
            if self._closing:
                return
            self._closing = True
            self._cond.notify_all()
        self._thread.join(timeout=30)
        if not self._thread.is_alive():
            self.ctx.close()

    # -- the engine thread ----------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closing and not self._queue and not self._active:
                    self._cond.wait()
                if self._closing:
                    break
                self._expire()
            try:
                self._admit()
                if self._active:
                    self._step()
            except LMError as exc:  # the context is in an unknown state: fail all, start clean
                self._fail_all(exc)
        for request in list(self._queue) + [r for r, _, _ in self._active]:
            request.error = LMError("the local model was shut down during the call")
            request.done.set()

    def _expire(self) -> None:
        now = time.monotonic()
        for request in {r for r, _, _ in self._active} | set(self._queue):
            if request.cancelled or (request.deadline is not None and now > request.deadline):
                request.timed_out = True
                self._finish(request)

    def _admit(self) -> None:
        with self._cond:
            queued = list(self._queue)
        for request in queued:
            if len(self._active) == self.slots:
                return
            if request.holder is None:
                request.deadline = time.monotonic() + request.timeout_s
                request.holder = self._hold(request.prompt[:-1])
                if request.holder is None:
                    return  # every holder is pinned by requests still waiting for slots
                self._pinned[request.holder] += 1
            while request.waiting and len(self._active) < self.slots:
                position = request.waiting.popleft()
                sampling = request.samplings[position]
                try:
                    chain = make_chain(self.ctx.lib, self.ctx.vocab, self.ctx.n_vocab, sampling)
                except LMError as exc:
                    request.error = exc
                    self._finish(request)
                    break
                self.ctx.copy(request.holder, len(self._active), len(request.prompt) - 1)
                draw = Draw(sampling, chain, request.prompt[-1], len(request.prompt) - 1)
                self._active.append((request, position, draw))
            if not request.waiting:
                self._unqueue(request)

    def _hold(self, head: list[int]) -> int | None:
        """A holder sequence holding exactly `head`, reusing the best cached prefix."""
        best, reuse = None, 0
        for holder, held in self._holders.items():
            if held == head:
                self._used[holder] = time.monotonic()
                self.stats.reused_tokens += len(head)
                return holder
            n = reusable(len(held), len(head), common_prefix(held, head))
            if n > reuse:
                best, reuse = holder, n
        free = [h for h in self._holders if not self._pinned[h]]
        if not free:
            return None
        target = min(free, key=self._used.__getitem__)
        if best is not None and best != target:
            self.ctx.copy(best, target, reuse)
        else:
            self.ctx.truncate(target, reuse)
        self._holders[target] = []  # half-written if the prefill fails
        start = time.perf_counter()
        self.ctx.prefill(target, head, reuse)
        self.stats.prompt_s += time.perf_counter() - start
        self.stats.prompt_tokens += len(head) - reuse
        self.stats.reused_tokens += reuse
        self._holders[target] = list(head)
        self._used[target] = time.monotonic()
        return target

    def _step(self) -> None:
        rows = len(self._active)
        start = time.perf_counter()
        self.ctx.decode(
            [
                Row(d.next_token, d.next_pos, slot, True)
                for slot, (_, _, d) in enumerate(self._active)
            ]
        )
        decoded = time.perf_counter()
        sample = self.ctx.lib.llama_sampler_sample
        finished = []
        for slot, (request, position, draw) in enumerate(self._active):
            token = sample(draw.chain, self.ctx.ctx, slot)
            draw.take(token, self.ctx.is_end(token), self.ctx.piece(token))
            if draw.finish is not None:
                finished.append(slot)
                request.draws[position] = draw
                request.finished_at[position] = time.monotonic()
                if len(request.draws) == len(request.samplings):
                    request.done.set()
        self._release(finished)
        self.stats.steps += 1
        self.stats.rows += rows
        self.stats.peak_rows = max(self.stats.peak_rows, rows)
        self.stats.decode_s += decoded - start
        self.stats.sample_s += time.perf_counter() - decoded

    def _release(self, slots: list[int]) -> None:
        """Free `slots`, then move the highest busy slots down into the gaps (a whole-stream
        copy keeps every cell where it was, so the moved samples compute exactly as before)."""
        for slot in slots:
            self.ctx.lib.llama_sampler_free(self._active[slot][2].chain)
            self.ctx.forget(slot)
        gone = set(slots)
        keep = [i for i in range(len(self._active)) if i not in gone]
        for target, source in enumerate(keep):
            if source != target:
                self.ctx.move(source, target)
        self._active = [self._active[i] for i in keep]

    def _finish(self, request: Request) -> None:
        """End `request` early (timed out, cancelled or failed): free all it holds."""
        self._release([s for s, (r, _, _) in enumerate(self._active) if r is request])
        self._unqueue(request)
        request.done.set()

    def _unqueue(self, request: Request) -> None:
        with self._cond:
            if request not in self._queue:
                return
            self._queue.remove(request)
        if request.holder is not None:
            self._pinned[request.holder] -= 1

    def _fail_all(self, exc: LMError) -> None:
        for request in list(self._queue) + [r for r, _, _ in self._active]:
            request.error = exc
            self._finish(request)
        for holder in self._holders:
            self.ctx.forget(holder)
            self._holders[holder] = []

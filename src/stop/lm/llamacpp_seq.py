"""One sample being drawn: its sampler chain, its tokens and text, and when it is finished.

The chain is the one `llama_cpp.Llama` builds for `create_chat_completion` (penalties, the
optional grammar, top-k, typical, top-p, min-p, temperature, then a draw seeded with the
sample's seed), so a sample here is drawn by the same rules as the one-by-one path; the text,
the finish reasons and the token counts follow `Llama._create_completion` too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stop.errors import LMError

PENALTY_LAST_N = 64  # `Llama`'s last_n_tokens_size


@dataclass(frozen=True)
class StopWhen:
    """A stop string that ends a sample only where `ends` holds for the text so far (up to
    and including the string); e.g. a closing fence that is not inside a string literal."""

    text: str
    ends: Callable[[str], bool]


@dataclass(frozen=True)
class Sampling:
    """How to draw: the request's settings plus this sample's seed."""

    seed: int
    temperature: float
    max_tokens: int  # already cut to what the context window leaves
    top_p: float
    top_k: int
    min_p: float
    repeat_penalty: float
    stop: tuple[str | StopWhen, ...] = ()
    grammar: str | None = None


def make_chain(lib: Any, vocab: Any, n_vocab: int, sampling: Sampling) -> Any:
    """A llama.cpp sampler chain for `sampling` (free it with `lib.llama_sampler_free`)."""
    chain = lib.llama_sampler_chain_init(lib.llama_sampler_chain_default_params())
    add = lib.llama_sampler_chain_add
    add(
        chain,
        lib.llama_sampler_init_penalties(
            n_vocab, PENALTY_LAST_N, sampling.repeat_penalty, 0.0, 0.0
        ),
    )
    if sampling.grammar is not None:
        grammar = lib.llama_sampler_init_grammar(vocab, sampling.grammar.encode(), b"root")
        if not grammar:
            lib.llama_sampler_free(chain)
            raise LMError("llama.cpp rejected the GBNF grammar; check its syntax and its root rule")
        add(chain, grammar)
    if sampling.temperature < 0:
        add(chain, lib.llama_sampler_init_dist(sampling.seed))
    elif sampling.temperature == 0:
        add(chain, lib.llama_sampler_init_greedy())
    else:
        add(chain, lib.llama_sampler_init_top_k(sampling.top_k))
        add(chain, lib.llama_sampler_init_typical(1.0, 1))
        add(chain, lib.llama_sampler_init_top_p(sampling.top_p, 1))
        add(chain, lib.llama_sampler_init_min_p(sampling.min_p, 1))
        add(chain, lib.llama_sampler_init_temp(sampling.temperature))
        add(chain, lib.llama_sampler_init_dist(sampling.seed))
    return chain


class Draw:
    """The state of one sample: the token to decode next, what was generated, and the end."""

    def __init__(self, sampling: Sampling, chain: Any, next_token: int, next_pos: int) -> None:
        self.sampling = sampling
        self.chain = chain
        self.next_token = next_token  # first the prompt's last token, then each sampled one
        self.next_pos = next_pos
        self.tokens = 0
        self.text = b""
        self.finish: str | None = None
        self._stops = [
            (s.encode("utf-8"), None) if isinstance(s, str) else (s.text.encode("utf-8"), s.ends)
            for s in sampling.stop
            if (s if isinstance(s, str) else s.text)
        ]

    def take(self, token: int, is_end: bool, piece: bytes) -> None:
        """Record the sampled `token`; sets `finish` when the sample is complete."""
        if is_end:
            self.finish = "stop"
            return
        self.tokens += 1
        before = len(self.text)
        self.text += piece
        for stop, ends in self._stops:
            at = self.text.find(stop, max(0, before - len(stop) + 1))
            while at >= 0:
                end = at + len(stop)
                if ends is None or ends(self.text[:end].decode("utf-8", errors="ignore")):
                    self.text = self.text[:at]
                    self.finish = "stop"
                    return
                at = self.text.find(stop, at + 1)
        if self.tokens >= self.sampling.max_tokens:
            self.finish = "length"
            return
        self.next_token = token
        self.next_pos += 1

    def decoded(self) -> str:
        return self.text.decode("utf-8", errors="ignore")

"""One sample being drawn: its sampler chain, its tokens and text, and when it is finished.

The chain is the one `llama_cpp.Llama` builds for `create_chat_completion` (penalties, the
optional grammar, top-k, typical, top-p, min-p, temperature, then a draw seeded with the
sample's seed), so a sample here is drawn by the same rules as the one-by-one path; the text,
the finish reasons and the token counts follow `Llama._create_completion` too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stop.errors import LMError
from stop.lm.stops import StopWhen, compile_stops, cut_at

PENALTY_LAST_N = 64  # `Llama`'s last_n_tokens_size


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
        self._stops = compile_stops(sampling.stop, as_bytes=True)

    def take(self, token: int, is_end: bool, piece: bytes) -> None:
        """Record the sampled `token`; sets `finish` when the sample is complete."""
        if is_end:
            self.finish = "stop"
            return
        self.tokens += 1
        before = len(self.text)
        self.text += piece
        end = cut_at(self.text, before, self._stops)
        if end is not None:
            self.text = self.text[:end]
            self.finish = "stop"
            return
        if self.tokens >= self.sampling.max_tokens:
            self.finish = "length"
            return
        self.next_token = token
        self.next_pos += 1

    def decoded(self) -> str:
        return self.text.decode("utf-8", errors="ignore")

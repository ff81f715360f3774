"""One llama.cpp context that decodes many sequences per pass over the weights.

Built with llama-cpp-python's low-level API, configured so that a sequence's numbers never
depend on which other sequences share its batch (so sample i of a request is the same text
whether it is drawn alone, with its siblings, or beside another request's samples):

- one KV stream per sequence (`kv_unified=False`): a sequence's cells are its own and in
  position order, so attention sums in the same order whatever else is cached;
- flash attention, which skips masked cells instead of adding zeros for them;
- no repacked weights (`use_extra_bufts=False`): the repacked q4_K kernels take rows four at a
  time and the leftovers another way, so a row's result would depend on the batch size;
- never a one-row decode: a lone row would take the matrix-vector kernels and the split-KV
  attention path, so a throwaway pad row (in the next, free, sequence) keeps every sample's
  decode at two rows or more.
Measured: the logits of a sequence decoded alone and beside five others are bit-identical.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stop.errors import LMError, LMUnavailable

PREFILL_CHUNK = 256  # prompt rows per decode; prefix reuse is cut at these boundaries too


def chunk_starts(n: int) -> list[int]:
    """Where the prefill chunks of an n-token prompt start: every PREFILL_CHUNK tokens, except
    that a last chunk of one row joins the one before (a lone row takes other kernels)."""
    starts = list(range(0, n, PREFILL_CHUNK))
    if len(starts) > 1 and n - starts[-1] == 1:
        starts.pop()
    return starts


def reusable(held: int, n: int, common: int) -> int:
    """How many leading tokens of a cached `held`-token prompt an n-token prompt sharing
    `common` tokens with it can reuse: up to a chunk start of both within the common part, so
    every row is computed in the same chunk as from scratch (equal prompts reuse all)."""
    if held == n == common:
        return n
    starts = set(chunk_starts(held)) | {held}
    return max((s for s in chunk_starts(n) if s <= common and s in starts), default=0)


@dataclass(frozen=True)
class Row:
    """One token to decode: `token` at `pos` of sequence `seq`, with logits if `logits`."""

    token: int
    pos: int
    seq: int
    logits: bool


def cpu_threads() -> int:
    """Cores this process may use (the affinity mask, not the machine's total)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _llama_cpp() -> Any:
    try:
        import llama_cpp
        from llama_cpp import _logger
    except ImportError as exc:
        raise LMUnavailable(
            "the local model needs llama-cpp-python: pip install 'stop[local]'"
            " (or point --model at an OpenAI-compatible server)"
        ) from exc
    _logger.set_verbose(False)  # llama.cpp's load and context logs would flood stderr
    return llama_cpp


class BatchContext:
    """A GGUF model and a context with `n_seqs` independent sequences of `n_ctx_seq` cells.

    Not thread-safe: one thread drives it.
    """

    def __init__(self, path: str | Path, *, n_seqs: int, n_ctx_seq: int) -> None:
        lib = _llama_cpp()
        from llama_cpp import _internals

        self.lib = lib
        params = lib.llama_model_default_params()
        params.use_extra_bufts = False
        try:
            self.model = _internals.LlamaModel(path_model=str(path), params=params, verbose=False)
        except (ValueError, RuntimeError) as exc:
            raise LMUnavailable(f"llama.cpp cannot load {path}: {exc}; is it a GGUF file?") from exc
        self.vocab = self.model.vocab
        self.n_vocab = lib.llama_vocab_n_tokens(self.vocab)
        self.n_seqs = n_seqs
        self.n_ctx_seq = n_ctx_seq
        cparams = lib.llama_context_default_params()
        cparams.n_ctx = n_ctx_seq * self.n_seqs
        cparams.n_batch = cparams.n_ubatch = max(2 * PREFILL_CHUNK, self.n_seqs + 1)
        cparams.n_seq_max = self.n_seqs
        cparams.n_threads = cparams.n_threads_batch = cpu_threads()
        cparams.flash_attn_type = lib.LLAMA_FLASH_ATTN_TYPE_ENABLED
        cparams.kv_unified = False
        cparams.no_perf = True
        self.ctx = lib.llama_init_from_model(self.model.model, cparams)
        if not self.ctx:
            self.model.close()
            raise LMUnavailable(f"llama.cpp cannot make a {cparams.n_ctx}-cell context for {path}")
        self.memory = lib.llama_get_memory(self.ctx)
        self.capacity = cparams.n_batch
        self.batch = lib.llama_batch_init(self.capacity, 0, 1)
        self._pieces: dict[int, bytes] = {}

    def close(self) -> None:
        if self.ctx is not None:
            self.lib.llama_batch_free(self.batch)
            self.lib.llama_free(self.ctx)
            self.ctx = None
            self.model.close()

    # -- tokens -------------------------------------------------------------------------------
    def tokenize(self, text: str, *, add_bos: bool) -> list[int]:
        return self.model.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True)

    def piece(self, token: int) -> bytes:
        """The bytes of `token` as detokenizing shows them (control tokens show nothing)."""
        cached = self._pieces.get(token)
        if cached is None:
            # `LlamaModel.token_to_piece` returns its whole 32-byte buffer, NULs and all.
            buf = ctypes.create_string_buffer(256)
            n = self.lib.llama_token_to_piece(self.vocab, token, buf, len(buf), 0, False)
            cached = self._pieces[token] = buf.raw[: max(n, 0)]
        return cached

    def is_end(self, token: int) -> bool:
        return bool(self.lib.llama_vocab_is_eog(self.vocab, token))

    # -- decoding -----------------------------------------------------------------------------
    def decode(self, rows: Sequence[Row], *, pad: bool = True) -> None:
        """Decode `rows` in one pass; the logits of row i are at index i. With `pad`, a lone
        row gets a throwaway companion in sequence `seq + 1`, which must be free."""
        rows = list(rows)
        padded = pad and len(rows) == 1
        if padded:
            rows.append(Row(rows[0].token, 0, rows[0].seq + 1, True))
        if len(rows) > self.capacity:
            raise LMError(f"internal: {len(rows)} rows exceed the batch of {self.capacity}")
        batch = self.batch
        batch.n_tokens = len(rows)
        for i, row in enumerate(rows):
            batch.token[i] = row.token
            batch.pos[i] = row.pos
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = row.seq
            batch.logits[i] = row.logits
        status = self.lib.llama_decode(self.ctx, batch)
        if padded:
            self.forget(rows[1].seq)
        if status != 0:
            raise LMError(f"llama.cpp could not decode a batch of {len(rows)} rows ({status})")

    def prefill(self, seq: int, tokens: Sequence[int], start: int) -> None:
        """Decode `tokens[start:]` into `seq`, whose first `start` positions hold
        `tokens[:start]`, in the chunks of `chunk_starts` (`start` must be one of them), so a
        row is always computed in the same company."""
        starts = [s for s in chunk_starts(len(tokens)) if s >= start] + [len(tokens)]
        for begin, end in zip(starts, starts[1:], strict=False):
            chunk = [Row(tokens[p], p, seq, False) for p in range(begin, end)]
            self.decode(chunk, pad=False)

    def copy(self, src: int, dst: int, keep: int) -> None:
        """Make `dst` hold the first `keep` positions of `src` (a whole-stream copy: streams
        are copied entire, then cut)."""
        self.forget(dst)
        if keep > 0:
            self.lib.llama_memory_seq_cp(self.memory, src, dst, -1, -1)
            self.truncate(dst, keep)

    def move(self, src: int, dst: int) -> None:
        """Move sequence `src` to the empty `dst`, cells and all."""
        self.lib.llama_memory_seq_cp(self.memory, src, dst, -1, -1)
        self.forget(src)

    def truncate(self, seq: int, keep: int) -> None:
        self.lib.llama_memory_seq_rm(self.memory, seq, keep, -1)

    def forget(self, seq: int) -> None:
        self.lib.llama_memory_seq_rm(self.memory, seq, -1, -1)

    def chat_formatter(self) -> Any:
        """The GGUF's chat template as a llama-cpp-python formatter (llama-2 style without one,
        as `Llama` does)."""
        from llama_cpp import llama_chat_format

        template = self.model.metadata().get("tokenizer.chat_template")
        if not template:
            return llama_chat_format.format_llama2
        eos, bos = self.model.token_eos(), self.model.token_bos()
        text = self.model.token_get_text
        return llama_chat_format.Jinja2ChatFormatter(
            template=template,
            eos_token=text(eos) if eos != -1 else "",
            bos_token=text(bos) if bos != -1 else "",
            stop_token_ids=[eos],
        )

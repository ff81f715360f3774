"""Model strings -> language models: the short-name table of the `lm` seam.

local                                   the embedded default (qwen2.5-coder-0.5b-instruct)
local:qwen2.5-coder-1.5b                an embedded model by name or alias
local:/path/to/model.gguf               any GGUF file
openai:gpt-4o                           OpenAI ($OPENAI_API_KEY)
openai-compatible:http://host:8080/v1#model   vLLM, Ollama, llama.cpp server… ($STOP_API_KEY)
anthropic:claude-sonnet-4-20250514      Anthropic ($ANTHROPIC_API_KEY)
replay | replay:MODEL                   only answers recorded in the run store
scripted                                a fake that echoes the code it is shown (for tests)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from stop.errors import ConfigError
from stop.lm.base import LanguageModel
from stop.lm.recorder import RecordingModel
from stop.store import Store

if TYPE_CHECKING:
    from stop.lm.stops import StopWhen

PROVIDERS = ("local", "openai", "openai-compatible", "anthropic", "replay", "scripted")
EXAMPLES = (
    "local, local:qwen2.5-coder-1.5b, openai:gpt-4o,"
    " openai-compatible:http://127.0.0.1:8080/v1#MODEL, anthropic:claude-sonnet-4-20250514,"
    " replay, scripted"
)


# Per-call wall-clock limits. A call to an API is one request; a call to the embedded model
# draws all its n samples on this machine's CPU, which a loaded 2-core machine does at a few
# tokens/s (6 x 1024 tokens then takes minutes, and a timeout would crash the improver run).
API_TIMEOUT_S = 300.0
LOCAL_TIMEOUT_S = 1200.0


# The end of a fenced code block: "\n```" then a newline. Small models that have written their
# program go on to copy the prompt's code until max_tokens; stopping here saves those tokens.
# (An opening fence carries a language tag, "```python", so it never matches; seen in 82 of 82
# recorded answers of the embedded models.) Only the fence that closes the answer's first block
# ends it: improvers the model writes show code in their prompts, inside string literals, and
# stopping at those fences left every generated improver of the demo unterminated.
CODE_BLOCK_END = "\n```\n"
# "v2": since fences inside string literals no longer end an answer, the samples recorded under
# the first rule are not interchangeable with today's (the cache keys on the model name).
CODE_BLOCK_SUFFIX = "+stop-after-code-v2"


@dataclass(frozen=True)
class ModelSpec:
    """A parsed model string. `model` is the full model name ('' where none applies)."""

    provider: str
    model: str = ""
    base_url: str | None = None

    @property
    def name(self) -> str:
        """The canonical model string (what `LanguageModel.name` and cache keys use)."""
        if self.provider == "openai-compatible":
            return f"openai-compatible:{self.base_url}#{self.model}"
        return f"{self.provider}:{self.model}" if self.model else self.provider


def parse_model_spec(spec: str) -> ModelSpec:
    """Parse a model string; raise ConfigError saying what a valid one looks like."""
    text = (spec or "").strip()
    provider, _, rest = text.partition(":")
    rest = rest.strip()
    if provider not in PROVIDERS:
        hint = ""
        if text.startswith(("gpt-", "o1", "o3", "o4")):
            hint = f" (did you mean openai:{text}?)"
        elif text.startswith("claude"):
            hint = f" (did you mean anthropic:{text}?)"
        raise ConfigError(f"unknown model {spec!r}{hint}; valid model strings look like {EXAMPLES}")
    if provider == "local":
        return ModelSpec("local", _local_model(rest or "local"))
    if provider == "openai-compatible":
        return _parse_compatible(spec, rest)
    if provider in ("openai", "anthropic") and not rest:
        raise ConfigError(f"{spec!r} names no model; write e.g. {provider}:MODEL-NAME")
    if provider == "replay":
        replayed = parse_model_spec(rest) if rest else None
        if replayed is not None and replayed.provider in ("replay", "scripted"):
            raise ConfigError(f"{spec!r}: replay a recorded model, e.g. replay:local")
        return ModelSpec("replay", replayed.name if replayed else "")
    if provider == "scripted" and rest:
        raise ConfigError(f"{spec!r}: the scripted model takes no name; write 'scripted'")
    return ModelSpec(provider, rest)


def _local_model(name: str) -> str:
    if name.endswith(".gguf"):
        return name  # a GGUF file of the user's own
    from stop.models import resolve_model_name  # imported late: it pulls in the CLI's typer app

    try:
        return resolve_model_name(name)
    except Exception as exc:  # ModelError: unknown alias
        raise ConfigError(f"{exc}; or give a GGUF file as local:/path/to/model.gguf") from exc


def _parse_compatible(spec: str, rest: str) -> ModelSpec:
    url, _, model = rest.partition("#")
    url, model = url.strip().rstrip("/"), model.strip()
    if not url.startswith(("http://", "https://")):
        raise ConfigError(
            f"{spec!r}: an openai-compatible model needs a base URL, e.g."
            " openai-compatible:http://127.0.0.1:8080/v1#MODEL"
        )
    if not model:
        raise ConfigError(
            f"{spec!r} names no model; append #MODEL to the URL (any name for a one-model server)"
        )
    return ModelSpec("openai-compatible", model, url)


def open_model(
    spec: str = "local",
    *,
    store: Store | None = None,
    run_id: str | None = None,
    cache: bool = True,
    timeout_s: float | None = None,
    stop_after_code_block: bool = False,
) -> LanguageModel:
    """The model named by `spec`; with a `store`, wrapped so every call is recorded there and,
    with `cache`, repeated requests are answered from it. `replay` reads the given store (or
    the default one) and never calls a model."""
    parsed = parse_model_spec(spec)
    if parsed.provider == "replay":
        from stop.lm.replay import ReplayModel

        store = store if store is not None else Store()
        # Recorded as cache hits, not looked up again: the replay itself is the lookup.
        replay = ReplayModel(store, parsed.model or None)
        return RecordingModel(replay, store, run_id=run_id, cache=False)
    if timeout_s is None:
        timeout_s = LOCAL_TIMEOUT_S if parsed.provider == "local" else API_TIMEOUT_S
    backend = _backend(parsed, timeout_s, stop_after_code_block)
    if store is None:
        return backend
    return RecordingModel(backend, store, run_id=run_id, cache=cache)


def _backend(spec: ModelSpec, timeout_s: float, stop_after_code_block: bool) -> LanguageModel:
    if spec.provider == "local":
        from stop.lm.llamacpp import LlamaCppModel

        if spec.model.endswith(".gguf"):
            path = spec.model
        else:
            from stop.models import model_path

            path = str(model_path(spec.model))
        if not stop_after_code_block:
            return LlamaCppModel(path, name=spec.name, timeout_s=timeout_s)
        name, stop = _code_block_stop(spec)
        return LlamaCppModel(path, name=name, timeout_s=timeout_s, stop=(stop,))
    if spec.provider in ("openai", "openai-compatible"):
        from stop.lm.openai_compat import OpenAICompatModel

        if not stop_after_code_block or spec.provider == "openai":
            # openai: is billed by its usage, which a stream closed early does not report.
            return OpenAICompatModel(spec.model, base_url=spec.base_url, timeout_s=timeout_s)
        # Streamed and cut as the embedded backend cuts.
        name, stop = _code_block_stop(spec)
        return OpenAICompatModel(
            spec.model, base_url=spec.base_url, timeout_s=timeout_s, stop=(stop,), name=name
        )
    if spec.provider == "anthropic":
        from stop.lm.anthropic_backend import AnthropicModel

        return AnthropicModel(spec.model, timeout_s=timeout_s)
    from stop.lm.scripted import ScriptedModel, echo_code

    return ScriptedModel(echo_code)


def _code_block_stop(spec: ModelSpec) -> tuple[str, StopWhen]:
    """(model name, stop) for answers that end at their first code block. The name differs
    from the plain one, so recorded samples of the two settings never answer for each other."""
    from stop.helpers import closes_first_code_block
    from stop.lm.stops import StopWhen

    return f"{spec.name}{CODE_BLOCK_SUFFIX}", StopWhen(CODE_BLOCK_END, closes_first_code_block)

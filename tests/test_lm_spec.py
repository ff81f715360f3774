"""Model strings: what each valid one means, and what an invalid one says."""

from __future__ import annotations

import pytest

import stop.lm
from stop.errors import ConfigError, LMUnavailable
from stop.lm import ModelSpec, ScriptedModel, open_model, parse_model_spec

DEFAULT = "qwen2.5-coder-0.5b-instruct"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("local", ModelSpec("local", DEFAULT)),
        ("local:qwen2.5-coder-0.5b", ModelSpec("local", DEFAULT)),
        ("local:qwen2.5-coder-1.5b", ModelSpec("local", "qwen2.5-coder-1.5b-instruct")),
        ("local:/models/mine.gguf", ModelSpec("local", "/models/mine.gguf")),
        ("openai:gpt-4o", ModelSpec("openai", "gpt-4o")),
        (
            "openai-compatible:http://127.0.0.1:8080/v1#qwen",
            ModelSpec("openai-compatible", "qwen", "http://127.0.0.1:8080/v1"),
        ),
        (
            "openai-compatible:https://openrouter.ai/api/v1/#meta/llama-3:free",
            ModelSpec("openai-compatible", "meta/llama-3:free", "https://openrouter.ai/api/v1"),
        ),
        ("anthropic:claude-3-5-sonnet-latest", ModelSpec("anthropic", "claude-3-5-sonnet-latest")),
        ("replay", ModelSpec("replay")),
        ("replay:local", ModelSpec("replay", f"local:{DEFAULT}")),
        ("scripted", ModelSpec("scripted")),
    ],
)
def test_valid_model_strings_parse(spec, expected):
    assert parse_model_spec(spec) == expected


def test_aliases_share_one_canonical_name():
    assert (
        parse_model_spec("local").name == parse_model_spec("local:0.5b").name == f"local:{DEFAULT}"
    )


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("", "valid model strings look like local"),
        ("gpt-4o", "did you mean openai:gpt-4o?"),
        ("claude-3-opus", "did you mean anthropic:claude-3-opus?"),
        ("openai", "names no model; write e.g. openai:MODEL-NAME"),
        ("anthropic:", "names no model"),
        ("openai-compatible:127.0.0.1:8080#m", "needs a base URL"),
        ("openai-compatible:http://127.0.0.1:8080/v1", "append #MODEL"),
        ("local:qwen-7b", "unknown local model 'qwen-7b'"),
        ("replay:scripted", "replay a recorded model"),
        ("scripted:x", "takes no name"),
    ],
)
def test_invalid_model_strings_say_what_is_wrong(spec, says):
    with pytest.raises(ConfigError) as caught:
        parse_model_spec(spec)
    assert says in str(caught.value)


def test_openai_without_a_key_names_the_variable_to_set():
    with pytest.raises(LMUnavailable, match=r"set \$OPENAI_API_KEY"):
        open_model("openai:gpt-4o")


def test_anthropic_without_a_key_names_the_variable_to_set():
    with pytest.raises(LMUnavailable, match=r"set \$ANTHROPIC_API_KEY"):
        open_model("anthropic:claude-3-5-haiku-latest")


def test_a_local_gguf_that_does_not_exist_says_how_to_get_one():
    with pytest.raises(LMUnavailable, match="stop models pull"):
        open_model("local:/nowhere/model.gguf")


def test_without_a_store_the_backend_is_returned_bare():
    assert isinstance(open_model("scripted"), ScriptedModel)


def test_the_scripted_model_echoes_the_code_it_is_shown():
    chat = [{"role": "user", "content": "Improve:\n```python\ndef f():\n    return 1\n```"}]
    text = open_model("scripted").complete(chat)[0].text
    assert "```python\ndef f():\n    return 1\n```" in text


def test_the_public_api_is_pinned():
    assert sorted(stop.lm.__all__) == [
        "BudgetedLanguageModel",
        "Completion",
        "LanguageModel",
        "Message",
        "ModelSpec",
        "ScriptedModel",
        "open_model",
        "parse_model_spec",
    ]

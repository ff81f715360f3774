"""The embedded model stops an answer at the end of its first code block (config
`stop_after_code_block`), so small models do not spend max_tokens copying the prompt."""

import pytest

from stop.helpers import extract_code
from stop.lm.registry import CODE_BLOCK_SUFFIX, open_model

ASK = [
    {"role": "system", "content": "You are a helpful programmer."},
    {
        "role": "user",
        "content": "Write a Python function `double(x)` in one ```python block, then explain it"
        " in two paragraphs and give three usage examples in another code block.",
    },
]


@pytest.mark.model
def test_the_answer_ends_with_its_first_code_block():
    model = open_model("local", stop_after_code_block=True)
    assert model.name.endswith(CODE_BLOCK_SUFFIX)
    [answer] = model.complete(ASK, n=1, temperature=0.0, max_tokens=400)
    assert answer.finish_reason == "stop"
    assert answer.text.count("```") == 1  # the opening fence; the answer stopped at the closing
    code = extract_code([answer.text])[0]
    assert code is not None and "def double" in code


@pytest.mark.model
def test_without_the_option_the_model_writes_on_after_the_block():
    [answer] = open_model("local").complete(ASK, n=1, temperature=0.0, max_tokens=400)
    assert answer.text.count("```") >= 2


@pytest.mark.model
def test_a_fence_inside_a_string_does_not_end_the_answer():
    # A grammar makes the real model write an improver-like block whose string shows a fence.
    model = open_model("local", stop_after_code_block=True)
    code = 'p = """\n```\n"""'
    model.grammar = 'root ::= "```python\\np = \\"\\"\\"\\n```\\n\\"\\"\\"\\n```\\nthen prose"'
    [answer] = model.complete(ASK, n=1, temperature=0.0, max_tokens=60)
    assert (answer.text, answer.finish_reason) == (f"```python\n{code}", "stop")
    assert extract_code(answer.text) == code


# Copying a short block makes the answer's first block close early on every draw: the server's
# draws are not repeatable across requests, even greedy ones.
COPY = [
    {"role": "user", "content": "Repeat this code block exactly, then explain it in two"
     " paragraphs:\n```python\ndef double(x):\n    return 2 * x\n```"},
]  # fmt: skip


@pytest.mark.model
def test_a_real_llama_server_answer_ends_with_its_first_code_block(llama_server):
    model = open_model(f"openai-compatible:{llama_server}#qwen", stop_after_code_block=True)
    assert model.name.endswith(CODE_BLOCK_SUFFIX)
    [answer] = model.complete(COPY, n=1, temperature=0.0, max_tokens=400)
    # The server knows no stop here: one fence and "stop" mean the client cut the answer at
    # the closing fence (a model ending on its own would have sent that fence too).
    assert answer.finish_reason == "stop" and answer.text.count("```") == 1
    code = extract_code([answer.text])[0]
    assert code is not None and "def double" in code
    [whole] = open_model(f"openai-compatible:{llama_server}#qwen").complete(
        COPY, n=1, temperature=0.0, max_tokens=400
    )
    assert whole.text.count("```") >= 2 and answer.completion_tokens < whole.completion_tokens

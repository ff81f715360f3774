"""`extract_code`: the largest fenced block of each response, as original STOP improvers expect."""

from stop.helpers import extract_code


def test_the_largest_fenced_block_is_returned():
    response = "idea\n```python\nx = 1\n```\nand\n```python\ndef f():\n    return 2\n```"
    assert extract_code([response]) == ["def f():\n    return 2"]


def test_a_response_without_a_block_gives_none():
    assert extract_code(["just words"]) == [None]


def test_nested_fences_stay_inside_their_block():
    response = "```python\ns = '''\n```python\ninner\n```\n'''\n```"
    assert extract_code([response]) == ["s = '''\n```python\ninner\n```\n'''"]


def test_an_unclosed_block_keeps_what_the_model_wrote():
    assert extract_code(["```python\ndef f():\n    pass"]) == ["def f():\n    pass"]


def test_a_single_string_gives_a_single_result():
    assert extract_code("```\na = 1\n```") == "a = 1"

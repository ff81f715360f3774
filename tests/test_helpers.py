"""`extract_code`: the largest fenced block of each response, as original STOP improvers expect."""

from stop.helpers import closes_first_code_block, extract_code


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


def test_a_fence_inside_a_triple_quoted_string_is_part_of_the_code():
    # Improvers the model writes show code in their prompts; the bare fence is prompt text.
    code = 'prompt = f"""Improve:\n```\n{code}\n```\nReply with code."""\nx = 1'
    assert extract_code([f"```python\n{code}\n```\nThat is all."]) == [code]


def test_a_fence_after_a_closed_string_ends_the_block():
    code = 's = """done"""  # a comment with """ in it\nt = "\'\'\'"'
    assert extract_code([f"```python\n{code}\n```\n```python\nmore\n```"]) == [code]


def test_the_first_block_is_closed_only_by_its_own_fence():
    prompt_fence = '```python\np = """\n```\n'
    assert not closes_first_code_block(prompt_fence)
    assert closes_first_code_block(prompt_fence + '"""\n```\n')


def test_a_closing_fence_without_an_opening_one_ends_the_answer():
    assert closes_first_code_block("x = 1\n```\n")

"""How one batched sample decides its text and its end (no model needed)."""

from __future__ import annotations

from stop.lm.llamacpp_batch import common_prefix
from stop.lm.llamacpp_context import chunk_starts, reusable
from stop.lm.llamacpp_seq import Draw, Sampling, StopWhen


def draw(max_tokens: int = 10, stop: tuple[str | StopWhen, ...] = ()) -> Draw:
    sampling = Sampling(
        seed=0,
        temperature=0.7,
        max_tokens=max_tokens,
        top_p=0.95,
        top_k=40,
        min_p=0.05,
        repeat_penalty=1.0,
        stop=stop,
    )
    return Draw(sampling, chain=None, next_token=99, next_pos=5)


def feed(d: Draw, pieces: list[bytes]) -> None:
    for token, piece in enumerate(pieces):
        d.take(token, False, piece)
        if d.finish:
            return


def test_an_end_of_generation_token_ends_the_sample_without_being_counted():
    d = draw()
    feed(d, [b"def", b" f"])
    d.take(7, True, b"")
    assert (d.decoded(), d.tokens, d.finish) == ("def f", 2, "stop")


def test_max_tokens_ends_the_sample_with_length():
    d = draw(max_tokens=3)
    feed(d, [b"a", b"b", b"c", b"d"])
    assert (d.decoded(), d.tokens, d.finish) == ("abc", 3, "length")


def test_a_stop_string_split_across_tokens_cuts_the_text_where_it_starts():
    d = draw(stop=("```\n",))
    feed(d, [b"x = 1\n", b"``", b"`\n", b"more"])
    assert (d.decoded(), d.tokens, d.finish) == ("x = 1\n", 3, "stop")


def test_the_next_row_is_the_sampled_token_at_the_next_position():
    d = draw()
    d.take(42, False, b"a")
    assert (d.next_token, d.next_pos, d.finish) == (42, 6, None)


def test_a_multibyte_character_split_across_tokens_decodes_whole():
    d = draw()
    snake = "🐍".encode()
    feed(d, [snake[:2], snake[2:]])
    assert d.decoded() == "🐍"


def test_common_prefix_counts_equal_leading_tokens():
    assert common_prefix([1, 2, 3, 4], [1, 2, 9]) == 2
    assert common_prefix([], [1]) == 0


def test_prefill_chunks_start_every_256_tokens_and_never_leave_a_lone_last_row():
    assert chunk_starts(600) == [0, 256, 512]
    assert chunk_starts(513) == [0, 256]  # row 512 joins the chunk before
    assert chunk_starts(1) == [0]


def test_a_cached_prompt_is_reused_up_to_a_chunk_start_of_both_prompts():
    assert reusable(held=700, n=700, common=700) == 700  # the same prompt: all of it
    assert reusable(held=700, n=900, common=600) == 512
    assert reusable(held=700, n=900, common=200) == 0
    assert reusable(held=257, n=900, common=257) == 0  # 0..255 were one chunk with row 256


def test_a_conditional_stop_string_is_passed_over_where_its_condition_fails():
    only_the_second = StopWhen("END", lambda text: text.count("END") == 2)
    d = draw(stop=(only_the_second,))
    feed(d, [b"a END b ", b"END c"])
    assert (d.decoded(), d.finish) == ("a END b ", "stop")

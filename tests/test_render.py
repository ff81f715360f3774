"""Untrusted text is shown inert: one rendering per output format, each with hostile strings."""

import csv
import io
import json
import sys
import unicodedata

from rich.console import Console

from stop.render.controls import INVISIBLE, visible
from stop.render.html import code_lines, finalize, mark_controls
from stop.render.jsonsafe import clean_text, dumps
from stop.render.tabular import csv_cell
from stop.render.terminal import console, inert, plain

OSC_TITLE = "\x1b]0;pwned\x07"
CLEAR_SCREEN = "\x1b[2J\x1b[H"
RLO = "\u202e"


def _printed(renderable) -> str:
    out = io.StringIO()
    Console(file=out, force_terminal=True, color_system=None).print(renderable)
    return out.getvalue()


# -- which characters count as invisible ------------------------------------------------------


def test_every_format_and_separator_character_of_this_python_is_invisible():
    missing = [
        hex(c)
        for c in range(sys.maxunicode + 1)
        if unicodedata.category(chr(c)) in ("Cc", "Cf", "Zl", "Zp")
        and chr(c) not in "\n\t"
        and not INVISIBLE.match(chr(c))
    ]
    assert missing == []


def test_newline_and_tab_stay_themselves_and_a_bare_cr_becomes_a_newline():
    assert visible("a\tb\r\nc\rd\n") == "a\tb\nc\nd\n"


# -- terminal ---------------------------------------------------------------------------------


def test_escape_sequences_reach_the_terminal_spelt_out():
    printed = _printed(plain(f"answer{OSC_TITLE}{CLEAR_SCREEN}"))
    assert "\x1b]0;" not in printed and "\x07" not in printed and "\x1b[2J" not in printed
    assert "\\x1b]0;pwned\\x07" in printed


def test_rich_markup_in_untrusted_text_is_printed_as_written():
    printed = _printed(
        inert(("readme:", "bold"), " ", "[link=http://evil.example]docs[/link] [/x]")
    )
    assert "[link=http://evil.example]docs[/link] [/x]" in printed
    assert "\x1b]8;" not in printed  # no terminal hyperlink


def test_emoji_codes_and_a_trailing_backslash_are_text():
    assert (
        _printed(inert(":warning: ", ("dir" + chr(92), "bold"))).strip().endswith(":warning: dir\\")
    )


def test_the_shared_console_leaves_emoji_codes_alone():
    out = io.StringIO()
    term = console()
    term.file = out
    term.print(":warning:")
    assert out.getvalue().strip() == ":warning:"


# -- HTML -------------------------------------------------------------------------------------


def test_code_lines_count_a_bare_cr_as_python_does():
    source = "def improve():\r    use_sandbox = False\r    return 1\n"
    assert code_lines(source) == ["def improve():", "    use_sandbox = False", "    return 1", ""]


def test_a_bidi_override_is_boxed_and_named():
    html = str(mark_controls(f"x = 1  # {RLO}eslaF=xobdnas_esu"))
    assert RLO not in html
    assert '<span class="ctl" title="U+202E RIGHT-TO-LEFT OVERRIDE">\\u202e</span>' in html


def test_marked_text_is_html_escaped():
    assert str(mark_controls("<script>\x00")).startswith("&lt;script&gt;<span")


def test_template_values_are_plain_text_with_controls_spelt_out():
    assert finalize(f"run{RLO}1\u200b") == "run\\u202e1\\u200b"
    assert finalize(3) == 3


# -- CSV --------------------------------------------------------------------------------------


def test_a_formula_cell_is_written_as_text():
    for hostile in ('=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1"):
        assert csv_cell(hostile) == "'" + hostile


def test_numbers_and_ordinary_text_are_unchanged():
    assert csv_cell(-0.5) == -0.5
    assert csv_cell("def algorithm(x):") == "def algorithm(x):"


def test_nested_values_become_strict_json_text():
    assert csv_cell({"a": float("nan")}) == '{"a": null}'


def test_a_csv_of_hostile_cells_round_trips_as_text():
    out = io.StringIO()
    csv.writer(out).writerow([csv_cell(v) for v in ("=1+1", "a\x00b", "x\ud800")])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == ["'=1+1", "a\x00b", "x\ufffd"]


# -- JSON -------------------------------------------------------------------------------------


def test_a_lone_surrogate_becomes_the_replacement_character():
    assert clean_text("bad \ud800 end") == "bad \ufffd end"


def test_a_surrogate_pair_split_in_two_code_points_is_joined():
    assert clean_text("\ud83d\ude00") == "\U0001f600"


def test_non_finite_numbers_become_null_and_the_text_is_strict_json():
    text = dumps({"t": float("nan"), "x": [float("inf"), -float("inf"), 1.5]})
    assert json.loads(text, parse_constant=lambda c: 1 / 0) == {"t": None, "x": [None, None, 1.5]}


def test_json_text_encodes_as_utf8():
    dumps({"answer\ud800": "\udfff"}).encode("utf-8")

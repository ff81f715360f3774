"""`stop lm ask`: prints the answer, then tokens and speed; a repeat comes from the store."""

from __future__ import annotations

from typer.testing import CliRunner

from stop.cli import app

PROMPT = "Improve:\n```python\ndef f():\n    return 1\n```"


def test_ask_prints_the_answer_then_tokens_and_speed(tmp_path):
    result = CliRunner().invoke(
        app, ["lm", "ask", PROMPT, "--model", "scripted", "--db", str(tmp_path / "r.db")]
    )
    assert result.exit_code == 0, result.output
    assert "def f():" in result.output
    text = " ".join(result.output.split())  # rich wraps long lines
    assert "completion tokens" in text and "tokens/s" in text


def test_asking_again_is_answered_from_the_store(tmp_path):
    args = ["lm", "ask", PROMPT, "--model", "scripted", "--db", str(tmp_path / "r.db")]
    CliRunner().invoke(app, args)
    result = CliRunner().invoke(app, args)
    assert "cache hit" in " ".join(result.output.split())

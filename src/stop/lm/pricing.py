"""Dollar cost of a call, for the few hosted models whose prices are well known.

Prices are USD per 1M tokens (input, output) as published by the providers; a model not in the
table costs `None` (unknown), never 0, so a report never claims a paid run was free.
"""

from __future__ import annotations

# Longest prefix wins, so "gpt-4o-mini" is not priced as "gpt-4o".
PRICES_PER_MTOK: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4-turbo": (10.00, 30.00),
    "gpt-4": (30.00, 60.00),
    "gpt-3.5-turbo": (0.50, 1.50),
    "o3-mini": (1.10, 4.40),
    "o4-mini": (1.10, 4.40),
    "claude-3-5-haiku": (0.80, 4.00),
    "claude-3-5-sonnet": (3.00, 15.00),
    "claude-3-7-sonnet": (3.00, 15.00),
    "claude-3-haiku": (0.25, 1.25),
    "claude-3-opus": (15.00, 75.00),
    "claude-sonnet-4": (3.00, 15.00),
    "claude-opus-4": (15.00, 75.00),
    "claude-haiku-4": (1.00, 5.00),
}


def price_per_mtok(model: str) -> tuple[float, float] | None:
    """(input, output) USD per 1M tokens for `model`, or None if unknown."""
    matches = [prefix for prefix in PRICES_PER_MTOK if model.startswith(prefix)]
    return PRICES_PER_MTOK[max(matches, key=len)] if matches else None


def cost_usd(model: str, prompt_tokens: float, completion_tokens: float) -> float | None:
    """What a call with these token counts costs on `model`, or None if the price is unknown."""
    price = price_per_mtok(model)
    if price is None:
        return None
    return (prompt_tokens * price[0] + completion_tokens * price[1]) / 1_000_000

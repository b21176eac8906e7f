"""Numbers as report text: estimates with their intervals, and what a paired difference says."""

from __future__ import annotations

from typing import Any


def number(value: float, sign: str = "") -> str:
    """Two decimals, never ``-0.00``."""
    return f"{round(value, 2) + 0.0:{sign}.2f}"


def estimate_text(estimate: dict[str, Any], sign: str = "", compact: bool = False) -> str:
    """``0.62 (0.55 to 0.69)``, or ``0.62 [0.55, 0.69]`` when ``compact``; undefined is ``–``.

    ``sign="+"`` shows the sign, for differences.
    """
    if estimate["value"] is None:
        return "–"
    value = number(estimate["value"], sign)
    if estimate["low"] is None:
        return value
    low, high = number(estimate["low"], sign), number(estimate["high"], sign)
    return f"{value} [{low}, {high}]" if compact else f"{value} ({low} to {high})"


def verdict(difference: dict[str, Any], baseline: str) -> str:
    """Whether a paired difference interval tells the model and ``baseline`` apart."""
    if difference["low"] is not None and difference["low"] > 0:
        return f"the model is better than the {baseline}"
    if difference["high"] is not None and difference["high"] < 0:
        return f"the model is worse than the {baseline}"
    return f"the data cannot tell the model and the {baseline} apart (the interval includes 0)"

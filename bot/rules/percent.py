"""Percentages as people round them: 62.5 → 63 (Python's round() would give 62)."""

from __future__ import annotations

import math


def half_up(value: float) -> int:
    return math.floor(value + 0.5)

"""抓规范: completion of a standardisation check per section, and what changed since last time.

有 counts fully, 部分 half, 无 nothing; a section's completion is the mean over its items, in
whole percent. The to-do list puts 无 before 部分, each in the check's own order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.rules.percent import half_up

DONE, PARTLY, MISSING = "有", "部分", "无"
CREDIT = {DONE: 1.0, PARTLY: 0.5, MISSING: 0.0}


@dataclass(frozen=True, slots=True)
class CheckResult:
    percents: dict[str, int]  # section -> completion in %
    todo: list[tuple[str, str]]  # (item, 无 | 部分), missing first


def score_check(items: list[dict[str, Any]], answers: dict[str, Any]) -> CheckResult:
    """Items are `{id, section, item}`; unanswered items count as 无 (never silently as done)."""
    totals: dict[str, list[float]] = {}
    missing: list[tuple[str, str]] = []
    partly: list[tuple[str, str]] = []
    for entry in items:
        status = answers.get(entry["id"])
        status = status if status in CREDIT else MISSING
        totals.setdefault(entry["section"], []).append(CREDIT[status])
        if status == MISSING:
            missing.append((entry["item"], MISSING))
        elif status == PARTLY:
            partly.append((entry["item"], PARTLY))
    percents = {
        section: half_up(100 * sum(credits) / len(credits)) for section, credits in totals.items()
    }
    return CheckResult(percents, missing + partly)


def compare(previous: dict[str, int], current: dict[str, int]) -> dict[str, int | None]:
    """Change in percentage points per section; None where the last check had no such section."""
    return {
        section: (percent - previous[section]) if section in previous else None
        for section, percent in current.items()
    }

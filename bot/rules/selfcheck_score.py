"""Self-check scoring: per area in whole percent, and the improvements worth most.

An improvement is a question that lost points; the ones that lost most come first, ties in
questionnaire order, so the list is stable between two identical attempts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.rules.percent import half_up

TOP_IMPROVEMENTS = 3


@dataclass(frozen=True, slots=True)
class SelfCheckScore:
    areas: dict[str, int]
    total: int
    improvements: list[dict[str, Any]]  # the questions, as in the questionnaire


def points_of(question: dict[str, Any], label: str | None) -> int:
    """Points of the chosen option; an unknown or missing answer scores 0."""
    return next((o["points"] for o in question["options"] if o["label"] == label), 0)


def score(questionnaire: dict[str, Any], answers: dict[str, Any]) -> SelfCheckScore:
    got: dict[str, int] = {area: 0 for area in questionnaire["areas"]}
    best: dict[str, int] = {area: 0 for area in questionnaire["areas"]}
    lost: list[tuple[int, int, dict[str, Any]]] = []
    for order, question in enumerate(questionnaire["questions"]):
        maximum = max(o["points"] for o in question["options"])
        points = points_of(question, answers.get(question["id"]))
        got[question["area"]] += points
        best[question["area"]] += maximum
        if points < maximum:
            lost.append((maximum - points, order, question))
    areas = {area: _percent(got[area], best[area]) for area in questionnaire["areas"]}
    total = _percent(sum(got.values()), sum(best.values()))
    lost.sort(key=lambda item: (-item[0], item[1]))
    return SelfCheckScore(areas, total, [q for _, _, q in lost[:TOP_IMPROVEMENTS]])


def _percent(points: int, maximum: int) -> int:
    return half_up(100 * points / maximum) if maximum else 0


def change(previous: dict[str, int], current: dict[str, int]) -> dict[str, int | None]:
    """Percentage points gained (negative: lost) per area; None if the area is new."""
    return {
        area: (value - previous[area]) if area in previous else None
        for area, value in current.items()
    }

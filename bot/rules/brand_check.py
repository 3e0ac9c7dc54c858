"""抓品牌: whether a brand case shows 创新性, 先进性, 推广性 and 影响力 (the article's four marks).

Each mark is judged from the answers that speak to it, or from the follow-up answer the flow
asks when the first answers were too thin. The thresholds are deliberately low: the check
prompts a secretary to say more, it does not grade the brand.
"""

from __future__ import annotations

from typing import Any

CRITERIA = ("innovation", "advanced", "promotion", "influence")
NO_INFLUENCE = "暂无"
MIN_PRACTICES = 20
MIN_COPYABLE = 15
MIN_FOLLOW_UP = 8


def _has_figure(text: str | None) -> bool:
    return any(ch.isdigit() for ch in text or "")


# A follow-up that says there is none ("暂时还没有……") does not make up a mark.
NONE_WORDS = ("暂无", "没有", "还没", "尚未", "无任何", "不知道", "说不上")


def _long(text: str | None, minimum: int) -> bool:
    return len((text or "").strip()) >= minimum


def _shows(text: str | None, minimum: int) -> bool:
    """Long enough, and not an answer that there is nothing to show."""
    cleaned = (text or "").strip()
    return _long(cleaned, minimum) and not any(word in cleaned[:8] for word in NONE_WORDS)


def brand_marks(answers: dict[str, Any], with_follow_ups: bool = True) -> dict[str, bool]:
    """Mark -> shown or not. Without follow-ups: which marks need a follow-up question."""

    def follow(name: str, check) -> bool:  # type: ignore[no-untyped-def]
        return with_follow_ups and check(answers.get(f"more_{name}"))

    influence = [v for v in answers.get("influence") or [] if v != NO_INFLUENCE]
    return {
        "innovation": _long(answers.get("practices"), MIN_PRACTICES)
        or follow("innovation", lambda t: _shows(t, MIN_FOLLOW_UP)),
        "advanced": _has_figure(answers.get("results")) or follow("advanced", _has_figure),
        "promotion": _long(answers.get("copyable"), MIN_COPYABLE)
        or follow("promotion", lambda t: _shows(t, MIN_COPYABLE)),
        "influence": bool(influence) or follow("influence", lambda t: _shows(t, MIN_FOLLOW_UP)),
    }


def weak_marks(answers: dict[str, Any]) -> dict[str, bool]:
    """`weak_<mark>`: True when the first answers do not show the mark (a follow-up is asked)."""
    return {f"weak_{name}": not shown for name, shown in brand_marks(answers, False).items()}

"""Parsing and validating one answer. Pure functions: (step, raw text, answers) -> value or error.

Users type on phones: full-width digits, "120人", "１２０", Chinese numerals and stray spaces
are all accepted where the meaning is unambiguous.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from bot.dialog.flows import Step
from bot.dialog.numerals import chinese_integer
from bot.dialog.when import IMPOSSIBLE, Unreadable, read_date, read_time
from knowledge.textnorm import normalise


@dataclass(frozen=True, slots=True)
class Invalid:
    """A validation failure: a message key under `validation.` (or a flow's own text)."""

    key: str
    values: dict[str, Any]
    text: str | None = None


YES_WORDS = frozenset({"是", "是的", "有", "对", "对的", "yes", "y", "1", "是滴", "嗯", "✅"})
NO_WORDS = frozenset({"否", "不是", "没有", "无", "不", "no", "n", "0", "❌"})
_COUNT_SUFFIX = re.compile(r"(人|名|个|位|家)$")


def has_words(text: str) -> bool:
    """True when the text has at least one letter or digit (not only emoji or punctuation)."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


_PLAIN_INTEGER = re.compile(r"[+-]?[0-9]{1,9}")  # ASCII after NFKC: "١٢" is not a count here
_LONG_INTEGER = re.compile(r"([+-]?)[0-9]{10,}")
# 5千, 12万, 1.2万, and the spoken 5千5 (5500); never a fraction of a person (1.23456万).
_DIGITS_WITH_UNIT = re.compile(r"([0-9]{1,4})(?:\.([0-9]{1,4}))?([千万])([0-9]?)")


def _integer_text(text: str) -> str:
    return _COUNT_SUFFIX.sub("", normalise(text).replace(",", "").replace(" ", ""))


def parse_integer(text: str) -> int | None:
    """Digits (full-width too), Chinese numerals, or digits with 千/万; None for anything else,
    so a slip of the thumb ("万万", "千千") is asked again instead of read as some number."""
    cleaned = _integer_text(text)
    if _PLAIN_INTEGER.fullmatch(cleaned):
        return int(cleaned)
    if match := _DIGITS_WITH_UNIT.fullmatch(cleaned):
        return _digits_with_unit(*match.groups())
    return chinese_integer(cleaned)


def _digits_with_unit(whole: str, fraction: str | None, unit: str, spoken: str) -> int | None:
    if fraction and spoken:
        return None  # 1.5千5: one or the other
    size = 1000 if unit == "千" else 10_000
    scaled = Fraction(f"{whole}.{fraction or 0}") * size + int(spoken or 0) * size // 10
    return int(scaled) if scaled.denominator == 1 else None


def match_option(text: str, options: list[str]) -> int | None:
    """The index of the option a user typed: its number (1-based) or its label."""
    cleaned = normalise(text)
    if cleaned.isdigit() and 1 <= int(cleaned) <= len(options):
        return int(cleaned) - 1
    for index, option in enumerate(options):
        if cleaned == normalise(option):
            return index
    # "#12 楚雄某某食品有限公司" typed without its number, as people name an organisation;
    # two records of one name (a duplicate) are no answer.
    named = [
        i for i, option in enumerate(options) if _NUMBERED.sub("", normalise(option)) == cleaned
    ]
    return named[0] if len(named) == 1 else None


_NUMBERED = re.compile(r"^#\d+ ")


def match_options(text: str, options: list[str]) -> list[int] | None:
    parts = [p for p in re.split(r"[\s,，、;；]+", normalise(text)) if p]
    indexes = [match_option(part, options) for part in parts]
    if not parts or any(i is None for i in indexes):
        return None
    return sorted({i for i in indexes if i is not None})


def parse_yes_no(text: str) -> bool | None:
    cleaned = normalise(text).lower().rstrip("。.!！")
    if cleaned in YES_WORDS:
        return True
    if cleaned in NO_WORDS:
        return False
    return None


def validate(
    step: Step, text: str, answers: dict[str, Any], options: list[str], today: date
) -> Any | Invalid:
    """The value to store for this answer, or why it cannot be accepted."""
    match step.kind:
        case "text":
            return _validate_text(step, text)
        case "integer":
            return _validate_integer(step, text, answers)
        case "choice":
            index = match_option(text, options)
            return Invalid("choice", {}) if index is None else options[index]
        case "multi":
            indexes = match_options(text, options)
            if indexes is None:
                return Invalid("multi", {})
            if step.max_choices is not None and len(indexes) > step.max_choices:
                return Invalid("multi_too_many", {"max": step.max_choices})
            return [options[i] for i in indexes]
        case "yesno":
            value = parse_yes_no(text)
            return Invalid("yesno", {}) if value is None else value
        case "date":
            suggested = match_option(text, options) if options else None
            parsed = read_date(options[suggested] if suggested is not None else text, today)
            if isinstance(parsed, Unreadable):
                key = "date_impossible" if parsed.reason == IMPOSSIBLE else "date"
                return Invalid(key, {"text": text.strip()[:20]})
            if step.future and parsed < today:
                return Invalid("date_past", {"today": today.isoformat()})
            return parsed.isoformat()
        case "time":
            at = read_time(text)
            if isinstance(at, Unreadable):
                key = "time_impossible" if at.reason == IMPOSSIBLE else "time"
                return Invalid(key, {"text": text.strip()[:20]})
            return at.strftime("%H:%M")
    raise ValueError(f"unknown step kind {step.kind}")


def _validate_text(step: Step, text: str) -> str | Invalid:
    value = text.strip()
    if not has_words(value):
        return Invalid("text_empty", {})
    if len(value) > step.max_length:
        return Invalid("text_too_long", {"length": len(value), "max": step.max_length})
    if len(value) < step.min_length:
        return Invalid("text_too_short", {"min": step.min_length})
    if step.needs_number and not any(ch.isdigit() for ch in normalise(value)):
        return Invalid("text_needs_number", {})
    return value


def _out_of_range(step: Step, text: str) -> Invalid | None:
    """Ten digits or more: a number, only too big (or too small) for the step's bounds."""
    match = _LONG_INTEGER.fullmatch(_integer_text(text))
    if match is None:
        return None
    if match.group(1) == "-":
        return None if step.min is None else Invalid("min", {"min": step.min})
    return None if step.max is None else Invalid("max", {"max": step.max})


def _validate_integer(step: Step, text: str, answers: dict[str, Any]) -> int | Invalid:
    value = parse_integer(text)
    if value is None:
        return _out_of_range(step, text) or Invalid("integer", {})
    if step.min is not None and value < step.min:
        return Invalid("min", {"min": step.min})
    if step.max is not None and value > step.max:
        return Invalid("max", {"max": step.max})
    if step.at_most is not None:
        limit = answers.get(step.at_most.answer)
        if isinstance(limit, int):
            limit -= sum(int(answers.get(name) or 0) for name in step.at_most.minus)
            if value > limit:
                return Invalid("at_most", dict(answers), step.at_most.message)
    return value

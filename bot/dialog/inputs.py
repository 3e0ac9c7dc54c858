"""Parsing and validating one answer. Pure functions: (step, raw text, answers) -> value or error.

Users type on phones: full-width digits, "120人", "１２０", Chinese numerals and stray spaces
are all accepted where the meaning is unambiguous.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from bot.dialog.flows import Step
from knowledge.textnorm import chinese_number, normalise


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


def parse_integer(text: str) -> int | None:
    cleaned = _COUNT_SUFFIX.sub("", normalise(text).replace(",", "").replace(" ", ""))
    if re.fullmatch(r"[+-]?\d{1,9}", cleaned):
        return int(cleaned)
    return chinese_number(cleaned)


def parse_date(text: str, today: date) -> date | None:
    cleaned = normalise(text).replace(" ", "")
    patterns = (
        r"(?P<y>\d{4})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?",
        r"(?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?",
    )
    for pattern in patterns:
        match = re.fullmatch(pattern, cleaned)
        if match:
            parts = match.groupdict()
            try:
                return date(int(parts.get("y") or today.year), int(parts["m"]), int(parts["d"]))
            except ValueError:
                return None
    return None


def parse_time(text: str) -> time | None:
    cleaned = normalise(text).replace(" ", "").replace("：", ":")
    match = re.fullmatch(r"(\d{1,2})(?::|点)(\d{2})?分?|(\d{1,2})点半", cleaned)
    if not match:
        return None
    if match.group(3):
        hour, minute = int(match.group(3)), 30
    else:
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
    return time(hour, minute) if hour < 24 and minute < 60 else None


def match_option(text: str, options: list[str]) -> int | None:
    """The index of the option a user typed: its number (1-based) or its label."""
    cleaned = normalise(text)
    if cleaned.isdigit() and 1 <= int(cleaned) <= len(options):
        return int(cleaned) - 1
    for index, option in enumerate(options):
        if cleaned == normalise(option):
            return index
    return None


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
            parsed = parse_date(options[suggested] if suggested is not None else text, today)
            if parsed is None:
                return Invalid("date", {})
            if step.future and parsed < today:
                return Invalid("date_past", {"today": today.isoformat()})
            return parsed.isoformat()
        case "time":
            parsed_time = parse_time(text)
            return Invalid("time", {}) if parsed_time is None else parsed_time.strftime("%H:%M")
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


def _validate_integer(step: Step, text: str, answers: dict[str, Any]) -> int | Invalid:
    value = parse_integer(text)
    if value is None:
        return Invalid("integer", {})
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

"""What of a user's text may be kept: everything visible, nothing that hides or breaks.

Anyone can message the bot. Control characters (a NUL makes PostgreSQL refuse the whole
save), direction overrides (U+202E turns "公司名" around on every screen that shows it) and
zero-width characters (two names that look the same but are not) would otherwise be stored
and shown back to other users: in the ledger, the roster, an export. They are dropped once,
where events enter the core, so no handler and no table has to think about them.

Emoji stay whole: a zero-width joiner is kept where it joins two emoji (👨‍👩‍👧 is three
people joined into one family) and dropped anywhere else, where it joins nothing. Tag
characters are dropped even inside a flag (🏴 stays, its invisible region code goes): they
can carry a whole hidden text.
"""

from __future__ import annotations

import unicodedata
from typing import Any

# Telegram's own limit for a first name; first and last name together reach 129, more than
# the roster's column holds (100), and a name this long is not a name anyone reads anyway.
MAX_NAME_CHARS = 64
# A base letter with more marks than this on it is "zalgo" text, not a language: Vietnamese
# needs two, a keycap emoji (1️⃣) two.
MAX_MARKS = 4

ZWJ = "\u200d"
VARIATION_SELECTOR = "\ufe0f"
KEPT_CONTROLS = frozenset("\n\t")
LINE_BREAKS = {"\r\n": "\n", "\r": "\n", "\u2028": "\n", "\u2029": "\n"}
# Cc: C0, DEL, C1. Cf: direction marks and overrides, zero-width characters, BOM, soft hyphen,
# tags. Cs: a lone surrogate, which cannot even be encoded to be stored.
DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
MARKS = frozenset({"Mn", "Me"})


def clean_text(text: str) -> str:
    """The text without invisible or control characters (newline and tab stay), in NFC."""
    if text.isascii() and text.isprintable():
        return text  # commands, digits, most button presses: nothing to look at
    for old, new in LINE_BREAKS.items():
        text = text.replace(old, new)
    kept: list[str] = []
    marks = 0
    for index, ch in enumerate(text):
        category = unicodedata.category(ch)
        if ch == ZWJ:
            if _joins_emoji(kept[-1] if kept else "", text[index + 1 : index + 2]):
                kept.append(ch)
            continue
        if category in DROPPED_CATEGORIES and ch not in KEPT_CONTROLS:
            continue
        marks = marks + 1 if category in MARKS else 0
        if marks <= MAX_MARKS:
            kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept))


def _joins_emoji(before: str, after: str) -> bool:
    """A joiner between an emoji (possibly with a skin tone or the emoji variation selector)
    and the next emoji; the next one is seen as typed, the previous one as kept."""
    if not before or not after:
        return False
    emoji_before = before == VARIATION_SELECTOR or unicodedata.category(before) in ("So", "Sk")
    return emoji_before and unicodedata.category(after) == "So"


def clean_name(text: str, limit: int = MAX_NAME_CHARS) -> str:
    """A person's or a group's name: clean, on one line, at most `limit` characters. Empty
    when nothing visible is left; the caller knows what to show instead."""
    return " ".join(clean_text(text).split())[:limit].strip()


def clean_answers(value: Any) -> Any:
    """Every string in a dialog's saved answers, cleaned. For answers stored before text was
    cleaned on the way in: a NUL kept in a dialog's JSON made its record fail at every try."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean_answers(item) for item in value]
    if isinstance(value, dict):
        return {key: clean_answers(item) for key, item in value.items()}
    return value

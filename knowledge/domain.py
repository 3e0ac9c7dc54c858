"""Which field a question is about: ours when it names a term of the domain (a one-character
typo forgiven: 两心组织, 党废收缴), another's when it names that field's business (工会, 社保).
Both are plain term matches, judged before any scoring."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

_NUMBERS = re.compile("[0-9零〇一二两三四五六七八九十百千万]")
# Domain terms also match with one character mistyped when they keep enough characters to be
# recognised: numbers ("#") do not count as characters, and a three-character term with one
# wrong is too often an everyday word ("##要" for ##人).
NEAR_CHARACTERS = 3
NEAR_CHARACTERS_LONG = 2  # for terms of four or more characters ("#会#课", "#企#策")


def any_of(terms: Iterable[str]) -> re.Pattern[str]:
    """One pattern for all the terms, longest first; one that never matches when there are none."""
    ordered = sorted({t for t in terms if t}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, ordered)) or "(?!)")


def numberless(text: str) -> str:
    """Numbers are compared by the scoring; the field check only asks which terms are named."""
    return _NUMBERS.sub("#", text)


def _recognisable(term: str) -> bool:
    characters = len(term) - term.count("#")
    return characters >= NEAR_CHARACTERS or (len(term) >= 4 and characters >= NEAR_CHARACTERS_LONG)


class FieldCheck:
    def __init__(
        self,
        normalise: Callable[[str], str],
        terms: Iterable[str],
        own_text: str,
        other_fields: Iterable[str],
    ) -> None:
        """`terms`: our domain's terms; `own_text`: what our entries are about (titles and
        keywords), so another field's word that one of them names is not counted as foreign."""
        self.normalise = normalise
        ours = {numberless(normalise(t)) for t in terms}
        self.terms = sorted((t for t in ours if len(t) >= 2), key=len, reverse=True)
        self.pattern = any_of(self.terms)
        typed = [t for t in self.terms if _recognisable(t)]
        self.near_terms = {t[:i] + "\0" + t[i + 1 :] for t in typed for i in range(len(t))}
        self.near_lengths = sorted({len(t) for t in typed})
        foreign = {normalise(t) for t in other_fields}
        self.foreign = any_of(t for t in foreign if t not in own_text)

    def ours(self, text: str) -> bool:
        text = numberless(self.normalise(text))
        if self.pattern.search(text):
            return True
        for length in self.near_lengths:
            for start in range(len(text) - length + 1):
                window = text[start : start + length]
                for i in range(length):
                    if window[:i] + "\0" + window[i + 1 :] in self.near_terms:
                        return True
        return False

    def others(self, text: str) -> bool:
        return self.foreign.search(self.normalise(text)) is not None

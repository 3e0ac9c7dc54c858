"""When two ledger records name one organisation. Secretaries write a name as they know it:
full-width letters, spaces, 有限责任公司 or 有限公司, with or without the county in front, so
the ledger compares a key of the name instead of the name. Records in different counties are
never the same organisation: a county prefix is dropped only where it is the record's own.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence

LEGAL_FORMS = (("有限责任公司", "有限公司"),)
MIN_KEY = 2  # a prefix is not dropped when it would leave less than this


def _letters_and_digits(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")


def place_prefixes(county: str, prefecture_names: Sequence[str]) -> list[str]:
    """The prefecture's names and the county's, full and short (禄丰市, 禄丰), longest first."""
    short = county[:-1] if len(county) > 2 and county[-1] in "市县区" else county
    names = {_letters_and_digits(n) for n in (*prefecture_names, county, short)}
    return sorted(names - {""}, key=len, reverse=True)


def name_key(name: str, prefixes: Sequence[str]) -> str:
    """The name as compared: half-width, lower case, letters and digits only, one legal form,
    and no leading place names (stacked ones too: 楚雄州禄丰市…)."""
    key = _letters_and_digits(name)
    for long, short in LEGAL_FORMS:
        key = key.replace(long, short)
    stripped = True
    while stripped:
        stripped = False
        for prefix in prefixes:
            if key.startswith(prefix) and len(key) - len(prefix) >= MIN_KEY:
                key, stripped = key[len(prefix) :], True
                break
    return key


def duplicates(records: Iterable[tuple[int, str, str]]) -> dict[int, list[int]]:
    """For (id, county, key) triples: each id that shares county and key with others, and
    those others' ids in order."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for record_id, county, key in records:
        groups[(county, key)].append(record_id)
    found: dict[int, list[int]] = {}
    for ids in groups.values():
        if len(ids) > 1:
            for record_id in ids:
                found[record_id] = sorted(i for i in ids if i != record_id)
    return found

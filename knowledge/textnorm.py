"""Text normalisation shared by answer parsing and retrieval: users type full-width digits,
Chinese numerals and stray spaces, and "3名" must match "三名"."""

from __future__ import annotations

import re
import unicodedata

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_DIGITS |= {"七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_NUMERAL = "零〇一二两三四五六七八九十百千万"
# A numeral counts as a number only before a measure word (三名, 五个清, 六有, 三会一课),
# so words such as 统一, 一定, 万一 are left alone.
_COUNTED = re.compile(f"[{_NUMERAL}]+(?=[名个人位家项年月日天次条步大有会课级倍层类批])")


def normalise(text: str) -> str:
    """NFKC folds full-width digits and letters; collapse whitespace."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def chinese_number(text: str) -> int | None:
    """一百二十 -> 120, 三 -> 3, 十五 -> 15; None when it is not a plain Chinese numeral. Two
    digits in a row are a rough range, not a number: 五六家 is "five or six", not 6."""
    if not text or any(ch not in _DIGITS and ch not in _UNITS for ch in text):
        return None
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _DIGITS:
            if digit:  # after 零 a digit may follow: 一千零五
                return None
            digit = _DIGITS[ch]
            continue
        unit = _UNITS[ch]
        if unit == 10000:
            total = (total + section + (digit or 0)) * unit
            section, digit = 0, None
        else:
            section += (1 if digit is None else digit) * unit
            digit = None
    return total + section + (digit or 0)


def numerals_to_digits(text: str) -> str:
    """三会一课 -> 3会1课, 五个清 -> 5个清: digits and Chinese numerals then match alike."""

    def convert(match: re.Match[str]) -> str:
        value = chinese_number(match.group(0))
        return match.group(0) if value is None else str(value)

    return _COUNTED.sub(convert, text)

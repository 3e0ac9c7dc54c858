"""Chinese numerals as people write counts, dates and times: 一百二十, 一千五, 两万零五."""

from __future__ import annotations

_CN_ZEROS = frozenset("零〇")
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8}
_CN_DIGITS |= {"九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_MYRIAD = "万"
_NO_UNIT = 10_000  # a section's places all lie below this


def chinese_integer(text: str) -> int | None:
    """一百二十 -> 120, 一千五 -> 1500 (spoken short form), 两万零五 -> 20005, below 一亿.

    Strict on purpose: 万 at most once and after a number, places falling from left to
    right (千 百 十), 零 only where a place is skipped, 两 only alone or before 百/千/万.
    """
    if text in _CN_ZEROS:
        return 0
    high, myriad, low = text.partition(_MYRIAD)
    if not myriad:
        return _section(text)
    upper = _section(high)
    if upper is None:
        return None
    if not low:
        return upper * 10_000
    if low[0] in _CN_ZEROS:  # 一万零五, 一万零五百: the thousands are skipped
        lower = _section(low[1:])
        return None if lower is None or lower >= 1000 else upper * 10_000 + lower
    if low in _CN_DIGITS:  # 两万五: spoken for 25000
        return upper * 10_000 + _CN_DIGITS[low] * 1000
    lower = _section(low)
    return None if lower is None or lower < 1000 else upper * 10_000 + lower


def _section(text: str) -> int | None:
    """1..9999 in Chinese numerals (the part before or after 万), or None when malformed."""
    if text == "两":
        return 2
    value, place, digit, zero = 0, _NO_UNIT, None, False
    for index, ch in enumerate(text):
        if ch in _CN_ZEROS:
            if digit is not None or zero or place == _NO_UNIT:
                return None  # 零 only right after a place: 一百零五, not 零五 or 一零
            zero = True
        elif ch in _CN_DIGITS:
            if digit is not None:
                return None  # 三五: two digits in a row
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            size = _CN_UNITS[ch]
            if digit is None:
                if size != 10 or not (index == 0 or zero):
                    return None  # a bare 十 only: 十五, 一千零十; never 百 or 千千
                digit = 1
            elif size == 10 and text[index - 1] == "两":
                return None  # 两十
            if size >= place or (zero and size * 10 >= place):
                return None  # 十十, 五百一千, 一千零五百
            value, place, digit, zero = value + digit * size, size, None, False
        else:
            return None
    if digit is None:
        return None if zero or not value else value  # 一百零: a trailing 零
    if text[-1] == "两":
        return None  # 二十两 is a weight, not a count
    if zero:
        return None if place == 10 else value + digit  # 一百零五; 十零五 skips nothing
    if place == _NO_UNIT:
        return digit
    return value + digit * place // 10  # 一千五 = 1500, 一百二 = 120, 十五 = 15

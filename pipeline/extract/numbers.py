"""Numbers as written in Chinese policy text: Arabic (full-width too) and Chinese numerals."""
from __future__ import annotations

_DIGITS = {"〇": 0, "○": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
CHINESE_NUMERAL_CHARS = "".join(_DIGITS) + "".join(_SMALL_UNITS) + "".join(_BIG_UNITS)
MAGNITUDES = {"千": 1000, **_BIG_UNITS}  # what a magnitude before a unit multiplies by: 5万元


def chinese_to_int(text: str) -> int | None:
    """一百二十 -> 120, 二〇二三 -> 2023 (digit by digit), 十五 -> 15; None if not a numeral."""
    if not text or any(c not in _DIGITS and c not in _SMALL_UNITS and c not in _BIG_UNITS for c in text):
        return None
    if all(c in _DIGITS for c in text):
        value = 0
        for c in text:
            value = value * 10 + _DIGITS[c]
        return value
    total, section, digit = 0, 0, None
    for c in text:
        if c in _DIGITS:
            digit = _DIGITS[c]
        elif c in _SMALL_UNITS:
            section += (1 if digit is None else digit) * _SMALL_UNITS[c]
            digit = None
        else:
            section += digit or 0
            total += (section or 1) * _BIG_UNITS[c]
            section, digit = 0, None
    return total + section + (digit or 0)


def int_of(text: str) -> int | None:
    """An integer written in Arabic or Chinese digits."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    return chinese_to_int(text)


def parse_number(text: str) -> float | None:
    """A number as written: 1,000 / 1.5 / 十五 / 两 / 半 -> float; None if it is not one."""
    text = text.strip().replace(",", "")
    if not text:
        return None
    if text == "半":
        return 0.5
    try:
        return float(text)
    except ValueError:
        pass
    value = chinese_to_int(text)
    return float(value) if value is not None else None

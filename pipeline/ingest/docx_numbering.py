"""List numbers Word draws itself: a paragraph numbered by its numbering definition (直接编号
or a list style) holds no number in its text, so a 一、 or （一） that Word shows would be lost.

The numbering part (``word/numbering.xml``) gives each list level a format (decimal,
chineseCounting …), a template (``%1、``, ``（%1）``, ``%1.%2``) and a start value; the
paragraph, or its style, names the list and the level. Counters run in document order, a
level restarting below the one that advanced, as Word counts them.
"""
from __future__ import annotations

from dataclasses import dataclass

import regex

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_LEVEL_REF = regex.compile(r"%([1-9])")
_DIGITS = "零一二三四五六七八九"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_STEMS = "甲乙丙丁戊己庚辛壬癸"
_ROMAN = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"),
          (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))


def chinese_numeral(n: int) -> str:
    """一 … 九百九十九 as list numbers are written (十一, 二十, 一百零五, 一百一十); digits beyond."""
    if n < 10:
        return _DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")
    if n >= 1000:
        return str(n)
    hundreds, rest = divmod(n, 100)
    if not rest:
        tail = ""
    elif rest < 10:
        tail = "零" + _DIGITS[rest]
    elif rest < 20:
        tail = "一" + chinese_numeral(rest)
    else:
        tail = chinese_numeral(rest)
    return _DIGITS[hundreds] + "百" + tail


def _roman(n: int) -> str:
    out = ""
    for value, letters in _ROMAN:
        while n >= value:
            out, n = out + letters, n - value
    return out


def format_number(n: int, fmt: str) -> str:
    """``n`` in a Word number format (``w:numFmt``); an unknown format falls back to digits."""
    if fmt in ("chineseCounting", "chineseCountingThousand", "chineseLegalSimplified", "japaneseCounting",
               "ideographDigital", "taiwaneseCounting", "taiwaneseCountingThousand"):
        return chinese_numeral(n)
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 1 <= n <= len(_CIRCLED):
        return _CIRCLED[n - 1]
    if fmt in ("ideographTraditional", "ideographZodiac") and 1 <= n <= len(_STEMS):
        return _STEMS[n - 1]
    if fmt == "decimalFullWidth":
        return str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    if fmt in ("lowerLetter", "upperLetter"):
        letter = chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt in ("lowerRoman", "upperRoman"):
        return _roman(n).upper() if fmt == "upperRoman" else _roman(n)
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt in ("bullet", "none"):
        return ""
    return str(n)


@dataclass(frozen=True)
class _Level:
    fmt: str
    text: str
    start: int


def _val(element, tag: str) -> str | None:
    child = element.find(f"{_W}{tag}") if element is not None else None
    return child.get(f"{_W}val") if child is not None else None


class Numbering:
    """The list numbers of one document's paragraphs, counted in document order."""

    def __init__(self, document) -> None:
        self.levels: dict[str, dict[int, _Level]] = {}  # numId -> ilvl -> level
        self.counters: dict[str, list[int]] = {}
        self.style_numbering = self._style_numbering(document)
        try:
            root = document.part.numbering_part.element
        except (NotImplementedError, KeyError, AttributeError):
            return  # no numbering part: nothing is numbered by Word
        abstract = {a.get(f"{_W}abstractNumId"): self._abstract_levels(a) for a in root.iter(f"{_W}abstractNum")}
        for num in root.iter(f"{_W}num"):
            levels = dict(abstract.get(_val(num, "abstractNumId"), {}))
            for override in num.iter(f"{_W}lvlOverride"):
                ilvl = int(override.get(f"{_W}ilvl", "0"))
                start = _val(override, "startOverride")
                if start is not None and ilvl in levels:
                    levels[ilvl] = _Level(levels[ilvl].fmt, levels[ilvl].text, int(start))
            self.levels[num.get(f"{_W}numId")] = levels

    @staticmethod
    def _abstract_levels(abstract) -> dict[int, _Level]:
        levels = {}
        for lvl in abstract.iter(f"{_W}lvl"):
            levels[int(lvl.get(f"{_W}ilvl", "0"))] = _Level(_val(lvl, "numFmt") or "decimal", _val(lvl, "lvlText") or "",
                                                             int(_val(lvl, "start") or "1"))
        return levels

    @staticmethod
    def _style_numbering(document) -> dict[str, tuple[str, int]]:
        """The list a paragraph style numbers its paragraphs with: style id -> (numId, ilvl)."""
        found = {}
        for style in document.styles.element.iter(f"{_W}style"):
            numbering = style.find(f"{_W}pPr/{_W}numPr")
            if numbering is not None and _val(numbering, "numId"):
                found[style.get(f"{_W}styleId")] = (_val(numbering, "numId"), int(_val(numbering, "ilvl") or "0"))
        return found

    def _list_of(self, paragraph) -> tuple[str, int] | None:
        """(numId, ilvl) of a paragraph: its own numbering, else its style's."""
        properties = paragraph.find(f"{_W}pPr")
        numbering = properties.find(f"{_W}numPr") if properties is not None else None
        if numbering is not None and _val(numbering, "numId"):
            return _val(numbering, "numId"), int(_val(numbering, "ilvl") or "0")
        style = _val(properties, "pStyle") if properties is not None else None
        return self.style_numbering.get(style) if style else None

    def label(self, paragraph) -> str:
        """The number Word draws before a paragraph (``w:p`` element), "" when none; counts it."""
        found = self._list_of(paragraph)
        if not found or found[0] == "0" or found[0] not in self.levels:
            return ""
        num_id, ilvl = found
        levels = self.levels[num_id]
        if ilvl not in levels:
            return ""
        counts = self.counters.setdefault(num_id, [0] * 9)
        counts[ilvl] = counts[ilvl] + 1 if counts[ilvl] else levels[ilvl].start
        for deeper in range(ilvl + 1, 9):
            counts[deeper] = 0
        if levels[ilvl].fmt in ("bullet", "none"):
            return ""

        def number(m: regex.Match) -> str:
            at = int(m.group(1)) - 1
            level = levels.get(at)
            value = counts[at] or (level.start if level else 1)
            return format_number(value, level.fmt if level else "decimal")
        return _LEVEL_REF.sub(number, levels[ilvl].text)

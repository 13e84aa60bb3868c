"""Time expressions (annotation-guide §4) by the rules in ``rules/deadlines.toml``.

Each expression becomes a deadline (last day of the stated period), a period
(start and end dates), a recurrence or a duration (ISO 8601). The document's
year completes dates written without one.
"""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

import regex

from pipeline.extract.numbers import parse_number
from pipeline.extract.spans import SpanSet
from pipeline.rules import MATCH_TIMEOUT, Rule, Rules

_ISO_UNIT = {"年": "Y", "年度": "Y", "季度": "M", "月": "M", "个月": "M", "月度": "M", "周": "W",
             "日": "D", "天": "D", "工作日": "D", "个工作日": "D", "自然日": "D", "个自然日": "D", "小时": "H"}
_UNIT_FACTOR = {"季度": 3}


@dataclass(frozen=True)
class TimeExpression:
    kind: str
    text: str
    start: int
    end: int
    rule: str
    date: dt.date | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    every: str | None = None
    duration: str | None = None

    @property
    def year(self) -> int | None:
        """The year it sets for a target: a deadline's year or a period's last year."""
        if self.kind == "deadline" and self.date:
            return self.date.year
        if self.kind == "period" and self.end_date:
            return self.end_date.year
        return None

    def value(self) -> str:
        """Compact form used by rule examples."""
        if self.kind == "deadline":
            return self.date.isoformat()
        if self.kind == "period":
            return f"{self.start_date.isoformat()}/{self.end_date.isoformat()}"
        return self.every or self.duration


def _last_day(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def iso_duration(n: float, unit: str) -> str | None:
    """3 天 -> P3D, 2 小时 -> PT2H, 0.5 年 -> P6M, 1 季度 -> P3M."""
    code = _ISO_UNIT.get(unit)
    if code is None:
        return None
    n = n * _UNIT_FACTOR.get(unit, 1)
    if n != int(n):
        if code == "Y":
            n, code = n * 12, "M"
        elif code == "M":
            n, code = n * 30, "D"
    n = int(n)
    return f"PT{n}H" if code == "H" else f"P{n}{code}"


class TimeReader:
    def __init__(self, rules: Rules) -> None:
        self.expressions = rules.of("deadlines", "expression")
        self.periods: dict[str, tuple[int, int]] = {}
        for rule in rules.of("deadlines", "named_period"):
            self.periods.update({k: tuple(v) for k, v in rule.get("periods", {}).items()})

    def _normalise(self, rule: Rule, m: regex.Match, year: int | None, start: int) -> TimeExpression | None:
        g = {k: v for k, v in m.groupdict().items() if v}
        base = dict(kind=rule.get("kind"), text=m.group(), start=start + m.start(), end=start + m.end(), rule=rule.id)
        kind = base["kind"]
        try:
            if kind == "deadline":
                y = int(g["y"]) if "y" in g else year
                if y is None:
                    return None
                if "d" in g and "m" in g:
                    date = dt.date(y, int(g["m"]), int(g["d"]))
                elif "m" in g:
                    date = _last_day(y, int(g["m"]))
                elif g.get("half") == "上半年":
                    date = dt.date(y, 6, 30)
                else:
                    date = dt.date(y, 12, 31)
                return TimeExpression(**base, date=date)
            if kind == "period":
                if "name" in g:
                    first, last = self.periods[g["name"]]
                    return TimeExpression(**base, start_date=dt.date(first, 1, 1), end_date=dt.date(last, 12, 31))
                y1, y2 = int(g["y1"]), int(g["y2"])
                begin = dt.date(y1, int(g.get("m1", 1)), int(g.get("d1", 1)))
                if "m2" in g:
                    end = dt.date(y2, int(g["m2"]), int(g["d2"])) if "d2" in g else _last_day(y2, int(g["m2"]))
                else:
                    end = dt.date(y2, 12, 31)
                return TimeExpression(**base, start_date=begin, end_date=end) if begin <= end else None
            n = parse_number(g.get("n", "1")) or 1.0
            unit = g["u"].removeprefix("个") if g["u"] not in _ISO_UNIT else g["u"]
            iso = iso_duration(n, unit)
            if iso is None:
                return None
            return TimeExpression(**base, every=iso) if kind == "recurring" else TimeExpression(**base, duration=iso)
        except (KeyError, ValueError):
            return None

    def find(self, text: str, year: int | None, blocked: list[tuple[int, int]] = (),
             start: int = 0, end: int | None = None) -> list[TimeExpression]:
        """Time expressions in ``text[start:end]``, skipping spans in ``blocked``.

        Deadlines before ``year`` (the document's year) report past facts and are dropped.
        """
        segment = text[start:end]
        taken = SpanSet(blocked)
        found: list[TimeExpression] = []
        for rule in self.expressions:
            for m in rule.pattern.finditer(segment, timeout=MATCH_TIMEOUT):
                s, e = start + m.start(), start + m.end()
                if taken.overlaps(s, e):
                    continue
                expression = self._normalise(rule, m, year, start)
                if expression is None:
                    continue
                if expression.kind == "deadline" and year and expression.date.year < year:
                    continue
                taken.add(s, e)
                found.append(expression)
        return sorted(found, key=lambda x: x.start)

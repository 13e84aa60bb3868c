"""Time expressions (annotation-guide §4) by the rules in ``rules/deadlines.toml``.

Each expression becomes a deadline (last day of the stated period), a period
(start and end dates), a start (the day something takes effect), a recurrence
or a duration (ISO 8601). The document's reference year completes dates written
without one; with no reference year, the year of the last date before it that
states one does, and with none such a date stays null.
"""
from __future__ import annotations

import bisect
import calendar
import datetime as dt
from dataclasses import dataclass

import regex

from pipeline.extract.numbers import int_of, parse_number
from pipeline.extract.spans import SpanSet
from pipeline.rules import Rule, Rules

_ISO_UNIT = {"年": "Y", "年度": "Y", "半年": "M", "季度": "M", "月": "M", "个月": "M", "月度": "M", "周": "W",
             "日": "D", "天": "D", "工作日": "D", "个工作日": "D", "自然日": "D", "个自然日": "D", "小时": "H"}
_UNIT_FACTOR = {"季度": 3, "半年": 6}
_TEN_DAYS_END = {"上旬": 10, "中旬": 20}  # 下旬 ends on the month's last day
_TEN_DAYS_START = {"上旬": 1, "中旬": 11, "下旬": 21}


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
        if self.kind in ("deadline", "start"):
            return self.date.isoformat() if self.date else "?"
        if self.kind == "period":
            return f"{self.start_date.isoformat()}/{self.end_date.isoformat()}"
        return self.every or self.duration


def _year(groups: dict[str, str], key: str, default: int | None) -> int | None:
    """The year a group states, else ``default`` (the document's reference year)."""
    return int_of(groups[key]) if key in groups else default


def _year_before(stated: tuple[list[int], list[int]], at: int) -> int | None:
    """The year of the last date stating one at or before ``at`` (None when there is none)."""
    k = bisect.bisect_right(stated[0], at) - 1
    return stated[1][k] if k >= 0 else None


def named_periods(rules: Rules) -> dict[str, tuple[int, int]]:
    """The plan periods ``[[named_period]]`` rules name, with their first and last years (十四五: 2021, 2025)."""
    return {name: tuple(years) for rule in rules.of("deadlines", "named_period")
            for name, years in rule.get("periods", {}).items()}


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
        self.excludes = rules.of("deadlines", "exclude")
        self.defined = rules.of("deadlines", "defined_period")
        self.year_context = rules.of("deadlines", "year_context")
        self.periods = named_periods(rules)

    def _deadline(self, g: dict[str, str], year: int | None) -> dt.date | None:
        """Last day of the stated year, half, quarter, month, ten days (上旬/中旬/下旬) or day
        (None without a year); ``next_year`` (明年) is the year after the document's, ``name``
        a plan period's last year (“十四五”末)."""
        y = self.periods[g["name"]][1] if "name" in g else _year(g, "y", year)
        if y is None:
            return None
        y += "next_year" in g
        if "d" in g and "m" in g:
            return dt.date(y, int_of(g["m"]), int_of(g["d"]))
        if "m" in g:
            last = _last_day(y, int_of(g["m"]))
            return last.replace(day=_TEN_DAYS_END.get(g.get("xun"), last.day))
        if "q" in g:
            return _last_day(y, 3 * int(parse_number(g["q"])))
        if g.get("half") == "上半年":
            return dt.date(y, 6, 30)
        return dt.date(y, 12, 31)

    def _period(self, g: dict[str, str], year: int | None) -> tuple[dt.date, dt.date] | None:
        if "name" in g:
            first, last = self.periods[g["name"]]
            return dt.date(first, 1, 1), dt.date(last, 12, 31)
        y1 = _year(g, "y1", year)
        if y1 is None:
            return None
        first_day = _TEN_DAYS_START[g["xun1"]] if "xun1" in g else int_of(g.get("d1", "1"))
        begin = dt.date(y1, int_of(g.get("m1", "1")), first_day)
        y2 = _year(g, "y2", y1)
        m2 = int_of(g["m2"]) if "m2" in g else (int_of(g["m1"]) if "d2" in g and "m1" in g else None)
        if m2 is None:
            end = dt.date(y2, 12, 31)
        elif "d2" in g:
            end = dt.date(y2, m2, int_of(g["d2"]))
        else:
            last = _last_day(y2, m2)
            end = last.replace(day=_TEN_DAYS_END.get(g.get("xun2"), last.day))
        return (begin, end) if begin <= end else None

    def _normalise(self, rule: Rule, m: regex.Match, year: int | None, start: int,
                   issued: dt.date | None = None) -> TimeExpression | None:
        g = {**rule.get("defaults", {}), **{k: v for k, v in m.groupdict().items() if v}}  # 学年: from September
        base = dict(kind=rule.get("kind"), text=m.group(), start=start + m.start(), end=start + m.end(), rule=rule.id)
        kind = base["kind"]
        try:
            if kind == "deadline":
                return TimeExpression(**base, date=self._deadline(g, year))
            if kind == "start":
                if rule.get("on_issue"):  # 自印发之日起: the day the document is issued
                    return TimeExpression(**base, date=issued)
                y = _year(g, "y", year)  # 自2024年起 starts on 1 January, 从明年起 a year later
                y = y + ("next_year" in g) if y else None
                month = rule.get("seasons")[g["season"]] if "season" in g else int_of(g.get("m", "1"))  # 秋季学期 -> 9
                return TimeExpression(**base, date=dt.date(y, month, int_of(g.get("d", "1"))) if y else None)
            if kind == "period":
                dates = self._period(g, year)
                return TimeExpression(**base, start_date=dates[0], end_date=dates[1]) if dates else None
            n = parse_number(g.get("n", "1")) or 1.0
            unit = g["u"].removeprefix("个") if g["u"] not in _ISO_UNIT else g["u"]
            iso = iso_duration(n, unit)
            if iso is None:
                return None
            return TimeExpression(**base, every=iso) if kind == "recurring" else TimeExpression(**base, duration=iso)
        except (KeyError, ValueError):
            return None

    @staticmethod
    def _past(expression: TimeExpression, year: int | None) -> bool:
        """Whether it reports a past fact: a deadline or a period over before the document's year."""
        if not year:
            return False
        if expression.kind == "deadline" and expression.date:
            return expression.date.year < year
        if expression.kind == "period":
            return expression.end_date.year < year
        return False

    def find(self, text: str, year: int | None, blocked: list[tuple[int, int]] = (),
             start: int = 0, end: int | None = None, issued: dt.date | None = None) -> list[TimeExpression]:
        """Time expressions in ``text[start:end]``, skipping spans in ``blocked``.

        ``year`` is the document's reference year (for dates written without one);
        deadlines and periods over before it report past facts and are dropped.
        ``issued`` is the issue date (for 自印发之日起).
        """
        return self.find_all(text, year, blocked, start, end, issued)[0]

    def find_all(self, text: str, year: int | None, blocked: list[tuple[int, int]] = (), start: int = 0,
                 end: int | None = None, issued: dt.date | None = None) -> tuple[list[TimeExpression], list[TimeExpression]]:
        """(the time expressions ``find`` gives, the past ones it drops: 2020年末 in a 2023
        document), each in text order."""
        segment = text[start:end]
        taken = SpanSet(blocked)
        for rule in self.excludes:  # never time expressions: rate parts, look-backs, plan names
            for m in rule.pattern.finditer(segment):
                taken.add(start + m.start(), start + m.end())
        found: list[TimeExpression] = []
        past: list[TimeExpression] = []
        stated = None if year else self._years_stated(text)
        for rule in self.expressions:
            for m in rule.pattern.finditer(segment):
                s, e = start + m.start(), start + m.end()
                if taken.overlaps(s, e):
                    continue
                expression = self._normalise(rule, m, year or _year_before(stated, s), start, issued)
                if expression is None:
                    continue
                if self._past(expression, year):
                    taken.add(s, e)  # a past date is no part of a later expression either
                    past.append(expression)
                    continue
                taken.add(s, e)
                found.append(expression)
        found += self._defined_references(text, [f for f in found if f.kind == "period"], taken, end)
        return sorted(found, key=lambda x: x.start), sorted(past, key=lambda x: x.start)

    def _years_stated(self, text: str) -> tuple[list[int], list[int]]:
        """Where the dates stating their year are (2026年5月), and those years, in text order."""
        dated = sorted((m.start(), int_of(m.group("y"))) for rule in self.year_context for m in rule.pattern.finditer(text))
        return [at for at, _ in dated], [y for _, y in dated]

    def _defined_references(self, text: str, periods: list[TimeExpression], taken: SpanSet,
                            end: int | None) -> list[TimeExpression]:
        """Later mentions of the periods the text defines (示范的时间为2011-2013年 … 在示范期间)."""
        found: list[TimeExpression] = []
        for period in periods:
            for rule in self.defined:
                m = rule.pattern.search(text, max(0, period.start - 12), period.start)
                if not m:
                    continue
                reference = regex.compile(rule.get("reference").replace("<<name>>", regex.escape(m.group("name"))))
                for r in reference.finditer(text, period.end, len(text) if end is None else end):
                    if not taken.overlaps(r.start(), r.end()):
                        taken.add(r.start(), r.end())
                        found.append(TimeExpression("period", r.group(), r.start(), r.end(), rule.id,
                                                    start_date=period.start_date, end_date=period.end_date))
        return found

"""Indicator tables (主要指标表): a plan's table of indicators with base-year and target-year values.

A table whose cells are lines of their own (a web or Word table, a tab-separated copy) is
one when a run of header cells (``[[indicator_column]]`` in ``rules/structure.toml``) names
an indicator column and a year or target column. Its rows follow: the blank-line-separated
groups of a web table, or runs of as many lines as the header has cells. A row's cells are
aligned to the columns from the right, where a merged category cell (经济发展) or a lost
serial number leaves a row short or long on the left. The first row that is no indicator
row (a sentence, a heading) ends the table.
"""
from __future__ import annotations

from dataclasses import dataclass

import regex

from pipeline.rules import Rules
from pipeline.structure.lines import Line as Cell  # a cell is a line of its own, with its offsets

_MAX_CELL = 40  # characters: a longer line is running text, not a cell
_MAX_HEADER_CELL = 16  # characters: a longer line names no column
_MAX_COLUMNS = 12
_NUMBER = regex.compile(r"\d")


@dataclass(frozen=True)
class Column:
    kind: str  # indicator | unit | year | target | baseline | other
    year: int | None = None
    base: bool = False  # a year column of present values (2020年（基期）)


@dataclass(frozen=True)
class IndicatorTable:
    start: int
    end: int
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell | None, ...], ...]  # one cell (or None) per column

    @property
    def last_year(self) -> int | None:
        """The latest year a column names (the year of the 目标值 and 年均/累计 columns)."""
        return max((c.year for c in self.columns if c.year), default=None)

    def target_columns(self, reference_year: int | None) -> list[int]:
        """Columns of target values: 目标值 columns, and year columns that are not the base year
        (the earliest of several, or one before the document's year)."""
        years = [c.year for c in self.columns if c.kind == "year" and not c.base]
        first = min(years) if len(years) > 1 else None
        return [i for i, c in enumerate(self.columns) if c.kind == "target" or (
            c.kind == "year" and not c.base and c.year != first and (reference_year is None or c.year >= reference_year))]


def column_of(cell: str, rules: Rules) -> Column | None:
    """What a header cell names, by the first ``[[indicator_column]]`` rule that matches it."""
    if not cell or len(cell) > _MAX_HEADER_CELL:
        return None
    for rule in rules.of("structure", "indicator_column"):
        m = rule.pattern.match(cell)
        if m:
            year = m.groupdict().get("y")
            return Column(rule.get("column"), int(year) if year else None, bool(m.groupdict().get("base")))
    return None


def _lines(text: str) -> list[Cell]:
    """Every line of ``text`` with its offsets, blank ones included (they separate web-table rows)."""
    lines, start = [], 0
    for raw in text.split("\n"):
        lines.append(Cell(start, start + len(raw), raw.strip()))
        start += len(raw) + 1
    return lines


def _header(lines: list[Cell], i: int, rules: Rules) -> list[Column] | None:
    """The columns of a header starting at line ``i``, if an indicator-table header starts there."""
    columns: list[Column] = []
    while i + len(columns) < len(lines) and len(columns) < _MAX_COLUMNS:
        column = column_of(lines[i + len(columns)].text, rules)
        if column is None:
            break
        columns.append(column)
    kinds = {c.kind for c in columns}
    if len(columns) >= 3 and "indicator" in kinds and kinds & {"year", "target"}:
        return columns
    return None


def _row_groups(lines: list[Cell], i: int, width: int) -> list[list[Cell]]:
    """The candidate rows after a header ending before line ``i``: blank-line-separated groups
    when a blank line follows the header (a web table), else runs of ``width`` lines."""
    grouped = i < len(lines) and not lines[i].text
    groups: list[list[Cell]] = [[]]
    for line in lines[i:]:
        if not line.text:
            if grouped and groups[-1]:
                groups.append([])
            continue
        if len(line.text) > _MAX_CELL or "。" in line.text:
            break
        groups[-1].append(line)
        if not grouped and len(groups[-1]) == width:
            groups.append([])
    return [g for g in groups if g]


def _aligned(cells: list[Cell], columns: list[Column]) -> tuple[Cell | None, ...]:
    """The row's cells under the columns, aligned from the right."""
    shift = len(columns) - len(cells)
    return tuple(cells[i - shift] if 0 <= i - shift < len(cells) else None for i in range(len(columns)))


def _is_row(row: tuple[Cell | None, ...], columns: list[Column]) -> bool:
    """An indicator row: a named indicator without digits only, and a digit in a value column."""
    indicator = next((c for c, col in zip(row, columns) if col.kind == "indicator"), None)
    values = [c for c, col in zip(row, columns) if col.kind in ("year", "target", "baseline") and c]
    return bool(indicator and not _NUMBER.fullmatch(indicator.text) and any(_NUMBER.search(c.text) for c in values))


def find_indicator_tables(text: str, rules: Rules) -> list[IndicatorTable]:
    """Every indicator table of ``text``, in order."""
    lines = _lines(text)
    tables: list[IndicatorTable] = []
    i = 0
    while i < len(lines):
        columns = _header(lines, i, rules)
        if not columns:
            i += 1
            continue
        rows = []
        groups = _row_groups(lines, i + len(columns), len(columns))
        for group in groups:
            row = _aligned(group, columns)
            if _is_row(row, columns):
                rows.append(row)
            elif len(group) > 1 or _NUMBER.search(group[0].text):  # not a category row (经济发展)
                break
        if rows:
            end = max(c.end for c in rows[-1] if c)
            tables.append(IndicatorTable(lines[i].start, end, tuple(columns), tuple(rows)))
            i = next((k for k in range(i, len(lines)) if lines[k].start >= end), len(lines))
        else:
            i += len(columns)
    return tables

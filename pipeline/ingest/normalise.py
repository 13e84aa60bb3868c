"""Normalise: traditional -> simplified (OpenCC t2s), flattened tables split into cells,
punctuation widths unified, spacing inside Chinese text removed, lines a fixed-width layout
broke joined. Every change keeps the offset map."""
from __future__ import annotations

import html
from collections import Counter
from functools import lru_cache

import numpy as np
import opencc
import regex

from pipeline.ingest.textmap import MappedText
from pipeline.rules import Rule, Rules
from pipeline.structure.indicator_tables import column_of


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional -> simplified, character for character (same length)."""
    converted = _converter().convert(text)
    if len(converted) == len(text):
        return converted
    convert = _converter().convert  # a phrase changed length: fall back to single characters
    return "".join(c if len(s := convert(c)) != 1 else s for c in text)


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def script_of(text: str) -> str:
    """``simplified``, ``traditional`` or ``mixed``: how much of the Han text t2s changes."""
    before, after = _code_points(text), _code_points(to_simplified(text))
    han = (before >= 0x4E00) & (before <= 0x9FFF)
    n_han = int(han.sum())
    if not n_han:
        return "simplified"
    share = int((han & (before != after)).sum()) / n_han
    if share < 0.01:
        return "simplified"
    return "traditional" if share > 0.05 else "mixed"


def replace_edits(rule: Rule, text: str) -> list[tuple[int, int, str]]:
    """Edits of one ``[[replace]]``/``[[inline]]`` rule: pattern -> replace, a character map, or
    (``decode = "html"``) the character an HTML entity stands for."""
    matches = rule.pattern.finditer(text)
    mapping = rule.get("map")
    if mapping:
        source, target = mapping.split("=", 1)
        table = str.maketrans(source, target)
        return [(m.start(), m.end(), m.group().translate(table)) for m in matches]
    if rule.get("decode") == "html":  # &ldquo; -> “
        return [(m.start(), m.end(), html.unescape(m.group())) for m in matches]
    replacement = rule.get("replace", "")
    return [(m.start(), m.end(), replacement) for m in matches]


def apply_replace_rule(text: MappedText, rule: Rule) -> MappedText:
    edits = replace_edits(rule, text.text)
    return text.edit(edits) if edits else text


_CELL = regex.compile(r"[^ \t\u3000\u00a0]+")


def is_table_column(cell: str, rules: Rules) -> bool:
    """Whether a table cell names a column (牵头部门, 完成时限 …: ``[[table_column]]`` in structure.toml)."""
    return any(r.pattern.match(cell) for r in rules.of("structure", "table_column"))


def opens_item_rows(cell: str, rules: Rules) -> bool:
    """Whether a table cell names a column of a task table (``rows_are_items``: 牵头部门, 完成时限),
    after which a row's serial number opens an item."""
    return any(r.get("rows_are_items") and r.pattern.match(cell) for r in rules.of("structure", "table_column"))


def _names_column(cell: str, rules: Rules) -> bool:
    """Whether a cell names a column of a task table or of an indicator table (指标, 2025年)."""
    return is_table_column(cell, rules) or column_of(cell, rules) is not None


def table_cell_edits(rule: Rule, text: str, rules: Rules) -> list[tuple[int, int, str]]:
    """Line breaks for the cell breaks of each flattened-table line (``[[table_cells]]``): a line
    naming columns from its first column name on, and the rows on the lines after it, up to a
    blank line. A blank line after each row keeps the rows apart, as in a web table."""
    edits: list[tuple[int, int, str]] = []
    start, rows = 0, False
    lines = text.split("\n")
    for index, line in enumerate(lines):
        rows = rows and bool(line.strip())
        if " " in line or "\t" in line or "\u3000" in line:
            cells = [(m.start(), m.group()) for m in _CELL.finditer(line)]
            named = [at for at, cell in cells if _names_column(cell, rules)]
            header = len(named) >= rule.get("min_columns", 3)
            if header or rows:
                breaks = [m for m in rule.pattern.finditer(line, named[0] if header else 0)
                          if 0 < m.start() and m.end() < len(line)]
                edits += [(start + m.start(), start + m.end(), "\n") for m in breaks]
                if breaks and index + 1 < len(lines) and lines[index + 1].strip():  # a row follows
                    edits.append((start + len(line), start + len(line), "\n"))
            rows = rows or header
        start += len(line) + 1
    return edits


def split_table_cells(text: MappedText, rule: Rule, rules: Rules) -> MappedText:
    edits = table_cell_edits(rule, text.text, rules)
    return text.edit(edits) if edits else text


def display_width(line: str) -> int:
    """Columns a line takes in print: one for an ASCII character, two for any other (Chinese
    characters and full-width signs; counted in C, not character by character)."""
    return 2 * len(line) - len(line.encode("ascii", "ignore"))


def unwrap_edits(rule: Rule, text: str) -> list[tuple[int, int, str]]:
    """The line breaks a fixed-width layout put inside paragraphs (``[[unwrap]]``): none unless
    enough lines end near one common width and hardly any runs past it; then after each such
    full line, unless it ends a sentence or the next line starts an item."""
    lines = text.split("\n")
    widths = [display_width(line) for line in lines]
    wide = [w for w in widths if w >= rule.get("min_width")]
    if not wide:
        return []
    common, slack = Counter(wide).most_common(1)[0][0], rule.get("slack")
    in_band = sum(abs(w - common) <= slack for w in wide)
    wider = sum(w > common + slack for w in wide)
    if common > rule.get("max_width") or in_band < max(rule.get("min_lines"), rule.get("min_share") * len(wide)) \
            or wider > rule.get("max_wider") * len(wide):
        return []  # not a fixed-width layout: paragraphs of every length, one per line
    full = common - slack
    ends, starts = rule.pattern, regex.compile(rule.get("starts"))
    edits, at = [], 0
    for line, width, following in zip(lines, widths, lines[1:]):
        at += len(line)
        if width >= full and following and not ends.search(line) and not starts.match(following):
            edits.append((at, at + 1, ""))
        at += 1
    return edits


def normalise(text: MappedText, rules: Rules) -> MappedText:
    """Simplify the script, split flattened tables, apply ``rules/normalise.toml`` in order, then
    join lines a fixed-width layout broke."""
    text = text.translate(to_simplified(text.text))
    for rule in rules.of("normalise", "table_cells"):
        text = split_table_cells(text, rule, rules)
    for rule in rules.of("normalise", "replace"):
        text = apply_replace_rule(text, rule)
    for rule in rules.of("normalise", "unwrap"):
        edits = unwrap_edits(rule, text.text)
        text = text.edit(edits) if edits else text
    return text


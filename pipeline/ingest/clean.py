"""Clean: remove web noise and conversion artefacts by the rules in ``rules/noise.toml``.

Patterns are matched on a simplified view of the text (t2s keeps positions), so
one simplified pattern catches both scripts; the text itself keeps its script
until the normalise stage. In order: inline rules; metadata lines (read into
fields, then removed); line and tail rules; a summary repeating the opening; the
lines before the document's head (``pipeline.ingest.head``).
"""
from __future__ import annotations

import regex

from pipeline.ingest.fields import FieldLabels, PageField
from pipeline.ingest.head import HeadFinder, repeated_opening_edits
from pipeline.ingest.normalise import replace_edits, to_simplified
from pipeline.ingest.textmap import MappedText
from pipeline.rules import Rule, Rules, any_of

_SPACING = regex.compile(r"[ \t\u3000\xa0]+")
_FIELD_LINE = 160  # a metadata line is at most this long


def _lines(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each line, the end including its newline."""
    spans, start = [], 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        spans.append((start, end))
        start = end
    return spans


def _noise_line_edits(view: str, rules: Rules) -> list[tuple[int, int, str]]:
    """Lines to delete: line and tail rules are matched from the start of every line, within
    that line (``^`` and ``$`` are its ends), so a rule never reaches into a neighbouring line."""
    lines = _lines(view)
    tail_rules = rules.of("noise", "tail")
    any_line = any_of(tuple(r.pattern for r in rules.of("noise", "line")))
    any_tail = any_of(tuple(r.pattern for r in tail_rules))
    matched: set[int] = set()
    tails = {}
    for i, (start, end) in enumerate(lines):
        stop = end - 1 if view.endswith("\n", start, end) else end
        collapsed = _SPACING.sub("", view[start:stop])  # letter-spaced labels: 索 引 号
        if any_line and (any_line.match(view, start, stop)
                         or (len(collapsed) < stop - start and any_line.match(collapsed))):
            matched.add(i)
        if any_tail and any_tail.match(view, start, stop):
            tails[i] = next(r for r in tail_rules if r.pattern.match(view, start, stop))
    for rule in rules.of("noise", "line"):
        if rule.get("serial_gap"):
            matched -= _serial_runs(view, lines, matched, rule)
    edits: list[tuple[int, int, str]] = []
    i = 0
    while i < len(lines):
        start, end = lines[i]
        if i in tails:
            limit = tails[i].get("max_line_chars", 40)
            j = i + 1
            while j < len(lines) and len(view[lines[j][0]:lines[j][1]].strip()) <= limit:
                j += 1
            edits.append((start, lines[j - 1][1], ""))
            i = j
            continue
        if i in matched:
            edits.append((start, end, ""))
        i += 1
    return edits


def _serial_runs(view: str, lines: list[tuple[int, int]], matched: set[int], rule: Rule) -> set[int]:
    """The lines of ``matched`` that ``rule`` matches and that count on from one another within
    its ``serial_gap`` lines (1, 2, 3 a few lines apart: a table's serial column, copied one cell
    a line), not page numbers, which a page of text keeps far apart."""
    numbers = {}
    for i in matched:
        start, end = lines[i]
        line = view[start:end].strip()
        if line.isdigit() and rule.pattern.match(view, start, end):
            numbers[i] = int(line)
    kept: set[int] = set()
    for i, n in numbers.items():
        after = range(i + 1, min(i + 1 + rule.get("serial_gap"), len(lines)))
        following = next((j for j in after if numbers.get(j) == n + 1), None)
        if following is not None:
            kept |= {i, following}
    return kept


def _apply(view: str, edits: list[tuple[int, int, str]]) -> str:
    """The same edits on the simplified view (positions stay in step with the text)."""
    parts, pos = [], 0
    for start, end, replacement in sorted(edits):
        if start < pos:
            continue
        parts += [view[pos:start], replacement]
        pos = end
    parts.append(view[pos:])
    return "".join(parts)


def _field_line_edits(view: str, labels: FieldLabels) -> tuple[list[tuple[int, int, str]], list[PageField]]:
    """Metadata lines (发文机关：X, 索 引 号 …, 【发布部门】X【发文字号】Y): read, then deleted. A
    line goes when it holds two fields, stands next to another metadata line, or its field
    is one a body sentence never starts with (all but title and category)."""
    lines = _lines(view)
    found: dict[int, list[tuple[str, str, str]]] = {}
    for i, (start, end) in enumerate(lines):
        line = view[start:end].strip()
        if line and len(line) <= _FIELD_LINE and (fields := labels.fields(line)):
            found[i] = fields
    edits, fields = [], []
    for i, line_fields in found.items():
        neighbours = (i - 1 in found or i + 1 in found)
        if len(line_fields) >= 2 or neighbours or line_fields[0][0] in labels.alone:
            edits.append((*lines[i], ""))
            fields += [PageField(*f) for f in line_fields if f[2]]
    return edits, fields


def clean(text: MappedText, rules: Rules) -> tuple[MappedText, tuple[PageField, ...]]:
    """Apply inline noise rules, read and delete metadata lines, delete noise lines, chrome
    tails, a repeated opening and the lines before the head; also return the fields read."""
    view = to_simplified(text.text)
    for rule in rules.of("noise", "inline"):
        edits = replace_edits(rule, view)
        if edits:
            text = text.edit(edits)
            view = _apply(view, edits)
    head = rules.derived(HeadFinder)
    edits, fields = _field_line_edits(view, rules.derived(FieldLabels.of))
    for step in (lambda v: edits, lambda v: _noise_line_edits(v, rules), repeated_opening_edits, head.edits):
        found = step(view)
        if found:
            text = text.edit(found)
            view = _apply(view, found)
    return text, tuple(fields)

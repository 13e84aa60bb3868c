"""Clean: remove web noise and conversion artefacts by the rules in ``rules/noise.toml``.

Patterns are matched on a simplified view of the text (t2s keeps positions), so
one simplified pattern catches both scripts; the text itself keeps its script
until the normalise stage.
"""
from __future__ import annotations

from pipeline.ingest.normalise import replace_edits, to_simplified
from pipeline.ingest.textmap import MappedText
from pipeline.rules import MATCH_TIMEOUT, Rules, any_of


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
        if any_line and any_line.match(view, start, stop, timeout=MATCH_TIMEOUT):
            matched.add(i)
        if any_tail and any_tail.match(view, start, stop, timeout=MATCH_TIMEOUT):
            tails[i] = next(r for r in tail_rules if r.pattern.match(view, start, stop, timeout=MATCH_TIMEOUT))
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


def clean(text: MappedText, rules: Rules) -> MappedText:
    """Apply inline noise rules, then delete noise lines and chrome tails."""
    view = to_simplified(text.text)
    for rule in rules.of("noise", "inline"):
        edits = replace_edits(rule, view)
        if edits:
            text = text.edit(edits)
            view = _apply(view, edits)
    edits = _noise_line_edits(view, rules)
    return text.edit(edits) if edits else text

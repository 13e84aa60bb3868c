"""Clean: remove web noise and conversion artefacts by the rules in ``rules/noise.toml``.

Patterns are matched on a simplified view of the text (t2s keeps positions), so
one simplified pattern catches both scripts; the text itself keeps its script
until the normalise stage.
"""
from __future__ import annotations

from pipeline.ingest.normalise import replace_edits, to_simplified
from pipeline.ingest.textmap import MappedText
from pipeline.rules import MATCH_TIMEOUT, Rules


def _lines(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each line, the end including its newline."""
    spans, start = [], 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        spans.append((start, end))
        start = end
    return spans


def _matches(rule, line: str) -> bool:
    return rule.pattern.search(line.rstrip("\r\n"), timeout=MATCH_TIMEOUT) is not None


def _noise_line_edits(text: str, view: str, rules: Rules) -> list[tuple[int, int, str]]:
    line_rules = rules.of("noise", "line")
    tail_rules = rules.of("noise", "tail")
    edits: list[tuple[int, int, str]] = []
    lines = _lines(view)
    i = 0
    while i < len(lines):
        start, end = lines[i]
        line = view[start:end]
        tail = next((r for r in tail_rules if _matches(r, line)), None)
        if tail is not None:
            limit = tail.get("max_line_chars", 40)
            j = i + 1
            while j < len(lines) and len(view[lines[j][0]:lines[j][1]].strip()) <= limit:
                j += 1
            edits.append((start, lines[j - 1][1], ""))
            i = j
            continue
        if any(_matches(r, line) for r in line_rules):
            edits.append((start, end, ""))
        i += 1
    return edits


def clean(text: MappedText, rules: Rules) -> MappedText:
    """Apply inline noise rules, then delete noise lines and chrome tails."""
    for rule in rules.of("noise", "inline"):
        edits = replace_edits(rule, to_simplified(text.text))
        if edits:
            text = text.edit(edits)
    edits = _noise_line_edits(text.text, to_simplified(text.text), rules)
    return text.edit(edits) if edits else text

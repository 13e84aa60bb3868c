"""Lines of the normalised text, with their offsets."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    start: int
    end: int  # exclusive, without the newline
    text: str


def split_lines(text: str) -> list[Line]:
    """Every non-blank line of ``text`` with its offsets."""
    lines, start = [], 0
    for raw in text.split("\n"):
        end = start + len(raw)
        if raw.strip():
            lines.append(Line(start, end, raw))
        start = end + 1
    return lines

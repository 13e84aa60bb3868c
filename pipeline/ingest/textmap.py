"""Text that remembers where each of its characters came from in the raw text.

Every ingest stage that changes the text does so through ``MappedText.edit`` or
``MappedText.translate``, so the final normalised text keeps, per character,
the offset of the raw (decoded) character it came from.
"""
from __future__ import annotations

from array import array
from collections.abc import Iterable

import numpy as np
import regex


_LONG = np.dtype("l")  # the C long of array("l"), which holds the offsets


class MappedText:
    """A string plus, for each character, its offset in the raw text."""

    __slots__ = ("text", "raw_offsets", "raw_length")

    def __init__(self, text: str, raw_offsets: array, raw_length: int) -> None:
        if len(raw_offsets) != len(text):
            raise ValueError("one raw offset per character is required")
        self.text = text
        self.raw_offsets = raw_offsets
        self.raw_length = raw_length

    @classmethod
    def from_raw(cls, text: str) -> "MappedText":
        offsets = array("l")
        offsets.frombytes(memoryview(np.arange(len(text), dtype=_LONG)).cast("B"))  # no Python int each, no copy
        return cls(text, offsets, len(text))

    def raw_offset(self, i: int) -> int:
        """Raw offset of normalised offset ``i`` (``len(text)`` maps to the raw end)."""
        return self.raw_offsets[i] if i < len(self.text) else self.raw_length

    def edit(self, edits: Iterable[tuple[int, int, str]]) -> "MappedText":
        """Replace ``text[start:end]`` by ``replacement`` for each non-overlapping edit.

        Inserted characters map to the raw offset of the first replaced character.
        """
        parts: list[str] = []
        offsets = array("l")
        pos = 0
        for start, end, replacement in sorted(edits):
            if start < pos:
                continue  # overlapping edit: the earlier one wins
            parts.append(self.text[pos:start])
            offsets.extend(self.raw_offsets[pos:start])
            if replacement:
                parts.append(replacement)
                anchor = self.raw_offset(start)
                offsets.extend([anchor] * len(replacement))
            pos = end
        parts.append(self.text[pos:])
        offsets.extend(self.raw_offsets[pos:])
        return MappedText("".join(parts), offsets, self.raw_length)

    def sub(self, pattern: regex.Pattern, replacement: str = "") -> "MappedText":
        """Regex substitution that keeps the offset map."""
        return self.edit(
            (m.start(), m.end(), m.expand(replacement) if replacement else "")
            for m in pattern.finditer(self.text)
        )

    def translate(self, converted: str) -> "MappedText":
        """Swap in a same-length conversion of the text (character for character)."""
        if len(converted) != len(self.text):
            raise ValueError("translate needs a one-to-one conversion")
        return MappedText(converted, self.raw_offsets, self.raw_length)

    def segments(self) -> list[tuple[int, int]]:
        """Run-length form of the map: ``(normalised_start, raw_start)`` per run.

        Within a run, normalised offset ``n`` maps to ``raw_start + n - normalised_start``.
        """
        offsets = np.frombuffer(self.raw_offsets, dtype=_LONG) if len(self.raw_offsets) else np.zeros(0, _LONG)
        if not len(offsets):
            return []
        starts = np.flatnonzero(np.diff(offsets) != 1) + 1
        starts = np.concatenate(([0], starts))
        return [(int(i), int(offsets[i])) for i in starts]


def raw_offset_from_segments(segments: list[tuple[int, int]], i: int) -> int:
    """Look up a normalised offset in the run-length map stored in ``documents.offset_map``."""
    lo, hi = 0, len(segments) - 1
    if hi < 0:
        return i
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if segments[mid][0] <= i:
            lo = mid
        else:
            hi = mid - 1
    norm_start, raw_start = segments[lo]
    return raw_start + (i - norm_start)

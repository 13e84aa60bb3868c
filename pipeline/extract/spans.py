"""A set of character spans with fast overlap checks."""
from __future__ import annotations

_TAKEN = b"\x01"


class SpanSet:
    """The characters covered by spans ``[start, end)``, one byte a character: adding a span and
    asking whether another overlaps cost their lengths wherever they fall, so spans may come in
    any order (each rule adds its matches over the whole text in turn). An empty span covers
    nothing and overlaps nothing."""

    def __init__(self, spans=()) -> None:
        self._taken = bytearray()
        for start, end in spans:
            self.add(start, end)

    def add(self, start: int, end: int) -> None:
        """Cover the characters of ``[start, end)``."""
        if end <= start:
            return
        if end > len(self._taken):  # grown by doubling: spans come in any order up to the text's end
            self._taken.extend(bytes(max(end, 2 * len(self._taken)) - len(self._taken)))
        self._taken[start:end] = _TAKEN * (end - start)

    def overlaps(self, start: int, end: int) -> bool:
        """Whether ``[start, end)`` shares a character with the set."""
        return self._taken.find(_TAKEN, start, end) >= 0

"""A set of character spans with fast overlap checks."""
from __future__ import annotations

from bisect import bisect_left, bisect_right


class SpanSet:
    """The union of spans ``[start, end)``, kept as sorted disjoint runs."""

    def __init__(self, spans=()) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        for start, end in spans:
            self.add(start, end)

    def add(self, start: int, end: int) -> None:
        """Add a span, merging it with the runs it touches."""
        lo = bisect_left(self._ends, start)  # first run that ends at or after ``start``
        hi = bisect_right(self._starts, end)  # runs starting after ``end`` stay
        if lo < hi:
            start = min(start, self._starts[lo])
            end = max(end, self._ends[hi - 1])
        self._starts[lo:hi] = [start]
        self._ends[lo:hi] = [end]

    def overlaps(self, start: int, end: int) -> bool:
        """Whether ``[start, end)`` shares a character with the set."""
        i = bisect_right(self._starts, end - 1) - 1  # the last run starting before ``end``
        return i >= 0 and self._ends[i] > start

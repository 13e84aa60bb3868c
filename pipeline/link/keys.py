"""Texts as integer keys, and counts of keys: what the link stage computes on in numpy.

A character n-gram (n ≤ 3) of Han characters is one integer, its code points side by side
(21 bits each): exact, and the same in every process and run.
"""
from __future__ import annotations

from typing import Hashable, TypeVar

import numpy as np
import regex

T = TypeVar("T", bound=Hashable)
_NOT_HAN = regex.compile(r"\P{Han}+")
_BITS = np.uint64(21)  # a code point fits 21 bits: three side by side fit 63


def han_codes(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The code points of the Han characters of some texts, in order, and the index of the text
    each comes from."""
    han = [_NOT_HAN.sub("", text) for text in texts]
    lengths = np.fromiter(map(len, han), dtype=np.int64, count=len(han))
    codes = np.frombuffer("".join(han).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    return codes, np.repeat(np.arange(len(han), dtype=np.int64), lengths)


def gram_keys(codes: np.ndarray, owner: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``n``-grams (``n`` ≤ 3) of ``han_codes`` that lie inside one text, as keys, and their texts."""
    if codes.size < n:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    end = codes.size - n + 1
    keys = codes[:end].copy()
    for k in range(1, n):
        keys = (keys << _BITS) | codes[k:end + k]
    inside = owner[:end] == owner[n - 1:]
    return keys[inside].astype(np.int64), owner[:end][inside]


def distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted: ``np.unique`` by sorting (numpy 2's ``np.unique`` without
    counts or indices hashes instead, far slower on integer keys: see the README's Scale)."""
    ordered = np.sort(values)
    return ordered[np.concatenate([[True], ordered[1:] != ordered[:-1]])] if ordered.size else ordered


def first_sight(items: list[T]) -> tuple[list[T], np.ndarray]:
    """The distinct items (texts, tuples of them) in order of first sight, and each item's index
    among them: an item repeated (a reposted measure, a reposted document) is read once."""
    index: dict[T, int] = {}
    of = np.fromiter((index.setdefault(t, len(index)) for t in items), dtype=np.int64, count=len(items))
    return list(index), of


def counted(owner: np.ndarray, keys: np.ndarray, among: np.ndarray | None = None
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (owner, key) pairs of some entries, sorted, and how often each occurs:
    (owners, keys, counts). With ``among`` (sorted, holding every key), each key is given as
    its position there, found for the distinct keys in order (a search that walks ``among``
    once instead of jumping about it for every entry)."""
    if not keys.size:
        return owner[:0], keys[:0], np.empty(0, dtype=np.int64)
    unique, local = np.unique(keys, return_inverse=True)
    pairs, counts = np.unique(owner * unique.size + local.ravel(), return_counts=True)
    named = unique if among is None else np.searchsorted(among, unique)
    return pairs // unique.size, named[pairs % unique.size], counts


def find(ordered: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``values`` is in the sorted ``ordered`` (its insertion point), and whether it
    is there."""
    at = np.searchsorted(ordered, values)
    found = at < ordered.size
    found[found] = ordered[at[found]] == values[found]
    return at, found


class KeyCounts:
    """How often each integer key was seen, counted in numpy chunks: memory grows with the
    distinct keys, not with every sighting."""

    CHUNK = 500_000

    def __init__(self) -> None:
        self.codes = np.empty(0, dtype=np.int64)
        self.counts = np.empty(0, dtype=np.int64)
        self.pending: list[tuple[np.ndarray, np.ndarray | None]] = []  # (keys, counts or None: once each)
        self.size = 0

    def add(self, codes: np.ndarray, counts: np.ndarray | None = None) -> None:
        """Count ``codes`` once each, or ``counts`` times."""
        self.pending.append((codes, counts))
        self.size += codes.size
        if self.size >= self.CHUNK:
            self.reduce()

    def reduce(self) -> "KeyCounts":
        """Count the pending keys in: they are sorted among themselves, then merged into the
        counted ones by search (the counted ones are never sorted again). Keys seen once each
        are counted by sorting alone, without the indices a weighted count needs (4× faster)."""
        if self.pending:
            keys = np.concatenate([c for c, _ in self.pending])
            if all(n is None for _, n in self.pending):
                new, counts = np.unique(keys, return_counts=True)
            else:
                weights = np.concatenate([np.ones(c.size, dtype=np.int64) if n is None else n for c, n in self.pending])
                new, inverse = np.unique(keys, return_inverse=True)
                counts = np.bincount(inverse.ravel(), weights=weights).astype(np.int64)
            at, seen = find(self.codes, new)
            self.counts[at[seen]] += counts[seen]
            self.codes = np.insert(self.codes, at[~seen], new[~seen])
            self.counts = np.insert(self.counts, at[~seen], counts[~seen])
            self.pending, self.size = [], 0
        return self

    def count_of(self, codes: np.ndarray) -> np.ndarray:
        """How often each key of ``codes`` was seen (0 for one never seen)."""
        at, seen = find(self.codes, codes)
        counts = np.zeros(codes.size, dtype=np.int64)
        counts[seen] = self.counts[at[seen]]
        return counts

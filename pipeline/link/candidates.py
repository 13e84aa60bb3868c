"""Which document pairs to compare, without comparing all of them.

- ``cites``: one document cites the other (its citation resolved inside the run);
- ``sibling``: both cite the same document, in the run or not (a document cited by more
  than ``MAX_SIBLINGS`` documents, like a national five-year plan, says little about two
  of them and is left to similarity);
- ``similar``: some measure of one and some measure of the other fall into the same
  MinHash LSH bucket (character 3-gram shingles; ``BANDS`` bands of ``ROWS`` rows, so
  two measures with shingle Jaccard 0.36 meet with probability ~0.87, at 0.1 with ~0.04);
Besides the documents it cites or is cited by, each document keeps the ``MAX_PARTNERS``
partners of the strongest basis that share the most buckets with it, so a policy reposted
by a hundred sites costs about five hundred comparisons, not five thousand.
Cost grows with the number of measures, not with the number of document pairs.
"""
from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from itertools import combinations

import numpy as np
import regex

SHINGLE = 3
BANDS, ROWS = 42, 3
MAX_SIBLINGS = 50
MAX_PARTNERS = 5
MAX_BUCKET = 200  # a bucket this full holds boilerplate every document shares
_PRIME = np.uint64((1 << 61) - 1)
_HAN = regex.compile(r"\P{Han}+")
BASIS_ORDER = ("cites", "sibling", "similar")


def shingles(text: str) -> set[str]:
    """Character 3-grams of the Han characters of a text."""
    han = _HAN.sub("", text)
    return {han[i:i + SHINGLE] for i in range(len(han) - SHINGLE + 1)}


def _hash(shingle: str) -> int:
    """A fixed 31-bit hash (the same in every process, unlike ``hash``)."""
    return int.from_bytes(hashlib.blake2b(shingle.encode("utf-8"), digest_size=4).digest(), "little") >> 1


class MinHasher:
    """MinHash signatures with fixed seeds: the same text gives the same signature in any run."""

    def __init__(self, n: int = BANDS * ROWS, seed: int = 20231) -> None:
        rng = np.random.default_rng(seed)
        self.a = rng.integers(1, (1 << 31) - 1, size=n, dtype=np.uint64)
        self.b = rng.integers(0, (1 << 31) - 1, size=n, dtype=np.uint64)
        self.hashes: dict[str, int] = {}  # shingles recur across measures: each is hashed once

    def _hash(self, shingle: str) -> int:
        found = self.hashes.get(shingle)
        if found is None:
            found = self.hashes[shingle] = _hash(shingle)
        return found

    def signature(self, items: set[str]) -> np.ndarray | None:
        if not items:
            return None
        x = np.array(sorted(map(self._hash, items)), dtype=np.uint64)
        return ((np.outer(x, self.a) + self.b) % _PRIME).min(axis=0)


def shared_buckets(measures: list[tuple[str, str]]) -> Counter:
    """How many LSH buckets each document pair shares; ``measures`` are (doc_id, text)."""
    hasher = MinHasher()
    buckets: dict[tuple[int, bytes], set[str]] = defaultdict(set)
    for doc_id, text in measures:
        signature = hasher.signature(shingles(text))
        if signature is None:
            continue
        for band in range(BANDS):
            buckets[(band, signature[band * ROWS:(band + 1) * ROWS].tobytes())].add(doc_id)
    shared: Counter = Counter()
    for docs in buckets.values():
        if 1 < len(docs) <= MAX_BUCKET:
            shared.update(combinations(sorted(docs), 2))
    return shared


def candidate_pairs(citations: list[dict], targets: list[list[str]], measures: list[tuple[str, str]]
                    ) -> dict[tuple[str, str], str]:
    """``{(doc_a, doc_b): basis}`` with doc_a < doc_b; the strongest basis wins."""
    found: dict[tuple[str, str], str] = {}

    def add(a: str, b: str, basis: str) -> None:
        if a == b:
            return
        key = (min(a, b), max(a, b))
        if key not in found or BASIS_ORDER.index(basis) < BASIS_ORDER.index(found[key]):
            found[key] = basis

    citing: dict[str, set[str]] = defaultdict(set)
    for c, keys in zip(citations, targets):
        for target in keys:
            if target.startswith("doc:"):
                add(c["doc_id"], target[4:], "cites")
            citing[target].add(c["doc_id"])
    for docs in citing.values():
        if len(docs) <= MAX_SIBLINGS:
            for a, b in combinations(sorted(docs), 2):
                add(a, b, "sibling")
    shared = shared_buckets(measures)
    for a, b in shared:
        add(a, b, "similar")
    return _strongest_partners(found, shared)


def _strongest_partners(found: dict[tuple[str, str], str], shared: Counter) -> dict[tuple[str, str], str]:
    """Citation pairs, and for each document its ``MAX_PARTNERS`` strongest other pairs."""
    partners: dict[str, list[tuple[int, int, str, tuple[str, str]]]] = defaultdict(list)
    for pair, basis in found.items():
        if basis != "cites":
            rank = (BASIS_ORDER.index(basis), -shared.get(pair, 0))
            partners[pair[0]].append((*rank, pair[1], pair))
            partners[pair[1]].append((*rank, pair[0], pair))
    kept = {pair for pair, basis in found.items() if basis == "cites"}
    for ranked in partners.values():
        kept.update(pair for *_, pair in sorted(ranked)[:MAX_PARTNERS])
    return {pair: found[pair] for pair in sorted(kept)}

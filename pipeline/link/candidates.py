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
Cost grows with the number of measures, not with the number of document pairs; documents
are integer indices and pair counts numpy arrays, so memory grows with the distinct pairs.
"""
from __future__ import annotations

from collections import defaultdict
from itertools import combinations

import numpy as np

from pipeline.link.keys import KeyCounts, distinct, first_sight, gram_keys, han_codes

SHINGLE = 3
BANDS, ROWS = 42, 3
MAX_SIBLINGS = 50
MAX_PARTNERS = 5
MAX_BUCKET = 200  # a bucket this full holds boilerplate every document shares
_PRIME = np.uint64((1 << 31) - 1)  # hashes a*x+b mod a Mersenne prime: a, x < 2^31, so a*x fits 64 bits
BASIS_ORDER = ("cites", "sibling", "similar")


def shingles(text: str) -> np.ndarray:
    """The distinct character 3-grams of the Han characters of a text, as integer keys."""
    keys, _ = gram_keys(*han_codes([text]), SHINGLE)
    return distinct(keys).astype(np.uint64)


def _hash31(keys: np.ndarray) -> np.ndarray:
    """A fixed 31-bit hash of 63-bit keys."""
    return _mix64(keys * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(33)


class MinHasher:
    """MinHash signatures with fixed seeds: the same text gives the same signature in any run.
    Each of the ``n`` hash functions is (a·x + b) mod p, p = 2^31 − 1, on the shingle's 31-bit
    hash x: products wrap around p many times, so every function orders the shingles anew."""

    def __init__(self, n: int = BANDS * ROWS, seed: int = 20231) -> None:
        rng = np.random.default_rng(seed)
        self.a = rng.integers(1, int(_PRIME), size=n, dtype=np.uint64)
        self.b = rng.integers(0, int(_PRIME), size=n, dtype=np.uint64)

    def signature(self, keys: np.ndarray) -> np.ndarray | None:
        """The signature of a text's ``shingles`` (None without any)."""
        if not keys.size:
            return None
        x = _hash31(keys) % _PRIME
        return mod_mersenne(np.outer(x, self.a) + self.b).min(axis=0)


def mod_mersenne(y: np.ndarray) -> np.ndarray:
    """``y % (2^31 - 1)`` for ``y`` below 2^63, by folding: 2^31 ≡ 1, so the high bits add to the
    low ones. Two folds and a subtraction, a fifth faster than numpy's 64-bit division."""
    shift = np.uint64(31)
    y = (y & _PRIME) + (y >> shift)  # below 2^32 + 2^31
    y = (y & _PRIME) + (y >> shift)  # below 2^31 + 3
    y[y >= _PRIME] -= _PRIME
    return y


def _band_keys(signature: np.ndarray) -> np.ndarray:
    """Each band of a signature (``ROWS`` values) as one 64-bit key."""
    rows = signature.reshape(BANDS, ROWS)
    key = np.zeros(BANDS, dtype=np.uint64)
    for r in range(ROWS):
        key = _mix64(key ^ rows[:, r])
    return key


def _mix64(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit moves every output bit."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


_HASHER = MinHasher()
CHUNK_MEASURES = 512  # measures signed per task


def band_keys(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The LSH band keys of some texts, one row each, and which of the texts have shingles."""
    keys = np.empty((len(texts), BANDS), dtype=np.uint64)
    signed = np.zeros(len(texts), dtype=bool)
    for row, text in enumerate(texts):
        signature = _HASHER.signature(shingles(text))
        if signature is not None:
            keys[row], signed[row] = _band_keys(signature), True
    return keys[signed], signed


def shared_buckets(measures: list[tuple[int, str]], n_docs: int, mapper=map, chunk: int = CHUNK_MEASURES
                   ) -> KeyCounts:
    """How many LSH buckets each document pair shares; ``measures`` are (document index, text).
    ``mapper`` signs chunks of measures and counts groups of bands (in worker processes, say)."""
    texts, text_of = first_sight([text for _, text in measures])  # a repeated text is signed once
    signed = list(mapper(band_keys, [texts[i:i + chunk] for i in range(0, len(texts), chunk)]))
    if not signed:
        return KeyCounts()
    has_shingles = np.concatenate([mask for _, mask in signed])
    keys_of_text = np.zeros((len(texts), BANDS), dtype=np.uint64)
    keys_of_text[has_shingles] = np.concatenate([keys for keys, _ in signed])
    band_keys_all = keys_of_text[text_of[has_shingles[text_of]]]
    doc_of = np.array([doc for doc, _ in measures], dtype=np.int64)[has_shingles[text_of]]
    jobs = [(np.ascontiguousarray(band_keys_all[:, lo:lo + BANDS_A_TASK]), doc_of, n_docs)
            for lo in range(0, BANDS, BANDS_A_TASK)]
    shared = KeyCounts()
    for codes, counts in mapper(band_pairs, jobs):
        shared.add(codes, counts)
    return shared.reduce()


BANDS_A_TASK = 7  # bands whose shared buckets one task counts


def band_pairs(job: tuple[np.ndarray, np.ndarray, int]) -> tuple[np.ndarray, np.ndarray]:
    """How many buckets of some bands each document pair shares: ``(band keys, one column a band;
    each row's document; the number of documents)`` → (pair codes, counts)."""
    keys, doc_of, n_docs = job
    shared = KeyCounts()
    for band in range(keys.shape[1]):
        _, bucket = np.unique(keys[:, band], return_inverse=True)
        shared.add(_pairs_within(bucket.ravel(), doc_of, n_docs))
    shared.reduce()
    return shared.codes, shared.counts


def _pairs_within(bucket: np.ndarray, doc: np.ndarray, n_docs: int) -> np.ndarray:
    """The codes ``a * n_docs + b`` (a < b) of every two documents that share a bucket holding
    2 to ``MAX_BUCKET`` documents; ``bucket`` and ``doc`` give each measure's."""
    member = distinct(bucket * n_docs + doc)  # each document once per bucket, in bucket order
    bucket, doc = member // n_docs, member % n_docs
    size = np.bincount(bucket)[bucket]
    keep = (size > 1) & (size <= MAX_BUCKET)
    bucket, doc, size = bucket[keep], doc[keep], size[keep]
    later = size - 1 - (np.arange(bucket.size) - np.searchsorted(bucket, bucket))  # members after it
    first = np.repeat(np.arange(bucket.size), later)
    step = np.arange(first.size) - np.repeat(np.cumsum(later) - later, later)
    return doc[first] * n_docs + doc[first + 1 + step]


def candidate_pairs(citations: list[dict], targets: list[list[str]], measures: list[tuple[str, str]],
                    mapper=map, chunk: int = CHUNK_MEASURES) -> dict[tuple[str, str], str]:
    """``{(doc_a, doc_b): basis}`` with doc_a < doc_b; the strongest basis wins. ``mapper`` signs
    the measures ``chunk`` at a time."""
    cited_docs = {t[4:] for keys in targets for t in keys if t.startswith("doc:")}
    docs = sorted({d for d, _ in measures} | {c["doc_id"] for c in citations} | cited_docs)
    index = {d: i for i, d in enumerate(docs)}
    n = len(docs)
    found: dict[int, int] = {}  # pair code a * n + b (a < b) -> basis (an index of BASIS_ORDER)

    def add(a: str, b: str, basis: int) -> None:
        i, j = sorted((index[a], index[b]))
        if i != j and found.get(i * n + j, len(BASIS_ORDER)) > basis:
            found[i * n + j] = basis

    citing: dict[str, set[str]] = defaultdict(set)
    for c, keys in zip(citations, targets):
        for target in keys:
            if target.startswith("doc:"):
                add(c["doc_id"], target[4:], 0)
            citing[target].add(c["doc_id"])
    for group in citing.values():
        if len(group) <= MAX_SIBLINGS:
            for a, b in combinations(sorted(group), 2):
                add(a, b, 1)
    shared = shared_buckets([(index[d], text) for d, text in measures], n, mapper, chunk)
    kept = _strongest_partners(found, shared, n)
    return {(docs[code // n], docs[code % n]): BASIS_ORDER[basis] for code, basis in kept}


def _strongest_partners(found: dict[int, int], shared: KeyCounts, n: int) -> list[tuple[int, int]]:
    """(pair code, basis) of the citation pairs and, for each document, of its ``MAX_PARTNERS``
    strongest other pairs (by basis, then shared buckets, then the other document), in order."""
    known = np.array(sorted(found), dtype=np.int64)
    similar = shared.codes[~np.isin(shared.codes, known)]
    codes = np.concatenate([known, similar])
    basis = np.concatenate([np.array([found[c] for c in known.tolist()], dtype=np.int64),
                            np.full(similar.size, BASIS_ORDER.index("similar"), dtype=np.int64)])
    strength = shared.count_of(codes)
    keep = basis == 0  # citation pairs are always compared
    ranked = np.tile(~keep, 2)  # the others once from each side: (document, basis, -strength, other)
    side_doc = np.concatenate([codes // n, codes % n])[ranked]
    side_other = np.concatenate([codes % n, codes // n])[ranked]
    side_pair = np.tile(np.arange(codes.size), 2)[ranked]
    order = np.lexsort((side_other, -np.tile(strength, 2)[ranked], np.tile(basis, 2)[ranked], side_doc))
    sorted_doc = side_doc[order]
    first = np.searchsorted(sorted_doc, sorted_doc, side="left")
    keep[side_pair[order][np.arange(order.size) - first < MAX_PARTNERS]] = True
    chosen = np.flatnonzero(keep)
    chosen = chosen[np.argsort(codes[chosen])]
    return list(zip(codes[chosen].tolist(), basis[chosen].tolist()))

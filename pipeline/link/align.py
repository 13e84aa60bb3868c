"""Measure alignment: which measures of two documents implement the same provision.

Each measure is read twice, and two measures are as similar as the mean of the two cosines:
- its Han character 2- and 3-grams, weighted by log term frequency times inverse document
  frequency over every measure of the run (a phrase every policy uses weighs little);
  character n-grams find the same provision reworded (县域医共体 / 紧密型县域医共体)
  whatever the word segmentation;
- its words (jieba), weighted by rarity twice: in the run (inverse document frequency)
  and in the language (jieba's dictionary frequencies), so 加强, 推进, 工作 weigh little
  and 村卫生室, 医保定点 weigh much even in a run of a few documents.
Two measures link when the similarity reaches ``LINK`` and ``NEAR_BEST`` of the best
match of one of them (a measure written in general terms resembles many; it links to
those it resembles most); ``same`` when it reaches
``SAME`` or their opening clauses (the measure's own heading: 强化协同配合。) say the
same, else ``partial``. The passage the two share most is found by seeded local
alignment of their characters (``shared_passage``).
"""
from __future__ import annotations

import math
from array import array
from collections import Counter
from dataclasses import dataclass

import numpy as np
import regex

LINK = 0.125  # similarity from which two measures implement the same provision
NEAR_BEST = 0.6  # ... when it also comes near the best match of one of the two measures
SAME = 0.30  # similarity from which they are essentially the same
SAME_OPENING = 0.5  # n-gram cosine of the opening clauses from which the provision is the same
_HAN = regex.compile(r"\P{Han}+")
_HAS_HAN = regex.compile(r"\p{Han}")
_OPENING = regex.compile(r"^[^。；;：:]{2,40}[。；;：:]")
SEED, MAX_GAP = 4, 8  # shared-passage anchors: strings of 4 characters, at most 8 apart


def ngrams(text: str) -> list[str]:
    han = _HAN.sub("", text)
    return [han[i:i + n] for n in (2, 3) for i in range(len(han) - n + 1)]


def words(text: str) -> list[str]:
    from pipeline.nlp import plain_words  # loaded only when a run has documents to link

    return [w for w in plain_words().cut(text, False) if _HAS_HAN.search(w)]


@dataclass
class SparseRows:
    """Unit vectors of a document's measures: for every entry its row and weight, and which of
    the document's distinct features (``distinct``, sorted) it is."""

    rows: np.ndarray
    weights: np.ndarray
    distinct: np.ndarray
    feature_of: np.ndarray
    n: int


def _unit_rows(vectors: list[dict[int, float]]) -> SparseRows:
    rows, features, weights = [], [], []
    for i, v in enumerate(vectors):
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        rows += [i] * len(v)
        features += list(v)
        weights += [x / norm for x in v.values()]
    # 4-byte ids and weights: the run's vectors are the link stage's memory
    distinct, feature_of = np.unique(np.array(features, dtype=np.int32), return_inverse=True)
    return SparseRows(np.array(rows, dtype=np.int32), np.array(weights, dtype=np.float32), distinct,
                      feature_of.astype(np.int32), len(vectors))


def _dense(side: SparseRows, shared: np.ndarray) -> np.ndarray:
    """The rows of ``side`` as a dense matrix over the ``shared`` features."""
    column = np.full(side.distinct.size, -1, dtype=np.int64)
    column[np.searchsorted(side.distinct, shared)] = np.arange(shared.size)
    entry = column[side.feature_of]
    keep = entry >= 0
    dense = np.zeros((side.n, shared.size))
    dense[side.rows[keep], entry[keep]] = side.weights[keep]  # a row holds each feature once
    return dense


def cosines(a: SparseRows, b: SparseRows) -> np.ndarray:
    """Cosine of every row of ``a`` with every row of ``b``: dense over the features they share."""
    shared = np.intersect1d(a.distinct, b.distinct, assume_unique=True)
    if not shared.size:
        return np.zeros((a.n, b.n))
    return _dense(a, shared) @ _dense(b, shared).T


@dataclass
class DocumentVectors:
    grams: SparseRows
    words: SparseRows
    openings: SparseRows


class Weights:
    """Inverse document frequency of every n-gram and word over the measures of the run (and each
    word's rarity in the language), with every feature's integer id: one entry per feature."""

    def __init__(self, texts: list[str]) -> None:
        self.n = len(texts)
        df: Counter = Counter()
        word_df: Counter = Counter()
        for text in texts:  # counted again when the vectors are made: holding every text's counts
            df.update(set(ngrams(text)))  # would be the stage's largest memory
            word_df.update(set(words(text)))
        from pipeline.nlp import language_frequency

        self.language = language_frequency()
        self.ids: dict[str, int] = {}
        self.idf, self.rarity = array("d"), array("d")  # by feature id
        for g, c in df.items():
            self._add(g, c, 1.0)
        del df
        for w, c in word_df.items():
            self._add("w:" + w, c, self._rarity(w))

    def _add(self, feature: str, df: int, rarity: float) -> None:
        self.ids[feature] = len(self.idf)
        self.idf.append(self._idf(df))
        self.rarity.append(rarity)

    def _idf(self, df: int) -> float:
        return math.log((self.n + 1) / (df + 1)) + 1

    def _rarity(self, word: str) -> float:
        """How rare a word is in the language: log of its inverse jieba dictionary frequency."""
        return math.log(self.language.total / (self.language.get(word) + 1))

    def document(self, texts: list[str]) -> "DocumentVectors":
        """The vectors of a document's measures: n-grams, words, and n-grams of their openings."""
        return DocumentVectors(self.gram_vectors(texts), self.word_vectors(texts),
                               self.gram_vectors([opening(t) for t in texts]))

    def gram_vectors(self, texts: list[str]) -> SparseRows:
        """The n-gram vectors of some of the run's texts, each of length 1."""
        return self._vectors(texts, ngrams, "")

    def word_vectors(self, texts: list[str]) -> SparseRows:
        """The word vectors of some of the run's texts, each of length 1."""
        return self._vectors(texts, words, "w:")

    def _vectors(self, texts: list[str], features, prefix: str) -> SparseRows:
        """Log term frequency × idf × language rarity (1 for n-grams) of each text's features. The
        weights are read, never added to: a feature no measure of the run has weighs nothing."""
        ids, idf, rarity = self.ids, self.idf, self.rarity
        vectors = []
        for text in texts:
            vector = {}
            for f, c in Counter(features(text)).items():
                if (i := ids.get(prefix + f)) is not None:
                    vector[i] = _tf(c) * idf[i] * rarity[i]
            vectors.append(vector)
        return _unit_rows(vectors)


_TF = [0.0] + [1 + math.log(c) for c in range(1, 64)]


def _tf(count: int) -> float:
    """Log term frequency, 1 + ln(count)."""
    return _TF[count] if count < 64 else 1 + math.log(count)


def opening(text: str) -> str:
    m = _OPENING.match(text)
    return m.group(0) if m else ""


@dataclass(frozen=True)
class Passage:
    """The shared passage: its start and end in each measure's text."""

    start: int
    end: int
    other_start: int
    other_end: int


def seeds(text: str) -> list[str]:
    """The ``SEED``-character string starting at each position of ``text``."""
    return [text[i:i + SEED] for i in range(len(text) - SEED + 1)]


def _longest_chain(positions: list[int]) -> tuple[int, int]:
    """The span of the longest run of anchor positions no more than ``MAX_GAP`` apart."""
    best, start, previous = (0, 0), 0, None
    for p in positions:
        if previous is None or p - previous > MAX_GAP:
            start = p
        previous = p
        if p + SEED - start > best[1] - best[0]:
            best = (start, p + SEED)
    return best


def shared_passage(a: str, b: str, seeds_a: list[str] | None = None, seeds_b: list[str] | None = None) -> Passage:
    """The passage two texts share most, found the way BLAST seeds a local alignment: positions
    whose ``SEED``-character string occurs in the other text are anchors; the longest run of
    anchors with gaps of at most ``MAX_GAP`` characters (rewording, other numbers) is the passage
    on one side, and the anchors of its strings on the other side give the passage there.
    ``seeds_a``/``seeds_b`` are the texts' ``seeds`` when already made."""
    seeds_a = seeds(a) if seeds_a is None else seeds_a
    seeds_b = seeds(b) if seeds_b is None else seeds_b
    in_b = set(seeds_b)
    anchors = [i for i, seed in enumerate(seeds_a) if seed in in_b]
    start, end = _longest_chain(anchors)
    if end == 0:
        return Passage(0, 0, 0, 0)
    inside = {seeds_a[i] for i in anchors if start <= i < end}
    other_start, other_end = _longest_chain([j for j, seed in enumerate(seeds_b) if seed in inside])
    return Passage(start, end, other_start, other_end)


@dataclass(frozen=True)
class Link:
    a: int  # measure index in the first document
    b: int  # measure index in the second
    score: float
    relation: str


def similarity(a: DocumentVectors, b: DocumentVectors) -> np.ndarray:
    """Similarity of every measure of one document with every measure of the other: the mean of
    the n-gram and the word cosines."""
    return (cosines(a.grams, b.grams) + cosines(a.words, b.words)) / 2


def align(a: DocumentVectors, b: DocumentVectors) -> list[Link]:
    """The linked measure pairs of two documents."""
    scores = similarity(a, b)
    if not scores.size:
        return []
    near_best = (scores >= NEAR_BEST * scores.max(axis=1, keepdims=True)) | (scores >= NEAR_BEST * scores.max(axis=0))
    linked = list(zip(*np.nonzero((scores >= LINK) & near_best)))
    openings = cosines(a.openings, b.openings) if linked else None
    links = []
    for i, j in linked:
        score = float(scores[i, j])
        same = score >= SAME or openings[i, j] >= SAME_OPENING
        links.append(Link(int(i), int(j), score, "same" if same else "partial"))
    return links

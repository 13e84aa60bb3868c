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
those it resembles most); ``same`` when it reaches ``SAME``, or reaches ``SAME_OPENED``
and their opening clauses (the measure's own heading: 强化协同配合。) say the same, else
``partial``: an implementing document restates the provision it carries out under its
heading, and two measures under other headings share that much text when one covers
more than the other (a provision split or merged). The passage the two share most is found by seeded local
alignment of their characters (``shared_passage``).
"""
from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from dataclasses import astuple, dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
import regex

from pipeline.link.keys import KeyCounts, counted, distinct, find, first_sight, gram_keys, han_codes

LINK = 0.125  # similarity from which two measures implement the same provision
NEAR_BEST = 0.6  # ... when it also comes near the best match of one of the two measures
SAME = 0.45  # similarity from which they are essentially the same, whatever their openings
SAME_OPENED = 0.25  # ... from which they are when their openings say the same
SAME_OPENING = 0.5  # n-gram cosine of the opening clauses from which they say the same
_HAS_HAN = regex.compile(r"\p{Han}")
_OPENING = regex.compile(r"^[^。；;：:]{2,40}[。；;：:]")
SEED, MAX_GAP = 4, 8  # shared-passage anchors: strings of 4 characters, at most 8 apart


def _grams(texts: list[str], among: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(text index, n-gram key, count) of the distinct Han 2- and 3-grams of each text (a
    3-gram's key is above every 2-gram's: Han code points start at U+2E80); with ``among``,
    each key's position there instead (``counted``)."""
    codes, owner = han_codes(texts)
    (two, two_owner), (three, three_owner) = gram_keys(codes, owner, 2), gram_keys(codes, owner, 3)
    return counted(np.concatenate([two_owner, three_owner]), np.concatenate([two, three]), among)


def plain_words() -> ModuleType:
    """The link stage's segmenter: jieba's dictionary alone, none of the words the rules add to the
    pipeline's (rjieba: jieba's segmentation, 16 times faster). It is rjieba's default segmenter,
    which rjieba builds when imported and the pipeline never adds words to (its own is another),
    so linking builds no dictionary. Imported here: a run that links nothing never loads it."""
    import rjieba

    return rjieba


def dictionary_frequencies(words: list[str]) -> tuple[list[int], int]:
    """jieba's dictionary frequency of each word (0 for one it lacks) and the dictionary's total,
    read from its file as jieba reads it (a later line of a word wins): the language's
    frequencies, the same whatever words the rules add to the pipeline's segmenters and
    whether or not the dictionary is loaded. Read a block of lines at a time: only the
    words asked for are kept."""
    text = jieba_dictionary().read_text(encoding="utf-8")
    wanted, total = dict.fromkeys(words, "0"), 0
    for block_words, block_frequencies in _dictionary_blocks(text):
        total += sum(map(int, block_frequencies))
        wanted.update((w, q) for w, q in zip(block_words, block_frequencies) if w in wanted)
    return [int(wanted[w]) for w in words], total


def jieba_dictionary() -> Path:
    """jieba's own dictionary file (``jieba.dt``'s when not configured otherwise, as the pipeline
    never does), found without importing jieba: its import loads its HMM model and
    pkg_resources, 0.15 s of the stage's serial part."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("jieba is not installed: the link stage reads its dictionary's frequencies")
    return Path(spec.origin).parent / "dict.txt"


def _dictionary_blocks(text: str, characters: int = 1 << 18) -> Iterator[tuple[list[str], list[str]]]:
    """The words and frequencies of a jieba dictionary's lines, a block of about ``characters``
    at a time. A block of lines of three fields (word, frequency, tag), as in jieba's own, is
    split all at once; any other block line by line."""
    at = 0
    while at < len(text):
        stop = text.find("\n", min(at + characters, len(text) - 1)) + 1 or len(text)
        block, at = text[at:stop], stop
        fields = block.replace("\n", " ").split(" ")
        if block.endswith("\n") and len(fields) == 3 * block.count("\n") + 1 and "".join(fields[1::3]).isdigit():
            yield fields[0:-1:3], fields[1::3]
        else:
            lines = [line.strip().split(" ") for line in block.splitlines() if line.strip()]
            yield [line[0] for line in lines], [line[1] for line in lines]


def gram_frequencies(job: tuple[list[str], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct n-gram keys of some texts and how many texts have each: ``(texts, how many
    times each text occurs)``."""
    texts, times = job
    rows, keys, _ = _grams(texts)
    frequencies = KeyCounts()
    frequencies.add(keys, times[rows])
    frequencies.reduce()
    return frequencies.codes, frequencies.counts


def han_words(texts: list[str]) -> tuple[list[str], list[np.ndarray]]:
    """Each text's jieba words that have Han characters, as ids into a vocabulary of them (the
    list returned, in order of first sight)."""
    cut, vocabulary = plain_words().cut, {}
    tokens = [np.fromiter((vocabulary.setdefault(w, len(vocabulary)) for w in cut(text, False)), dtype=np.int32)
              for text in texts]
    has_han = np.fromiter((bool(_HAS_HAN.search(w)) for w in vocabulary), dtype=bool, count=len(vocabulary))
    han_id = np.cumsum(has_han, dtype=np.int32) - 1  # a Han word's id among the Han words
    return [w for w, han in zip(vocabulary, has_han) if han], [han_id[t[has_han[t]]] for t in tokens]


def spans(sizes: list[int], most: int) -> list[tuple[int, int]]:
    """Consecutive index ranges of items of the given ``sizes``, each closed once it holds
    ``most`` or more."""
    found, start, size = [], 0, 0
    for i, n in enumerate(sizes):
        size += n
        if size >= most:
            found.append((start, i + 1))
            start, size = i + 1, 0
    return found + [(start, len(sizes))] if start < len(sizes) else found


@dataclass
class SparseRows:
    """Unit vectors of a document's measures, row after row: each entry's weight and which of the
    document's distinct features (``distinct``, sorted) it is; row i's entries start at
    ``starts[i]``. 4-byte numbers: the run's vectors are the link stage's memory."""

    starts: np.ndarray
    weights: np.ndarray
    distinct: np.ndarray
    feature_of: np.ndarray

    @property
    def n(self) -> int:
        return self.starts.size - 1


@dataclass
class LaidRows:
    """The ``SparseRows`` of several documents laid end to end: ``starts`` counts entries from
    the first document's, ``distinct`` holds each document's distinct features in turn, from
    ``document_distinct[d]``, and each entry's ``feature_of`` indexes its own document's."""

    starts: np.ndarray
    weights: np.ndarray
    distinct: np.ndarray
    feature_of: np.ndarray
    document_distinct: np.ndarray


def _laid_rows(rows: np.ndarray, features: np.ndarray, weights: np.ndarray, document_of: np.ndarray,
               documents: int) -> LaidRows:
    """The vectors of some documents' rows (``document_of`` each row's document, in order) from
    their entries (sorted by row), each scaled to length 1; ``features`` are ids below 2^31."""
    n = document_of.size
    norm = np.sqrt(np.bincount(rows, weights=weights * weights, minlength=n))
    norm[norm == 0] = 1.0
    width = int(features.max()) + 1 if features.size else 1
    document = document_of[rows]
    keys, inverse = np.unique(document * width + features, return_inverse=True)  # sorted in each document
    document_distinct = np.searchsorted(keys // width, np.arange(documents + 1))
    starts = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))])
    return LaidRows(starts.astype(np.int64), (weights / norm[rows]).astype(np.float32), (keys % width).astype(np.int32),
                    (inverse.ravel() - document_distinct[document]).astype(np.int32), document_distinct.astype(np.int64))


def _dense(side: SparseRows, column: np.ndarray, width: int) -> np.ndarray:
    """The rows of ``side`` as a dense matrix of ``width`` columns: its distinct feature k goes to
    column ``column[k]``, or nowhere when that is -1."""
    entry = column[side.feature_of]
    keep = entry >= 0
    rows = np.repeat(np.arange(side.n), np.diff(side.starts))
    dense = np.zeros((side.n, width))
    dense[rows[keep], entry[keep]] = side.weights[keep]  # a row holds each feature once
    return dense


class FeatureTable:
    """Where feature ids are among one side's distinct ids, through a table indexed by id: a
    scatter and a gather, not a search in sorted ids. The table grows to the largest id seen
    and is cleared after each use; it is zeros, so pages it never touches cost no memory."""

    def __init__(self) -> None:
        self.table = np.zeros(0, dtype=np.int32)  # an id's position + 1 while set, else 0

    def positions(self, ordered: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Where each of ``values`` is in ``ordered`` (both distinct ids, sorted), -1 where absent."""
        top = max(int(ordered[-1]) if ordered.size else 0, int(values[-1]) if values.size else 0) + 1
        if top > self.table.size:
            self.table = np.zeros(max(top, 2 * self.table.size), dtype=np.int32)
        self.table[ordered] = np.arange(1, ordered.size + 1, dtype=np.int32)
        at = self.table[values] - 1
        self.table[ordered] = 0
        return at


_FEATURES = FeatureTable()  # one a process: the cosines' scratch


def cosines(a: SparseRows, b: SparseRows) -> np.ndarray:
    """Cosine of every row of ``a`` with every row of ``b``: dense over the features they share
    (in the order of their ids)."""
    at = _FEATURES.positions(b.distinct, a.distinct)
    shared = at >= 0
    width = int(np.count_nonzero(shared))
    if not width:
        return np.zeros((a.n, b.n))
    column_a = np.full(a.distinct.size, -1, dtype=np.int64)
    column_a[shared] = np.arange(width)
    column_b = np.full(b.distinct.size, -1, dtype=np.int64)
    column_b[at[shared]] = np.arange(width)
    return _dense(a, column_a, width) @ _dense(b, column_b, width).T


@dataclass
class DocumentVectors:
    grams: SparseRows
    words: SparseRows
    openings: SparseRows


class Weights:
    """The weights of the run's measures' features: each n-gram's and word's inverse document
    frequency over the measures, each word's rarity in the language. Texts are read as integer
    keys in numpy; each measure's words are kept (as ids), its n-grams made again when needed."""

    CHUNK = 1 << 18  # characters whose n-grams are counted at a time

    def __init__(self, texts: list[str], mapper=map) -> None:
        """``mapper`` reads chunks of the texts (in worker processes, say)."""
        self.texts, self.n = texts, len(texts)
        once, text_of = first_sight(texts)
        times = np.bincount(text_of, minlength=len(once))
        chunks = spans([len(t) for t in once], self.CHUNK)
        grams = mapper(gram_frequencies, [(once[lo:hi], times[lo:hi]) for lo, hi in chunks])
        words_of = mapper(han_words, [once[lo:hi] for lo, hi in chunks])  # workers begin both
        self.gram_df = KeyCounts()
        for keys, df in grams:
            self.gram_df.add(keys, df)
        self.gram_df.reduce()
        vocabulary: dict[str, int] = {}  # the chunks' words in order of first sight, as one pass sees them
        read = []
        for words, chunk_ids in words_of:
            global_id = np.array([vocabulary.setdefault(w, len(vocabulary)) for w in words], dtype=np.int32)
            read += [global_id[i] for i in chunk_ids]
        ids = [read[t] for t in text_of.tolist()]  # each text's, shared by its repeats
        del read
        self.word_start = np.cumsum([0] + [i.size for i in ids])
        self.word_key = np.concatenate([np.empty(0, dtype=np.int32), *ids])
        del ids
        v = max(len(vocabulary), 1)  # each (text, word) once: the words' document frequencies
        owner = np.repeat(np.arange(self.n, dtype=np.int64), np.diff(self.word_start))
        df = np.bincount(distinct(owner * v + self.word_key) % v, minlength=len(vocabulary))
        frequencies, total = dictionary_frequencies(list(vocabulary))
        rarity = np.log(total / (np.array(frequencies, dtype=np.float64) + 1))
        self.word_weight = self._idf(df) * rarity

    def _idf(self, df: np.ndarray) -> np.ndarray:
        return np.log((self.n + 1) / (df + 1)) + 1

    def documents(self, bounds: list[tuple[int, int]]) -> dict[str, LaidRows]:
        """The vectors of some documents' measures (each document's ``(lo, hi)``), laid end to end:
        n-grams, words, and n-grams of their openings, by kind."""
        measures = np.concatenate([np.arange(lo, hi, dtype=np.int64) for lo, hi in bounds] or [np.empty(0, np.int64)])
        document_of = np.repeat(np.arange(len(bounds), dtype=np.int64), [hi - lo for lo, hi in bounds])
        texts = [self.texts[m] for m in measures.tolist()]
        return {"grams": self._gram_rows(texts, document_of, len(bounds)),
                "words": self._word_rows(measures, document_of, len(bounds)),
                "openings": self._gram_rows([opening(t) for t in texts], document_of, len(bounds))}

    def _gram_rows(self, texts: list[str], document_of: np.ndarray, documents: int) -> LaidRows:
        """Log term frequency × idf of each text's n-grams (texts of the run, or their openings)."""
        rows, ids, counts = _grams(texts, self.gram_df.codes)  # every n-gram of the run was counted
        return _laid_rows(rows, ids, _tf(counts) * self._idf(self.gram_df.counts[ids]), document_of, documents)

    def _word_rows(self, measures: np.ndarray, document_of: np.ndarray, documents: int) -> LaidRows:
        """Log term frequency × idf × language rarity of the words of some measures."""
        first, length = self.word_start[measures], np.diff(self.word_start)[measures]
        owner = np.repeat(np.arange(measures.size, dtype=np.int64), length)
        entry = np.repeat(first - np.cumsum(length) + length, length) + np.arange(owner.size)
        rows, keys, counts = counted(owner, self.word_key[entry].astype(np.int64))
        return _laid_rows(rows, keys, _tf(counts) * self.word_weight[keys], document_of, documents)


def _tf(counts: np.ndarray) -> np.ndarray:
    """Log term frequency, 1 + ln(count)."""
    return 1 + np.log(counts)


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
    if not positions:
        return 0, 0
    breaks = [k for k, (p, q) in enumerate(zip(positions, positions[1:]), 1) if q - p > MAX_GAP]
    runs = zip([0, *breaks], [*breaks, len(positions)])  # the first of the longest runs wins
    first, last = max(runs, key=lambda run: positions[run[1] - 1] - positions[run[0]])
    return positions[first], positions[last - 1] + SEED


def _common_prefix(a: str, b: str, most: int) -> int:
    """How many first characters (at most ``most``) two texts share: by halving, on slices."""
    lo, hi = 0, most
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def whole_passage(a: str, b: str) -> Passage | None:
    """The passage of two texts that differ in at most one stretch (a number changed, a word
    put in) of up to ``MAX_GAP - SEED`` characters on each side, after a common start and before
    a common end of ``SEED`` characters or more: all of both, as the anchors would find (every
    seed of the common start and end is an anchor, and the stretch leaves no gap over
    ``MAX_GAP``). Other texts: None. Equal texts too short for a seed share nothing."""
    if a == b:
        return Passage(0, len(a), 0, len(a)) if len(a) >= SEED else Passage(0, 0, 0, 0)
    most = min(len(a), len(b))
    start = _common_prefix(a, b, most)
    end = _common_prefix(a[::-1], b[::-1], most - start)
    if start < SEED or end < SEED or max(len(a), len(b)) - start - end > MAX_GAP - SEED:
        return None
    return Passage(0, len(a), 0, len(b))


def shared_passage(a: str, b: str) -> Passage:
    """The passage two texts share most, found the way BLAST seeds a local alignment: positions
    whose ``SEED``-character string occurs in the other text are anchors; the longest run of
    anchors with gaps of at most ``MAX_GAP`` characters (rewording, other numbers) is the passage
    on one side, and the anchors of its strings on the other side give the passage there.
    Texts that differ in one short stretch need no seeds (``whole_passage``). Many pairs at once:
    ``shared_passages``."""
    whole = whole_passage(a, b)
    if whole is not None:
        return whole
    seeds_a, seeds_b = seeds(a), seeds(b)
    in_b = set(seeds_b)
    anchors = [i for i, seed in enumerate(seeds_a) if seed in in_b]
    start, end = _longest_chain(anchors)
    if end == 0:
        return Passage(0, 0, 0, 0)
    inside = {seeds_a[i] for i in anchors if start <= i < end}
    other_start, other_end = _longest_chain([j for j, seed in enumerate(seeds_b) if seed in inside])
    return Passage(start, end, other_start, other_end)


def shared_passages(pairs: list[tuple[str, str]]) -> np.ndarray:
    """``shared_passage`` of each pair of texts, as rows (start, end, other start, other end): a
    pair of texts met again (two measures reposted together) is read once; the pairs that differ
    in one short stretch one by one (``whole_passage``), the others all at once, their seeds as
    integers in numpy (``_seeded_passages``)."""
    once, of = first_sight(pairs)
    found = np.zeros((len(once), 4), dtype=np.int64)
    seeded = []
    for k, (a, b) in enumerate(once):
        whole = whole_passage(a, b)
        if whole is None:
            seeded.append(k)
        else:
            found[k] = (whole.start, whole.end, whole.other_start, whole.other_end)
    if seeded:
        found[seeded] = _seeded_passages([once[k] for k in seeded])
    return found[of]


def _seeded_passages(pairs: list[tuple[str, str]]) -> np.ndarray:
    """``shared_passage``'s anchors and chains for many pairs in a few numpy passes. A seed is
    the ranks of its characters among the pairs' distinct characters, side by side: exact. Too
    many distinct characters for a seed and its pair to fit 63 bits: one pair at a time."""
    texts = [text for pair in pairs for text in pair]  # a, b of each pair in turn
    codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    alphabet = distinct(codes)
    size = max(alphabet.size, 1)
    if len(pairs) * size ** SEED >= 2 ** 63:
        return np.array([astuple(shared_passage(a, b)) for a, b in pairs], dtype=np.int64).reshape(-1, 4)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    text_of = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    position = np.arange(codes.size, dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    starts = np.flatnonzero(position <= lengths[text_of] - SEED)  # where a seed starts
    rank = np.zeros(int(alphabet[-1]) + 1 if alphabet.size else 1, dtype=np.int64)
    rank[alphabet] = np.arange(alphabet.size)  # each character's rank, looked up by code point
    rank = rank[codes]
    seed = np.zeros(starts.size, dtype=np.int64)
    for k in range(SEED):
        seed = seed * size + rank[starts + k]
    pair, side = text_of[starts] // 2, text_of[starts] % 2
    key = pair * size ** SEED + seed  # a seed of a pair: equal keys, equal seeds of the same pair
    a, b = side == 0, side == 1
    anchor = _among(key[a], key[b])
    start, end, best = _chains(pair[a][anchor], position[starts][a][anchor], len(pairs))
    hit = _among(key[b], key[a][anchor][best])  # the other side's seeds of the passage's strings
    other_start, other_end, _ = _chains(pair[b][hit], position[starts][b][hit], len(pairs))
    return np.stack([start, end, other_start, other_end], axis=1)


def _among(values: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Which of ``values`` are among ``others``, by sorting both: ``np.isin`` hashes, and a search
    of unsorted values jumps about the sorted ones (a third slower here)."""
    order = np.argsort(values)
    found = np.empty(values.size, dtype=bool)
    found[order] = find(distinct(others), values[order])[1]
    return found


def _chains(pair: np.ndarray, position: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``_longest_chain`` of each of ``n`` pairs' anchor positions (sorted by pair, then position):
    each pair's start and end (0, 0 without anchors), and which anchors are in its chain."""
    start, end = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    if not pair.size:
        return start, end, np.zeros(0, dtype=bool)
    opens = np.ones(pair.size, dtype=bool)
    opens[1:] = (pair[1:] != pair[:-1]) | (np.diff(position) > MAX_GAP)
    first = np.flatnonzero(opens)
    last = np.append(first[1:], pair.size) - 1
    owner, span = pair[first], position[last] - position[first]
    order = np.lexsort((np.arange(first.size), -span, owner))  # each pair's longest run, the first of equals
    best = order[np.append(True, owner[order][1:] != owner[order][:-1])]
    start[owner[best]], end[owner[best]] = position[first[best]], position[last[best]] + SEED
    chosen = np.zeros(first.size, dtype=bool)
    chosen[best] = True
    return start, end, chosen[np.cumsum(opens) - 1]


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
    undecided = any(SAME_OPENED <= scores[i, j] < SAME for i, j in linked)
    openings = cosines(a.openings, b.openings) if undecided else None  # needed only between the two
    links = []
    for i, j in linked:
        score = float(scores[i, j])
        same = score >= SAME or (score >= SAME_OPENED and openings[i, j] >= SAME_OPENING)
        links.append(Link(int(i), int(j), score, "same" if same else "partial"))
    return links

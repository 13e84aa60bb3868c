"""The corpus stage: a run's tables in, ``links`` and resolved ``citations`` out.

It runs after every document has been processed and before the tables are renamed
into place, so the tables stay one consistent set. ``process`` stays per document.
"""
from __future__ import annotations

import gc
import multiprocessing
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.link.align import Weights, align, seeds, shared_passage
from pipeline.link.candidates import candidate_pairs
from pipeline.link.citations import resolve, targets_of
from pipeline.write import to_table

RULE = "link.ngram_tfidf"
Mapper = Callable[[Callable, Iterable], Iterable]


def _row_groups(path: Path, columns: list[str] | None = None) -> Iterator[pa.Table]:
    """A table file a row group at a time: reading it whole buffers several times its size."""
    file = pq.ParquetFile(path)
    for i in range(file.metadata.num_row_groups):
        yield file.read_row_group(i, columns=columns)


def _read(path: Path, columns: list[str] | None = None) -> list[dict]:
    return [row for group in _row_groups(path, columns) for row in group.to_pylist()]


class Corpus:
    """What the link stage needs of a run: documents, their measures in order, citations."""

    def __init__(self, tables: dict[str, Path]) -> None:
        self.documents = _read(tables["documents"], ["doc_id", "status", "duplicate_of", "title", "notice_title",
                                                     "doc_number", "issue_date"])
        self.citations = _read(tables["citations"])
        measures = _read(tables["measures"], ["doc_id", "measure_id", "seq", "text", "start"])
        self.measures: dict[str, list[dict]] = defaultdict(list)
        for m in sorted(measures, key=lambda m: (m["doc_id"], m["seq"])):
            self.measures[m["doc_id"]].append(m)
        self.issued = {d["doc_id"]: d["issue_date"] for d in self.documents}


def _oriented(a: str, b: str, basis: str, cited: set[tuple[str, str]], issued: dict) -> tuple[str, str]:
    """(citing or later document, the other)."""
    if basis == "cites":
        return (a, b) if (a, b) in cited else (b, a)
    da, db = issued.get(a), issued.get(b)
    if da and db and da != db:
        return (a, b) if da > db else (b, a)
    return a, b


def link_pair(job: tuple) -> list[dict]:
    """The links rows of one document pair: ``((a, b, basis), measures_a, measures_b, vectors_a, vectors_b)``."""
    (a, b, basis), measures_a, measures_b, vectors_a, vectors_b = job
    rows = []
    made: dict[str, list[str]] = {}  # the seeds of this pair's measures, made once each (kept no longer:
                                     # held for every measure of a run they would be its memory)
    def seeds_of(m: dict) -> list[str]:
        if m["measure_id"] not in made:
            made[m["measure_id"]] = seeds(m["text"])
        return made[m["measure_id"]]

    for link in align(vectors_a, vectors_b):
        ma, mb = measures_a[link.a], measures_b[link.b]
        if ma["text"] == mb["text"]:
            passage = shared_passage(ma["text"], mb["text"])
        else:
            passage = shared_passage(ma["text"], mb["text"], seeds_of(ma), seeds_of(mb))
        rows.append({
            "doc_id": a, "measure_id": ma["measure_id"], "other_doc_id": b, "other_measure_id": mb["measure_id"],
            "relation": link.relation, "score": round(link.score, 4), "basis": basis,
            "start": ma["start"] + passage.start, "end": ma["start"] + passage.end,
            "other_start": mb["start"] + passage.other_start, "other_end": mb["start"] + passage.other_end,
            "rule": RULE,
        })
    return rows


_SHARED: tuple[Callable, list] = (None, [])  # what forked workers map over: inherited, never sent


def _shared_at(index: int):
    fn, jobs = _SHARED
    return fn(jobs[index])


def forked_mapper(workers: int) -> Mapper:
    """A ``map`` over ``workers`` forked processes that inherit the jobs from this one (copy on
    write): only job numbers go out and results come back. One worker, or a system without
    fork: the built-in ``map``."""
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return map

    def mapper(fn: Callable, jobs: Iterable) -> Iterator:
        global _SHARED
        _SHARED = (fn, list(jobs))
        try:
            gc.freeze()  # the children only read the jobs: keep the collector from copying their pages
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                yield from pool.imap(_shared_at, range(len(_SHARED[1])), chunksize=16)
        finally:
            _SHARED = (None, [])
            gc.unfreeze()

    return mapper


def link_tables(tables: dict[str, Path], mapper: Mapper = map, sign_mapper: Mapper | None = None
                ) -> dict[str, pa.Table]:
    """The ``links`` table and the ``citations`` table with ``cited_doc_id`` filled, from the
    run's table files. ``mapper`` maps the per-pair work and the signing of measures for LSH
    (``map``; Ray tasks on Ray); ``sign_mapper``, when given, the signing alone (forked workers:
    they only read the texts, so sharing them costs no memory, unlike the pairs' vectors)."""
    corpus = Corpus(tables)
    citations = corpus.citations
    resolved = resolve(corpus.documents, citations)
    cited = {(c["doc_id"], r) for c, r in zip(citations, resolved) if r}
    targets = [targets_of(c, r) for c, r in zip(citations, resolved)]
    measure_texts = [(doc_id, m["text"]) for doc_id, ms in sorted(corpus.measures.items()) for m in ms]
    pairs = candidate_pairs(citations, targets, measure_texts, sign_mapper or mapper)
    weights = Weights([text for _, text in measure_texts])
    paired = {doc for pair in pairs for doc in pair if corpus.measures.get(doc)}
    vectors, lo = {}, 0
    for doc, measures in sorted(corpus.measures.items()):  # the order of measure_texts
        if doc in paired:
            vectors[doc] = weights.document(lo, lo + len(measures))
        lo += len(measures)
    del weights  # what the pairs need of it is in the vectors
    jobs = []
    for (a, b), basis in pairs.items():
        if a in vectors and b in vectors:
            a, b = _oriented(a, b, basis, cited, corpus.issued)
            jobs.append(((a, b, basis), corpus.measures[a], corpus.measures[b], vectors[a], vectors[b]))
    chunks, pending = [], []  # rows go to Arrow ten thousand at a time: a run's links as dicts
    for rows in mapper(link_pair, jobs):  # would be the stage's largest memory
        pending += rows
        if len(pending) >= 10_000:
            chunks.append(to_table("links", pending))
            pending = []
    chunks.append(to_table("links", pending))
    for c, r in zip(citations, resolved):
        c["cited_doc_id"] = r
    return {"links": pa.concat_tables(chunks), "citations": to_table("citations", citations)}

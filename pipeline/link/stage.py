"""The corpus stage: a run's tables in, ``links`` and resolved ``citations`` out.

It runs after every document has been processed and before the tables are renamed
into place, so the tables stay one consistent set. ``process`` stays per document.
"""
from __future__ import annotations

import multiprocessing
import tempfile
from concurrent.futures import ProcessPoolExecutor
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from threadpoolctl import threadpool_limits

from pipeline.link.align import LaidRows, Weights, plain_words, spans
from pipeline.link.candidates import CHUNK_MEASURES, candidate_pairs
from pipeline.link.citations import resolve, targets_of
from pipeline.link.keys import first_sight
from pipeline.link.pairs import LinkColumns, forget_work, pair_links, release_free_memory, write_work
from pipeline.write import SCRATCH_PREFIX, column_types, to_table

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


class WorkerMap:
    """``map`` over ``workers`` forked processes, started on the first call with two jobs or more
    and kept for the stage. Jobs and results are small: the document pairs' arrays are read
    from files the workers map (``pairs.PairWork``), so the pages they read are shared, never
    copied into each. A worker that dies (the out-of-memory killer, say) fails the stage with
    ``BrokenProcessPool`` instead of leaving it waiting. One worker, or a system without fork:
    the built-in ``map``."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None

    def __call__(self, fn: Callable, jobs: Iterable) -> Iterable:
        jobs = list(jobs)
        if self.workers < 2 or len(jobs) < 2 or "fork" not in multiprocessing.get_all_start_methods():
            return map(fn, jobs)
        if self.pool is None:
            self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("fork"))
        return self.pool.map(fn, jobs)

    def renew(self) -> None:
        """The next map's workers fork from this process as it is then: they see what it has made
        since, and hold none of what it has freed."""
        if self.pool is not None:
            self.pool.shutdown()
            self.pool = None

    def __enter__(self) -> "WorkerMap":
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


SPAN = 64  # document pairs per task
VECTOR_CHARACTERS = 1 << 16  # characters of measures whose vectors one task makes (~9 MB of arrays at its peak)


def link_tables(tables: dict[str, Path], workers: int = 1, mapper: Mapper | None = None, span: int = SPAN,
                chunk: int = CHUNK_MEASURES) -> dict[str, pa.Table]:
    """The ``links`` table and the ``citations`` table with ``cited_doc_id`` filled, from the
    run's table files. The signing of measures for LSH (``chunk`` measures a task) and the
    document pairs (``span`` pairs a task) run on ``workers`` processes (``WorkerMap``), or
    through ``mapper`` when given (Ray tasks)."""
    with one_blas_thread(), WorkerMap(workers) as pool:
        return _link_tables(tables, mapper or pool, span, chunk)


def one_blas_thread() -> threadpool_limits:
    """One BLAS thread a process while the stage runs, in the workers too (they fork inside the
    limit): the pipeline's OPENBLAS_NUM_THREADS=1 comes too late when numpy was imported first,
    and two workers each running a BLAS thread a core made the stage 7.6 times slower."""
    return threadpool_limits(limits=1, user_api="blas")


_SHARED: dict = {}  # what workers forked by the stage read of it: the run's Weights, while vectors are made


def _document_vectors(bounds: list[tuple[int, int]]) -> dict[str, LaidRows]:
    """The vectors of a group of documents' measures (their ``(lo, hi)``), from the shared Weights."""
    return _SHARED["weights"].documents(bounds)


def _link_tables(tables: dict[str, Path], mapper: Mapper, span: int, chunk: int) -> dict[str, pa.Table]:
    plain_words()  # before any worker forks: they share it
    corpus = Corpus(tables)
    citations = corpus.citations
    resolved = resolve(corpus.documents, citations)
    cited = {(c["doc_id"], r) for c, r in zip(citations, resolved) if r}
    targets = [targets_of(c, r) for c, r in zip(citations, resolved)]
    measure_texts = [(doc_id, m["text"]) for doc_id, ms in sorted(corpus.measures.items()) for m in ms]
    pairs = candidate_pairs(citations, targets, measure_texts, mapper, chunk)
    release_free_memory()
    jobs = [(*_oriented(a, b, basis, cited, corpus.issued), basis) for (a, b), basis in pairs.items()
            if corpus.measures.get(a) and corpus.measures.get(b)]
    for c, r in zip(citations, resolved):
        c["cited_doc_id"] = r
    if not jobs:  # nothing to compare: no weights, no work folder
        return {"links": to_table("links", []), "citations": to_table("citations", citations)}
    paired = sorted({doc for a, b, _ in jobs for doc in (a, b)})
    contents = PairContents(jobs, paired, corpus.measures)
    work_docs = contents.work_docs
    first, lo = {}, 0  # each document's first row in measure_texts
    for doc, measures in sorted(corpus.measures.items()):
        first[doc], lo = lo, lo + len(measures)
    weights = Weights([text for _, text in measure_texts], mapper)
    del measure_texts
    release_free_memory()
    sizes = [sum(len(m["text"]) for m in corpus.measures[doc]) for doc in work_docs]
    groups = [work_docs[lo:hi] for lo, hi in spans(sizes, VECTOR_CHARACTERS)]
    bounds = [[(first[doc], first[doc] + len(corpus.measures[doc])) for doc in group] for group in groups]
    with tempfile.TemporaryDirectory(prefix=SCRATCH_PREFIX, suffix=".tmp", dir=tables["measures"].parent) as folder:
        _SHARED["weights"] = weights
        try:
            # local workers fork anew to make the vectors (they see the weights), and again for the
            # pairs (they do not hold them); Ray tasks would need the weights sent: made here
            local = mapper if isinstance(mapper, WorkerMap) else None
            if local:
                local.renew()
            vectors = (local or map)(_document_vectors, bounds)
            work = ((v, [m["text"] for doc in group for m in corpus.measures[doc]],
                     [len(corpus.measures[doc]) for doc in group]) for v, group in zip(vectors, groups))
            dtypes = tuple(write_work(Path(folder), work, contents.pairs).items())
        finally:
            _SHARED.clear()
        del weights, vectors  # what the pairs need of them is in the folder
        release_free_memory()
        if local:
            local.renew()
        n = len(contents.pairs)
        span_jobs = [(folder, dtypes, i, min(i + span, n)) for i in range(0, n, span)]
        found = mapper(pair_links, span_jobs)  # workers begin; meanwhile the rows' columns are made here
        rows = LinkRows(jobs, [m for doc in paired for m in corpus.measures[doc]])
        chunks, job_of = [to_table("links", [])], [np.empty(0, dtype=np.int64)]
        for links in found:  # made into rows as they come
            expanded = contents.expand(links)
            chunks.append(rows.table(expanded))
            job_of.append(expanded.pair)
        forget_work()  # when the pairs ran in this process
    links = pa.concat_tables(chunks).take(np.argsort(np.concatenate(job_of), kind="stable"))  # in the jobs' order
    return {"links": links, "citations": to_table("citations", citations)}


class PairContents:
    """Documents whose measures are the same texts in the same order (a policy reposted) have the
    same vectors, so pairs of documents with the same two contents have the same links: each
    such pair of contents is compared once, between the first documents with them
    (``work_docs``, ``pairs``), and its links are given to every pair of documents with it
    (``expand``)."""

    def __init__(self, jobs: list[tuple[str, str, str]], paired: list[str], measures: dict[str, list[dict]]) -> None:
        index = {doc: i for i, doc in enumerate(paired)}
        _, content = first_sight([tuple(m["text"] for m in measures[doc]) for doc in paired])
        first_doc = np.unique(content, return_index=True)[1]  # each content's first document, in order
        self.work_docs = [paired[i] for i in first_doc.tolist()]
        counts = np.array([len(measures[doc]) for doc in paired], dtype=np.int64)
        paired_first = np.cumsum(counts) - counts  # a document's first row among the paired documents' measures
        work_first = np.cumsum(counts[first_doc]) - counts[first_doc]  # a content's first row in the work
        doc_a = np.array([index[a] for a, _, _ in jobs], dtype=np.int64)
        doc_b = np.array([index[b] for _, b, _ in jobs], dtype=np.int64)
        a, b = content[doc_a], content[doc_b]
        _, first_job, pair_of = np.unique(a * first_doc.size + b, return_index=True, return_inverse=True)
        order = np.argsort(first_job, kind="stable")  # the pairs of contents in order of their first job
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        pair_of = rank[pair_of.ravel()]  # each job's pair of contents
        self.pairs = np.stack([a[first_job[order]], b[first_job[order]]], axis=1).reshape(-1, 2)
        self.shift = np.stack([paired_first[doc_a] - work_first[a], paired_first[doc_b] - work_first[b]], axis=1)
        self.jobs = np.argsort(pair_of, kind="stable")  # the jobs of each pair of contents, in order
        self.offsets = np.searchsorted(pair_of[self.jobs], np.arange(len(self.pairs) + 1))

    def expand(self, found: LinkColumns) -> LinkColumns:
        """The links of some pairs of contents (``found.pair``; measures as rows of the work) as the
        links of every job with them: ``pair`` a job, measures rows of the paired documents'."""
        count = self.offsets[found.pair + 1] - self.offsets[found.pair]
        link = np.repeat(np.arange(found.pair.size), count)
        job = self.jobs[np.repeat(self.offsets[found.pair], count) + np.arange(link.size)
                        - np.repeat(np.cumsum(count) - count, count)]
        return LinkColumns(job, found.measure[link] + self.shift[job, 0], found.other_measure[link] + self.shift[job, 1],
                           found.score[link], found.same[link], found.passage[link])


class LinkRows:
    """Makes ``links`` rows from workers' ``LinkColumns``: the pairs' documents and basis, and the
    work's measures' ids and offsets, as arrays the columns are taken from."""

    def __init__(self, jobs: list[tuple[str, str, str]], measures: list[dict]) -> None:
        self.doc, self.other_doc, self.basis = (pa.array(column, pa.string()) for column in zip(*jobs))
        self.measure_id = pa.array([m["measure_id"] for m in measures], pa.string())
        self.start = np.array([m["start"] for m in measures], dtype=np.int64)

    def table(self, found: LinkColumns) -> pa.Table:
        pair, ma, mb = (pa.array(x) for x in (found.pair, found.measure, found.other_measure))
        start_a, start_b = self.start[found.measure], self.start[found.other_measure]
        columns = {
            "doc_id": self.doc.take(pair), "measure_id": self.measure_id.take(ma),
            "other_doc_id": self.other_doc.take(pair), "other_measure_id": self.measure_id.take(mb),
            "relation": pa.array(np.where(found.same, "same", "partial"), pa.string()),
            "score": pa.array([round(s, 4) for s in found.score.tolist()], pa.float32()),
            "basis": self.basis.take(pair),
            "start": start_a + found.passage[:, 0], "end": start_a + found.passage[:, 1],
            "other_start": start_b + found.passage[:, 2], "other_end": start_b + found.passage[:, 3],
            "rule": pa.array([RULE] * len(found.pair), pa.string()),
        }
        types = column_types("links")
        return pa.Table.from_arrays([pa.array(columns[f.name], f.type) if isinstance(columns[f.name], np.ndarray)
                                     else columns[f.name] for f in types], schema=types)

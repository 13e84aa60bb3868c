"""The document pairs' measure links, computed over flat arrays that worker processes map from files.

The parent writes what the pairs need (each paired document's measure vectors, the measures'
texts, the pairs) into a folder, one array per file, appending group of documents after group
so no array is ever held whole in memory. Any process then maps the folder (``PairWork.open``,
read only): the workers share its pages instead of each holding a copy, let them go after each
span of pairs, and return a span's links, their shared passages found together, as a few
arrays (``LinkColumns``), not rows of dicts.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import mmap
import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

import numpy as np

from pipeline.link.align import DocumentVectors, LaidRows, SparseRows, align, shared_passages

KINDS = ("grams", "words", "openings")


class ArrayFolder:
    """Arrays written to a folder piece by piece (``append``), then mapped read-only (``read``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.dtypes: dict[str, np.dtype] = {}
        self.files: dict[str, BinaryIO] = {}

    def append(self, name: str, values: np.ndarray) -> None:
        if name not in self.files:
            self.dtypes[name] = values.dtype
            self.files[name] = (self.folder / f"{name}.bin").open("wb")
        self.files[name].write(np.ascontiguousarray(values, dtype=self.dtypes[name]).tobytes())

    def close(self) -> dict[str, str]:
        """Close the files; returns each array's dtype, which ``read`` needs."""
        for f in self.files.values():
            f.close()
        return {name: dtype.str for name, dtype in self.dtypes.items()}

    @staticmethod
    def read(folder: Path, dtypes: dict[str, str]) -> tuple[dict[str, np.ndarray], list[mmap.mmap]]:
        """The arrays, mapped read-only, and their maps."""
        arrays, maps = {}, []
        for name, dtype in dtypes.items():
            with (folder / f"{name}.bin").open("rb") as f:
                if os.fstat(f.fileno()).st_size == 0:  # an empty file cannot be mapped
                    arrays[name] = np.empty(0, dtype=dtype)
                    continue
                maps.append(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ))
            arrays[name] = np.frombuffer(maps[-1], dtype=dtype)
        return arrays, maps


def write_work(folder: Path, groups: Iterable[tuple[dict[str, LaidRows], list[str], list[int]]],
               pairs: np.ndarray) -> dict[str, str]:
    """Write the paired documents' vectors and measure texts, group after group of documents
    (``Weights.documents``, the group's measure texts, its documents' measure counts) in the
    order of the documents' indices in ``pairs`` (an (n, 2) array), and the pairs; returns the
    arrays' dtypes."""
    out = ArrayFolder(folder)
    sizes = dict.fromkeys(["measures", "text", *(f"{k}.entries" for k in KINDS), *(f"{k}.distinct" for k in KINDS)], 0)
    for vectors, texts, counts in groups:
        out.append("document.measures", sizes["measures"] + np.cumsum([0] + counts[:-1], dtype=np.int64))
        sizes["measures"] += len(texts)
        encoded = [t.encode("utf-8") for t in texts]
        out.append("text.starts", sizes["text"] + np.cumsum([0] + [len(e) for e in encoded[:-1]], dtype=np.int64))
        out.append("text", np.frombuffer(b"".join(encoded), dtype=np.uint8))
        sizes["text"] += sum(len(e) for e in encoded)
        for kind in KINDS:
            rows = vectors[kind]
            out.append(f"{kind}.document.distinct", sizes[f"{kind}.distinct"] + rows.document_distinct[:-1])
            out.append(f"{kind}.starts", sizes[f"{kind}.entries"] + rows.starts[:-1])
            out.append(f"{kind}.weights", rows.weights)
            out.append(f"{kind}.feature_of", rows.feature_of)
            out.append(f"{kind}.distinct", rows.distinct)
            sizes[f"{kind}.entries"] += rows.weights.size
            sizes[f"{kind}.distinct"] += rows.distinct.size
    out.append("document.measures", np.array([sizes["measures"]], dtype=np.int64))
    out.append("text.starts", np.array([sizes["text"]], dtype=np.int64))
    for kind in KINDS:
        out.append(f"{kind}.document.distinct", np.array([sizes[f"{kind}.distinct"]], dtype=np.int64))
        out.append(f"{kind}.starts", np.array([sizes[f"{kind}.entries"]], dtype=np.int64))
    out.append("pairs", pairs.astype(np.int64).ravel())
    return out.close()


@dataclass
class LinkColumns:
    """The links of a span of pairs, one entry per link: its pair, the two measures (rows of the
    work's measures), the score, whether the provision is the same, the passage in each text."""

    pair: np.ndarray
    measure: np.ndarray
    other_measure: np.ndarray
    score: np.ndarray
    same: np.ndarray
    passage: np.ndarray  # (n, 4): start, end, other start, other end (characters)


class PairWork:
    """The arrays of ``write_work``, mapped: any document's vectors and measure texts by index."""

    def __init__(self, arrays: dict[str, np.ndarray], maps: list[mmap.mmap]) -> None:
        self.a, self.maps = arrays, maps
        self.pairs = arrays["pairs"].reshape(-1, 2)

    @classmethod
    def open(cls, folder: str, dtypes: tuple[tuple[str, str], ...]) -> "PairWork":
        return cls(*ArrayFolder.read(Path(folder), dict(dtypes)))

    def let_go(self) -> None:
        """Unmap the pages read so far from this process (they stay in the page cache, and are
        mapped again when read again): a worker's memory holds one span's pages, not the run's."""
        if hasattr(mmap, "MADV_DONTNEED"):
            for m in self.maps:
                m.madvise(mmap.MADV_DONTNEED)

    def measures(self, doc: int) -> range:
        starts = self.a["document.measures"]
        return range(int(starts[doc]), int(starts[doc + 1]))

    def text(self, measure: int) -> str:
        starts = self.a["text.starts"]
        return bytes(self.a["text"][starts[measure]:starts[measure + 1]]).decode("utf-8")

    def vectors(self, doc: int) -> DocumentVectors:
        rows = self.measures(doc)
        return DocumentVectors(*(self._rows(kind, doc, rows) for kind in KINDS))

    def _rows(self, kind: str, doc: int, rows: range) -> SparseRows:
        a = self.a
        starts = np.asarray(a[f"{kind}.starts"][rows.start:rows.stop + 1])
        d0, d1 = a[f"{kind}.document.distinct"][doc:doc + 2]
        e0, e1 = starts[0], starts[-1]
        return SparseRows((starts - e0).astype(np.int32), np.asarray(a[f"{kind}.weights"][e0:e1]),
                          np.asarray(a[f"{kind}.distinct"][d0:d1]), np.asarray(a[f"{kind}.feature_of"][e0:e1]))

    def links(self, start: int, stop: int) -> LinkColumns:
        """The links of pairs ``start`` to ``stop``, and their passages found all at once."""
        found: list[tuple] = []
        for p in range(start, stop):
            a, b = (int(x) for x in self.pairs[p])
            rows_a, rows_b = self.measures(a), self.measures(b)
            found += [(p, rows_a[link.a], rows_b[link.b], link.score, link.relation == "same")
                      for link in align(self.vectors(a), self.vectors(b))]
        if not found:
            return LinkColumns(*(np.empty(0, dtype=np.int64) for _ in range(3)), np.empty(0),
                               np.empty(0, dtype=bool), np.empty((0, 4), dtype=np.int64))
        pair, measure, other, score, same = (np.array(column) for column in zip(*found))
        texts = {m: self.text(m) for m in {*measure.tolist(), *other.tolist()}}  # this span's, decoded once
        passage = shared_passages([(texts[ma], texts[mb]) for ma, mb in zip(measure.tolist(), other.tolist())])
        return LinkColumns(pair, measure, other, score, same, passage)


def release_free_memory() -> None:
    """Give the C heap's free pages back to the system (glibc's ``malloc_trim``): the numpy arrays
    a phase makes and frees would otherwise stay resident until the process ends. Elsewhere,
    nothing."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


@lru_cache(maxsize=1)
def _glibc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


@lru_cache(maxsize=2)
def _opened(folder: str, dtypes: tuple[tuple[str, str], ...]) -> PairWork:
    return PairWork.open(folder, dtypes)


def forget_work() -> None:
    """Unmap the work folders this process opened (the stage is over, their files deleted)."""
    _opened.cache_clear()


def pair_links(job: tuple[str, tuple[tuple[str, str], ...], int, int]) -> LinkColumns:
    """The links of a span of pairs of the work in a folder: ``(folder, dtypes, start, stop)``.
    A module-level function of small arguments, so any worker process can be sent it."""
    folder, dtypes, start, stop = job
    work = _opened(folder, dtypes)
    try:
        return work.links(start, stop)
    finally:
        work.let_go()
        release_free_memory()

"""Write the tables as Parquet with explicit schemas, atomically and in a stream.

Rows go to temporary files in the output folder in row groups as documents
finish, so memory does not grow with the corpus; only when every table is
complete are the files renamed into place, and the renames are journalled first
(``.commit.json``): a run killed between two renames is completed by the next run
into the folder (or by ``pipeline.load``), so readers see the previous set or the
new one, never a mix. One run at a time writes a folder (a lock, ``.lock``).
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.schema import TABLES, schema

def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def as_umask_allows(path: Path, directory: bool = False) -> None:
    """Give a temporary file (created 0600) or folder (0700) the permissions a new one of the user gets."""
    os.chmod(path, (0o777 if directory else 0o666) & ~_umask())


ROW_GROUP_ROWS = {"documents": 256}  # documents carry their whole text; other tables are small rows
DEFAULT_ROW_GROUP_ROWS = 20_000
# a row group is also written after this many documents' tables: each small Arrow table (a
# reused document's slice, a worker's) costs memory of its own, so buffering stays flat in files
MAX_BUFFERED_TABLES = 256


@lru_cache(maxsize=None)
def column_types(name: str) -> pa.Schema:
    """The table's columns and types without their descriptions: the writer's schema adds those
    to the file (tables travel from workers to the writer, and descriptions would go with each)."""
    return pa.schema([pa.field(f.name, f.type) for f in schema(name)])


def _record_batch(name: str, rows: list[dict]) -> pa.RecordBatch:
    types = column_types(name)
    return pa.RecordBatch.from_pydict({k: [row.get(k) for row in rows] for k in types.names}, schema=types)


def to_table(name: str, rows: list[dict]) -> pa.Table:
    """Rows of one table as Arrow, in the table's columns and types (a missing key is null)."""
    return pa.Table.from_batches([_record_batch(name, rows)])


def encode_tables(tables: dict[str, list[dict]]) -> dict[str, pa.Buffer]:
    """Every table's rows as an Arrow IPC record batch: how workers hand rows to the writing
    process (converted where the work is parallel; a third of the cost of pickled tables)."""
    return {name: _record_batch(name, rows).serialize() for name, rows in tables.items()}


def decode_tables(encoded: dict[str, pa.Buffer]) -> dict[str, pa.Table]:
    """The tables of ``encode_tables``."""
    return {name: pa.Table.from_batches([pa.ipc.read_record_batch(buffer, column_types(name))])
            for name, buffer in encoded.items()}


JOURNAL = ".commit.json"
SCRATCH_PREFIX = ".links."  # the link stage's work folders, beside the tables
LOCK = ".lock"


class RunLocked(RuntimeError):
    """Another run is writing the same output folder."""


def _lock(out_dir: Path):
    """Hold the output folder's lock for this run, or raise ``RunLocked``."""
    handle = open(out_dir / LOCK, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "?"
        handle.close()
        raise RunLocked(f"another run (pid {holder}) is writing to {out_dir}; wait for it to finish, "
                        "or write to another folder") from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def finish_commit(out_dir: Path) -> None:
    """Complete the renames of a commit that was cut short (its journal is still there)."""
    journal = out_dir / JOURNAL
    if not journal.exists():
        return
    try:
        renames = json.loads(journal.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        renames = []
    for tmp, final in renames:
        if (out_dir / tmp).exists():
            os.replace(out_dir / tmp, out_dir / final)
    journal.unlink(missing_ok=True)


def recover(out_dir: Path) -> None:
    """Finish a cut-short commit in ``out_dir`` unless a run is writing there now (it will)."""
    if not (out_dir / JOURNAL).exists():
        return
    try:
        handle = _lock(out_dir)
    except RunLocked:
        return
    try:
        finish_commit(out_dir)
    finally:
        handle.close()


class TableWriters:
    """One streaming Parquet writer per table; ``commit`` renames them all into place."""

    def __init__(self, out_dir: Path, metadata: dict[str, str]) -> None:
        self.out_dir = out_dir
        self.metadata = metadata
        self.buffers: dict[str, list[pa.Table | list[dict]]] = {name: [] for name in TABLES}
        self.buffered: dict[str, int] = {name: 0 for name in TABLES}  # rows, and documents' tables, since
        self.added: dict[str, int] = {name: 0 for name in TABLES}     # the last row group
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.temps: dict[str, Path] = {}

    def __enter__(self) -> "TableWriters":
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.lock = _lock(self.out_dir)
        finish_commit(self.out_dir)  # a run killed between its renames
        for stale in self.out_dir.glob(".*.parquet.tmp"):  # left by a run killed while writing
            stale.unlink(missing_ok=True)
        for stale in self.out_dir.glob(f"{SCRATCH_PREFIX}*.tmp"):  # ... or while linking
            shutil.rmtree(stale, ignore_errors=True)
        for name in TABLES:
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".parquet.tmp", dir=self.out_dir)
            os.close(fd)
            self.temps[name] = Path(tmp)
            table_schema = schema(name).with_metadata({**(schema(name).metadata or {}), **self.metadata})
            # zstd alone compresses these tables smaller and faster than dictionary pages + zstd
            self.writers[name] = pq.ParquetWriter(tmp, table_schema, compression="zstd", use_dictionary=False)
        return self

    def add(self, tables: dict[str, list[dict]] | dict[str, pa.Table]) -> None:
        """Rows (dicts, or Arrow tables already in the table's schema) of one or more documents.
        Dict rows are gathered and made Arrow once per row group: one conversion per document
        and table would cost more than the writing."""
        for name, rows in tables.items():
            n = rows.num_rows if isinstance(rows, pa.Table) else len(rows)
            if not n:
                continue
            buffer = self.buffers[name]
            if isinstance(rows, pa.Table):
                buffer.append(rows)
            elif buffer and isinstance(buffer[-1], list):
                buffer[-1].extend(rows)
            else:
                buffer.append(list(rows))
            self.buffered[name] += n
            self.added[name] += 1
            if (self.buffered[name] >= ROW_GROUP_ROWS.get(name, DEFAULT_ROW_GROUP_ROWS)
                    or self.added[name] >= MAX_BUFFERED_TABLES):
                self._flush(name)

    def _flush(self, name: str) -> None:
        if self.buffers[name]:
            parts = [part if isinstance(part, pa.Table) else to_table(name, part) for part in self.buffers[name]]
            # contiguous columns encode a third faster than one chunk per document
            self.writers[name].write_table(pa.concat_tables(parts).combine_chunks())
            self.buffers[name] = []
            self.buffered[name] = self.added[name] = 0

    def commit(self, corpus_stage: Callable[[dict[str, Path]], dict[str, pa.Table]] | None = None
               ) -> dict[str, Path]:
        """Finish every table and rename it into place. ``corpus_stage``, given the finished
        (still temporary) tables, returns tables that replace theirs (links, resolved
        citations) before anything is renamed: the set stays consistent."""
        for name in TABLES:
            self._flush(name)
            self.writers[name].close()
        if corpus_stage is not None:
            for name, table in corpus_stage(dict(self.temps)).items():
                self._rewrite(name, table)
        for tmp in self.temps.values():
            as_umask_allows(tmp)
        renames = [(tmp.name, f"{name}.parquet") for name, tmp in self.temps.items()]
        journal = self.out_dir / f"{JOURNAL}.tmp"
        with journal.open("w", encoding="utf-8") as f:
            json.dump(renames, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(journal, self.out_dir / JOURNAL)
        finish_commit(self.out_dir)
        self.temps = {}
        return {name: self.out_dir / f"{name}.parquet" for name in TABLES}

    def _rewrite(self, name: str, table: pa.Table) -> None:
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".parquet.tmp", dir=self.out_dir)
        os.close(fd)
        table_schema = schema(name).with_metadata({**(schema(name).metadata or {}), **self.metadata})
        pq.write_table(table.cast(table_schema), tmp, compression="zstd", use_dictionary=False,
                       row_group_size=DEFAULT_ROW_GROUP_ROWS)
        self.temps[name].unlink(missing_ok=True)
        self.temps[name] = Path(tmp)

    def __exit__(self, *exc) -> None:
        for writer in self.writers.values():
            try:
                writer.close()
            except (OSError, ValueError):
                pass
        for tmp in self.temps.values():  # not committed: leave the previous tables as they were
            tmp.unlink(missing_ok=True)
        self.lock.close()


def write_tables(tables: dict[str, list[dict]], out_dir: Path, metadata: dict[str, str]) -> dict[str, Path]:
    """Write ``{table: rows}`` in one go; all or nothing."""
    with TableWriters(out_dir, metadata) as writers:
        writers.add(tables)
        return writers.commit()

"""Write the tables as Parquet with explicit schemas, atomically.

Every table is first written to a temporary file in the output folder, and only
when all are complete are they renamed into place, so a crash never leaves a
half-written table and readers see either the old tables or the new ones.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.schema import schema


def to_table(name: str, rows: list[dict], metadata: dict[str, str]) -> pa.Table:
    table_schema = schema(name)
    table_schema = table_schema.with_metadata({**(table_schema.metadata or {}), **metadata})
    names = table_schema.names
    return pa.Table.from_pylist([{k: row.get(k) for k in names} for row in rows], schema=table_schema)


def write_tables(tables: dict[str, list[dict]], out_dir: Path, metadata: dict[str, str]) -> dict[str, Path]:
    """Write ``{table: rows}`` to ``out_dir/<table>.parquet``; all or nothing."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob(".*.parquet.tmp"):  # left by a run that was killed while writing
        stale.unlink(missing_ok=True)
    staged: list[tuple[str, Path]] = []
    try:
        for name, rows in tables.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".parquet.tmp", dir=out_dir)
            os.close(fd)
            staged.append((name, Path(tmp)))
            pq.write_table(to_table(name, rows, metadata), tmp, compression="zstd")
        written = {}
        for name, tmp in staged:
            final = out_dir / f"{name}.parquet"
            os.replace(tmp, final)
            written[name] = final
        return written
    finally:
        for _, tmp in staged:
            tmp.unlink(missing_ok=True)

"""The orchestrator: list input files, process each, write the tables, report.

Only this module touches the file system (with ``write``).
"""
from __future__ import annotations

import hashlib
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from pipeline import __version__, code_digest
from pipeline.nlp import context
from pipeline.process import TABLE_NAMES, Rows, failed, process
from pipeline.write import write_tables

DEFAULT_MAX_MB = 20  # one document larger than this is almost always a dump of many

SKIPPED_NAMES = ("~", ".swp", ".tmp", ".part", ".crdownload", "Thumbs.db", "desktop.ini")


@dataclass
class Summary:
    files: int
    ok: int
    failed: int
    reused: int
    rows: dict[str, int]
    seconds: float

    def line(self) -> str:
        counts = ", ".join(f"{name} {n}" for name, n in self.rows.items() if name != "documents")
        reused = f", {self.reused} unchanged (reused)" if self.reused else ""
        return (f"read {self.files} files: {self.ok} ok, {self.failed} failed{reused}; rows: {counts} "
                f"({self.seconds:.1f} s)")


def list_inputs(input_dir: Path) -> list[Path]:
    """Document files below ``input_dir``, sorted; hidden files and editor droppings skipped."""
    found = []
    for path in sorted(input_dir.rglob("*")):
        relative = path.relative_to(input_dir)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.name.endswith(SKIPPED_NAMES) or path.name.startswith("~$") or not path.is_file():
            continue
        found.append(path)
    return found


def previous_rows(output_dir: Path, version: dict[str, str]) -> dict[tuple[str, str], Rows]:
    """Rows of the last run by (source_path, sha256), when it ran the same pipeline and rules."""
    paths = {name: output_dir / f"{name}.parquet" for name in TABLE_NAMES}
    if not all(p.exists() for p in paths.values()):
        return {}
    try:
        tables = {name: pq.read_table(p) for name, p in paths.items()}
    except (OSError, ValueError):
        return {}
    for table in tables.values():
        meta = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
        if any(meta.get(k) != v for k, v in version.items()):
            return {}
    by_doc: dict[str, Rows] = defaultdict(Rows)
    for name, table in tables.items():
        for row in table.to_pylist():
            by_doc[row["doc_id"]].tables[name].append(row)
    return {(rows.document["source_path"], rows.document["source_sha256"]): rows
            for rows in by_doc.values() if rows.tables["documents"]}


def extract(input_dir: Path, output_dir: Path, rules_dir: Path | None = None, quiet: bool = False,
            paths: list[Path] | None = None, max_mb: float = DEFAULT_MAX_MB, full: bool = False) -> Summary:
    """Run the pipeline over a folder and write every table to ``output_dir``.

    Files whose bytes, pipeline version and rules are unchanged since the last run into
    ``output_dir`` keep their rows without being processed again (``full`` redoes all).
    """
    began = time.monotonic()
    ctx = context(rules_dir)
    version = {"pipeline_version": __version__, "code_digest": code_digest(), "rules_digest": ctx.rules.digest}
    previous = {} if full else previous_rows(output_dir, version)
    tables: dict[str, list[dict]] = {name: [] for name in TABLE_NAMES}
    seen: dict[str, str] = {}
    reused = 0
    paths = list_inputs(input_dir) if paths is None else paths
    for n, path in enumerate(paths, 1):
        source = path.relative_to(input_dir).as_posix()
        rows, was_reused = _rows_for(path, source, ctx, seen, previous, int(max_mb * 1024 * 1024))
        reused += was_reused
        for name, table_rows in rows.tables.items():
            tables[name].extend(table_rows)
        if not quiet and sys.stderr.isatty():
            print(f"\r{n}/{len(paths)} {source[:60]:<60}", end="", file=sys.stderr)
    if not quiet and sys.stderr.isatty():
        print(file=sys.stderr)
    write_tables(tables, output_dir, version)
    documents = tables["documents"]
    ok = sum(1 for d in documents if d["status"] == "ok")
    return Summary(len(documents), ok, len(documents) - ok, reused,
                   {name: len(rows) for name, rows in tables.items()}, time.monotonic() - began)


def _rows_for(path: Path, source: str, ctx, seen: dict[str, str], previous, max_bytes: int) -> tuple[Rows, bool]:
    """Rows of one file: reused from the last run, processed, or a failed row."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return failed(b"", source, f"file is too large ({size / 2**20:.0f} MB > {max_bytes / 2**20:.0f} MB): "
                                       "split it into documents, or raise the limit with --max-mb"), False
        raw = path.read_bytes()
    except FileNotFoundError:
        return failed(b"", source, "file disappeared before it could be read; re-run when the input is stable"), False
    except OSError as exc:
        return failed(b"", source, f"cannot read the file ({exc.strerror}); check its permissions"), False
    sha = hashlib.sha256(raw).hexdigest()
    old = previous.get((source, sha))
    rows = old if old is not None else process(raw, source, ctx)
    doc = rows.document
    if doc["status"] == "ok" and not doc.get("duplicate_of"):
        if doc["doc_id"] in seen:
            duplicate = Rows()
            duplicate.tables["documents"].append({**doc, "duplicate_of": seen[doc["doc_id"]]})
            return duplicate, old is not None
        seen[doc["doc_id"]] = source
    return rows, old is not None

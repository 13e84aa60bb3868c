"""The orchestrator: list input files, process each, write the tables, report.

Only this module touches the file system (with ``write``).
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline import __version__
from pipeline.nlp import context
from pipeline.process import TABLE_NAMES, Rows, failed, process
from pipeline.write import write_tables

SKIPPED_NAMES = ("~", ".swp", ".tmp", ".part", ".crdownload", "Thumbs.db", "desktop.ini")


@dataclass
class Summary:
    files: int
    ok: int
    failed: int
    rows: dict[str, int]
    seconds: float

    def line(self) -> str:
        counts = ", ".join(f"{name} {n}" for name, n in self.rows.items() if name != "documents")
        return (f"read {self.files} files: {self.ok} ok, {self.failed} failed; rows: {counts} "
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


def extract(input_dir: Path, output_dir: Path, rules_dir: Path | None = None, quiet: bool = False) -> Summary:
    """Run the pipeline over a folder and write every table to ``output_dir``."""
    began = time.monotonic()
    ctx = context(str(rules_dir)) if rules_dir else context()
    tables: dict[str, list[dict]] = {name: [] for name in TABLE_NAMES}
    seen: dict[str, str] = {}
    paths = list_inputs(input_dir)
    for n, path in enumerate(paths, 1):
        source = path.relative_to(input_dir).as_posix()
        rows = _process_file(path, source, ctx, seen)
        for name, table_rows in rows.tables.items():
            tables[name].extend(table_rows)
        if not quiet and sys.stderr.isatty():
            print(f"\r{n}/{len(paths)} {source[:60]:<60}", end="", file=sys.stderr)
    if not quiet and sys.stderr.isatty():
        print(file=sys.stderr)
    metadata = {"pipeline_version": __version__, "rules_digest": ctx.rules.digest}
    write_tables(tables, output_dir, metadata)
    documents = tables["documents"]
    ok = sum(1 for d in documents if d["status"] == "ok")
    return Summary(len(documents), ok, len(documents) - ok,
                   {name: len(rows) for name, rows in tables.items()}, time.monotonic() - began)


def _process_file(path: Path, source: str, ctx, seen: dict[str, str]) -> Rows:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return failed(b"", source, "file disappeared before it could be read; re-run when the input is stable")
    except OSError as exc:
        return failed(b"", source, f"cannot read the file ({exc.strerror}); check its permissions")
    rows = process(raw, source, ctx)
    doc = rows.document
    if doc["status"] == "ok":
        if doc["doc_id"] in seen:
            duplicate = Rows()
            duplicate.tables["documents"].append({**doc, "duplicate_of": seen[doc["doc_id"]]})
            return duplicate
        seen[doc["doc_id"]] = source
    return rows

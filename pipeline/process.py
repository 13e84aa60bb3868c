"""The unit of work: one document's raw bytes -> its rows for every table.

``process`` does no I/O, so it runs the same in a loop, a process pool or a Ray task.
"""
from __future__ import annotations

import gc
import hashlib
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pipeline.budget import OverBudget, time_budget
from pipeline.ingest.clean import clean
from pipeline.ingest.normalise import normalise, script_of
from pipeline.ingest.formats import read_document
from pipeline.ingest.read import ReadError
from pipeline.ingest.textmap import MappedText

if TYPE_CHECKING:  # the NLP pipeline loads when a document is processed, not when a run starts
    from spacy.tokens import Doc

    from pipeline.nlp import Context

TABLE_NAMES = ("documents", "measures", "targets", "deadlines", "departments", "citations")


@dataclass
class Rows:
    """Rows of one document, by table."""

    tables: dict[str, list[dict]] = field(default_factory=lambda: {t: [] for t in TABLE_NAMES})

    @property
    def document(self) -> dict:
        return self.tables["documents"][0]


def document_id(raw: bytes) -> tuple[str, str]:
    sha = hashlib.sha256(raw).hexdigest()
    return sha[:16], sha


def failed(raw: bytes, source_path: str, error: str, encoding: str | None = None) -> Rows:
    doc_id, sha = document_id(raw)
    rows = Rows()
    rows.tables["documents"].append({
        "doc_id": doc_id, "source_path": source_path, "source_sha256": sha, "status": "failed",
        "error": error, "encoding": encoding, "n_chars": 0, "text": None,
    })
    return rows


@contextmanager
def _timed(timings: dict[str, float] | None, stage: str):
    began = time.perf_counter()
    yield
    if timings is not None:
        timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - began


def _run_nlp(ctx: Context, text: str, page_fields: tuple, timings: dict[str, float] | None) -> Doc:
    """The spaCy pipeline, timing the tokenizer and each component when asked."""
    with _timed(timings, "tokenize"):
        doc = ctx.nlp.make_doc(text)
    doc.user_data["page_fields"] = page_fields
    for name, component in ctx.nlp.pipeline:
        with _timed(timings, name):
            doc = component(doc)
    return doc


@contextmanager
def _cycle_collector_paused():
    """Python's cyclic garbage collector paused while one document is read: its full passes
    walk every live object, and a 10 MB document's millions of objects made them cost 7% of
    its time. Reference counting frees what a document drops as before; the collector resumes
    (and so catches any cycle a document left) when it is done."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def process(raw: bytes, source_path: str, ctx: Context, timings: dict[str, float] | None = None,
            budget: float | None = None) -> Rows:
    """Read, clean, normalise, structure and extract one document.

    ``timings``, when given, accumulates seconds per stage (for the benchmark); ``budget``
    seconds, when given, bound the whole document: past them it is a failed row.
    """
    try:
        with time_budget(budget), _cycle_collector_paused():
            return _process(raw, source_path, ctx, timings)
    except OverBudget:
        return failed(raw, source_path, f"reading this file took longer than its time budget ({budget:g} s): a rule "
                                        "pattern may backtrack badly on its text (run `python -m pipeline rules "
                                        "check` and simplify recent patterns), or raise --time-budget")


def _process(raw: bytes, source_path: str, ctx: Context, timings: dict[str, float] | None) -> Rows:
    try:
        with _timed(timings, "read"):
            decoded = read_document(raw, source_path, ctx.rules)
    except ReadError as exc:
        return failed(raw, source_path, str(exc))
    try:
        with _timed(timings, "clean"):
            cleaned, text_fields = clean(MappedText.from_raw(decoded.text), ctx.rules)
        with _timed(timings, "normalise"):
            text = normalise(cleaned, ctx.rules)
        doc = _run_nlp(ctx, text.text, decoded.fields + text_fields, timings)
        with _timed(timings, "rows"):
            return _rows(doc, text, raw, source_path, decoded.encoding, script_of(decoded.text))
    except Exception as exc:  # noqa: BLE001 - one bad document must not stop the run
        return failed(raw, source_path, f"internal error while extracting ({type(exc).__name__}: {exc}); "
                                        "please report it with this file", decoded.encoding)


def _rows(doc: Doc, text: MappedText, raw: bytes, source_path: str, encoding: str, script: str) -> Rows:
    from pipeline.nlp import rows_of

    doc_id, sha = document_id(raw)
    meta = doc.user_data["metadata"]
    rows = Rows()
    rows.tables["documents"].append({
        "doc_id": doc_id, "source_path": source_path, "source_sha256": sha, "status": "ok", "error": None,
        "encoding": encoding, "script": script, "title": meta.title, "notice_title": meta.notice_title,
        "issuer": meta.issuer, "doc_number": meta.doc_number, "region": meta.region,
        "issue_date": meta.issue_date, "issue_date_precision": meta.issue_date_precision,
        "n_chars": len(text.text), "text": text.text,
        "page_fields": [{"field": f.field, "label": f.label, "value": f.value} for f in doc.user_data["page_fields"]],
        "offset_map": [{"norm": n, "raw": r} for n, r in text.segments()],
    })
    measure_ids = {}
    by_seq: dict[int, dict] = {}
    for m in rows_of(doc, "measures"):
        measure_id = f"{doc_id}-m{m['seq']:03d}"
        measure_ids[m["seq"]] = measure_id
        by_seq[m["seq"]] = row = {
            "doc_id": doc_id, "measure_id": measure_id, "seq": m["seq"], "label": m["label"], "path": m["path"],
            "text": text.text[m["start"]:m["end"]], "start": m["start"], "end": m["end"],
            "lead_department": None, "co_departments": [], "rule": m["rule"],
        }
        rows.tables["measures"].append(row)
    for d in rows_of(doc, "departments"):
        measure = by_seq[d["measure_seq"]]
        if d["role"] == "lead":
            measure["lead_department"] = d["name"]
            measure["lead_canonical"], measure["lead_level"] = d["canonical"], d["level"]
        else:
            measure["co_departments"].append(d["name"])
        rows.tables["departments"].append({
            "doc_id": doc_id, "measure_id": measure_ids[d["measure_seq"]],
            **{k: d[k] for k in ("name", "canonical", "level", "role", "rank", "source", "start", "end", "rule")},
        })
    for n, t in enumerate(rows_of(doc, "targets"), 1):
        rows.tables["targets"].append({"doc_id": doc_id, "target_id": f"{doc_id}-t{n:03d}",
                                       "measure_id": measure_ids.get(t["measure_seq"]), **t})
    for n, t in enumerate(rows_of(doc, "deadlines"), 1):
        rows.tables["deadlines"].append({"doc_id": doc_id, "deadline_id": f"{doc_id}-d{n:03d}",
                                         "measure_id": measure_ids.get(t["measure_seq"]), **t})
    for c in rows_of(doc, "citations"):
        rows.tables["citations"].append({"doc_id": doc_id, "measure_id": measure_ids.get(c.pop("measure_seq")), **c})
    return rows

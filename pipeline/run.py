"""The orchestrator: list input files, process each, write the tables, report.

Only this module touches the input and output folders (with ``write``).
"""
from __future__ import annotations

import ctypes
import fnmatch
import gc
import hashlib
import multiprocessing
import os
import sys
import time
from collections.abc import Iterator
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import __version__, code_digest
from pipeline.link.stage import link_tables
from pipeline.process import TABLE_NAMES, Rows, failed
from pipeline.rules import RULES_DIR, cached_rules, rules_digest
from pipeline.write import TableWriters, column_types, decode_tables, encode_tables, to_table

DEFAULT_MAX_MB = 20  # one document larger than this is almost always a dump of many
DEFAULT_TIME_BUDGET = 600.0  # seconds one file may take before its timer stops it (a failed row)
# a pool worker stuck past its file's budget in code that never sees the timer (a C loop) is
# stopped this many seconds later, with its pool
BACKSTOP_GRACE = 30.0

SKIPPED_NAMES = ("~", ".swp", ".tmp", ".part", ".crdownload", "Thumbs.db", "desktop.ini")
# files that are not documents: manifests and data files, images, tables (an --include glob reads them)
NOT_DOCUMENTS = (".tsv", ".csv", ".json", ".jsonl", ".xlsx", ".xls", ".ods", ".parquet", ".png", ".jpg", ".jpeg",
                 ".gif", ".bmp", ".webp", ".svg", ".ico", ".tif", ".tiff")
SHOWN_FAILURES = 10
# the fields of a documents row the writing process needs of a document whose rows come as Arrow
KEY_FIELDS = ("doc_id", "status", "source_path", "duplicate_of", "error")


@dataclass
class Summary:
    files: int
    ok: int
    failed: int
    reused: int
    rows: dict[str, int]
    seconds: float
    skipped: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        counts = ", ".join(f"{name} {n}" for name, n in self.rows.items() if name != "documents")
        reused = f", {self.reused} unchanged (reused)" if self.reused else ""
        skipped = f", {self.skipped} not documents (skipped)" if self.skipped else ""
        lines = [f"read {self.files} files: {self.ok} ok, {self.failed} failed{reused}{skipped}; rows: {counts} "
                 f"({self.seconds:.1f} s)"]
        lines += [f"  failed: {source}: {error}" for source, error in self.failures[:SHOWN_FAILURES]]
        lines += [f"  note: {note}" for note in self.notes[:SHOWN_FAILURES]]
        if len(self.failures) > SHOWN_FAILURES:
            lines.append(f"  … and {len(self.failures) - SHOWN_FAILURES} more: documents.parquet has them "
                         "(status = 'failed')")
        return "\n".join(lines)


@dataclass
class Inputs:
    """The document files of an input folder; how many files were passed over as not documents;
    folders that could not be opened (each becomes a failed row) and notes for the summary."""

    paths: list[Path]
    skipped: int
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _matches(relative: str, globs: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatch(relative, g) or fnmatch.fnmatch(relative.rsplit("/", 1)[-1], g) for g in globs)


def source_name(path: Path, input_dir: Path) -> str:
    """The path below the input folder as text; bytes of a file name that are not UTF-8 show as
    U+FFFD, so the name can be written and read back anywhere."""
    relative = path.relative_to(input_dir).as_posix()
    return relative.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def select_inputs(input_dir: Path, include: tuple[str, ...] = (), exclude: tuple[str, ...] = (),
                  output_dir: Path | None = None) -> Inputs:
    """Document files below ``input_dir``, sorted. Hidden files, editor droppings and the output
    folder are passed over silently; manifests, data files and images are skipped and counted
    unless an ``include`` glob names them; ``include`` keeps only matching files, ``exclude``
    drops matching ones (globs match the path below ``input_dir`` or the file name); symbolic
    links that lead out of the input folder are skipped with a note; folders that cannot be
    opened are listed."""
    found, skipped, unreadable, notes = [], 0, [], []
    root = input_dir.resolve()
    output_dir = output_dir.resolve() if output_dir is not None else None

    def refused(error: OSError) -> None:
        where = Path(error.filename)
        unreadable.append((source_name(where, input_dir) + "/", f"cannot open the folder ({error.strerror}); "
                           "fix its permissions or --exclude it"))

    for folder, dirs, files in os.walk(input_dir, onerror=refused):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and not (output_dir is not None and Path(folder, d).resolve() == output_dir))
        for file in sorted(files):
            path = Path(folder, file)
            name = source_name(path, input_dir)
            if file.startswith(".") or file.endswith(SKIPPED_NAMES) or file.startswith("~$"):
                continue
            if path.is_symlink() and root not in path.resolve().parents:
                notes.append(f"skipped {name}: a symbolic link out of the input folder")
                continue
            if not path.is_file():
                continue
            if (include and not _matches(name, include)) or _matches(name, exclude):
                continue
            if path.suffix.lower() in NOT_DOCUMENTS and not include:
                skipped += 1
                continue
            found.append(path)
    return Inputs(sorted(found), skipped, sorted(unreadable), notes)


def list_inputs(input_dir: Path) -> list[Path]:
    """Document files below ``input_dir``, sorted (``select_inputs`` with no globs)."""
    return select_inputs(input_dir).paths


@dataclass
class Reused:
    """An unchanged file's rows, taken from the previous tables as Arrow (never as Python rows)."""

    document: dict
    tables: dict


class PreviousRun:
    """The last run's tables, when it ran the same pipeline and rules: an unchanged file's rows are
    taken from them as Arrow slices, so a re-run holds columns, not millions of Python rows."""

    def __init__(self, tables: dict, links=None) -> None:
        self.tables = tables
        self.links = links  # the links table, when it was written by the same pipeline and rules
        self.rows_of: dict[str, dict[str, list[int]]] = {}
        for name, table in tables.items():
            if name != "documents":
                for i, doc_id in enumerate(table.column("doc_id").to_pylist()):
                    self.rows_of.setdefault(doc_id, {}).setdefault(name, []).append(i)
        docs = tables["documents"]
        keys = zip(docs.column("source_path").to_pylist(), docs.column("source_sha256").to_pylist())
        self.position = {key: i for i, key in enumerate(keys)}

    def __contains__(self, key) -> bool:
        return key in self.position

    def __getitem__(self, key: tuple[str, str]) -> Reused:
        # one documents row per file: copies share a doc_id, and the first of them holds the rows
        row = self.tables["documents"].slice(self.position[key], 1).cast(column_types("documents"))
        at = row.schema.get_field_index("duplicate_of")
        row = row.set_column(at, row.schema.field(at), pa.nulls(1, row.schema.field(at).type))
        doc = row.select(list(KEY_FIELDS)).to_pylist()[0]  # its text and offset map stay Arrow
        found = {"documents": row}
        if doc["status"] == "ok":
            for name, rows in self.rows_of.get(doc["doc_id"], {}).items():
                table = self.tables[name]  # a document's rows were written together: a slice, no copy
                part = table.slice(rows[0], len(rows)) if rows[-1] - rows[0] == len(rows) - 1 else table.take(rows)
                found[name] = part.cast(column_types(name))
        keys = {k: doc.get(k) for k in KEY_FIELDS}
        return Reused(keys, found)


def previous_rows(output_dir: Path, version: dict[str, str]) -> PreviousRun | dict:
    """The last run's rows by (source_path, sha256), when it ran the same pipeline and rules."""
    paths = {name: output_dir / f"{name}.parquet" for name in TABLE_NAMES}
    if not all(p.exists() for p in paths.values()):
        return {}
    try:
        tables = {name: pq.ParquetFile(p).read() for name, p in paths.items()}
    except (OSError, ValueError):
        return {}
    for table in tables.values():
        if not _same_version(table, version):
            return {}
    try:
        links = pq.ParquetFile(output_dir / "links.parquet").read()
    except (OSError, ValueError):
        links = None
    return PreviousRun(tables, links.cast(column_types("links")) if links is not None and
                       _same_version(links, version) else None)


def _same_version(table, version: dict[str, str]) -> bool:
    meta = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
    return all(meta.get(k) == v for k, v in version.items())


def extract(input_dir: Path, output_dir: Path, rules_dir: Path | None = None, quiet: bool = False,
            paths: list[Path] | None = None, max_mb: float = DEFAULT_MAX_MB, full: bool = False,
            jobs: int | None = None, include: tuple[str, ...] = (), exclude: tuple[str, ...] = (),
            time_budget: float = DEFAULT_TIME_BUDGET, release_nlp: bool = False) -> Summary:
    """Run the pipeline over a folder and write every table to ``output_dir``.

    ``jobs`` worker processes (default: all cores) share the rules and spaCy, loaded once before they fork;
    results come back in input order and stream to Parquet, so output is the same for
    any number of jobs. Files whose bytes, pipeline and rules are unchanged since the
    last run into ``output_dir`` keep their rows without being processed (``full``
    redoes all). A file may take ``time_budget`` seconds: a timer then stops it and it is
    a failed row. With more than one job, a worker stuck past that in code the timer cannot
    stop has its pool stopped; its file is retried alone once, then marked failed.
    ``release_nlp``: a process that will process no more documents (the CLI's) frees the NLP
    pipeline before the link stage.
    """
    began = time.monotonic()
    jobs = jobs or os.cpu_count() or 1
    rules_dir = str(Path(rules_dir or RULES_DIR).resolve())
    version = run_version(rules_digest(Path(rules_dir)))
    previous = {} if full else previous_rows(output_dir, version)
    inputs = select_inputs(input_dir, include, exclude, output_dir) if paths is None else Inputs(paths, 0)
    paths = inputs.paths
    tasks = [(path, source_name(path, input_dir)) for path in paths]
    settings = (rules_dir, int(max_mb * 1024 * 1024), time_budget)
    kept = [_unchanged(task, previous, settings[1]) for task in tasks] if previous else [None] * len(tasks)
    changed = [task for task, key in zip(tasks, kept) if key is None]
    if changed or not previous:  # invalid rules end the run here; the last run's, the same bytes, were valid
        cached_rules(rules_dir)
    outcomes = _outcomes(changed, settings, jobs, time_budget + BACKSTOP_GRACE)
    progress = Progress(len(tasks), quiet)
    with TableWriters(output_dir, version) as writers:
        output = RunOutput(writers)
        for folder, error in inputs.unreadable:
            output.add(failed(b"", folder, error))
        for (path, source), key in zip(tasks, kept):
            output.add(previous[key] if key else next(outcomes), reused=key is not None)
            progress.update(source, _size(path))
        outcomes.close()  # the workers leave now: the link stage has the memory to itself
        if release_nlp and "pipeline.nlp" in sys.modules:  # loaded by this run (not when nothing changed)
            sys.modules["pipeline.nlp"].release()
        unchanged = bool(previous) and not inputs.unreadable and not changed
        if unchanged and len(tasks) == len(previous.position) and previous.links is not None:
            writers.commit(lambda tables: {"links": previous.links})  # the same documents: the same links
        else:
            writers.commit(lambda tables: link_tables(tables, jobs))
    progress.close()
    return output.summary(began, inputs.skipped, inputs.notes)


def run_version(rules_digest: str) -> dict[str, str]:
    """What a run's rows depend on besides the input (the rules by ``Rules.digest``): recorded in
    every table, checked on re-runs."""
    return {"pipeline_version": __version__, "code_digest": code_digest(), "rules_digest": rules_digest}


def _unchanged(task: tuple[Path, str], previous: "PreviousRun", max_bytes: int) -> tuple[str, str] | None:
    """The key of a file's previous rows when its bytes are the same (hashed here, before any
    worker starts: a re-run in which nothing changed never loads the NLP pipeline)."""
    path, source = task
    try:
        if path.stat().st_size > max_bytes:
            return None  # the worker refuses it, as on the first run
        key = (source, hashlib.sha256(path.read_bytes()).hexdigest())
    except OSError:
        return None  # the worker says what is wrong with it
    return key if key in previous else None


class RunOutput:
    """One run's rows on their way to the tables, in input order, and their tally."""

    def __init__(self, writers: TableWriters) -> None:
        self.writers = writers
        self.counts = {name: 0 for name in TABLE_NAMES}
        self.ok = self.failed = self.reused = 0
        self.failures: list[tuple[str, str]] = []
        self.seen: dict[str, str] = {}

    def add(self, rows: "Rows | Converted | Reused", reused: bool = False) -> None:
        document = rows.document
        if not isinstance(rows, Rows) and document["doc_id"] in self.seen and document["status"] == "ok":
            # rare: a repeated file needs its full documents row
            rows = Rows({name: table.to_pylist() for name, table in rows.tables.items()})
        if isinstance(rows, Rows):
            rows = _deduplicated(rows, self.seen)
        elif document["status"] == "ok" and not document.get("duplicate_of"):
            self.seen[document["doc_id"]] = document["source_path"]
        tables = rows.tables
        self.writers.add(tables)
        for name, table in tables.items():
            self.counts[name] += table.num_rows if hasattr(table, "num_rows") else len(table)
        self.ok += rows.document["status"] == "ok"
        if rows.document["status"] != "ok":
            self.failed += 1
            self.failures.append((rows.document["source_path"], rows.document.get("error") or "failed"))
        self.reused += reused

    def summary(self, began: float, skipped: int = 0, notes: list[str] | None = None) -> Summary:
        return Summary(self.ok + self.failed, self.ok, self.failed, self.reused, self.counts,
                       time.monotonic() - began, skipped, self.failures, notes or [])


@dataclass
class Converted:
    """A document's rows already converted to Arrow by a worker, with its key fields."""

    document: dict
    tables: dict[str, pa.Table]


@dataclass
class Batch:
    """Several files' rows converted to Arrow by a worker: one record batch per table (one
    conversion and one message for the files, not one each), and each file's row counts."""

    documents: list[dict]
    counts: list[dict[str, int]]
    encoded: dict[str, pa.Buffer]

    @classmethod
    def of(cls, results: list[Rows]) -> "Batch":
        names = list(dict.fromkeys(name for rows in results for name in rows.tables))
        merged = {name: [row for rows in results for row in rows.tables.get(name, ())] for name in names}
        return cls([{k: rows.document.get(k) for k in KEY_FIELDS} for rows in results],
                   [{name: len(table) for name, table in rows.tables.items()} for rows in results],
                   encode_tables(merged))

    def outcomes(self) -> list[Converted]:
        """Each file's rows, in order: slices of the batch's tables (no copies)."""
        tables = decode_tables(self.encoded)
        at = dict.fromkeys(tables, 0)
        found = []
        for keys, counts in zip(self.documents, self.counts):
            found.append(Converted(keys, {name: tables[name].slice(at[name], n) for name, n in counts.items()}))
            for name, n in counts.items():
                at[name] += n
        return found


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _deduplicated(rows: Rows, seen: dict[str, str]) -> Rows:
    """A file repeating an earlier file's bytes keeps only its documents row, pointing at the first."""
    doc = rows.document
    if doc["status"] != "ok" or doc.get("duplicate_of"):
        return rows
    if doc["doc_id"] in seen:
        duplicate = Rows()
        duplicate.tables["documents"].append({**doc, "duplicate_of": seen[doc["doc_id"]]})
        return duplicate
    seen[doc["doc_id"]] = doc["source_path"]
    return rows


# -- workers ---------------------------------------------------------------------
_WORKER: dict = {}


def _die_with_parent() -> None:
    """Ask Linux to end this worker when the run that forked it dies (even by SIGKILL)."""
    try:
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: workers still exit when their task queue closes


def _init_worker(settings) -> None:
    from pipeline.nlp import context

    rules_dir, max_bytes, budget = settings
    _WORKER.update(ctx=context(rules_dir), max_bytes=max_bytes, budget=budget)


def _pool_worker(settings) -> None:
    _die_with_parent()
    _init_worker(settings)


def _pool_work(job: tuple[int, list[tuple[Path, str]]]) -> Batch:
    """``_work`` on a batch of files in a pool worker: rows go back as Arrow, so the writing
    process only writes. ``(slot, files)``: when each file starts is written to the shared
    slot (``_WORKER["started"]``), so the watchdog times files, not batches (-1: no slot)."""
    slot, batch = job
    found = []
    for task in batch:
        if slot >= 0:
            _WORKER["started"][slot] = time.monotonic()  # one clock for every process of the machine
        found.append(_work(task))
    return Batch.of(found)


def _work(task: tuple[Path, str]) -> Rows:
    """One file's rows."""
    from pipeline.process import process

    path, source = task
    try:
        size = path.stat().st_size
        if size > _WORKER["max_bytes"]:
            limit = _WORKER["max_bytes"] / 2**20
            return failed(b"", source, f"file is too large ({size / 2**20:.0f} MB > {limit:.0f} MB): "
                                       "split it into documents, or raise the limit with --max-mb")
        raw = path.read_bytes()
    except FileNotFoundError:
        return failed(b"", source, "file disappeared before it could be read; re-run when the input is stable")
    except OSError as exc:
        return failed(b"", source, f"cannot read the file ({exc.strerror}); check its permissions")
    try:
        return process(raw, source, _WORKER["ctx"], budget=_WORKER["budget"])
    except Exception as exc:  # noqa: BLE001 - a fault in one file never ends the run
        return failed(raw, source, f"internal error while reading ({type(exc).__name__}: {exc}); "
                                   "please report it with this file")


def _pool(settings, jobs: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=jobs, initializer=_pool_worker, initargs=(settings,),
                               mp_context=multiprocessing.get_context("fork"))


def _stop(pool: ProcessPoolExecutor) -> None:
    """Kill a pool's workers (the pool then reports itself broken)."""
    for worker in list(pool._processes.values()):  # the executor offers no public way to do this
        worker.kill()


def _alone(task: tuple[Path, str], settings, backstop: float) -> Converted | Rows:
    """A task whose worker died or stayed busy past ``backstop`` seconds, retried once in a worker
    of its own; failed if that worker dies or stays busy too."""
    for _ in range(2):
        try:
            with _pool(settings, 1) as pool:
                future = pool.submit(_pool_work, (-1, [task]))
                try:
                    return future.result(timeout=backstop).outcomes()[0]
                except FuturesTimeout:
                    _stop(pool)
                    return failed(b"", task[1], f"reading this file took longer than its time budget (its worker was "
                                                f"stopped after {backstop:g} s, twice, in code the budget's timer "
                                                "cannot stop): check its size and content, or raise --time-budget")
        except BrokenProcessPool:
            continue
    return failed(b"", task[1], "the worker reading this file died twice (killed, e.g. by the out-of-memory "
                                "killer): check the file's size and content, or give the machine more memory")


class _Overdue(Exception):
    """The file first in line kept its worker busy past the backstop."""


WATCH_SECONDS = 1.0  # how often the watchdog looks at the file first in line


def _in_order(pool: ProcessPoolExecutor, batches: list[list], backstop: float, ahead: int,
              started) -> Iterator[Batch]:
    """The batches' outcomes in order, ``ahead`` of them submitted at a time. The file at work in
    the batch first in line may take ``backstop`` seconds from when it started (``started``, a
    slot a batch, written by the workers), and at least from when its batch came first in line
    (``_Overdue`` otherwise)."""
    queued = enumerate(batches)
    pending = deque((pool.submit(_pool_work, (slot, batch)), slot) for slot, batch in islice(queued, ahead))
    while pending:
        future, slot = pending[0]
        first_in_line = time.monotonic()
        while True:
            try:
                outcome = future.result(timeout=min(backstop, WATCH_SECONDS))
                break
            except FuturesTimeout:
                if time.monotonic() - max(first_in_line, started[slot]) > backstop:
                    raise _Overdue from None
        pending.popleft()
        for slot, batch in islice(queued, 1):
            pending.append((pool.submit(_pool_work, (slot, batch)), slot))
        yield outcome


BATCH_FILES = 16  # files a pool task reads at most ...
BATCH_BYTES = 256 * 1024  # ... and bytes (a larger file is a task of its own)
BATCHES_PER_JOB = 8  # at least this many tasks a worker, so the workers finish together


def _batches(tasks: list[tuple[Path, str]], jobs: int) -> list[list[tuple[Path, str]]]:
    """The tasks in order, in batches of consecutive files: small files travel together."""
    most = max(1, min(BATCH_FILES, len(tasks) // (BATCHES_PER_JOB * jobs)))
    batches: list[list] = []
    size = 0
    for task in tasks:
        bytes_ = _size(task[0])
        if not batches or len(batches[-1]) >= most or size + bytes_ > BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(task)
        size += bytes_
    return batches


def _outcomes(tasks, settings, jobs: int, backstop: float) -> Iterator:
    """Each task's outcome, in task order: in this process for one job, else in a pool, in
    batches of small files. When a worker dies (killed by the out-of-memory killer, say) or
    a file of the batch first in line keeps it busy past ``backstop`` seconds (its own timer
    did not stop it: the pool's workers are killed), the batch's files go on one at a time in
    a new pool, and a single file that fails so is retried in a worker of its own."""
    from pipeline.nlp import context

    context(settings[0])  # built before any fork, so the workers share its pages
    gc.freeze()  # the rules, jieba and spaCy live for the whole run: keep the collector (and forks) off them
    if jobs == 1 or len(tasks) < 2:
        _init_worker(settings)
        yield from map(_work, tasks)
        return
    to_table("documents", [])  # pyarrow loads pandas at its first conversion: once, before the fork
    position, alone_until = 0, 0  # tasks before ``alone_until`` go one a batch: a batch of them failed
    while position < len(tasks):
        batches = [[task] for task in tasks[position:alone_until]] + _batches(tasks[max(position, alone_until):], jobs)
        done = 0  # batches whose outcomes are out
        # when each batch's file at work started: shared memory the pool's workers inherit
        _WORKER["started"] = started = multiprocessing.RawArray(ctypes.c_double, len(batches))
        try:
            with _pool(settings, jobs) as pool:
                try:
                    for batch in _in_order(pool, batches, backstop, 4 * jobs, started):
                        for outcome in batch.outcomes():
                            yield outcome
                            position += 1
                        done += 1
                except _Overdue:
                    _stop(pool)
                    raise BrokenProcessPool("the watchdog stopped the pool") from None
        except BrokenProcessPool:
            if len(batches[done]) > 1:
                alone_until = position + len(batches[done])
            else:
                yield _alone(tasks[position], settings, backstop)
                position += 1


class Progress:
    """A tqdm bar on a terminal; a log line every 10 seconds otherwise; nothing when quiet."""

    def __init__(self, total: int, quiet: bool) -> None:
        self.total, self.quiet, self.done, self.bytes = total, quiet, 0, 0
        self.began = self.last = time.monotonic()
        self.bar = None
        if not quiet and sys.stderr.isatty():
            from tqdm import tqdm
            self.bar = tqdm(total=total, unit="file", file=sys.stderr)

    def update(self, source: str, size: int) -> None:
        self.done += 1
        self.bytes += size
        if self.bar is not None:
            self.bar.set_postfix_str(f"{self.bytes / 2**20 / max(time.monotonic() - self.began, 1e-9):.2f} MB/s")
            self.bar.update()
        elif not self.quiet and time.monotonic() - self.last >= 10:
            self.last = time.monotonic()
            elapsed = self.last - self.began
            rate = self.bytes / 2**20 / elapsed
            left = elapsed / self.done * (self.total - self.done)
            print(f"{self.done}/{self.total} files, {rate:.2f} MB/s, ETA {int(left // 60)}m{int(left % 60):02d}s, "
                  f"last {source}", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

"""No file, fault or second run may lose a run or corrupt the tables (issue #14)."""
from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import regex

import pipeline
from conftest import RAW, ROOT
from pipeline.budget import OverBudget, time_budget
from pipeline.bench import children_of
from pipeline.run import extract
from pipeline.write import JOURNAL

SEED = (RAW / "000_5162da9629d6c503.txt").read_text(encoding="utf-8")


def _docs(out: Path) -> dict:
    return {r["source_path"]: r for r in pq.read_table(out / "documents.parquet").to_pylist()}


def _cli(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pipeline", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT)


def test_damaged_encodings_are_read_with_the_damage_said(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "bom_cut.txt").write_bytes(b"\xef\xbb\xbf" + (SEED.rstrip() + "。").encode("utf-8")[:-1])
    (inputs / "utf16_odd.txt").write_bytes(b"\xff\xfe" + SEED.encode("utf-16-le") + b"\x00")
    (inputs / "utf16_nobom.txt").write_bytes(SEED.encode("utf-16-le"))
    (inputs / "utf16be_nobom.txt").write_bytes(SEED.encode("utf-16-be"))
    extract(inputs, tmp_path / "out", quiet=True)
    docs = _docs(tmp_path / "out")
    assert {d["status"] for d in docs.values()} == {"ok"}
    assert "replaced" in docs["bom_cut.txt"]["encoding"] and "replaced" in docs["utf16_odd.txt"]["encoding"]
    assert docs["utf16_nobom.txt"]["encoding"] == "utf-16-le" and docs["utf16be_nobom.txt"]["encoding"] == "utf-16-be"
    assert docs["utf16_nobom.txt"]["title"] == docs["bom_cut.txt"]["title"] is not None


def test_a_file_name_that_is_not_utf8_is_read_and_named(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    Path(os.fsdecode(os.fsencode(inputs) + b"/\xb2\xdf\xca\xa9.txt")).write_text(SEED, encoding="utf-8")
    extract(inputs, tmp_path / "out", quiet=True)
    (name, doc), = _docs(tmp_path / "out").items()
    assert doc["status"] == "ok" and "\ufffd" in name


def _docx(xml: bytes, compress: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compress) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", xml)
    return buffer.getvalue()


def test_damaged_and_bomb_docx_files_fail_alone_and_quickly(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    damaged = bytearray(_docx(b"<w:document>" + b"x" * 5000 + b"</w:document>"))
    middle = damaged.find(b"word/document.xml") + 40
    damaged[middle:middle + 30] = b"\x00" * 30  # the deflate stream is broken
    (inputs / "damaged.docx").write_bytes(bytes(damaged))
    (inputs / "bomb.docx").write_bytes(_docx(b"<w:document>" + b" " * (300 * 2**20) + b"</w:document>"))
    (inputs / "good.txt").write_text(SEED, encoding="utf-8")
    began = time.monotonic()
    summary = extract(inputs, tmp_path / "out", quiet=True)
    docs = _docs(tmp_path / "out")
    assert time.monotonic() - began < 60 and summary.ok == 1
    assert docs["damaged.docx"]["status"] == "failed" and "damaged" in docs["damaged.docx"]["error"]
    assert docs["bomb.docx"]["status"] == "failed" and "unpacks to" in docs["bomb.docx"]["error"]


def test_a_text_over_a_million_characters_and_html_nested_deep_are_read_whole(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "long.txt").write_text(SEED * 180, encoding="utf-8")  # over 1.1 million characters
    items = "".join(f"<font><p>（{n}）第{n}项工作措施，由市财政局负责落实。</p>" for n in range(1, 400))
    (inputs / "deep.html").write_text(f"<html><body><div>{items}</div></body></html>", encoding="utf-8")
    extract(inputs, tmp_path / "out", quiet=True)
    docs = _docs(tmp_path / "out")
    assert docs["long.txt"]["status"] == "ok" and docs["long.txt"]["n_chars"] > 1_000_000
    assert docs["deep.html"]["status"] == "ok" and "第399项工作措施" in docs["deep.html"]["text"]


def test_links_out_of_the_input_and_an_output_folder_inside_it_are_not_read(tmp_path):
    inputs, outside = tmp_path / "in", tmp_path / "elsewhere"
    inputs.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text(SEED, encoding="utf-8")
    (inputs / "a.txt").write_text(SEED, encoding="utf-8")
    (inputs / "link.txt").symlink_to(outside / "secret.txt")
    (inputs / "inner.txt").symlink_to(inputs / "a.txt")  # a link inside the folder is a file like any
    summary = extract(inputs, inputs / "out", quiet=True)
    extract(inputs, inputs / "out", quiet=True)  # the tables of the first run are not read back
    assert sorted(_docs(inputs / "out")) == ["a.txt", "inner.txt"]
    assert any("link.txt" in note and "out of the input folder" in note for note in summary.notes)


@pytest.mark.skipif(os.geteuid() == 0, reason="root enters any folder; run as a user to see the refusal")
def test_a_folder_that_cannot_be_entered_is_a_failed_row(tmp_path):
    inputs = tmp_path / "in"
    (inputs / "locked").mkdir(parents=True)
    (inputs / "locked" / "x.txt").write_text(SEED, encoding="utf-8")
    (inputs / "a.txt").write_text(SEED, encoding="utf-8")
    (inputs / "locked").chmod(0o000)
    try:
        extract(inputs, tmp_path / "out", quiet=True)
    finally:
        (inputs / "locked").chmod(0o755)
    docs = _docs(tmp_path / "out")
    assert docs["a.txt"]["status"] == "ok" and "cannot open the folder" in docs["locked/"]["error"]


def _many(tmp_path: Path, n: int) -> Path:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(n):
        (inputs / f"doc{i:03d}.txt").write_text(SEED.replace("2025", str(2030 + i % 50)) + f"\n附：{i}", encoding="utf-8")
    return inputs


def test_a_killed_worker_is_replaced_and_every_file_gets_its_row(tmp_path):
    inputs = _many(tmp_path, 400)  # the pool works for several seconds: time to find and kill a worker
    run = _cli("extract", str(inputs), str(tmp_path / "out"), "--jobs", "2", "--quiet")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(children_of(run.pid)) < 2:
        time.sleep(0.02)
    time.sleep(0.2)
    workers = children_of(run.pid)
    assert workers, "the run started no worker"
    os.kill(workers[0], signal.SIGKILL)
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    docs = _docs(tmp_path / "out")
    assert len(docs) == 400 and {d["status"] for d in docs.values()} == {"ok"}


def test_a_second_run_into_the_same_folder_is_refused_and_the_first_finishes(tmp_path):
    inputs = _many(tmp_path, 300)  # several seconds of work, so the second run starts while it writes
    first = _cli("extract", str(inputs), str(tmp_path / "out"), "--jobs", "1", "--quiet")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (tmp_path / "out" / ".lock").exists():
        time.sleep(0.05)
    time.sleep(0.3)
    second = _cli("extract", str(inputs), str(tmp_path / "out"), "--quiet")
    _, err = second.communicate(timeout=120)
    assert second.returncode == 2 and "another run" in err and "is writing to" in err
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert len(_docs(tmp_path / "out")) == 300
    assert not list((tmp_path / "out").glob(".*.tmp"))


def test_a_commit_cut_short_between_renames_is_completed_on_reading(tmp_path, seeds_out):
    out = tmp_path / "out"
    shutil.copytree(seeds_out, out)
    old_measures = pq.read_table(out / "measures.parquet").num_rows
    # the state a kill leaves after the journal and the first rename: one new table, the rest pending
    renames = []
    for name in ("documents", "measures"):
        pending = out / f".{name}.pending.parquet.tmp"
        table = pq.read_table(out / f"{name}.parquet")
        pq.write_table(table.slice(0, 1) if name == "measures" else table, pending)
        renames.append((pending.name, f"{name}.parquet"))
    (out / JOURNAL).write_text(json.dumps(renames), encoding="utf-8")
    os.replace(out / renames[0][0], out / renames[0][1])
    tables = pipeline.load(out)
    assert len(tables["measures"]) == 1 != old_measures and not (out / JOURNAL).exists()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_file_over_its_time_budget_is_stopped_and_the_run_goes_on(tmp_path, jobs):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "slow.txt").write_text(SEED * 150, encoding="utf-8")  # several seconds of work
    for i in range(3):
        (inputs / f"quick{i}.txt").write_text(f"关于第{i}项工作的通知\n一、加强领导。", encoding="utf-8")
    run = _cli("extract", str(inputs), str(tmp_path / "out"), "--jobs", jobs, "--time-budget", "0.5")
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    docs = _docs(tmp_path / "out")
    assert docs["slow.txt"]["status"] == "failed" and "time budget (0.5 s" in docs["slow.txt"]["error"]
    assert all(docs[f"quick{i}.txt"]["status"] == "ok" for i in range(3))
    assert "failed: slow.txt: reading this file took longer than its time budget" in out


def test_the_time_budget_stops_a_pattern_inside_its_backtracking_and_disarms_after():
    runaway = regex.compile(r"(?:a{1,30}){1,30}b")  # the loader refuses it; compiled here directly
    began = time.monotonic()
    with pytest.raises(OverBudget):
        with time_budget(0.3):
            runaway.match("a" * 60)
    assert time.monotonic() - began < 5
    with time_budget(0.3):
        pass
    time.sleep(0.5)  # no timer left armed to fire outside its block
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MB file system of its own (tmpfs; needs the right to mount, else the test skips)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a small file system here")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_is_a_clean_refusal_and_the_previous_tables_stay(tmp_path, small_disk):
    small = tmp_path / "small"
    small.mkdir()
    (small / "one.txt").write_text("关于加强领导的通知\n一、加强领导。", encoding="utf-8")
    out = small_disk / "out"
    first = _cli("extract", str(small), str(out), "--quiet")
    assert first.wait(timeout=120) == 0
    before = {p.name: p.read_bytes() for p in out.glob("*.parquet")}
    free = os.statvfs(small_disk)
    (small_disk / "filler").write_bytes(b"\0" * (free.f_bavail * free.f_frsize - 64 * 1024))  # 64 KB left
    second = _cli("extract", str(RAW), str(out), "--quiet", "--full")
    _, err = second.communicate(timeout=300)
    assert second.returncode == 2 and "no space left on the device" in err and "Traceback" not in err
    assert {p.name: p.read_bytes() for p in out.glob("*.parquet")} == before
    assert not list(out.glob(".*.tmp"))

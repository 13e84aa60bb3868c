"""The command line as a data engineer uses it."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import RAW, ROOT
from pipeline import __version__ as pipeline_version
from pipeline.rules import RULES_DIR
from pipeline.schema import TABLES


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True, text=True, cwd=cwd)


def test_extract_writes_every_table_and_prints_a_summary(tmp_path):
    result = run("extract", str(RAW), str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("read 5 files: 5 ok, 0 failed; rows: measures ")
    for name in TABLES:
        table = pq.read_table(tmp_path / "out" / f"{name}.parquet")
        assert table.schema.names[: len(TABLES[name])] == [c for c, _, _ in TABLES[name]]
        assert table.schema.metadata[b"pipeline_version"]
        assert len(table.schema.metadata[b"rules_digest"]) == 16


def test_same_input_same_output(tmp_path, seeds_out):
    run("extract", str(RAW), str(tmp_path))
    for name in TABLES:
        assert pq.read_table(tmp_path / f"{name}.parquet").equals(pq.read_table(seeds_out / f"{name}.parquet"))


def test_missing_input_folder_is_a_clear_error(tmp_path):
    result = run("extract", str(tmp_path / "nope"), str(tmp_path / "out"))
    assert result.returncode == 2
    assert "does not exist" in result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_output_is_a_clear_error(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    result = run("extract", str(RAW), str(locked / "out"))
    assert result.returncode == 2
    assert "cannot write" in result.stderr


def test_invalid_rules_stop_the_run_before_it_starts(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    (rules / "noise.toml").write_text('[[line]]\nid = "x"\ncomment = "c"\npattern = "(a"\nexamples = [{in = "a"}]\n')
    result = run("extract", str(RAW), str(tmp_path / "out"), "--rules", str(rules))
    assert result.returncode == 2
    assert "noise.toml: rule 'x': pattern does not compile" in result.stderr


def test_a_rule_broken_after_a_run_stops_the_rerun_and_keeps_its_tables(tmp_path):
    """A re-run reuses rows without loading the rules only when their bytes are those the last run
    loaded: any edit is a new digest, so the rules are checked again before anything is read."""
    rules, out = tmp_path / "rules", tmp_path / "out"
    shutil.copytree(RULES_DIR, rules)
    assert run("extract", str(RAW), str(out), "--rules", str(rules)).returncode == 0
    before = pq.read_table(out / "measures.parquet")
    noise = rules / "noise.toml"
    noise.write_text(noise.read_text(encoding="utf-8") + '\n[[line]]\nid = "x"\ncomment = "c"\npattern = "(a"\n'
                     'examples = [{in = "a"}]\n', encoding="utf-8")
    result = run("extract", str(RAW), str(out), "--rules", str(rules))
    assert result.returncode == 2 and "noise.toml: rule 'x': pattern does not compile" in result.stderr
    assert pq.read_table(out / "measures.parquet").equals(before)


def test_a_misspelt_rule_key_stops_extract_with_exit_2(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    targets = rules / "targets.toml"
    targets.write_text(targets.read_text(encoding="utf-8").replace("\nnames = ", "\nnmes = ", 1), encoding="utf-8")
    result = run("extract", str(RAW), str(tmp_path / "out"), "--rules", str(rules))
    assert result.returncode == 2
    assert "targets.toml: rule '" in result.stderr and "unknown key 'nmes'" in result.stderr
    assert not (tmp_path / "out" / "targets.parquet").exists()


def test_manifests_and_images_are_skipped_and_counted_and_globs_choose_files(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for seed in sorted(RAW.glob("*.txt"))[:2]:
        shutil.copy(seed, inputs)
    (inputs / "SOURCES.tsv").write_text("file\tsource\n000.txt\thttp://example.org\n", encoding="utf-8")
    (inputs / "chart.png").write_bytes(b"\x89PNG\r\n")
    result = run("extract", str(inputs), str(tmp_path / "out"))
    assert result.returncode == 0 and "read 2 files: 2 ok, 0 failed, 2 not documents (skipped)" in result.stdout
    only = run("extract", str(inputs), str(tmp_path / "out2"), "--include", "000_*", "--exclude", "*.png")
    assert only.stdout.startswith("read 1 files: 1 ok")
    none = run("extract", str(inputs), str(tmp_path / "out3"), "--include", "*.docx")
    assert none.returncode == 0 and "warning: no document files found" in none.stderr


def test_version_help_and_the_console_script_name():
    assert run("--version").stdout.strip() == f"python -m pipeline {pipeline_version}"
    script = Path(sys.executable).with_name("policy-pipeline")
    usage = subprocess.run([str(script), "extract", "--help"], capture_output=True, text=True).stdout
    assert usage.startswith("usage: policy-pipeline extract")
    for option in ("--rules", "--quiet", "--max-mb", "--full", "--jobs", "--engine", "--include", "--exclude"):
        assert option in usage
    undocumented = [line for line in usage.splitlines() if line.strip().startswith("--") and len(line.split()) == 1]
    assert undocumented == []


def test_tables_are_created_with_the_users_umask(tmp_path):
    result = subprocess.run(["sh", "-c", f"umask 022 && {sys.executable} -m pipeline extract {RAW} {tmp_path / 'out'}"
                             f" && {sys.executable} -m pipeline review {tmp_path / 'out'}"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    for path in [*(tmp_path / "out").glob("*.parquet"), tmp_path / "out" / "review" / "index.html"]:
        assert path.stat().st_mode & 0o777 == 0o644, path
    assert (tmp_path / "out" / "review").stat().st_mode & 0o777 == 0o755


def test_failed_files_are_listed_in_the_summary(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "scan.pdf").write_bytes(b"%PDF-1.4 ...")
    (inputs / "empty.txt").write_bytes(b"")
    result = run("extract", str(inputs), str(tmp_path / "out"))
    assert "  failed: empty.txt: file is empty" in result.stdout
    assert "  failed: scan.pdf: not text: looks like a PDF" in result.stdout


def test_export_writes_csv_and_json_lines_of_every_table(tmp_path, seeds_out):
    for fmt in ("csv", "jsonl"):
        result = run("export", str(seeds_out), "--format", fmt, "--to", str(tmp_path / fmt))
        assert result.returncode == 0, result.stderr
        for name in TABLES:
            assert (tmp_path / fmt / f"{name}.{fmt}").exists()
    import pandas as pd

    measures = pd.read_csv(tmp_path / "csv" / "measures.csv", encoding="utf-8-sig")
    assert len(measures) == pq.read_table(seeds_out / "measures.parquet").num_rows
    assert measures.path.iloc[0].startswith('["')  # lists as JSON
    first = json.loads((tmp_path / "jsonl" / "documents.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert first["status"] == "ok" and isinstance(first["page_fields"], list)


def test_an_unreadable_file_is_a_failed_row_and_the_run_goes_on(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(RAW / "000_5162da9629d6c503.txt", inputs / "good.txt")
    (inputs / "empty.txt").write_bytes(b"")
    (inputs / "scan.txt").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3 binary")
    (inputs / ".hidden.txt").write_text("skip me")
    result = run("extract", str(inputs), str(tmp_path / "out"))
    assert result.returncode == 0
    assert "read 3 files: 1 ok, 2 failed" in result.stdout
    docs = pq.read_table(tmp_path / "out" / "documents.parquet").to_pandas().set_index("source_path")
    assert docs.loc["empty.txt", "error"] == "file is empty"
    assert docs.loc["scan.txt", "error"].startswith("not text: looks like a PDF")
    assert docs.loc["good.txt", "status"] == "ok"


def test_adding_an_alias_to_a_copy_of_the_rules_changes_the_output(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    before = run("extract", str(RAW), str(tmp_path / "before"), "--rules", str(rules))
    assert before.returncode == 0
    departments = rules / "departments.toml"
    departments.write_text(departments.read_text(encoding="utf-8").replace(
        'names = ["医疗保障局", "医保局",', 'names = ["医疗保障局", "医保局", "保障局",'), encoding="utf-8")
    departments.write_text(departments.read_text(encoding="utf-8").replace(
        'canonical = "医疗保障局"', 'canonical = "医疗保障管理局"'), encoding="utf-8")
    after = run("extract", str(RAW), str(tmp_path / "after"), "--rules", str(rules))
    assert after.returncode == 0
    old = pq.read_table(tmp_path / "before" / "departments.parquet").to_pandas()
    new = pq.read_table(tmp_path / "after" / "departments.parquet").to_pandas()
    assert set(old[old.name == "市医保局"].canonical) == {"医疗保障局"}
    assert set(new[new.name == "市医保局"].canonical) == {"医疗保障管理局"}


def test_ray_engine_gives_the_same_tables_as_the_process_pool(tmp_path, seeds_out):
    pytest.importorskip("ray")
    from pipeline.ray_engine import extract_with_ray

    summary = extract_with_ray(RAW, tmp_path, actors=2)
    assert summary.files == 5 and summary.ok == 5
    for name in TABLES:
        assert pq.read_table(tmp_path / f"{name}.parquet").equals(pq.read_table(seeds_out / f"{name}.parquet")), name


def test_bench_reports_throughput_memory_and_stages(tmp_path):
    report = tmp_path / "bench.json"
    result = run("bench", "--mb", "0.3", "--small", "40", "--sizes", "0.05,0.1", "--work", str(tmp_path / "work"),
                 "--report", str(report), "--repeat", "2")
    assert result.returncode == 0, result.stderr
    assert "MB/s per core" in result.stdout and "speed-up with all cores" in result.stdout
    assert "x jieba" in result.stdout and "40 small files, " in result.stdout and "link stage:" in result.stdout
    figures = json.loads(report.read_text(encoding="utf-8"))
    corpus = sorted((tmp_path / "work" / "corpus").rglob("*.txt"))
    assert figures["files"] == len(corpus) > 1 and figures["input_mb"] >= 0.3
    for measured in figures["runs"]:
        assert measured["mb_per_s_per_core"] > 0 and measured["peak_memory_mb"] > 0
        assert measured["summary"].startswith(f"read {len(corpus)} files: {len(corpus)} ok, 0 failed")
    assert {"read", "clean", "normalise", "tokenize", "policy_targets", "write"} <= set(figures["stages_seconds"])
    assert any(p.read_bytes().startswith(b"\xff\xfe") for p in corpus)  # mixed encodings: UTF-16 among them
    assert figures["jieba"]["mb_per_s"] > 0 and figures["runs"][0]["times_jieba"] > 0
    for timed in (figures["jieba"], *figures["runs"]):  # two rounds each, the best kept
        assert len(timed["rounds"]) == 2 and timed["seconds"] == min(timed["rounds"])
    assert [round(d["mb"], 1) for d in figures["by_size"]] == [0.1, 0.1] and figures["small_files"]["files"] == 40
    assert all(0 < d["process_seconds"] < d["seconds"] for d in figures["by_size"])  # start-up is the CLI's
    assert "one document, its own cost:" in result.stdout


def test_ray_rows_reach_the_writer_in_input_order_whatever_order_they_arrive_in():
    from pipeline.ray_engine import in_input_order

    arrived = [{"source": s, "rows": s.encode()} for s in ("b.txt", "a.txt", "c.txt")]
    assert list(in_input_order(iter(arrived), ["a.txt", "b.txt", "c.txt"])) == [b"a.txt", b"b.txt", b"c.txt"]
    with pytest.raises(RuntimeError, match="no rows for 1 files, the first being d.txt"):
        list(in_input_order(iter(arrived), ["a.txt", "b.txt", "c.txt", "d.txt"]))

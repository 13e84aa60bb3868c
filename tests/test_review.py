"""Review pages, data dictionary and analyst examples, on freshly extracted seeds."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import pipeline
from conftest import ROOT, SHARED
from pipeline.dictionary import DICTIONARY, README, dictionary_markdown, readme_with_table
from pipeline.review import write_review
from pipeline.run import extract

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_corpus = pytest.mark.skipif(not (SHARED / "corpus").is_dir(), reason="needs ../shared/corpus beside the checkout")
KNOWN_TARGET = "全市乡镇卫生院40%以上达到国家推荐标准"  # seed 000, measure 1


@pytest.fixture(scope="module")
def site(seeds_out, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("review-out")
    for table in seeds_out.glob("*.parquet"):
        shutil.copy(table, out)
    write_review(out)
    return out / "review"


def _page_of(site: Path, doc_of, prefix: str) -> Path:
    return site / f"doc-{doc_of(prefix).doc_id}.html"


def test_index_lists_every_document_with_counts_and_charts(site, tables):
    index = (site / "index.html").read_text(encoding="utf-8")
    for source in tables["documents"].source_path:
        assert source in index
    for chart in ("Targets by deadline year", "Measures per lead organ", "Coverage", "Citation graph"):
        assert chart in index
    assert "卫生健康委员会（市）" in index  # leads counted by canonical organ and level
    for column in ("issuer", "issued", "region"):
        assert f"<th>{column}</th>" in index
    assert 'id="filter"' in index and 'option value="failed"' in index
    assert "<svg" in index and "http" not in index.replace("http-equiv", "")


def test_document_page_highlights_rows_with_their_values(site, doc_of):
    page = _page_of(site, doc_of, "000").read_text(encoding="utf-8")
    assert '<mark class="target"' in page
    assert f">{KNOWN_TARGET}</mark>" in page
    assert "&quot;comparator&quot;: &quot;&gt;=&quot;" in page and "target.number" in page
    assert '<mark class="deadline"' in page and '<mark class="lead"' in page and '<mark class="co"' in page
    assert 'id="m1"' in page and "市卫生健康委" in page
    assert 'value="target" checked> target (' in page  # a toggle per kind, with its count
    assert 'class="spans"' in page and "<summary>1 — " in page  # displaCy's stacked spans per measure


def test_overlapping_spans_are_all_shown_nested():
    from pipeline.review import render_text

    text = "到2025年全市达到90%以上"
    spans = [(0, 6, "deadline", {"text": "到2025年"}), (6, 14, "target", {"quote": "全市达到90%以上"}),
             (8, 11, "target", {"quote": "达到90%"})]
    shown = render_text(text, pd.DataFrame(columns=["start", "end", "seq"]), spans)
    assert shown.count("<mark") == 3 and shown.count("</mark>") == 3
    assert '<mark class="target"' in shown and "全市<mark" in shown  # the inner target nested in the outer


@needs_corpus
def test_review_reads_any_output_folder_and_replaces_its_site(tmp_path):
    out = tmp_path / "out"
    extract(SHARED / "corpus", out, quiet=True)
    site = write_review(out).parent
    (site / "doc-gone.html").write_text("a document that left the run")
    write_review(out)
    pages = {p.name for p in site.iterdir()}
    assert "doc-gone.html" not in pages and "index.html" in pages
    assert not [p for p in out.iterdir() if p.name.startswith(".review")]
    for page in site.iterdir():
        assert ">nan<" not in page.read_text(encoding="utf-8") and "None</td>" not in page.read_text(encoding="utf-8")


def test_pipeline_load_returns_every_table(seeds_out):
    tables = pipeline.load(seeds_out)
    assert set(tables) == {"documents", "measures", "targets", "deadlines", "departments", "citations", "links"}
    assert len(tables["measures"]) > 100


def test_load_gives_nullable_dtypes_and_lead_organs(seeds_out):
    tables = pipeline.load(seeds_out)
    targets, measures, docs = tables["targets"], tables["measures"], tables["documents"]
    assert str(targets.deadline_year.dtype) == "Int16" and targets.deadline_year.isna().any()
    assert str(targets.start.dtype) == "Int32" and str(measures.lead_department.dtype) == "string"
    assert docs.issue_date.dtype.kind == "M"  # dates as datetime64, NaT when missing
    assert str(docs.notice_title.dtype) == "string" and docs.notice_title.isna().any()
    led = measures.dropna(subset=["lead_canonical"])
    levels = {part for level in led.lead_level.dropna() for part in level.split("、")}  # 市、县: a series
    assert len(led) > 50 and levels <= {"国家", "省", "市", "县", "乡镇"}
    assert (measures.lead_department.notna() >= measures.lead_canonical.notna()).all()
    citations = tables["citations"]
    assert citations.measure_id.notna().any() and "cited_doc_id" in citations


def test_the_progress_line_off_a_terminal_gives_an_eta(capsys):
    from pipeline.run import Progress

    progress = Progress(total=4, quiet=False)
    progress.began -= 20
    progress.last -= 20
    progress.update("a.txt", 1024)
    err = capsys.readouterr().err
    assert "1/4 files" in err and "ETA 1m00s" in err and "last a.txt" in err


def test_data_dictionary_and_readme_table_are_generated_from_the_schema():
    assert DICTIONARY.read_text(encoding="utf-8") == dictionary_markdown(), "run `python -m pipeline dictionary`"
    readme = README.read_text(encoding="utf-8")
    assert readme == readme_with_table(readme), "run `python -m pipeline dictionary`"


def test_analyst_examples_answer_their_questions(seeds_out):
    run = subprocess.run([sys.executable, str(ROOT / "examples" / "analyst_questions.py"), str(seeds_out)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "卫生健康委员会" in run.stdout  # the department leading most measures
    assert "乡村医生中具备执业（助理）医师资格的人员比例" in run.stdout  # a target due in 2025
    assert "山西省" in run.stdout and "济宁市" in run.stdout  # regions compared
    assert "Which documents adopted the measures of" in run.stdout and "partial" in run.stdout  # a policy chain


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium fonts-wqy-zenhei)")
def test_headless_chromium_renders_the_highlights(site, doc_of, tmp_path):
    page = _page_of(site, doc_of, "000")
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'p'}"]
    dom = subprocess.run(flags + ["--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert f">{KNOWN_TARGET}</mark>" in dom.stdout
    shot = site / "screenshot-000.png"
    subprocess.run(flags + [f"--screenshot={shot}", "--window-size=1400,1000", page.as_uri()],
                   capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 20_000


def test_pages_show_linked_measures_and_the_index_the_citation_graph(site, doc_of):
    page = _page_of(site, doc_of, "001").read_text(encoding="utf-8")
    assert "Linked measures" in page and '<mark class="shared">' in page
    assert f'href="doc-{doc_of("003").doc_id}.html#m' in page  # a sibling's measure, anchored
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "Citation graph" in index and 'aria-label="citation graph"' in index


@needs_corpus
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium fonts-wqy-zenhei)")
def test_headless_chromium_renders_the_corpus_including_a_document_without_a_title(tmp_path):
    out = tmp_path / "out"
    extract(SHARED / "corpus", out, quiet=True)
    site = write_review(out).parent
    docs = pipeline.load(out)["documents"]
    untitled = docs[docs.title.isna()].iloc[0]
    page = site / f"doc-{untitled.doc_id}.html"
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'p'}"]
    dom = subprocess.run(flags + ["--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert f"<title>{untitled.source_path}</title>" in dom.stdout and "<mark" in dom.stdout
    index = subprocess.run(flags + ["--dump-dom", (site / "index.html").as_uri()], capture_output=True, text=True,
                           timeout=120)
    assert 'id="shown">17<' in index.stdout  # the filter script ran over all 17 rows
    shot = site / "screenshot-index.png"
    subprocess.run(flags + [f"--screenshot={shot}", "--window-size=1400,1000", (site / "index.html").as_uri()],
                   capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 20_000

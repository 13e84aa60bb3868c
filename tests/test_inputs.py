"""Every real-world input: one documents row per file, the right status, nothing lost."""
from __future__ import annotations

import io
import shutil
import signal
import subprocess
import sys
import time
import zipfile

import docx
import opencc
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import RAW
from pipeline.nlp import context
from pipeline.process import process
from pipeline.run import extract, list_inputs

SEED = (RAW / "000_5162da9629d6c503.txt").read_text(encoding="utf-8")


def _docx_bytes(text: str) -> bytes:
    document = docx.Document()
    for line in text.split("\n"):
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("a.txt", "x")
    return buffer.getvalue()


BAD_INPUTS: dict[str, tuple[bytes, str, str | None]] = {
    # name: (bytes, expected status, start of the expected error)
    "empty.txt": (b"", "failed", "file is empty"),
    "blank.txt": (b"  \n\t\r\n ", "failed", "file holds only white space"),
    "scan.txt": (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", "failed", "not text: looks like a PDF"),
    "image.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "failed", "not text: looks like a PNG"),
    "archive.txt": (_zip_bytes(), "failed", "not text: looks like a ZIP"),
    "binary.txt": (bytes(range(256)) * 8, "failed", "not text"),
    "broken.docx": (b"PK\x03\x04 not really a docx", "failed", "not a readable .docx"),
    "no_numbering.txt": ("本文没有任何编号。只是一段普通的说明文字，到2025年完成。".encode(), "ok", None),
    "utf8_bom.txt": (b"\xef\xbb\xbf" + SEED.encode("utf-8"), "ok", None),
    "gbk.txt": (SEED.encode("gb18030"), "ok", None),
    "utf16.txt": (SEED.encode("utf-16"), "ok", None),
    "crlf.txt": (SEED.replace("\n", "\r\n").encode("utf-8"), "ok", None),
    "cr.txt": (SEED.replace("\n", "\r").encode("utf-8"), "ok", None),
    "nested/deeper/plan.docx": (_docx_bytes(SEED), "ok", None),
    "page.html": (("<html><head><title>站点</title></head><body><div class='nav'>首页 政务公开</div>"
                   + "".join(f"<p>{line}</p>" for line in SEED.split("\n"))
                   + "<div class='footer'>版权所有</div></body></html>").encode("gb18030"), "ok", None),
}


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    inputs = root / "in"
    for name, (data, _, _) in BAD_INPUTS.items():
        (inputs / name).parent.mkdir(parents=True, exist_ok=True)
        (inputs / name).write_bytes(data)
    (inputs / "one_line.txt").write_text((SEED.replace("\n", "") * 400)[: 2 * 1024 * 1024 // 3], encoding="utf-8")
    with open(inputs / "huge.txt", "wb") as f:  # 50 MB
        f.truncate(50 * 1024 * 1024)
    (inputs / ".hidden.txt").write_text("hidden")
    (inputs / "~$draft.docx").write_bytes(b"lock")
    (inputs / "notes.txt~").write_text("editor backup")
    gone = inputs / "gone.txt"
    gone.write_text(SEED, encoding="utf-8")
    paths = list_inputs(inputs)
    gone.unlink()  # disappears between listing and reading
    summary = extract(inputs, root / "out", quiet=True, paths=paths)
    docs = pq.read_table(root / "out" / "documents.parquet").to_pandas().set_index("source_path")
    return summary, docs


def test_one_row_per_file_and_skipped_droppings(bad_run):
    summary, docs = bad_run
    assert sorted(docs.index) == sorted([*BAD_INPUTS, "one_line.txt", "huge.txt", "gone.txt"])
    assert summary.files == len(docs)
    assert not docs.error.fillna("").str.startswith("internal error").any()


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_status_and_error_of_each_bad_input(bad_run, name):
    _, docs = bad_run
    _, status, error = BAD_INPUTS[name]
    row = docs.loc[name]
    assert row.status == status
    if error is None:
        assert pd.isna(row.error)
    else:
        assert row.error.startswith(error)


def test_big_files_and_vanished_files_have_actionable_errors(bad_run):
    _, docs = bad_run
    assert docs.loc["huge.txt", "error"].startswith("file is too large (50 MB > 20 MB)")
    assert "--max-mb" in docs.loc["huge.txt", "error"]
    assert docs.loc["gone.txt", "error"].startswith("file disappeared")
    assert docs.loc["one_line.txt", "status"] == "ok"


def test_the_same_seed_in_every_encoding_gives_the_same_rows(tmp_path):
    traditional = opencc.OpenCC("s2t").convert(SEED)
    encodable = "".join(c if c.encode("big5", "ignore") or c in "\n" else "口" for c in traditional)
    for encoding in ("utf-8", "gb18030", "big5", "utf-16"):
        (tmp_path / "in").mkdir(exist_ok=True)
        (tmp_path / "in" / f"{encoding}.txt").write_bytes(encodable.encode(encoding))
    extract(tmp_path / "in", tmp_path / "out", quiet=True)
    docs = pq.read_table(tmp_path / "out" / "documents.parquet").to_pandas()
    assert set(docs.status) == {"ok"}
    assert set(docs.encoding) == {"utf-8", "gb18030", "big5", "utf-16"}
    assert docs.text.nunique() == 1
    for table, columns in (("measures", ["seq", "label", "text", "lead_department"]),
                           ("targets", ["value", "unit", "comparator", "start"]),
                           ("departments", ["name", "role", "rank", "start"])):
        rows = pq.read_table(tmp_path / "out" / f"{table}.parquet").to_pandas()
        per_doc = [g[columns].reset_index(drop=True) for _, g in rows.groupby("doc_id")]
        assert len(per_doc) == 4 and len(per_doc[0]) > 0
        for other in per_doc[1:]:
            assert other.equals(per_doc[0]), table


def test_rerun_reuses_unchanged_files_and_follows_changes(tmp_path):
    inputs = tmp_path / "in"
    shutil.copytree(RAW, inputs)
    first = extract(inputs, tmp_path / "out", quiet=True)
    before = {p.name: pq.read_table(p) for p in (tmp_path / "out").glob("*.parquet")}
    second = extract(inputs, tmp_path / "out", quiet=True)
    assert (first.reused, second.reused) == (0, 5)
    for name, table in before.items():
        assert pq.read_table(tmp_path / "out" / name).equals(table)
    changed = inputs / "004_063d5a3d4283f88e.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\n（五）新增一项。到2030年完成。", encoding="utf-8")
    (inputs / "001_ba5da1a0f897df4c.txt").unlink()
    third = extract(inputs, tmp_path / "out", quiet=True)
    assert (third.files, third.reused) == (4, 3)
    docs = pq.read_table(tmp_path / "out" / "documents.parquet").to_pandas()
    assert not docs.source_path.str.startswith("001").any()


def test_a_killed_run_leaves_the_previous_outputs_readable_and_unchanged(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(400):  # distinct documents, so the run takes several seconds
        (inputs / f"doc{i:02d}.txt").write_text(SEED + f"\n（{i}）", encoding="utf-8")
    out = tmp_path / "out"
    extract(RAW, out, quiet=True)
    before = {p.name: p.read_bytes() for p in out.glob("*.parquet")}
    run = subprocess.Popen([sys.executable, "-m", "pipeline", "extract", str(inputs), str(out), "--full",
                            "--jobs", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2.5)
    assert run.poll() is None, "the run ended before it could be killed: give it more input"
    run.send_signal(signal.SIGKILL)
    run.wait()
    assert {p.name: p.read_bytes() for p in out.glob("*.parquet")} == before
    for name in before:
        pq.read_table(out / name)
    time.sleep(1)  # the pool's workers follow their parent
    workers = subprocess.run(["pgrep", "-f", str(inputs)], capture_output=True, text=True).stdout.split()
    assert workers == [], "worker processes outlived the killed run"


_ALPHABET = st.sampled_from(list("一二三四五六七八九十（）()、，。；：\n 1234567890.%‰—-～年月日底前每到"
                                 "责任单位牵头市卫生健康委省财政厅县人民政府《》“”〔〕第条章以上不少于个人元"
                                 "專業醫療(zhuān)<p></p>&nbsp;\r\t\x00\ufeff"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=_ALPHABET, max_size=200))
def test_arbitrary_text_goes_through_every_stage(text):
    rows = process(text.encode("utf-8"), "fuzz.txt", context())
    document = rows.document
    assert document["status"] in {"ok", "failed"}
    assert not (document["error"] or "").startswith("internal error")
    if document["status"] == "ok":
        for table in ("measures", "targets", "deadlines", "departments"):
            for row in rows.tables[table]:
                assert 0 <= row["start"] <= row["end"] <= document["n_chars"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_identical_files_are_extracted_once(tmp_path, jobs):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        (inputs / name).write_text(SEED, encoding="utf-8")
    summary = extract(inputs, tmp_path / "out", quiet=True, jobs=jobs)
    docs = pq.read_table(tmp_path / "out" / "documents.parquet").to_pandas().set_index("source_path")
    assert summary.ok == 3 and docs.doc_id.nunique() == 1
    assert pd.isna(docs.loc["a.txt", "duplicate_of"])
    assert list(docs.duplicate_of[1:]) == ["a.txt", "a.txt"]
    measures = pq.read_table(tmp_path / "out" / "measures.parquet").to_pandas()
    assert len(measures) == 22 and measures.measure_id.is_unique


def test_rerunning_a_folder_with_copies_and_empty_files_keeps_one_row_per_file(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("a.txt", "b.txt"):
        (inputs / name).write_text(SEED, encoding="utf-8")
    for name in ("e1.txt", "e2.txt"):
        (inputs / name).write_bytes(b"")
    for run in range(3):
        summary = extract(inputs, tmp_path / "out", quiet=True)
        docs = pq.read_table(tmp_path / "out" / "documents.parquet").to_pandas()
        assert sorted(docs.source_path) == ["a.txt", "b.txt", "e1.txt", "e2.txt"], run
        assert len(pq.read_table(tmp_path / "out" / "measures.parquet")) == 22
    assert summary.reused == 4
    (inputs / "b.txt").unlink()
    extract(inputs, tmp_path / "out", quiet=True)
    docs = pq.read_table(tmp_path / "out" / "documents.parquet").to_pandas()
    assert sorted(docs.source_path) == ["a.txt", "e1.txt", "e2.txt"]


def test_an_unchanged_rerun_takes_every_row_and_link_from_the_previous_tables(tmp_path, seeds_out):
    out = tmp_path / "out"
    extract(RAW, out, quiet=True)
    summary = extract(RAW, out, quiet=True)
    assert summary.reused == 5
    for name in ("documents", "measures", "citations", "links"):
        assert pq.read_table(out / f"{name}.parquet").equals(pq.read_table(seeds_out / f"{name}.parquet")), name


def test_small_files_read_in_batches_give_the_tables_of_one_job(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    lines = SEED.split("\n")
    for i in range(64):  # 64 files, 2 jobs: the pool reads them four to a batch
        text = "\n".join(lines[i % 9: i % 9 + 12]).replace("2025", str(2030 + i))
        (inputs / f"doc{i:02d}.txt").write_text(text, encoding="utf-8")
    (inputs / "doc05.txt").write_bytes((inputs / "doc03.txt").read_bytes())  # a copy in the same batch
    (inputs / "doc40.txt").write_bytes((inputs / "doc03.txt").read_bytes())  # ... and in a later one
    (inputs / "doc17.txt").write_bytes(b"")  # an empty file
    (inputs / "doc22.txt").write_bytes(bytes(range(256)) * 8)  # a binary one: failed
    one, two = extract(inputs, tmp_path / "one", quiet=True, jobs=1), extract(inputs, tmp_path / "two", quiet=True, jobs=2)
    assert (one.ok, one.failed) == (two.ok, two.failed) and one.rows == two.rows and two.failed >= 1
    for name in ("documents", "measures", "targets", "deadlines", "departments", "citations", "links"):
        assert pq.read_table(tmp_path / "one" / f"{name}.parquet").equals(pq.read_table(tmp_path / "two" / f"{name}.parquet")), name
    docs = pq.read_table(tmp_path / "two" / "documents.parquet").to_pandas().set_index("source_path")
    assert list(docs.loc[["doc05.txt", "doc40.txt"], "duplicate_of"]) == ["doc03.txt", "doc03.txt"]


@pytest.mark.parametrize("text", [SEED * 3, "傀下" * 1000])  # 4096 bytes end inside a character
def test_utf8_whose_sample_ends_inside_a_character_is_read_as_utf8(text):
    from pipeline.ingest.read import decode

    data = text.encode("utf-8")
    assert len(data) > 4096 and data[4096] & 0xC0 == 0x80  # the byte after the sample continues a character
    # 傀下 read two bytes at a time is 若许, common characters: only the sample's validity as UTF-8 tells
    assert (decoded := decode(data)).encoding == "utf-8" and decoded.text == text


@pytest.mark.parametrize("data", [
    SEED.encode("utf-8")[:1999],  # a copy cut off inside a character
    SEED.encode("utf-8")[:1999] + "附：1".encode("utf-8"),  # ... with more after the cut
    SEED[:200].encode("utf-8") + b"\xff" + SEED[200:300].encode("utf-8"),  # a stray byte
])
def test_utf8_with_a_few_undecodable_bytes_is_read_with_them_replaced(data):
    from pipeline.ingest.read import decode

    decoded = decode(data)
    assert decoded.encoding == "utf-8 (1 undecodable byte sequence(s) replaced)"
    assert decoded.text == data.decode("utf-8", errors="replace") and decoded.text.count("\ufffd") == 1


def test_legacy_text_stays_legacy_and_garbage_stays_undecodable():
    from pipeline.ingest.read import ReadError, decode

    assert decode(SEED.encode("gb18030")).encoding == "gb18030"  # no valid UTF-8 in it: not damaged UTF-8
    mostly_ascii = ("Report 2024\n" * 30 + "加强领导\n").encode("gb18030")  # read as UTF-16 it looked like Han
    assert (decoded := decode(mostly_ascii)).encoding == "gb18030" and decoded.text.endswith("加强领导\n")
    with pytest.raises(ReadError, match="cannot decode"):
        decode(bytes(range(0x80, 0x100)) * 8 + b"\xff\xfe\xfd")


@pytest.mark.parametrize("codec", ["gb18030", "utf-8", "big5"])
@pytest.mark.parametrize("reading", ["latin-1", "cp1252"])
def test_mojibake_of_chinese_bytes_read_as_latin_1_is_repaired(codec, reading):
    from pipeline.ingest.read import decode

    text = SEED[:3000]
    if codec == "big5":
        text = "".join(c if c.encode("big5", "ignore") or c in "\n" else "口" for c in opencc.OpenCC("s2t").convert(text))
    data = text.encode(codec)
    # as a browser reads Windows-1252: the five bytes it has no character for stay C1 controls
    mangled = "".join(bytes([b]).decode(reading, errors="ignore") or chr(b) for b in data)
    decoded = decode(mangled.encode("utf-8"))
    assert decoded.encoding.endswith("(repaired: it had been read as Latin-1)") and decoded.text == text


def test_latin_text_and_legacy_copies_with_a_stray_byte():
    from pipeline.ingest.read import decode

    french = "Résumé des mesures : création d'emplois, formation élémentaire à l'été. " * 20
    assert decode(french.encode("utf-8")) == decode(french.encode("utf-8")) and decode(french.encode("utf-8")).text == french
    accents = "ÀÉÎÕÜàéîõü" * 100  # all Latin-1, but its bytes do not read as common Han
    assert decode(accents.encode("utf-8")).encoding == "utf-8"
    data = SEED[:300].encode("gb18030") + b"\xff" + SEED[300:600].encode("gb18030")
    decoded = decode(data)
    assert decoded.encoding.startswith("gb18030 (") and decoded.text.count("\ufffd") == 1
    assert decoded.text.replace("\ufffd", "") == SEED[:600]


def test_the_cycle_collector_is_paused_while_a_document_is_read_and_resumes_after():
    import gc

    from pipeline.process import _cycle_collector_paused, _process

    seen: list[int] = []
    gc.callbacks.append(collected := lambda phase, info: seen.append(info["generation"]))
    try:
        with _cycle_collector_paused():
            junk = [[] for _ in range(100_000)]  # enough new objects for many collections
            assert not gc.isenabled() and seen == []
        del junk
        assert gc.isenabled()
        gc.disable()  # a caller that paused it keeps it paused
        with _cycle_collector_paused():
            pass
        assert not gc.isenabled()
        gc.enable()
        ctx, raw = context(), (SEED * 10).encode("utf-8")  # a document that keeps many objects alive
        process(raw, "a.txt", ctx)
        seen.clear()
        rows = process(raw, "a.txt", ctx)
        paused = len(seen)
        seen.clear()
        _process(raw, "a.txt", ctx, None)  # the same work with the collector running
        assert rows.document["status"] == "ok" and gc.isenabled() and paused < len(seen)  # only as it resumes
    finally:
        gc.callbacks.remove(collected)
        gc.enable()


@pytest.mark.parametrize("text, share", [
    ("的一是", 1.0),  # GB2312 level 1: the common characters
    ("亍丌", 0.0),  # level 2: rare ones, as a wrong legacy decoding gives
    ("的堃", 0.5),  # a Han character GB2312 lacks is rare too
    ("們", 1.0),  # read once simplified (们)
    ("的a亍b 1", 0.5),  # only Han characters count
    ("abc 123", 0.0),
])
def test_the_common_han_share_counts_the_level_one_characters_among_the_han(text, share):
    from pipeline.ingest.read import _common_han_share

    assert _common_han_share(text) == share

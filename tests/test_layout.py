"""Copies whose lines a fixed-width layout broke (a PDF's text, a print copy): the lines are
joined again, so a seed broken at 28 characters a line reads like the seed itself; a copy
with one paragraph per line is left as it is."""
from __future__ import annotations

import unicodedata

from conftest import RAW
from pipeline.nlp import context
from pipeline.process import process

SEED = "000_5162da9629d6c503.txt"


def _broken(text: str, columns: int = 56) -> str:
    """``text`` with a line break wherever a line would pass ``columns`` display columns."""
    out = []
    for line in text.split("\n"):
        current, width = "", 0
        for c in line:
            w = 2 if unicodedata.east_asian_width(c) in "WF" else 1
            if width + w > columns:
                out.append(current)
                current, width = "", 0
            current, width = current + c, width + w
        out.append(current)
    return "\n".join(out)


def _read(text: str) -> dict:
    tables = process(text.encode("utf-8"), SEED, context()).tables
    return {
        "measures": [(m["label"], m["text"], m["lead_department"], list(m["co_departments"])) for m in tables["measures"]],
        "targets": [(t["indicator"], t["value"], t["unit"], t["comparator"], t["deadline_year"]) for t in tables["targets"]],
        "deadlines": [(d["kind"], d["text"], d["date"]) for d in tables["deadlines"]],
    }


def test_a_copy_broken_at_a_fixed_width_reads_like_the_original():
    original = process((RAW / SEED).read_bytes(), SEED, context()).tables["documents"][0]["text"]
    broken = _broken(original)
    assert broken.count("\n") > original.count("\n") + 100  # the layout broke many lines
    assert _read(broken) == _read(original)


def test_a_copy_with_one_paragraph_per_line_keeps_its_lines():
    original = process((RAW / SEED).read_bytes(), SEED, context()).tables["documents"][0]["text"]
    again = process(original.encode("utf-8"), SEED, context()).tables["documents"][0]["text"]
    assert again.split("\n") == original.split("\n")

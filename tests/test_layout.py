"""Copies whose lines a fixed-width layout broke (a PDF's text, a print copy): the lines are
joined again, so a seed broken at 28 characters a line reads like the seed itself; a copy
with one paragraph per line is left as it is. Tables copied one cell a line keep their
serial numbers, and a task table's rows are measures."""
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


TASK_TABLE = ("某市优化营商环境重点任务分工方案\n一、总体要求\n到2025年，营商环境进入全省第一方阵。\n二、重点任务\n"
              "序号\n重点任务\n牵头单位\n配合单位\n完成时限\n"
              "1\n推行企业开办“一网通办”\n市市场监管局\n市税务局、市公安局\n2024年6月底前\n"
              "2\n实现工程建设项目审批全流程网上办理\n市住房城乡建设局\n市自然资源局\n2024年12月底前\n")


def test_a_task_table_copied_one_cell_a_line_keeps_its_serials_and_its_rows_are_measures():
    rows = process(TASK_TABLE.encode("utf-8"), "table.txt", context())
    measures = rows.tables["measures"]
    assert [(m["label"], m["lead_department"], list(m["co_departments"])) for m in measures] == [
        ("1", "市市场监管局", ["市税务局", "市公安局"]), ("2", "市住房城乡建设局", ["市自然资源局"])]
    assert {d["measure_id"] for d in rows.tables["deadlines"] if d["text"].endswith("底前")} == \
        {m["measure_id"] for m in measures}


def test_a_directory_tables_serials_stay_text_and_its_rows_are_no_measures():
    directory = TASK_TABLE.split("序号")[0] + "（一）优化服务。各街道服务中心地址如下：\n序号\n单位\n办公电话\n1\n沙河街\n37286460\n2\n五山街\n87999952\n"
    rows = process(directory.encode("utf-8"), "directory.txt", context())
    assert [m["label"] for m in rows.tables["measures"]] == ["（一）"]
    assert "\n1\n沙河街" in rows.document["text"]

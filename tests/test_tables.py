"""Task tables (序号 / 项目内容 / 牵头单位 …): one measure per numbered row, its lead and co
departments from the department cells, whether the table is a web table or a copy that
flattened it into one space-separated line."""
from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from pipeline.run import extract

FLAT = ("某市民生实事项目\n"
        "序号 项目内容 牵头单位 配合单位 完成时限 1 新建城区公办幼儿园3所 市教育局 市财政局 2024年底前 "
        "2 改造老旧小区40个 市住房城乡建设局 市财政局、市自然资源局 2024年11月底前\n")
PAGE = """<html><head><meta charset="utf-8"><title>某市民生实事项目</title></head><body><div class="content">
<p>为切实办好民生实事，现将任务分工如下。</p>
<table><tr><td>序号</td><td>项目内容</td><td>牵头单位</td><td>配合单位</td><td>完成时限</td></tr>
<tr><td>1</td><td>新建城区公办幼儿园3所</td><td>市教育局</td><td>市财政局</td><td>2024年底前</td></tr>
<tr><td>2</td><td>改造老旧小区40个</td><td>市住房城乡建设局</td><td>市财政局、市自然资源局</td><td>2024年11月底前</td></tr>
</table></div></body></html>"""


def _rows(tmp_path: Path, name: str, content: str) -> dict:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / name).write_text(content, encoding="utf-8")
    extract(raw, tmp_path / "out", quiet=True)
    return {t: pq.read_table(tmp_path / "out" / f"{t}.parquet").to_pylist()
            for t in ("documents", "measures", "deadlines")}


def _check_task_table(rows: dict) -> None:
    measures = sorted(rows["measures"], key=lambda m: m["seq"])
    assert [m["label"] for m in measures] == ["1", "2"]
    assert [m["text"].split("\n")[0] for m in measures] == ["新建城区公办幼儿园3所", "改造老旧小区40个"]
    assert [m["lead_department"] for m in measures] == ["市教育局", "市住房城乡建设局"]
    assert [list(m["co_departments"]) for m in measures] == [["市财政局"], ["市财政局", "市自然资源局"]]
    assert sorted(str(d["date"]) for d in rows["deadlines"]) == ["2024-11-30", "2024-12-31"]
    assert rows["documents"][0]["title"] != "项目内容"  # a header cell is never the title


def test_a_flattened_task_table_is_read_row_by_row(tmp_path):
    rows = _rows(tmp_path, "flat.txt", FLAT)
    _check_task_table(rows)
    assert "序号\n项目内容\n牵头单位" in rows["documents"][0]["text"]  # cells became lines


def test_a_web_task_table_is_read_row_by_row(tmp_path):
    _check_task_table(_rows(tmp_path, "page.html", PAGE))


def test_a_number_alone_on_a_line_outside_a_table_is_not_an_item(tmp_path):
    text = ("关于加强社区服务的通知\n一、加强社区服务\n社区要完善服务设施。\n3\n做好日常管理工作。\n"
            "二、强化保障\n各街道要加强组织领导。\n")
    measures = _rows(tmp_path, "prose.txt", text)["measures"]
    assert [m["label"] for m in measures] == ["一", "二"]


def test_a_task_table_copied_one_row_per_line_is_read_row_by_row(tmp_path):
    text = ("某市民生实事项目\n序号 项目内容 牵头单位 配合单位 完成时限\n1 新建城区公办幼儿园3所 市教育局 市财政局 2024年底前\n"
            "2 改造老旧小区40个 市住房城乡建设局 市财政局、市自然资源局 2024年11月底前\n")
    _check_task_table(_rows(tmp_path, "rows.txt", text))

"""Indicator tables (主要指标表): a plan's indicators with base-year and target-year values.
Each row's target-year value is a target with the row's indicator and unit and the column's
year; base-year values are the present, and the rows are never measures — whether the table
is a web table, a Word table or a text copy with tabs or one row per line."""
from __future__ import annotations

import io
from pathlib import Path

import docx
import pyarrow.parquet as pq

from pipeline.run import extract

PAGE = """<html><head><meta charset="utf-8"><title>某市“十四五”规划纲要</title></head><body><div class="content">
<p>某市国民经济和社会发展第十四个五年规划纲要</p><p>第二章 主要目标</p><p>到2025年，经济实力显著增强。</p>
<table><tr><td>类别</td><td>指标</td><td>单位</td><td>2020年</td><td>2025年</td><td>属性</td></tr>
<tr><td rowspan="2">经济发展</td><td>地区生产总值年均增长</td><td>%</td><td>—</td><td>6左右</td><td>预期性</td></tr>
<tr><td>常住人口城镇化率</td><td>%</td><td>60</td><td>65</td><td>预期性</td></tr>
<tr><td>单位地区生产总值能源消耗降低</td><td>%</td><td>—</td><td>〔14〕</td><td>约束性</td></tr>
<tr><td>森林覆盖率</td><td>%</td><td>40</td><td>&gt;42</td><td>约束性</td></tr></table>
<p>第三章 坚持创新驱动发展</p><p>一、强化科技创新。研发经费投入强度达到2.8%。</p>
<p>二、培育创新主体。新增高新技术企业100家。</p></div></body></html>"""
WEB_TARGETS = [("地区生产总值年均增长", 6.0, "%", "~"), ("常住人口城镇化率", 65.0, "%", "="),
               ("单位地区生产总值能源消耗降低", 14.0, "%", "="), ("森林覆盖率", 42.0, "%", ">"),
               ("研发经费投入强度", 2.8, "%", "="), ("新增高新技术企业", 100.0, "家", "=")]
TABBED = ("某县“十四五”教育发展规划\n二、发展目标\n指标\t2020年\t2025年\t属性\n"
          "学前教育毛入园率（%）\t90\t95\t预期性\n九年义务教育巩固率（%）\t95.5\t≥97\t约束性\n"
          "每千人口托位数（个）\t1.5\t—\t预期性\n三、主要任务\n（一）扩大学前教育资源。新建幼儿园10所。\n")
ROW_LINES = ("某市“十四五”卫生健康规划\n二、主要目标\n序号　指标　2020年　2025年　指标性质\n"
             "1　人均预期寿命（岁）　78.5　79.5　预期性\n2　婴儿死亡率（‰）　3.2　＜4.0　预期性\n\n"
             "三、重点任务\n（一）完善公共卫生服务体系。每个县至少建设1所传染病医院。\n（二）提升医疗服务水平。\n")


def _rows(tmp_path: Path, name: str, content: str | bytes) -> dict:
    raw = tmp_path / "raw"
    raw.mkdir()
    path = raw / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    extract(raw, tmp_path / "out", quiet=True)
    return {t: pq.read_table(tmp_path / "out" / f"{t}.parquet").to_pylist() for t in ("measures", "targets")}


def _targets(rows: dict) -> list[tuple]:
    return [(t["indicator"], t["value"], t["unit"], t["comparator"]) for t in rows["targets"]]


def test_a_web_indicator_table_gives_each_row_its_target_year_value(tmp_path):
    rows = _rows(tmp_path, "plan.html", PAGE)
    assert _targets(rows) == WEB_TARGETS
    table = [t for t in rows["targets"] if t["rule"] == "target.table_value"]
    assert {t["deadline_year"] for t in table} == {2025}
    assert all(t["measure_id"] is None for t in table)  # the table stands under a heading, in no item
    assert table[1]["quote"] == "常住人口城镇化率\n%\n60\n65"  # from the indicator cell to the value
    assert [m["label"] for m in rows["measures"]] == ["一", "二"]  # rows and values are no items


def test_a_tab_separated_copy_reads_the_unit_from_the_indicator(tmp_path):
    rows = _rows(tmp_path, "plan.txt", TABBED)
    assert _targets(rows) == [("学前教育毛入园率", 95.0, "%", "="), ("九年义务教育巩固率", 97.0, "%", ">="),
                              ("幼儿园", 10.0, "所", "=")]  # — states no value
    assert [m["label"] for m in rows["measures"]] == ["（一）"]


def test_a_copy_with_one_row_per_line_is_split_into_cells(tmp_path):
    rows = _rows(tmp_path, "plan.txt", ROW_LINES)
    assert _targets(rows)[:2] == [("人均预期寿命", 79.5, "岁", "="), ("婴儿死亡率", 4.0, "‰", "<")]
    assert [m["label"] for m in rows["measures"]] == ["（一）", "（二）"]


def test_a_word_table_of_a_work_plan_takes_its_target_column(tmp_path):
    document = docx.Document()
    document.add_paragraph("某县2023年重点工作目标")
    document.add_paragraph("一、主要指标")
    cells = [["序号", "指标名称", "2022年完成", "2023年目标", "责任单位"],
             ["1", "一般公共预算收入（亿元）", "12.5", "13.5", "县财政局"],
             ["2", "城镇新增就业（人）", "3200", "≥3000", "县人社局"]]
    table = document.add_table(rows=len(cells), cols=len(cells[0]))
    for row, values in zip(table.rows, cells):
        for cell, value in zip(row.cells, values):
            cell.text = value
    buffer = io.BytesIO()
    document.save(buffer)
    rows = _rows(tmp_path, "plan.docx", buffer.getvalue())
    assert _targets(rows) == [("一般公共预算收入", 13.5, "亿元", "="), ("城镇新增就业", 3000.0, "人", ">=")]
    assert {t["deadline_year"] for t in rows["targets"]} == {2023}  # 2022年完成 is the base year

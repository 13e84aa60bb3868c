"""The outline of a whole document: which numbered lines are headings and which measures."""
from __future__ import annotations

from pipeline.nlp import context
from pipeline.process import process

PLAN = ("某市数字经济发展行动计划\n一、实施数字基础设施提升行动\n"
        "（一）加快5G网络建设。新建5G基站3000个。（牵头单位：市工业和信息化局）\n"
        "（二）建设算力中心。新增标准机架2000个。（牵头单位：市大数据局，完成时限：2025年6月）\n"
        "专栏1　数字基础设施重点工程\n1.5G网络覆盖工程：新建5G基站3000个。\n2.城市大数据中心二期工程：新增标准机架2000个。\n"
        "二、实施产业数字化转型行动\n（三）推动制造业数字化转型。每年推动100家企业实施数字化改造。\n")


def test_a_box_stands_beside_the_item_before_it_and_its_projects_nest_under_it():
    tables = process(PLAN.encode("utf-8"), "plan.txt", context()).tables
    measures = [(m["label"], m["path"][-1], m["lead_department"]) for m in tables["measures"]]
    assert measures == [
        ("（一）", "一、实施数字基础设施提升行动", "市工业和信息化局"),
        ("（二）", "一、实施数字基础设施提升行动", "市大数据局"),  # a measure, not the box's heading
        ("1", "专栏1数字基础设施重点工程", None),
        ("2", "专栏1数字基础设施重点工程", None),
        ("（三）", "二、实施产业数字化转型行动", None),
    ]
    second = tables["measures"][1]["measure_id"]
    assert [(d["kind"], str(d["date"])) for d in tables["deadlines"] if d["measure_id"] == second] == \
        [("deadline", "2025-06-30")]  # its note's time limit


RULES = ("某市城市绿化管理办法\n第一章\n总则\n第一条 为了加强城市绿化管理，制定本办法。\n"
         "第二章\n规划与建设\n第二条 新建居住区绿地率不得低于30%。\n")
PDF_PLAN = ("某县乡村振兴实施方案\n一、\n总体要求\n（一）\n指导思想\n以新发展理念为指导，全面推进乡村振兴。\n"
            "二、\n重点任务\n（一）\n发展特色产业\n每个乡镇建成1个特色产业基地。\n")


def test_a_number_alone_on_its_line_takes_the_title_on_the_next_line():
    tables = process(RULES.encode("utf-8"), "rules.txt", context()).tables
    assert [(m["label"], m["path"]) for m in tables["measures"]] == [
        ("第一条", ["第一章总则"]), ("第二条", ["第二章规划与建设"])]


def test_a_framing_title_below_a_bare_number_is_a_section_not_a_measure():
    tables = process(PDF_PLAN.encode("utf-8"), "plan.txt", context()).tables
    assert [(m["label"], m["path"], m["text"]) for m in tables["measures"]] == [
        ("（一）", ["二、重点任务"], "发展特色产业\n每个乡镇建成1个特色产业基地。")]

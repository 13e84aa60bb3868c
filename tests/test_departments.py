"""Departments assigned through a whole document: which measures a note covers, read with
the real rules through ``process``."""
from __future__ import annotations

from pipeline.nlp import context
from pipeline.process import process


def _measures(text: str) -> list[tuple[str, str | None, list[str]]]:
    tables = process(text.encode("utf-8"), "plan.txt", context()).tables
    return [(m["label"], m["lead_department"], list(m["co_departments"])) for m in tables["measures"]]


def test_a_note_on_its_own_line_closes_the_item_above_it_whether_or_not_it_ends_in_a_full_stop():
    plan = ("某县农村生活污水治理实施方案\n一、重点任务\n"
            "（一）科学编制规划。于2024年6月30日前完成专项规划编制。\n"
            "牵头单位：县生态环境局；配合单位：县自然资源局、县农业农村局。\n"
            "（二）加快设施建设。新建污水管网不少于60公里。\n"
            "牵头单位：县住房和城乡建设局；配合单位：县财政局\n"
            "（三）强化运行维护。建立运维管理机制。\n")
    assert _measures(plan) == [
        ("（一）", "县生态环境局", ["县自然资源局", "县农业农村局"]),
        ("（二）", "县住房和城乡建设局", ["县财政局"]),
        ("（三）", None, []),
    ]

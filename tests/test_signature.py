"""The closing signature block: who signs above the date is the issuer, and no measure's text."""
from __future__ import annotations

from pipeline.nlp import context
from pipeline.process import process

NOTICE = ("广州市医疗保险服务中心关于开展2026年度城乡居民基本医疗保险集中参保缴费工作的通告\n\n"
          "现就有关事项通告如下：\n\n一、参保范围\n\n（一）本市行政区域内的全日制在校学生；\n\n"
          "（二）其他参保人员。\n\n二、缴费时间\n\n集中参保期为2025年10月下旬至2025年12月20日。\n\n")


def _read(text: str):
    rows = process(text.encode("utf-8"), "notice.txt", context())
    return rows.document, rows.tables


def test_an_institution_signing_above_the_closing_date_is_the_issuer_and_no_measure_text():
    document, tables = _read(NOTICE.replace("广州市医疗保险服务中心关于", "关于")
                             + "广州市社会保险基金管理中心\n\n2025年10月14日\n")
    assert document["issuer"] == "广州市社会保险基金管理中心"
    assert document["region"] == "广州市" and str(document["issue_date"]) == "2025-10-14"
    last = tables["measures"][-1]
    assert last["text"].endswith("2025年12月20日。"), last["text"]


def test_joint_signers_one_a_line_are_joined_in_order():
    document, _ = _read(NOTICE.replace("广州市医疗保险服务中心关于", "关于")
                        + "广州市医疗保障局\n\n广州市财政局\n\n2025年10月14日\n")
    assert document["issuer"] == "广州市医疗保障局、广州市财政局"


def test_a_title_opening_with_an_institution_names_the_issuer_before_any_signature():
    document, _ = _read(NOTICE + "广州市社会保险基金管理中心\n\n2025年10月14日\n")
    assert document["issuer"] == "广州市医疗保险服务中心"


def test_a_last_paragraph_that_only_ends_like_an_organ_stays_measure_text():
    document, tables = _read(NOTICE.replace("广州市医疗保险服务中心关于", "关于")
                             + "咨询电话详见服务中心。\n\n2025年10月14日\n")
    assert document["issuer"] is None
    assert tables["measures"][-1]["text"].endswith("咨询电话详见服务中心。")

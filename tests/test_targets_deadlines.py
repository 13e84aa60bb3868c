"""Numeric targets and time expressions on real seed sentences, and the number reader."""
from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import given, settings, strategies as st

from pipeline.examples import EXAMPLE_YEAR, _deadlines, _targets
from pipeline.extract.numbers import chinese_to_int, parse_number
from pipeline.nlp import context
from pipeline.process import process


def targets(sentence: str, year: int = EXAMPLE_YEAR) -> list[str]:
    return _targets(None, sentence, context(), year)


def times(sentence: str, year: int = EXAMPLE_YEAR) -> list[str]:
    return _deadlines(None, sentence, context(), year)


# -- numbers ------------------------------------------------------------------

def test_number_reader_reads_every_written_form():
    assert parse_number("1,000") == 1000
    assert parse_number("1.5") == 1.5
    assert parse_number("两") == 2
    assert parse_number("半") == 0.5
    assert parse_number("一百二十") == 120
    assert parse_number("十五") == 15
    assert parse_number("二〇二三") == 2023
    assert parse_number("三万") == 30000
    assert parse_number("不是数字") is None


_DIGIT_NAMES = "零一二三四五六七八九"


def to_chinese(n: int) -> str:
    """Standard Chinese numeral for 0 <= n < 10000 (reference writer for the round trip)."""
    if n == 0:
        return "零"
    out, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // value % 10
        if digit:
            if zero:
                out += "零"
            out += ("" if (unit == "十" and digit == 1 and n < 20) else _DIGIT_NAMES[digit]) + unit
            zero = False
        elif out:
            zero = True
    return out


@given(st.integers(min_value=0, max_value=9999))
def test_chinese_numerals_round_trip(n):
    assert chinese_to_int(to_chinese(n)) == n


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789.,%‰一二两十百千万半年月日天每到前底以上不少于至—-：个人所名元“”《》，。；（）卫生院达到")),
               max_size=60))
def test_arbitrary_text_never_raises(text):
    targets(text)
    times(text)
    parse_number(text)


# -- targets ------------------------------------------------------------------

def test_targets_of_seed_000_sentences():
    assert targets("到2025年，全市乡镇卫生院40%以上达到国家推荐标准，累计打造30个县域医疗服务次中心。") == [
        "40||%|>=|乡镇卫生院达到国家推荐标准", "30||个|=|县域医疗服务次中心"]
    assert targets("根据地域和人口分布，每个县（市、区）选择1—3个医疗服务能力强、辐射周边人口多的乡镇卫生院") == [
        "1|3|个|range|医疗服务能力强、辐射周边人口多的乡镇卫生院"]
    assert targets("设定5-10%的服务基层定向岗位，服务期不低于2年。") == ["5|10|%|range|服务基层定向岗位"]


def test_numbers_in_names_scope_and_time_spans_are_not_targets():
    for sentence in ("全面贯彻落实党的二十大精神", "对实现“八统一”的紧密型县域医共体实行DIP整体付费",
                     "对于常住人口不足200人等不适宜单设卫生室的行政村", "支持鼓励县级公立医院争创二级甲等医院",
                     "服务期不低于2年", "医保经办机构自收到费用结算申请30个工作日内完成资金拨付",
                     "深入开展培训三年行动", "落实“两个允许”要求", "桂政办发〔2023〕53号", "2023年8月22日"):
        assert targets(sentence) == [], sentence


def test_figures_a_past_date_governs_report_facts_and_are_not_targets():
    assert targets("2020年末人均预期寿命82.25岁") == []
    assert targets("截至2023年底，全市共有养老机构120家", year=2024) == []
    assert targets("2022年全市地区生产总值1500亿元，同比增长6%") == []
    # a later date in the sentence sets the next figure: a target
    assert targets("2020年末人均预期寿命80岁，到2025年达到82岁") == ["82||岁|=|"]
    # the same sentence in the year it names is no past
    assert targets("截至2023年底，全市建成养老机构120家", year=2023) == ["120||家|=|养老机构"]


def test_deadline_year_comes_from_the_governing_time_expression():
    found = context().targets.find("“十四五”期间，按照常住人口1—1.5‰核定乡镇卫生院编制。", 0, None, [],
                                   context().times.find("“十四五”期间，按照常住人口1—1.5‰核定乡镇卫生院编制。", 2023))
    assert [(t.value, t.value_max, t.unit, t.deadline_year) for t in found] == [(1, 1.5, "‰", 2025)]


def test_targets_in_the_seeds(tables, doc_of):
    t = tables["targets"]
    t000 = t[t.doc_id == doc_of("000").doc_id]
    dip = t000[t000.quote.str.contains("DIP基层病种")].iloc[0]
    assert (dip.value, dip.unit, dip.comparator, dip.deadline_year) == (80, "个", ">=", 2025)
    assert dip.measure_id.endswith("-m016")
    t003 = t[t.doc_id == doc_of("003").doc_id]
    team = t003[t003.unit == "支"].iloc[0]
    assert (team.value, team.comparator, team.indicator) == (1, ">=", "医疗应急队伍")


# -- time expressions -----------------------------------------------------------

def test_time_expressions_of_seed_sentences():
    assert times("2025年年底前DIP基层病种达到不少于80个") == ["deadline|2025-12-31|2025年年底前"]
    assert times("采取医保基金预拨付、月度预结算、年度清算的方式") == ["recurring|P1M|月度", "recurring|P1Y|年度"]
    assert times("“十四五”期间，按照常住人口核定") == ["period|2021-01-01/2025-12-31|“十四五”期间"]
    assert times("以县为单位每5年动态调整") == ["recurring|P5Y|每5年"]


def test_vague_words_plan_names_and_past_dates_are_not_time_expressions():
    for sentence in ("定期进行线上培训", "逐步将符合条件的公办村卫生室转为服务点", "落实“十四五”卫生与健康规划",
                     "2020年末全市人均预期寿命82.25岁"):
        assert times(sentence) == [], sentence


def test_a_month_without_year_takes_the_documents_year():
    assert times("5月底前实现中介超市上线运行", year=2016) == ["deadline|2016-05-31|5月底前"]


def test_deadlines_in_the_seeds(tables, doc_of):
    d = tables["deadlines"]
    d000 = d[d.doc_id == doc_of("000").doc_id]
    opening = d000.iloc[0]
    assert (opening.kind, opening.text, opening.date) == ("deadline", "到2025年", dt.date(2025, 12, 31))
    assert pd.isna(opening.measure_id)  # in 总体要求, an unnumbered section
    assert set(d000[d000.kind == "duration"].duration) == {"P2Y", "P3Y", "P30D"}
    # the cover notice's own date and the doc number's year are not time expressions
    d003 = d[d.doc_id == doc_of("003").doc_id]
    assert not d003.text.str.contains("2023年8月22日|〔2023〕").any()


def test_quotes_are_the_text_they_point_at(tables):
    texts = dict(zip(tables["documents"].doc_id, tables["documents"].text))
    for row in tables["targets"].itertuples():
        assert texts[row.doc_id][row.start:row.end] == row.quote
    for row in tables["deadlines"].itertuples():
        assert texts[row.doc_id][row.start:row.end] == row.text


def test_order_numbers_and_chinese_year_doc_numbers_give_a_reference_year_or_none():
    """令 numbers have no year and 二○一二 years are Chinese digits: neither may fail the document."""
    order = process("济宁市人民政府令第179号\n第一条 为加强管理，5月底前完成。\n".encode(), "a.txt", context())
    assert order.document["status"] == "ok"
    assert order.document["doc_number"] == "济宁市人民政府令第179号"
    assert [d["date"] for d in order.tables["deadlines"]] == [None]  # no year anywhere: the date stays null
    chinese = process("鲁政发〔二○一二〕12号\n第一条 为加强管理，5月底前完成。\n".encode(), "b.txt", context())
    assert chinese.document["status"] == "ok"
    assert [d["date"] for d in chinese.tables["deadlines"]] == [dt.date(2012, 5, 31)]


def test_a_target_on_its_items_first_line_belongs_to_the_item_and_its_quote_skips_the_label():
    text = "一、重点任务\n1．每年培训托育从业人员不少于500人次。\n2．支持用人单位提供托育服务。\n"
    rows = process(text.encode("utf-8"), "x.txt", context())
    (target,) = rows.tables["targets"]
    first = rows.tables["measures"][0]
    assert target["measure_id"] == first["measure_id"]
    assert target["quote"] == "每年培训托育从业人员不少于500人次"
    assert rows.document["text"][target["start"]:target["end"]] == target["quote"]

def test_an_items_number_is_no_part_of_the_figure_that_opens_its_text():
    text = ("一、配租对象\n1.3人户家庭；\n2.2人户中2人均年满18周岁的家庭；\n3.每年新增保障房不少于1.5万套。\n"
            "二、其他\n全市建成1.5万套保障性住房。\n")
    rows = process(text.encode("utf-8"), "x.txt", context())
    values = [t["value"] for t in rows.tables["targets"]]
    assert values[:3] == [3, 2, 2] and 1.5 in values[3:]  # items 1. 2.; a decimal of the text stays one
    assert values.count(1.5) == 2


def test_the_time_limits_of_an_annex_task_table_are_deadlines_its_signature_date_is_not():
    text = ("某市优化营商环境重点任务分工方案\n一、提升政务服务效能。推行“一网通办”。\n二、降低企业成本。落实减税政策。\n"
            "某市人民政府办公室\n2024年3月5日\n附件\n重点任务分工表\n序号\n重点任务\n牵头单位\n完成时限\n\n"
            "1\n推行企业开办“一网通办”\n市市场监管局\n2024年6月底前\n\n2\n实现审批全流程网上办理\n"
            "市住房城乡建设局\n12月31日前\n")
    rows = process(text.encode("utf-8"), "x.txt", context())
    assert [(d["kind"], d["date"]) for d in rows.tables["deadlines"]] == [
        ("deadline", dt.date(2024, 6, 30)), ("deadline", dt.date(2024, 12, 31))]


def test_the_policys_closing_provision_is_no_measures_text_unless_it_is_an_items_own():
    closing = "本措施自2024年5月1日起施行，有效期至2026年12月31日。\n"
    after_items = process(("一、强化保障。每年安排资金1亿元。\n二、优化服务。提高办事效率。\n" + closing).encode(),
                          "a.txt", context())
    assert [m["text"] for m in after_items.tables["measures"]][-1] == "优化服务。提高办事效率。"
    assert {(d["kind"], d["measure_id"]) for d in after_items.tables["deadlines"]} >= {("start", None), ("deadline", None)}
    own = process(("一、强化保障。每年安排资金1亿元。\n二、其他事宜\n" + closing).encode(), "b.txt", context())
    last = own.tables["measures"][-1]
    assert last["text"].startswith("其他事宜\n本措施自2024年5月1日起施行")
    assert all(d["measure_id"] == last["measure_id"] for d in own.tables["deadlines"] if d["kind"] == "start")


# -- taken spans ----------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 300), st.integers(0, 40)), max_size=40),
       st.lists(st.tuples(st.integers(0, 400), st.integers(0, 40)), max_size=20))
def test_taken_spans_overlap_exactly_where_they_share_a_character(added, asked):
    from pipeline.extract.spans import SpanSet

    spans = SpanSet([(s, s + n) for s, n in added[:5]])  # some given at once, the rest one by one, in any order
    for s, n in added[5:]:
        spans.add(s, s + n)
    covered = {c for s, n in added for c in range(s, s + n)}
    for s, n in asked:
        assert spans.overlaps(s, s + n) == bool(covered & set(range(s, s + n)))


def test_taken_spans_touching_or_empty_do_not_overlap():
    from pipeline.extract.spans import SpanSet

    spans = SpanSet([(10, 20)])
    spans.add(0, 5)  # before the first: out of order
    spans.add(30, 30)  # empty: covers nothing
    assert spans.overlaps(19, 25) and spans.overlaps(4, 5) and spans.overlaps(0, 100)
    assert not spans.overlaps(20, 30) and not spans.overlaps(5, 10) and not spans.overlaps(29, 31)
    assert not spans.overlaps(15, 15)  # an empty span overlaps nothing
    spans.add(5_000_000, 5_000_002)  # far past the spans so far: the set grows to it
    assert spans.overlaps(5_000_001, 5_000_010) and not spans.overlaps(4_999_000, 5_000_000)

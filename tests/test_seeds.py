"""The real pipeline on the real seeds: concrete values a reader can check by eye."""
from __future__ import annotations

import datetime as dt

import pandas as pd


def test_every_seed_is_read(tables):
    docs = tables["documents"]
    assert len(docs) == 5
    assert set(docs.status) == {"ok"}
    assert docs.error.isna().all()


def test_seed_000_measure_1_lead_and_co(measures_of):
    m = measures_of("000")
    assert len(m) == 22
    first = m.iloc[0]
    assert first.label == "1"
    assert list(first.path) == ["二、主要任务", "（一）优化县域医疗卫生资源配置"]
    assert first.text.startswith("持续强化县域统筹。")
    assert first.lead_department == "市卫生健康委"
    assert list(first.co_departments) == ["市委编办", "市发展改革委", "市财政局", "市人力资源社会保障局"]


def test_seed_000_total_requirements_are_a_section_not_a_measure(measures_of):
    assert not measures_of("000").text.str.startswith("总体要求").any()


def test_seed_000_blanket_units_and_trailing_deng_are_not_departments(measures_of):
    m = measures_of("000")
    twenty = m[m.label == "20"].iloc[0]
    assert twenty.lead_department == "市委农工办"
    assert list(twenty.co_departments) == ["市卫生健康委"]
    for co in m.co_departments:
        assert not any("人民政府" in name or "管委会" in name for name in co)


def test_seed_000_metadata(doc_of):
    d = doc_of("000")
    assert d.title == "济宁市进一步深化改革促进乡村医疗卫生体系高质量健康发展实施方案"
    assert d.notice_title == "济宁市人民政府办公室关于印发济宁市进一步深化改革促进乡村医疗卫生体系高质量健康发展实施方案的通知"
    assert d.issuer == "济宁市人民政府办公室"
    assert d.issue_date == dt.date(2024, 4, 1) and d.issue_date_precision == "month"
    assert d.region == "济宁市"
    assert pd.isna(d.doc_number)


def test_seed_003_web_copy_is_clean_simplified_text(doc_of):
    d = doc_of("003")
    assert d.script == "traditional"
    text = d.text
    for chrome in ("聚慕", "设为首页", "400-901-5099", "全部商品分类", "发布时间", "文章来源于网络",
                   "为您找货", "商品名称", "(zhuān)", "（yè）", "專", "醫"):
        assert chrome not in text
    assert "省人民政府各委、办、厅、局" in text
    assert "邻（联）村" in text and "执业（助理）医师" in text


def test_seed_003_has_64_measures_with_group_notes(measures_of):
    m = measures_of("003")
    assert len(m) == 64
    assert list(m.label) == [str(i) for i in range(1, 65)]
    # the note after item 4 covers items 1-4; the note after item 14 covers 5-14
    assert set(m.lead_department[:4]) == {"省卫健委"}
    assert list(m.co_departments[0]) == ["省委农办", "省发展改革委", "省财政厅", "省乡村振兴局"]
    assert list(m.co_departments[4]) == ["省医保局", "省农业农村厅", "省发展改革委", "省财政厅"]
    # item 59 has no note after it; item 60 names departments inline
    assert pd.isna(m.lead_department[58])
    assert m.lead_department[59] == "卫生健康"
    assert list(m.co_departments[59])[:2] == ["党委农村工作部门", "机构编制"]


def test_seed_003_metadata(doc_of):
    d = doc_of("003")
    assert d.title == "山西省进一步深化改革促进乡村医疗卫生体系健康发展的若干措施"
    assert d.issuer == "山西省人民政府办公厅"
    assert d.doc_number == "晋政办发〔2023〕51号"
    assert d.issue_date == dt.date(2023, 8, 22) and d.issue_date_precision == "day"
    assert d.region == "山西省"


def test_seed_001_002_004_metadata(doc_of):
    assert doc_of("001").doc_number == "桂政办发〔2023〕53号"
    assert doc_of("001").region == "广西壮族自治区"
    assert doc_of("002").issuer == "鄂尔多斯市人民政府办公室"
    assert doc_of("002").issue_date == dt.date(2024, 4, 8)
    assert doc_of("004").title == "济宁市进一步完善医疗卫生服务体系的实施方案"


def test_offsets_point_at_what_rows_say(tables):
    texts = dict(zip(tables["documents"].doc_id, tables["documents"].text))
    for row in tables["measures"].itertuples():
        assert texts[row.doc_id][row.start:row.end] == row.text
    for row in tables["departments"].itertuples():
        assert texts[row.doc_id][row.start:row.end] == row.name
    for row in tables["citations"].itertuples():
        assert texts[row.doc_id][row.start:row.end].startswith("《" + row.title)


def test_departments_have_role_rank_source_and_canonical(tables):
    d = tables["departments"]
    assert set(d.role) == {"lead", "co"}
    assert set(d.source) <= {"note", "inline"}
    assert (d[d.role == "lead"]["rank"] == 1).all()
    health = d[d.name == "市卫生健康委"].iloc[0]
    assert health.canonical == "卫生健康委员会" and health.level == "市"
    assert d[d.name == "省人社厅"].iloc[0].canonical == "人力资源和社会保障局"


def test_citations_keep_doc_numbers_and_skip_the_document_itself(tables, doc_of):
    c = tables["citations"]
    c000 = c[c.doc_id == doc_of("000").doc_id]
    assert list(c000.doc_number) == ["鲁政办字〔2023〕205号"]
    c003 = c[c.doc_id == doc_of("003").doc_id]
    assert "政府办医责任清单" in set(c003.title)
    assert not c003.title.str.contains("若干措施").any()


def test_offset_map_leads_back_to_the_raw_characters(doc_of):
    """Every Han character of the normalised text maps to the raw character it came from."""
    from pipeline.ingest.normalise import to_simplified
    from pipeline.ingest.read import decode
    from pipeline.ingest.textmap import raw_offset_from_segments

    from conftest import RAW

    d = doc_of("003")  # traditional web copy: pinyin, chrome and spaces removed
    raw = decode((RAW / d.source_path).read_bytes()).text
    runs = [(r["norm"], r["raw"]) for r in d.offset_map]
    checked = 0
    for i, char in enumerate(d.text):
        if "\u4e00" <= char <= "\u9fff":
            assert to_simplified(raw[raw_offset_from_segments(runs, i)]) == char
            checked += 1
    assert checked > 6000

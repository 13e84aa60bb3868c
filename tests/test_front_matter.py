"""The front matter: titles with the organ line above them, and the header of a government rule."""
from __future__ import annotations

from pipeline.nlp import context
from pipeline.process import process

BODY = ("宜府办函〔2024〕8号\n各区县人民政府：\n为做好今年春耕生产工作，现就有关事项通知如下：\n"
        "一、加强组织领导。建立工作机制。\n二、强化服务保障。做好技术服务。\n宜宾市人民政府办公室\n2024年2月20日\n")


def _document(text: str) -> dict:
    return process(text.encode("utf-8"), "notice.txt", context()).document


def _title(text: str) -> str | None:
    return _document(text)["title"]


def test_an_organ_line_above_a_notice_title_is_part_of_it():
    assert _title("宜宾市人民政府办公室\n关于做好2024年春耕生产工作的通知\n" + BODY) \
        == "宜宾市人民政府办公室关于做好2024年春耕生产工作的通知"


def test_a_notice_title_a_print_layout_broke_after_a_long_first_line_is_read_whole():
    broken = "东阳市人民政府办公室关于印发《东阳市促进残疾人就业行动实施方案（2023—2025年）》\n的通知\n"
    document = _document(broken + BODY)
    assert document["notice_title"] == "东阳市人民政府办公室关于印发《东阳市促进残疾人就业行动实施方案（2023—2025年）》的通知"
    assert document["text"].startswith("东阳市人民政府办公室关于印发")


def test_a_notice_title_with_no_organ_above_stays_as_written():
    assert _title("关于做好2024年春耕生产工作的通知\n" + BODY) == "关于做好2024年春耕生产工作的通知"


def test_a_government_rules_header_gives_its_order_number_organ_and_date():
    document = _document("成都市城市生活垃圾分类管理办法\n（2023年10月20日成都市人民政府令第215号公布　自2024年1月1日起施行）\n"
                         "第一章　总则\n第一条　为了加强城市生活垃圾分类管理，制定本办法。\n第二条　本办法自2024年1月1日起施行。\n")
    assert document["doc_number"] == "成都市人民政府令第215号"
    assert document["issuer"] == "成都市人民政府" and document["region"] == "成都市"
    assert str(document["issue_date"]) == "2023-10-20"


def test_a_regulation_adopted_by_a_peoples_congress_is_issued_by_it_on_that_day():
    document = _document("深圳市养老服务条例\n（2022年8月30日深圳市第七届人民代表大会常务委员会第十一次会议通过）\n"
                         "第一条　为了规范养老服务工作，制定本条例。\n第二条　本条例自2022年10月1日起施行。\n")
    assert document["issuer"] == "深圳市人民代表大会常务委员会" and document["region"] == "深圳市"
    assert str(document["issue_date"]) == "2022-08-30" and document["doc_number"] is None


def test_joint_organs_on_one_line_above_the_title_stay_and_sign_apart():
    document = _document("中共宜宾市委办公室　宜宾市人民政府办公室\n关于做好2024年春耕生产工作的通知\n"
                         + BODY.replace("宜宾市人民政府办公室\n", "中共宜宾市委办公室　　宜宾市人民政府办公室\n"))
    assert document["title"] == "中共宜宾市委办公室宜宾市人民政府办公室关于做好2024年春耕生产工作的通知"
    assert document["issuer"] == "中共宜宾市委办公室、宜宾市人民政府办公室"
    assert document["region"] == "宜宾市"


def test_joint_organs_run_together_in_a_notice_title_sign_apart_in_the_notice():
    document = _document("中共赣州市委办公室赣州市人民政府办公室印发《关于加快发展现代农业的实施意见》的通知\n"
                         "赣市办发〔2023〕8号\n各县（市、区）委和人民政府：\n《关于加快发展现代农业的实施意见》已经市委、"
                         "市政府同意，现印发给你们。\n中共赣州市委办公室\n赣州市人民政府办公室\n2023年6月12日\n"
                         "关于加快发展现代农业的实施意见\n一、建设高标准农田。每年新建高标准农田20万亩。\n")
    assert document["issuer"] == "中共赣州市委办公室、赣州市人民政府办公室"
    assert document["issue_date"].isoformat() == "2023-06-12"


def test_a_plan_periods_title_gives_its_region_and_first_year_so_earlier_periods_are_past():
    rows = process(("南京市“十四五”养老服务发展规划\n第一章　发展基础\n“十三五”期间，全市养老机构床位数达到6.5万张。\n"
                    "第二章　主要任务\n一、发展助餐服务。到2025年，新建老年助餐点500个。\n二、其他。\n").encode(), "plan.txt", context())
    assert rows.document["region"] == "南京市"
    assert [t["value"] for t in rows.tables["targets"]] == [500]  # 6.5万张 reports the past period
    assert [d["text"] for d in rows.tables["deadlines"]] == ["到2025年"]


def test_an_annex_label_above_the_policy_title_is_not_part_of_it():
    rows = process(("三明市人民政府办公室关于印发三明市托育服务实施方案的通知\n明政办〔2024〕12号\n各县（市、区）人民政府：\n"
                    "现将《三明市托育服务实施方案》印发给你们，请认真组织实施。\n三明市人民政府办公室\n2024年5月6日\n附件\n"
                    "三明市托育服务实施方案\n为加快推进托育服务体系建设，制定本方案。\n一、扩大供给。每县建成1所托育机构。\n"
                    "二、加强培训。每年培训500人次。\n").encode(), "annex.txt", context())
    assert rows.document["title"] == "三明市托育服务实施方案"
    assert rows.tables["citations"] == []  # the notice names the policy itself
    assert len(rows.tables["measures"]) == 2


def test_a_notice_listing_its_annexes_hands_the_body_to_the_plan_in_the_first():
    text = ("某市人民政府办公室关于印发某市数字经济发展三年行动方案的通知\n各区人民政府，市政府各部门：\n"
            "现将《某市数字经济发展三年行动方案》印发给你们，请认真贯彻落实。\n"
            "附件：1.某市数字经济发展三年行动方案\n2.重点任务分工表\n某市人民政府办公室\n2024年5月6日\n"
            "附件1\n某市数字经济发展三年行动方案\n一、重点任务\n（一）加快数字基础设施建设。新建5G基站3000个。"
            "（责任单位：市工业和信息化局）\n（二）培育数字产业集群。培育龙头企业20家。（责任单位：市发展改革委）\n"
            "附件2\n重点任务分工表\n")
    result = process(text.encode("utf-8"), "notice.txt", context())
    measures = result.tables["measures"]
    assert [m["label"] for m in measures] == ["（一）", "（二）"]  # 2.重点任务分工表 names an annex
    assert [m["lead_department"] for m in measures] == ["市工业和信息化局", "市发展改革委"]
    assert result.document["title"] == "某市数字经济发展三年行动方案"
    assert result.tables["citations"] == []  # the notice naming its own plan cites nothing


def test_a_title_that_opens_with_its_year_is_a_title_and_a_date_line_is_not():
    assert _document("2024年全市卫生健康工作要点\n一、深化改革\n1.推进医共体建设。年内实现全覆盖。\n")["title"] == \
        "2024年全市卫生健康工作要点"
    signed = _document("某市人民政府办公室\n2024年3月1日\n一、深化改革\n1.推进医共体建设。年内实现全覆盖。\n")
    assert signed["title"] is None and signed["issue_date"].isoformat() == "2024-03-01"


def test_a_title_names_its_region_before_any_words_and_a_joint_issuer_by_its_first_organ():
    rule = _document("广州市公共租赁住房管理办法\n第一条 为了规范管理，制定本办法。\n第二条 本办法自2025年1月1日起施行。\n")
    assert rule["region"] == "广州市"
    joint = _document("某县财政局、某县农业农村局关于印发《农机购置补贴实施办法》的通知\n"
                      "一、补贴对象。从事农业生产的个人。\n某县财政局\n某县农业农村局\n2024年3月1日\n")
    assert joint["issuer"] == "某县财政局、某县农业农村局" and joint["region"] == "某县"
    assert _document("城市生活垃圾分类管理办法\n第一条 为了规范管理，制定本办法。\n")["region"] is None


def test_a_goal_year_in_a_title_is_not_the_documents_year():
    tables = process("2030年前碳达峰行动方案\n一、主要目标\n“十四五”期间，产业结构明显优化。到2030年，非化石能源消费比重达到25%左右。\n"
                     .encode("utf-8"), "plan.txt", context()).tables
    periods = [(str(d["start_date"]), str(d["end_date"])) for d in tables["deadlines"] if d["kind"] == "period"]
    assert periods == [("2021-01-01", "2025-12-31")]  # with 2030 for its year, “十四五” would be past

"""Web pages and scraped copies: the body and its metadata, without the chrome (issue #12)."""
from __future__ import annotations

import re

import pyarrow.parquet as pq
import pytest

from pipeline.nlp import context
from pipeline.process import process
from pipeline.quality import WEB_PAGES
from pipeline.run import extract

BODY = ("<p>各区人民政府，市政府各部门：</p><p>一、加强保障。到2025年，全市新建公共租赁住房1000套。</p>"
        "<p>二、优化服务。各区于2024年6月底前完成备案工作，提高服务水平和办事效率。</p>")


def _page(body: str, head: str = "") -> bytes:
    return f"<html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>".encode("utf-8")


def _read(html: bytes, name: str = "page.html"):
    rows = process(html, name, context())
    return rows.document, rows.tables


def test_a_hidden_second_copy_of_the_body_is_not_read_twice():
    page = _page(f"<div class='article'>{BODY}</div><div class='bbnr' style='display: none;'>{BODY}</div>"
                 f"<div aria-hidden='true'>{BODY}</div><div hidden>{BODY}</div>")
    document, tables = _read(page)
    assert document["text"].count("全市新建公共租赁住房1000套") == 1
    assert len(tables["measures"]) == 2 and len(tables["targets"]) == 1


def test_a_page_hidden_until_its_scripts_run_is_still_read():
    document, tables = _read(_page(f"<div class='content'>{BODY}</div>").replace(
        b"<body>", b"<body style='visibility: hidden'>"))
    assert "全市新建公共租赁住房1000套" in document["text"] and len(tables["measures"]) == 2


def test_chrome_named_by_class_or_id_and_short_link_blocks_go_body_tables_stay():
    page = _page(
        "<div id='mainNav'><a>首页</a><a>政务公开</a><a>政务服务</a><a>互动交流</a></div>"
        "<div class='crumbs'>您当前所在的位置：<a>首页</a>&gt;<a>通知公告</a></div>"
        f"<div class='article-content'>{BODY}"
        "<table><tr><td>序号</td><td>项目</td><td>责任单位</td></tr>"
        "<tr><td>1</td><td>新建公共租赁住房建设项目</td><td>市住房城乡建设局</td></tr></table>"
        "<div class='share_box'>分享到：微信 微博</div><div class='setFont'>字号 大 中 小</div>"
        "<p class='pages'><a>上一页</a><a>1</a><a>2</a><a>下一页</a></p></div>"
        "<div class='footer'>版权所有：广州市人民政府 粤ICP备12345号</div>")
    text = _read(page)[0]["text"]
    for chrome in ("政务服务", "您当前所在的位置", "分享到", "字号", "下一页", "版权所有"):
        assert chrome not in text, chrome
    assert "新建公共租赁住房建设项目" in text and "市住房城乡建设局" in text


def test_a_footer_beside_the_body_goes_though_it_reads_like_running_text():
    footer = ("<div class='foot'><p>主办单位：湖州市人民政府办公室，湖州市大数据发展管理局负责日常维护</p>"
              "<p>地址：湖州市仁皇山路666号，邮政编码：313000，联系电话：0572-2395000，欢迎提出意见建议</p></div>")
    items = "".join(f"<p>{n}、完善第{n}项制度。各区于2024年{n}月底前完成备案工作，提高服务水平和办事效率。</p>" for n in "三四五六")
    text = _read(_page(f"<div class='TRS_Editor'>{BODY}{items}</div>{footer}"))[0]["text"]
    assert "仁皇山路" not in text and "主办单位" not in text and "全市新建公共租赁住房1000套" in text


def test_footer_lines_of_a_text_copy_go():
    text = _read(("一、加强保障。到2025年，全市新建公共租赁住房1000套。\n"
                  "主办：湖州市人民政府办公室　承办：湖州市大数据发展管理局\n"
                  "网站标识码：3305000001　浙ICP备05001234号　浙公网安备 33050202000123号\n").encode(), "copy.txt")[0]["text"]
    assert "ICP" not in text and "承办" not in text and "1000套" in text


def test_a_cover_notice_as_the_page_heading_is_the_notice_title():
    page = _page("<h1>湖州市人民政府办公室关于印发湖州市住房保障若干措施的通知</h1>"
                 f"<div class='content'><p>湖州市住房保障若干措施</p>{BODY}</div>")
    document = _read(page)[0]
    assert document["title"] == "湖州市住房保障若干措施"
    assert document["notice_title"] == "湖州市人民政府办公室关于印发湖州市住房保障若干措施的通知"
    assert document["issuer"] == "湖州市人民政府办公室"


def test_a_pages_title_element_names_a_policy_whose_text_names_none():
    title = "<title>某县人民政府关于加强耕地保护的通知_某县人民政府网</title>"
    document = _read(_page(f"<div class='content'>{BODY}</div>", title))[0]
    assert document["title"] == "某县人民政府关于加强耕地保护的通知"  # without the site's name
    listing = _read(_page(f"<div class='content'>{BODY}</div>", "<title>仲裁公告-广州市人力资源和社会保障局网站</title>"))[0]
    assert listing["title"] is None  # a section's name is no policy's title
    own = _read(_page(f"<div class='content'><p>湖州市住房保障若干措施</p>{BODY}</div>", title))[0]
    assert own["title"] == "湖州市住房保障若干措施"  # the text's own title comes first


def test_a_listing_page_keeps_its_list_of_long_titles():
    items = "".join(f"<li><a href='#'>广州市劳动人事争议仲裁委员会关于第{n}批案件开庭公告的通知</a>"
                    f"<span>[2025-01-1{n}]</span></li>" for n in range(1, 8))
    page = _page("<ul class='sideMenu'><li><a>仲裁公告</a></li><li><a>办事指南</a></li><li><a>政策法规</a></li></ul>"
                 f"<div class='mainContent'><ul class='infoList'>{items}</ul></div>")
    text = _read(page)[0]["text"]
    assert text.count("开庭公告的通知") == 7 and "办事指南" not in text


def test_a_block_of_links_under_a_related_label_goes_though_its_titles_are_long():
    items = "".join(f"<li><a href='#'>广州市劳动人事争议仲裁委员会关于第{n}批案件开庭公告的通知</a></li>" for n in range(1, 6))
    related = "".join(f"<li><a href='#'>关于印发广州市促进第{n}批重点产业高质量发展若干措施的通知政策解读</a>"
                      f"<span>2024-0{n}-12</span></li>" for n in range(1, 9))
    page = _page(f"<div class='main'><ul class='infoList'>{items}</ul></div>"
                 f"<div class='xg'><h3>相关文章</h3><ul>{related}</ul></div>")
    text = _read(page)[0]["text"]
    assert text.count("开庭公告的通知") == 5 and "政策解读" not in text and "相关文章" not in text
    policy = _read(_page(BODY + "<p>相关文章</p>"))[0]["text"]  # a label opening no block of links is text's
    assert "全市新建公共租赁住房1000套" in policy


@pytest.mark.parametrize("box", [
    # label and value in one cell
    "<ul class='xxgk'><li>索引号：114401/2024-00008</li><li>发文机关：广州市人民政府办公厅</li>"
    "<li>成文日期：2024-07-26</li><li>发文字号：穗府办规〔2024〕13号</li><li>实施日期：2024-09-01</li></ul>",
    # label and value in separate cells, the label letter-spaced
    "<table class='meta'><tr><td>索 引 号</td><td>114401/2024-00008</td><td>发文机关</td>"
    "<td>广州市人民政府办公厅</td></tr><tr><td>成文日期</td><td>2024年07月26日</td><td>文　　号</td>"
    "<td>穗府办规〔2024〕13号</td></tr><tr><td>实施日期</td><td>2024年09月01日</td></tr></table>",
])
def test_the_metadata_box_fills_the_documents_row_and_leaves_the_text(box):
    document, _ = _read(_page(box + f"<div class='zoom'>{BODY}</div>"))
    assert document["issuer"] == "广州市人民政府办公厅"
    assert document["doc_number"] == "穗府办规〔2024〕13号"
    assert str(document["issue_date"]) == "2024-07-26"  # the 成文日期, never the 实施日期
    assert "114401" not in document["text"] and "发文机关" not in document["text"]
    assert {f["field"] for f in document["page_fields"]} >= {"index_no", "issuer", "issue_date", "effective"}


@pytest.fixture(scope="module")
def web_documents(tmp_path_factory):
    if not WEB_PAGES.exists():
        pytest.skip("needs ../shared/web beside the checkout")
    out = tmp_path_factory.mktemp("web")
    extract(WEB_PAGES, out, quiet=True)
    return pq.read_table(out / "documents.parquet").to_pylist()


def _squeeze(s: str) -> str:
    return re.sub(r"\s+", "", s or "")


def test_every_page_row_agrees_with_the_pages_own_metadata_box(web_documents):
    checked = 0
    for row in web_documents:
        box = {}
        for f in row["page_fields"]:
            box.setdefault(f["field"], f["value"])
        if box.get("issuer"):
            assert row["issuer"] == "、".join(re.split(r"[,，、\s]+", box["issuer"])), row["source_path"]
            checked += 1
        if box.get("doc_number"):
            assert row["doc_number"] == box["doc_number"], row["source_path"]
        if box.get("issue_date"):
            assert str(row["issue_date"]) == box["issue_date"].replace("年", "-").replace("月", "-").strip("日")
        if box.get("title"):
            assert _squeeze(row["title"]) in _squeeze(box["title"]), row["source_path"]
    assert checked >= 3


def test_text_copies_lose_the_lines_before_the_document_and_keep_its_head():
    text = ("日前，某市印发《某市打赢蓝天保卫战实施方案》。全文如下：\n某市人民政府\n某市打赢蓝天保卫战实施方案\n"
            "为落实部署要求，制定本方案。\n一、目标要求\n到2025年，全市空气质量优良天数比例达到94%。\n")
    document, _ = _read(text.encode("utf-8"), "copy.txt")
    assert "全文如下" not in document["text"]
    assert document["text"].startswith("某市人民政府\n某市打赢蓝天保卫战实施方案")


def test_a_numbered_body_start_is_never_taken_for_chrome():
    text = "一、总体要求\n坚持以人民为中心。\n二、保障措施\n加强组织领导。\n"
    assert _read(text.encode("utf-8"), "fragment.txt")[0]["text"] == text


def test_metadata_lines_of_text_copies_are_read_then_dropped():
    text = ("发文机关:山西省人民政府\n发布日期:2018年03月27\n时效性 :现行有效\n文 号 :晋政发〔2018〕13号\n"
            "各市、县人民政府，省人民政府各委、办、厅、局：\n现将方案印发给你们，请认真组织实施。\n"
            "山西省人民政府\n2018年3月27日\n")
    document, _ = _read(text.encode("utf-8"), "copy.txt")
    assert document["issuer"] == "山西省人民政府" and document["doc_number"] == "晋政发〔2018〕13号"
    assert "时效性" not in document["text"] and "发文机关" not in document["text"]


def test_a_summary_repeating_the_opening_goes_once():
    opening = "某省人民政府关于加强基础教育的意见（某政〔2001〕85号）各市、县人民政府，省政府各部门：为认真贯彻落实国务院决定"
    text = (opening + "\n某省人民政府关于加强基础教育的意见\n（某政〔2001〕85号）\n各市、县人民政府，省政府各部门：\n"
            "为认真贯彻落实国务院决定，现提出以下意见。\n")
    document, _ = _read(text.encode("utf-8"), "copy.txt")
    assert document["text"].count("为认真贯彻落实国务院决定") == 1

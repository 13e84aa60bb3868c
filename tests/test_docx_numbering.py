"""Word files whose items are numbered by Word's own lists (a numbering definition, directly
or through a list style): the numbers Word draws (一、 （一） 1.) are read, so the items are
measures as in a copy that typed them."""
from __future__ import annotations

import io

import docx
from lxml import etree

from pipeline.ingest.docx_numbering import chinese_numeral, format_number
from pipeline.nlp import context
from pipeline.process import process

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
LEVELS = [("chineseCounting", "%1、"), ("chineseCounting", "（%2）"), ("decimal", "%3.")]


def _numbered_docx(items: list[tuple[int | None, str]]) -> bytes:
    """A Word file whose paragraphs (level, text) are numbered by one three-level list."""
    document = docx.Document()
    numbering = document.part.numbering_part.element
    levels = "".join(f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/></w:lvl>'
                     for i, (fmt, text) in enumerate(LEVELS))
    numbering.append(etree.fromstring(f'<w:abstractNum xmlns:w="{W}" w:abstractNumId="90">{levels}</w:abstractNum>'))
    numbering.append(etree.fromstring(f'<w:num xmlns:w="{W}" w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))
    for level, text in items:
        paragraph = document.add_paragraph(text)
        if level is not None:
            properties = paragraph._p.get_or_add_pPr()
            properties.append(etree.fromstring(f'<w:numPr xmlns:w="{W}"><w:ilvl w:val="{level}"/>'
                                               f'<w:numId w:val="90"/></w:numPr>'))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_list_numbers_word_draws_are_read_as_the_items_labels():
    data = _numbered_docx([(None, "某市推进数字乡村建设实施方案"), (0, "主要任务"), (1, "加快基础设施建设"),
                           (2, "推进5G网络覆盖。到2025年，5G网络覆盖率达到95%。（责任单位：市工信局）"),
                           (2, "建设数字农业示范基地10个。（责任单位：市农业农村局）"), (1, "强化保障"),
                           (2, "落实资金。（责任单位：市财政局）"), (0, "组织实施"), (1, "加强领导。建立工作专班。")])
    result = process(data, "plan.docx", context())
    text = result.document["text"]
    assert "一、主要任务\n（一）加快基础设施建设\n1.推进5G网络覆盖" in text
    assert "（二）强化保障\n1.落实资金" in text and "二、组织实施\n（一）加强领导" in text  # deeper levels restart
    measures = result.tables["measures"]
    assert [(m["label"], m["lead_department"]) for m in measures] == [
        ("1", "市工信局"), ("2", "市农业农村局"), ("1", "市财政局"), ("（一）", None)]
    assert measures[0]["path"] == ["一、主要任务", "（一）加快基础设施建设"]


def test_word_number_formats():
    assert [chinese_numeral(n) for n in (1, 10, 11, 20, 21, 100, 105, 110, 120)] == \
        ["一", "十", "十一", "二十", "二十一", "一百", "一百零五", "一百一十", "一百二十"]
    assert [format_number(3, f) for f in ("decimal", "decimalEnclosedCircle", "ideographTraditional", "upperRoman",
                                          "lowerLetter", "decimalFullWidth", "bullet")] == \
        ["3", "③", "丙", "III", "c", "３", ""]

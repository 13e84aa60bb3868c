"""Titles in the front matter: an organ alone on the line above a 关于… title is its first part."""
from __future__ import annotations

from pipeline.nlp import context
from pipeline.process import process

BODY = ("宜府办函〔2024〕8号\n各区县人民政府：\n为做好今年春耕生产工作，现就有关事项通知如下：\n"
        "一、加强组织领导。建立工作机制。\n二、强化服务保障。做好技术服务。\n宜宾市人民政府办公室\n2024年2月20日\n")


def _title(text: str) -> str | None:
    return process(text.encode("utf-8"), "notice.txt", context()).document["title"]


def test_an_organ_line_above_a_notice_title_is_part_of_it():
    assert _title("宜宾市人民政府办公室\n关于做好2024年春耕生产工作的通知\n" + BODY) \
        == "宜宾市人民政府办公室关于做好2024年春耕生产工作的通知"


def test_a_notice_title_with_no_organ_above_stays_as_written():
    assert _title("关于做好2024年春耕生产工作的通知\n" + BODY) == "关于做好2024年春耕生产工作的通知"

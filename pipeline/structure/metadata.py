"""Document metadata (annotation-guide §1): titles, issuer, doc number, date, region, citations.

Everything is read from the front matter (the text before the first numbered item):
the cover notice, its signature, the policy's own title and page metadata blocks.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import regex

from pipeline.extract.numbers import int_of
from pipeline.extract.timex import named_periods
from pipeline.ingest.normalise import is_table_column, to_simplified
from pipeline.ingest.read import han_count
from pipeline.rules import Rules
from pipeline.structure.lines import Line, split_lines
from pipeline.structure.outline import Outline

# lines a title never spans: sentences, notes, dates, doc numbers, an annex label (附件, 附件2)
_TITLE_BREAKERS = regex.compile(r"[。，；：:]|^（此件|^\d{4}年\s*(?:\d|$)|^[（(]?\p{Han}{1,12}[〔\[［]\d{4}|^附件\s*\d{0,2}$")
_ANGLE = regex.compile(r"[《》〈〉<>]")
_NOTICE_END = regex.compile(r"的(?:通知|通报)$")
_NUMBER_LABEL = regex.compile(r"(?:文号|发文字号|发文文号)\s*[：:]?\s*(.+)")
_DATE_LABEL = regex.compile(r"^(?:成文日期|发布日期|印发日期)\s*[：:]")
_SELF_LEVEL = regex.compile(r"(?:全|我|本)(省|市|县|区|州|旗)")
_TITLE_YEAR = regex.compile(r"((?:19|20)\d{2})\s*(?:年(?!前|以前|之前)|[—–\-~～至到])")  # not 2030年前: a goal's year


_MIN_HEAD_TITLE = 8  # Chinese characters a page's <title> needs to stand for a policy's (not 仲裁公告)
_ORGAN_LIST = regex.compile(r"\s*[,，、;；\s]\s*")
_PAGE_DATE = regex.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")


def page_date(value: str) -> dt.date | None:
    """A date as metadata boxes write it: 2024-07-26, 2024/7/26, 2024年07月26日."""
    m = _PAGE_DATE.search(value)
    try:
        return dt.date(*(int(g) for g in m.groups())) if m else None
    except ValueError:
        return None


def _year_of(doc_number: regex.Match) -> int | None:
    """The year of a matched doc number (二○一二 too); None for an order number (令第179号)."""
    year = doc_number.group("year")
    return int_of(year) if year else None


def _with_organ(organ: str | None, title: str) -> str:
    """An organ alone on the line above a 关于… title is its first part (榆阳区人民政府 /
    关于…的实施意见, 宜宾市人民政府办公室 / 关于做好…的通知)."""
    return organ + title if organ and title.startswith("关于") else title


def _unwrap(title: str) -> str:
    """A title wrapped whole in 《》 loses the marks; titles cited inside it keep theirs."""
    if title.startswith("《") and title.endswith("》") and title.count("《") == 1:
        return title[1:-1]
    return title


@dataclass(frozen=True)
class Citation:
    title: str
    doc_number: str | None
    start: int
    end: int


@dataclass
class Metadata:
    title: str | None = None
    notice_title: str | None = None
    issuer: str | None = None
    doc_number: str | None = None
    issue_date: dt.date | None = None
    issue_date_precision: str | None = None
    region: str | None = None
    citations: list[Citation] = field(default_factory=list)
    reference_year: int | None = None  # completes dates written without a year


class MetadataReader:
    def __init__(self, rules: Rules) -> None:
        self.f = {r.id.removeprefix("meta."): r.pattern for r in rules.of("metadata", "field")}
        self.provinces = rules.of("metadata", "province")
        self.nationals = rules.of("metadata", "national")
        self.plan_periods = sorted(named_periods(rules).items(), key=lambda p: -len(p[0]))  # 十五五 before 十五
        self.rules = rules

    def _search(self, name: str, text: str, full: bool = False) -> regex.Match | None:
        pattern = self.f[name]
        if full:
            return pattern.fullmatch(text)
        return pattern.search(text)

    # -- single values --------------------------------------------------------
    def doc_number(self, text: str) -> str | None:
        m = self._search("doc_number", text)
        if not m:
            return None
        if m.group("order"):  # 政府令第179号, 国令第707号
            return f"{m.group('order')}第{m.group('order_num')}号"
        return f"{m.group('prefix')}〔{m.group('year')}〕{m.group('num')}号"

    def date(self, text: str) -> tuple[dt.date, str] | None:
        """``(date, precision)`` of the first date in ``text``."""
        m = self._search("date", text)
        if not m:
            return None
        year, month = int_of(m.group("y")), int_of(m.group("m"))
        day = int_of(m.group("d")) if m.group("d") else None
        try:
            if day:
                return dt.date(year, month, day), "day"
            return dt.date(year, month, 1), "month"
        except (TypeError, ValueError):
            return None

    def region(self, name: str | None) -> str | None:
        """The area an organ or title names first; a joint issuer's is its first organ's."""
        if not name:
            return None
        m = self._search("region", name) or self._search("region", name.split("、")[0])
        return m.group("region") if m else None

    def national(self, issuer: str | None, doc_number: str | None) -> str | None:
        """全国 for a policy of a national organ (国务院, 国家卫生健康委; 国发〔2021〕23号)."""
        for rule in self.nationals:
            for value, key in ((issuer, "issuer"), (doc_number, "doc_number")):
                if value and rule.get("field") == key and rule.pattern.search(value):
                    return rule.get("region")
        return None

    def region_in_text(self, text: str) -> str | None:
        """With no issuer or title: the place the text calls its own. The level comes from how it
        speaks of itself (全县, 我区, 本市), the name from the places of that level it names before
        an organ or 实际 (姚安县人民政府, 结合官渡区实际); the most frequent one."""
        levels = Counter(m.group(1) for m in _SELF_LEVEL.finditer(text))
        if not levels:
            return None
        level = levels.most_common(1)[0][0]
        places = Counter(m.group("place") for m in self.f["region_in_text"].finditer(text)
                         if m.group("place").endswith(level))
        return places.most_common(1)[0][0] if places else None

    def province_of_doc_number(self, doc_number: str | None) -> str | None:
        """豫政办〔2023〕4号 -> 河南省 (province-level governments only)."""
        for rule in self.provinces:
            m = rule.pattern.search(doc_number or "")
            if m:
                return rule.get("provinces", {}).get(m.group("abbr"))
        return None

    def organ(self, line: str) -> str | None:
        m = self._search("organ", line)
        return m.group("organ") if m else None

    def signer(self, line: str) -> str | None:
        """An organ or institution signing alone on a line (广州市医疗保险服务中心)."""
        m = self._search("signer", line)
        return m.group("organ") if m else None

    def is_title_text(self, text: str) -> bool:
        return bool(self._search("title_suffix", text))

    # -- document -------------------------------------------------------------
    def read(self, text: str, outline: Outline, page_fields: tuple = ()) -> Metadata:
        """Metadata of a document; ``page_fields`` (a web page's own metadata box) take precedence
        over what the text suggests for issuer, doc number and 成文日期, and for a title the page's
        title does not contain."""
        front_end = outline.body_start if outline.items else len(text)
        lines = split_lines(text[:front_end])
        table = next((i for i, line in enumerate(lines) if is_table_column(line.text, self.rules)), len(lines))
        lines = lines[:table]  # a table's header cells are not front matter
        closing = split_lines(text[outline.body_end:])  # the signature block, 附件 and after
        meta = Metadata()
        promulgated = self._promulgation(lines)
        meta.doc_number = self._front_doc_number(lines) or (promulgated and promulgated[0])
        notice = self._notice(lines)
        if notice:
            meta.notice_title, meta.issuer, embedded = notice
        else:
            embedded = None
        title, title_issuer = self._body_title(lines)
        meta.title = title or embedded or self._first_title_line(lines)
        if meta.title and (m := self._search("organ_title", meta.title, full=True)):
            title_issuer = title_issuer or m.group("organ")  # the title keeps the organ it names
        signed, front_signed = self._signature_issuer(closing, self.signer), self._signature_issuer(lines, self.organ)
        meta.issuer = (meta.issuer or title_issuer or front_signed
                       or self._page_issuer(lines) or (promulgated and promulgated[1]) or signed)
        for joint in (signed, front_signed):  # joint organs run together in a title, apart in a signature
            if joint and "、" in joint and joint.replace("、", "") == meta.issuer:
                meta.issuer = joint
        dated = self._issue_date(lines, closing) or (promulgated and promulgated[2])
        if dated:
            meta.issue_date, meta.issue_date_precision = dated
        self._apply_page_fields(meta, page_fields)
        meta.region = (self.national(meta.issuer, meta.doc_number) or self.region(meta.issuer)
                       or self.region(meta.title) or self.region(meta.notice_title)
                       or self.province_of_doc_number(meta.doc_number) or self.region_in_text(text))
        meta.citations = self._citations(text[:outline.body_end], meta)
        meta.reference_year = self._reference_year(meta, text)
        return meta

    def _apply_page_fields(self, meta: Metadata, page_fields: tuple) -> None:
        page = {}
        for f in page_fields:  # the box first, then head meta tags and the heading
            page.setdefault(f.field, to_simplified(f.value))
        if page.get("doc_number") and (number := self.doc_number(page["doc_number"])):
            meta.doc_number = number
        if page.get("issuer") or (page.get("publisher") and not meta.issuer):
            meta.issuer = "、".join(p for p in _ORGAN_LIST.split(page.get("issuer") or page["publisher"]) if p)
        if page.get("issue_date") and (dated := page_date(page["issue_date"])):
            meta.issue_date, meta.issue_date_precision = dated, "day"
        notice = page.get("title") and self._search("notice_title", page["title"], full=True)
        if notice and not meta.notice_title and meta.title and meta.title in page["title"]:
            meta.notice_title = page["title"]  # the page's heading is the cover notice of the text's policy
            meta.issuer = meta.issuer or notice.group("issuer")
        elif page.get("title") and (not meta.title or meta.title not in page["title"]):
            meta.title = page["title"]  # unless the text's own title is the page's, or its policy's
        named = page.get("head_title", "")
        if not meta.title and han_count(named) >= _MIN_HEAD_TITLE and self.is_title_text(named):
            meta.title = named  # the page's <title>, when the text names none and it reads as a policy's

    def _reference_year(self, meta: Metadata, text: str) -> int | None:
        """The year a date without one belongs to: the issue date's, else the doc number's, else the
        first year the title names (2023年工作要点, （2023—2025年）), else the first year of the plan
        period it names (“十四五”养老服务发展规划: 2021), else the latest doc number the text cites
        (a document implements what was issued before it)."""
        if meta.issue_date:
            return meta.issue_date.year
        if meta.doc_number and (m := self._search("doc_number", meta.doc_number)) and _year_of(m):
            return _year_of(m)
        if meta.title and (m := _TITLE_YEAR.search(meta.title)):
            return int(m.group(1))
        if meta.title and (named := next((years for name, years in self.plan_periods if name in meta.title), None)):
            return named[0]  # a “十四五” plan is of 2021 at the earliest
        cited = [y for m in self._doc_numbers(text) if (y := _year_of(m))]
        return max(cited) if cited else None

    def _doc_numbers(self, text: str) -> Iterator[regex.Match]:
        """Every doc number in ``text``, in order. Each ends with 号, so the pattern is tried only in
        the 60 characters before each 号, not at every position of a long text."""
        pattern, end = self.f["doc_number"], 0
        at = text.find("号")
        while at >= 0:
            m = pattern.search(text, max(end, at - 60), at + 1)
            if m and m.end() == at + 1:
                yield m
                end = m.end()
            at = text.find("号", at + 1)

    def _front_doc_number(self, lines: list[Line]) -> str | None:
        """The doc number on a line of its own, or after a 文号/发文字号 label (a metadata line)."""
        for line in lines:
            body = line.text.strip("（）() ")
            if self._search("doc_number", body, full=True):
                return self.doc_number(body)
            labelled = _NUMBER_LABEL.search(line.text)
            if labelled and (m := self._search("doc_number", labelled.group(1))) and m.start() == 0:
                return self.doc_number(labelled.group(1))
        return None

    def _notice(self, lines: list[Line]) -> tuple[str, str | None, str] | None:
        """(notice title, issuer, embedded policy title) from up to five joined lines."""
        texts = [l.text.strip() for l in lines]
        for i in range(len(texts)):
            for k in range(1, 6):
                joined = "".join(texts[i:i + k])
                if len(joined) > 200:
                    break
                m = self._search("notice_title", joined, full=True)
                if m and len(m.group("issuer") or "") <= len(texts[i]):
                    issuer = m.group("issuer")
                    if not issuer and i > 0 and self.organ(texts[i - 1]):
                        issuer = texts[i - 1]
                        joined = issuer + joined
                    return joined, issuer, _unwrap(m.group("title").strip()) or None
        return None

    def _skippable(self, line: str) -> bool:
        """Lines between a title and its text: the addressee and the doc number."""
        bare = line.strip("（）() ")
        return bool(self._search("addressee", line, full=True) or self._search("doc_number", bare, full=True))

    def _title_lines_before(self, lines: list[Line], anchor: int) -> tuple[str | None, str | None]:
        """(title, organ line right above it) from the title-like lines before ``anchor``."""
        collected: list[str] = []
        organ = None
        for line in reversed(lines[:anchor]):
            t = line.text.strip()
            if not collected and self._skippable(t):
                continue
            if self.organ(t):
                organ = t if collected else None
                break
            if _TITLE_BREAKERS.search(t) or len(t) > 60 or _NOTICE_END.search(t):
                break
            if collected and self.is_title_text(t) and self.is_title_text("".join(collected)):
                collected = [t]  # a complete title above: the line below it repeats a part of it
                break
            collected.insert(0, t)
            if len(collected) == 4:
                break
        title = _with_organ(organ, _unwrap("".join(collected)))
        return (title, organ) if title and self.is_title_text(title) else (None, None)

    def _body_title(self, lines: list[Line]) -> tuple[str | None, str | None]:
        paragraphs = [i for i, l in enumerate(lines) if l.text.endswith(("。", "：")) and not
                      self._search("addressee", l.text.strip(), full=True) or len(l.text) > 60]
        for anchor in ([paragraphs[-1]] if paragraphs else []) + [len(lines)]:
            title, organ = self._title_lines_before(lines, anchor)
            if title:
                return title, organ
        return None, None

    def _first_title_line(self, lines: list[Line]) -> str | None:
        """The first title-like line, with the organ alone on the line above it (``_with_organ``)."""
        for i, line in enumerate(lines):
            t = _unwrap(line.text.strip())
            if len(t) <= 60 and not _TITLE_BREAKERS.search(t) and self.is_title_text(t):
                return _with_organ(self.organ(lines[i - 1].text.strip()) if i else None, t)
        return None

    def promulgation(self, line: str) -> tuple[str | None, str, tuple] | None:
        """(order number, organ, (date, precision)) from the header line of a government rule
        (（2023年10月20日成都市人民政府令第215号公布…）) or of a regulation a people's congress
        adopted (（2022年8月30日深圳市第七届人民代表大会常务委员会第十一次会议通过）: no number,
        the congress without its term)."""
        m = self._search("promulgation", line.strip())
        if not m:
            return None
        organ = (m.group("organ") or "") + (m.group("body") or "")
        number = self.doc_number(organ + m.group("order")) if m.group("order") else None
        return number, organ, self.date(m.group("date"))

    def _promulgation(self, lines: list[Line]) -> tuple[str | None, str, tuple] | None:
        """The first promulgation header in the front matter, if it has one."""
        return next((found for line in lines if (found := self.promulgation(line.text))), None)

    def _signature_issuer(self, lines: list[Line], organ: Callable[[str], str | None]) -> str | None:
        """The organs (``organ`` of a line) signing above a date line; joint signers (one a line)
        joined with 、. In the front matter only organs sign; after the body, institutions too."""
        for i in range(1, len(lines)):
            if not self._search("date", lines[i].text.strip(), full=True):
                continue
            signers = []
            for line in reversed(lines[:i]):
                signer = organ(line.text.strip())
                if not signer:
                    break
                signers.insert(0, signer)
            if signers:
                return "、".join(signers)
        return None

    def _page_issuer(self, lines: list[Line]) -> str | None:
        for line in lines:
            m = self._search("page_issuer", line.text)
            if m:
                return m.group("organ")
        return None

    def _issue_date(self, lines: list[Line], closing: list[Line]):
        """The date alone on a front line, else the last one after the body, else a labelled one."""
        for line in lines:
            if self._search("date", line.text.strip(), full=True):
                return self.date(line.text)
        for line in reversed(closing):
            if self._search("date", line.text.strip(), full=True):
                return self.date(line.text)
        for line in lines:
            if _DATE_LABEL.match(line.text):
                return self.date(line.text)
        return None

    def _citations(self, text: str, meta: Metadata) -> list[Citation]:
        own = {_ANGLE.sub("", t) for t in (meta.title, meta.notice_title) if t}
        cited = []
        for m in self.f["citation"].finditer(text):
            title = m.group("title")
            if _ANGLE.sub("", title) in own:
                continue
            number = self.doc_number(m.group("num")) if m.group("num") else None
            cited.append(Citation(title, number, m.start(), m.end()))
        return cited

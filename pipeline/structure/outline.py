"""Outline: the heading tree and the measures (leaf numbered items) of a document.

Numbering styles come from ``rules/structure.toml``. Styles nest in the order the
document first uses them: a style seen again returns to its depth, a new style
goes one level below the current item, unless its conventional ``rank`` is above
a style already open (一、 after （一） in a copy that lost its first parts): then
it closes that style and takes its place. A numbered line with numbered lines
below it is a heading; one without is a measure, whose text runs on over
unnumbered paragraphs until the next numbered line, a standalone note or the end
of the body; the lines signing right above the line that ends the body (an organ
above the closing date) close it with that line. A style marked ``in_run`` (1.3人户,
ambiguous with a decimal) numbers an item only where it continues a run. Framing
headings (总体要求, 指导思想 …) are sections whatever follows them; annex items
(after 附件) are never measures and never nest under the body.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import regex

from pipeline.ingest.normalise import opens_item_rows
from pipeline.rules import Rule, Rules
from pipeline.structure.indicator_tables import IndicatorTable, find_indicator_tables
from pipeline.structure.lines import Line, split_lines


@dataclass
class Item:
    """A numbered line: heading or measure."""

    line: Line
    rule: Rule
    label: str
    content_start: int  # offset just after the number's marker
    depth: int = 0
    parent: "Item | None" = None
    children: list["Item"] = field(default_factory=list)
    title_line: Line | None = None  # a title on the line after a bare number (第一章 ⏎ 总则)

    @property
    def title_below(self) -> str:
        """The title on the line after a bare number, or ""."""
        return self.title_line.text.strip() if self.title_line else ""

    @property
    def heading_text(self) -> str:
        """The line as a path entry: label and title, up to the first full stop."""
        return (self.line.text.strip() + self.title_below).split("。", 1)[0].strip()

    @property
    def path(self) -> list[str]:
        chain, node = [], self.parent
        while node is not None:
            chain.append(node.heading_text)
            node = node.parent
        return chain[::-1]


@dataclass
class Measure:
    seq: int
    label: str
    path: list[str]
    start: int
    end: int
    rule: str
    item: Item


@dataclass
class Outline:
    items: list[Item]
    measures: list[Measure]
    body_end: int  # offset where the body ends (len(text) when nothing closes it)
    tables: list[IndicatorTable] = field(default_factory=list)  # their rows are no items

    @property
    def body_start(self) -> int:
        """Offset of the first numbered line (0 when there is none): the front matter ends here."""
        return self.items[0].line.start if self.items else 0


def numbering_of(line: str, rules: Rules, in_table: bool = False) -> tuple[Rule, regex.Match] | None:
    """The numbering rule a line starts with, if any (``in_table`` styles only after a table header)."""
    for rule in rules.of("structure", "numbering"):
        if rule.get("in_table") and not in_table:
            continue
        m = rule.pattern.match(line)
        if m and m.group("label"):
            return rule, m
    return None


def _line_is(kind: str, line: str, rules: Rules) -> bool:
    """Whether a ``[[kind]]`` rule of structure.toml matches the line: ``body_end`` (抄送, 附件,
    signatures) or ``closing_provision`` (本办法自…起施行: the policy as a whole, no measure's)."""
    return any(r.pattern.search(line) for r in rules.of("structure", kind))


_SENTENCE_MARK = regex.compile(r"[。；，：！？;,:]")


def _is_title_only(line_rest: str) -> bool:
    """A heading title: short and without sentence punctuation."""
    return len(line_rest) <= 30 and not _SENTENCE_MARK.search(line_rest)


def _titles_only(item: Item | None) -> bool:
    """Whether ``item`` is a title alone on the line before (八、其他事宜): the next line is its text."""
    return item is not None and _is_title_only(item.line.text[item.content_start - item.line.start:].strip())


def _rank(item: Item) -> int:
    return item.rule.get("rank", 99)


def _style(item: Item) -> str:
    return item.rule.get("style", item.rule.id)


_LABEL_NUMBER = regex.compile(r"^(?P<prefix>(?:\d+\.)*)(?P<n>\d+)$")


def _label_number(label: str) -> tuple[str, int] | None:
    """(the outline prefix, the number) of a label: 16 -> ("", 16), 2.1 -> ("2.", 1)."""
    m = _LABEL_NUMBER.match(label.strip())
    return (m.group("prefix"), int(m.group("n"))) if m else None


def _continues(other: Item | None, item: Item, number: int) -> bool:
    """Whether ``other`` is an item of ``item``'s style numbered ``number`` (under the same outline
    prefix: 2.1 continues into 2.2, not 3.2)."""
    if other is None or _style(other) != _style(item):
        return False
    mine, theirs = _label_number(item.label), _label_number(other.label)
    return bool(mine and theirs) and theirs == (mine[0], number)


def _opens_under(parent: Item | None, item: Item) -> bool:
    """Whether ``item`` is the first of its outline prefix right under the item it names (2.1 after 2)."""
    mine = _label_number(item.label)
    return parent is not None and mine is not None and mine[1] == 1 and bool(mine[0]) \
        and parent.label.strip() == mine[0].rstrip(".")


def _previous_at_level(kept: list[Item], item: Item) -> Item | None:
    """The last item before ``item`` that is of its style or not below it (past 1.1, 1.2 to 1)."""
    return next((other for other in reversed(kept) if _style(other) == _style(item) or _rank(other) <= _rank(item)),
                None)


def _in_runs(items: list[Item]) -> list[Item]:
    """The items without those of ``in_run`` rules that continue no run of their style: the
    item before it (past items of lower levels: 2 after 1.1, 1.2) is not number n−1 and, for
    number 1, the item right after is not number 2 and the item right before is not the one its
    outline prefix names (2.1 right after 2)."""
    kept: list[Item] = []
    for k, item in enumerate(items):
        if item.rule.get("in_run"):
            n = _label_number(item.label)[1]
            before = _previous_at_level(kept, item)
            after = items[k + 1] if k + 1 < len(items) else None
            if not (_continues(before, item, n - 1) or (n == 1 and (_continues(after, item, 2)
                                                                     or _opens_under(kept[-1] if kept else None, item)))):
                continue
        kept.append(item)
    return kept


def _nest(items: list[Item]) -> None:
    """Give each item its depth and parent from the order styles appear in."""
    stack: list[Item] = []
    for item in items:
        styles = [_style(s) for s in stack]
        if _style(item) in styles:
            depth = styles.index(_style(item))
        elif item.rule.get("beside_previous"):  # a 专栏 box: at the level of the item before it
            depth = max(len(stack) - 1, 0)
        else:  # a new style: below the open ones, unless it ranks above one of them
            depth = next((i for i, s in enumerate(stack) if _rank(s) > _rank(item)), len(stack))
        del stack[depth:]
        item.depth = depth
        item.parent = stack[-1] if stack else None
        if item.parent is not None:
            item.parent.children.append(item)
        stack.append(item)


def is_framing(title: str, rules: Rules) -> bool:
    """Whether an item's title names a framing section (总体要求, 指导思想 …): never a measure."""
    return any(r.pattern.match(title) for r in rules.of("structure", "framing"))


def _title(text: str, start: int, line_end: int) -> str:
    """An item's title: its line after the label, up to the first full stop."""
    return text[start:line_end].split("。", 1)[0].strip()


def _titles_below(item_at: dict[int, Item], lines: list[Line], kinds: list[str]) -> None:
    """Give a number alone on its line (第一章) the title on the line after it (总则), when that
    line is a title: short, without sentence punctuation."""
    for index, item in item_at.items():
        bare = not item.line.text[item.content_start - item.line.start:].strip()
        following = index + 1
        if bare and following < len(lines) and kinds[following] == "text" \
                and _is_title_only(lines[following].text.strip()):
            item.title_line = lines[following]


def _body_end(text: str, lines: list[Line], kinds: list[str], is_signer: Callable[[str], bool]) -> int:
    """Where the body ends: at the first line that ends it, or at the lines signing right above
    it (广州市医疗保险服务中心 above 2025年10月14日), which are marked as ending it too."""
    if "end" not in kinds:
        return len(text)
    closing = kinds.index("end")
    while closing > 0 and kinds[closing - 1] == "text" and is_signer(lines[closing - 1].text.strip()):
        closing -= 1
        kinds[closing] = "end"
    return lines[closing].start


def attachment_entries(lines: list[Line], rules: Rules) -> set[int]:
    """Indexes of the lines that list annexes after an ``[[attachment_list]]`` opening line
    (附件：1.X ⏎ 2.Y): annex titles, not items."""
    entries: set[int] = set()
    for rule in rules.of("structure", "attachment_list"):
        entry = regex.compile(rule.get("entry"))
        for index, line in enumerate(lines):
            if rule.pattern.match(line.text):
                following = index + 1
                while following < len(lines) and entry.match(lines[following].text):
                    entries.add(following)
                    following += 1
    return entries


def build_outline(text: str, rules: Rules, is_note_line: Callable[[str], bool],
                  is_signer: Callable[[str], bool] = lambda line: False) -> Outline:
    """Find headings and measures. ``is_note_line(line)`` tells standalone notes apart,
    ``is_signer(line)`` an organ signing alone on its line."""
    lines = split_lines(text)
    tables = find_indicator_tables(text, rules)
    annex_titles = attachment_entries(lines, rules)
    items: list[Item] = []
    kinds: list[str] = []  # per line: item / note / end / closing / text
    item_at: dict[int, Item] = {}
    in_table = False
    for index, line in enumerate(lines):
        if index in annex_titles or any(t.start <= line.start < t.end for t in tables):
            kinds.append("text")  # an annex's title in the notice's list, a row of an indicator table
            continue
        in_table = in_table or opens_item_rows(line.text, rules)
        found = numbering_of(line.text, rules, in_table)
        if found:
            rule, m = found
            item = Item(line, rule, m.group("label"), line.start + m.end())
            items.append(item)
            item_at[index] = item
            kinds.append("item")
        elif is_note_line(line.text):
            kinds.append("note")
        elif items and _line_is("body_end", line.text, rules):
            kinds.append("end")
        elif items and _line_is("closing_provision", line.text, rules) and not _titles_only(item_at.get(index - 1)):
            kinds.append("closing")
        else:
            kinds.append("text")
    items = _in_runs(items)
    kept = {id(item) for item in items}
    for index in [i for i, item in item_at.items() if id(item) not in kept]:  # 1.5亿元…: a number
        kinds[index] = "text"
        del item_at[index]
    _titles_below(item_at, lines, kinds)
    body_end = _body_end(text, lines, kinds, is_signer)
    _nest([i for i in items if i.line.start < body_end])
    _nest([i for i in items if i.line.start >= body_end])  # annex numbering starts afresh
    measures: list[Measure] = []
    for index, item in item_at.items():
        if item.children or item.rule.get("heading_only") or item.line.start >= body_end:
            continue
        end = item.line.end
        for following in range(index + 1, len(lines)):
            if kinds[following] != "text":
                break
            end = lines[following].end
        start = item.content_start
        while start < end and text[start] in " \t\n":
            start += 1
        if start >= end:
            continue  # a bare number with no text is not a measure
        title = item.title_below or _title(text, start, item.line.end)
        if not item.rule.get("always_item") and is_framing(title, rules):
            continue  # 总体要求, 指导思想: a section, not a measure (annotation-guide §2)
        if end == item.line.end and not text[end:].strip() and _is_title_only(text[start:end]):
            continue  # a title cut off at the end of a copy: its text is lost
        measures.append(Measure(len(measures) + 1, item.label, item.path, start, end, item.rule.id, item))
    return Outline(items, measures, body_end, tables)

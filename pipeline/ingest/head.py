"""Where a text copy's document begins, and the chrome before it.

Copies saved from news sites, reposts and portals put lines before the document: a
news lead (日前，X印发《…》。全文如下：), a headline, a truncated page title, a summary
that repeats the document's opening. The head is the first title among the first lines (its last line ends like a policy
title: …方案, …的通知, …意见; the lines above it without sentence punctuation, up to
the one with 关于, belong to it); lines before it go unless they are head material
themselves (an organ, a doc number, a date). Nothing goes when a numbered item, a doc
number or an addressee line comes before any title, or when more than a few lines
would go.
"""
from __future__ import annotations

import regex

from pipeline.rules import Rules

_SCAN = 12  # non-blank lines in which the head is looked for
_MOST_DROPPED = 5
_SENTENCE = regex.compile(r"[，。；！？,;!?：:]")
_NUMBERED = regex.compile(r"^\s*(?:[（(]?[一二三四五六七八九十\d]{1,3}[）)、.．]|第[一二三四五六七八九十百\d]{1,4}[章条节])")
_ADDRESSEE = regex.compile(r"^\s*各\p{Han}.{0,80}[:：]\s*$")
_TITLE_LINE = 50  # a line of a multi-line title is at most this long (a PDF line of 80 columns holds 40 Han and more)
_SPACE = regex.compile(r"\s+")
_SENTENCE_END = regex.compile(r"[。；！？]")


def _nonblank(view: str) -> list[tuple[int, int]]:
    """``(start, end)`` of the first non-blank lines, the end including the newline."""
    spans, start = [], 0
    while start < len(view) and len(spans) < _SCAN:
        end = view.find("\n", start)
        end = len(view) if end < 0 else end + 1
        if view[start:end].strip():
            spans.append((start, end))
        start = end
    return spans


class HeadFinder:
    def __init__(self, rules: Rules) -> None:
        f = {r.id.removeprefix("meta."): r.pattern for r in rules.of("metadata", "field")}
        self.title_suffix, self.doc_number, self.organ, self.date = (
            f["title_suffix"], f["doc_number"], f["organ"], f["date"])

    def _title_end(self, line: str) -> bool:
        line = _SPACE.sub("", line).replace("(", "（").replace(")", "）")
        return (len(line) <= 80 and not _SENTENCE_END.search(line) and not _NUMBERED.match(line)
                and self.title_suffix.search(line) is not None)

    def _doc_number_line(self, line: str) -> bool:
        line = line.strip()
        return len(line) <= 30 and self.doc_number.search(line) is not None

    def _head_material(self, line: str) -> bool:
        """An organ, or joint organs apart on one line (中共丽水市委办公室　丽水市人民政府办公室), a
        date or a doc number."""
        line = line.strip()
        return bool(all(self.organ.fullmatch(organ) for organ in _SPACE.split(line))
                    or self.date.fullmatch(line) or self._doc_number_line(line))

    def _head(self, view: str, lines: list[tuple[int, int]]) -> int | None:
        """Index of the head's first line among ``lines`` (None: no title before the text begins)."""
        for i, (start, end) in enumerate(lines):
            line = view[start:end]
            if _NUMBERED.match(line):
                return None
            if self._doc_number_line(line) or _ADDRESSEE.match(line):
                return None  # a doc number or addressee first: the lines above are the title, as written
            if self._title_end(line):
                first = i
                while (first > 0 and "关于" not in view[lines[first][0]:lines[first][1]]
                       and not _SENTENCE.search(above := view[lines[first - 1][0]:lines[first - 1][1]].strip())
                       and len(above) <= _TITLE_LINE and i - first < 3):
                    first -= 1
                return first
        return None

    def edits(self, view: str) -> list[tuple[int, int, str]]:
        """Deletions of the lines before the head that are not head material."""
        lines = _nonblank(view)
        head = self._head(view, lines)
        if not head:
            return []
        dropped = [(s, e, "") for s, e in lines[:head] if not self._head_material(view[s:e])]
        return dropped if len(dropped) <= _MOST_DROPPED else []


def repeated_opening_edits(view: str) -> list[tuple[int, int, str]]:
    """A summary line that repeats the start of what follows it, white space aside (reposts and
    wiki copies open with one): it goes, the document stays."""
    lines = _nonblank(view)
    edits = []
    for n, (start, end) in enumerate(lines[:-1]):
        line = _SPACE.sub("", view[start:end]).rstrip(".…")
        if len(line) < 40:
            continue
        following = _SPACE.sub("", view[lines[n + 1][0]:lines[n + 1][0] + 3 * len(line)])
        if following.startswith(line):
            edits.append((start, end, ""))
    return edits

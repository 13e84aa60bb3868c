"""Numeric targets (annotation-guide §3) by the rules in ``rules/targets.toml``.

A quantity (number + unit) is a target unless an exclusion rule says it names,
scopes or counts something else. Its comparator comes from the words around it,
its indicator from the jieba tokens and parts of speech of its clause, and its
deadline year from the time expression governing its sentence.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache

import regex

from pipeline.extract.numbers import MAGNITUDES, parse_number
from pipeline.extract.spans import SpanSet
from pipeline.extract.timex import TimeExpression
from pipeline.rules import Rule, Rules, alternation, any_of, compile_pattern, expand_parts
from pipeline.structure.indicator_tables import Cell, IndicatorTable
from pipeline.segmenter import segmenter

_CLAUSE_END = "，,；;。！？!?\n"
_SENTENCE_END = "。！？!?\n"
_SUBJECT_END = "。；;！？!?\n"
_DIGIT = regex.compile(r"\d")
_HAN = regex.compile(r"\p{Han}")
_NAMES_UNIT = regex.compile(r"[^\s—\-－/／]")  # a unit cell that is no dash or slash
_AMONG = regex.compile(r"^其中[，,：:]?")
# an aside with an amount, a year or an annex of its own, or a breakdown listing numbers:
# （低于280元按280元资助）, （详见附件1）, （小学563个、初中460个）; one bounding a number of
# its own is another (TargetReader.bounded_aside); one that only scopes (辖区人口30万以上的县) stays
_NUMBERED_ASIDE = regex.compile(r"（[^（）]*(?:\d(?:\.\d+)?[万亿]?元|(?:19|20)\d{2}年|附件\d|\d[^（）]*[、，；][^（）]*\d)[^（）]*）")
_QUOTE_CLOSE = {"“": "”", "‘": "’"}
_ITEM_LABEL = regex.compile(r"^(?:[（(][一二三四五六七八九十\d]{1,3}[）)]|\d{1,2}[.、．]|[一二三四五六七八九十]{1,3}、)")
_LIST_SEP = regex.compile(r"[、和及与](?![^（(]*[）)])")
# a 、 between quantities: not one in a bracket without numbers (县（市、区）), which lists no values
_NO_TARGET = object()  # a quantity that is no target
# 40万元、 between two values of a list, or 3个、2025年新建 (the next value's year and verb)
_VALUE_LIST_GAP = regex.compile(r"[\d.,]+(?P<unit>\D{0,6}?)[、和或](?P<words>(?:(?:19|20)\d{2}年)?[^、，,；;。：:\d]{0,8})$")
_LIST_COMMA = regex.compile(r"、(?![^（(\d]*[）)])")
# a scope of places only (洛阳市、南阳市; 其他…的城市): the measured thing is elided
_PLACES_ONLY = regex.compile(r"^(?:[^、，]*?(?:省|市|州|县|区|盟|旗|城市|地区))(?:、[^、，]*?(?:省|市|州|县|区|盟|旗|城市|地区))*$")
_LEADING_PLACES = regex.compile(r"^(?:\p{Han}{1,8}?(?:省|州市|市|自治州|州(?![市县区])|县|区|盟|旗)、?)+")
# parts of speech (jieba) that do not name the measured thing at a phrase edge:
# time, numeral, measure word, pronoun, conjunction, adverb, preposition, particle, punctuation
_EDGE_POS = ("t", "m", "q", "r", "c", "d", "p", "u", "x", "w")


@dataclass(frozen=True)
class Target:
    value: float
    value_max: float | None
    unit: str
    comparator: str
    indicator: str | None
    deadline_year: int | None
    quote: str
    start: int
    end: int
    rule: str
    at: int  # where the quantity itself starts


@lru_cache(maxsize=8192)
def _tagged(phrase: str) -> tuple[tuple[str, str], ...]:
    """jieba words with their parts of speech (phrases repeat across documents: cached), by
    rjieba with the department names the rules add. Without the HMM for unknown words (four
    times faster); numbers are tagged ``m`` as the HMM would, and a word jieba's dictionary does
    not tag (a name the rules add) ``x``, as jieba's tagger does."""
    return tuple((word, "m" if word.isdigit() else flag or "x") for word, flag in segmenter().tag(phrase, False))


@lru_cache(maxsize=8)
def _stop_patterns(stops: str) -> tuple[regex.Pattern, regex.Pattern]:
    """Patterns of one character of ``stops``: searching back (the last) and forward (the first)."""
    one = "[" + regex.escape(stops) + "]"
    return regex.compile(one, regex.REVERSE), regex.compile(one)


class TargetReader:
    def __init__(self, rules: Rules) -> None:
        units = rules.of("targets", "unit")
        self.timed_units = {n for r in units if r.get("needs_comparator") for n in r.get("names", [])}
        self.base_units = {n for r in units if r.get("of_base") for n in r.get("names", [])}
        parts = dict(rules.parts.get("targets", {}))
        parts["unit"] = alternation(n for r in units for n in r.get("names", []))
        self.count_units = {n for r in units if r.get("count") for n in r.get("names", [])}
        parts["count_unit"] = alternation(self.count_units)
        self.mentions = [(r, compile_pattern(r.get("template"), parts, r.file, r.id))
                         for r in rules.of("targets", "mention")]
        comparators = rules.of("targets", "comparator")
        self.before = [(w, r.get("symbol")) for r in comparators
                       for w in r.get("before", []) + r.get("adjacent_before", [])]
        self.before.sort(key=lambda x: -len(x[0]))
        self.after = [(w, r.get("symbol")) for r in comparators for w in r.get("after", [])]
        self.after.sort(key=lambda x: -len(x[0]))
        self.after_wins = {r.get("symbol") for r in comparators if r.get("after_wins")}
        before_words = alternation(w for r in comparators for w in r.get("before", []))
        rate = expand_parts("<<rate>>", parts, "targets.toml", "parts")  # names no thing: 每人每年
        self.before_near = regex.compile(rf"(?P<w>{before_words}){rate}?(?P<named>\p{{Han}}{{0,2}})$")
        self.before_of = regex.compile(rf"(?P<w>{before_words})[^，；。、\n]{{1,10}}的$")
        # 不低于供养金20%: words of two characters or more (the 约 of 签约服务覆盖率 bounds nothing)
        base_words = alternation(w for r in comparators for w in r.get("before", []) if len(w) > 1)
        self.before_base = regex.compile(rf"(?P<w>{base_words})[^，；。、\n\d]{{1,16}}$")
        # an aside that bounds a number of its own: （每次服务时长不低于30分钟）
        self.bounded_aside = regex.compile(rf"（[^（）]*(?:{before_words})\p{{Han}}{{0,2}}\d[^（）]*）")
        adjacent = alternation(w for r in comparators for w in r.get("adjacent_before", []))
        self.before_adjacent = regex.compile(rf"(?P<w>{adjacent})$") if adjacent else None
        self.excludes = [
            (r, *(compile_pattern(r.get(k), parts, r.file, r.id) if r.get(k) else None
                  for k in ("left", "right", "quantity")))
            for r in rules.of("targets", "exclude")]
        self.exclusions: dict[str, tuple[regex.Pattern | None, ...]] = {}  # by unit: ``_exclusions``
        trim = rules.of("targets", "indicator")
        # longest word first: the first alternative that fits is the longest
        self.leading = regex.compile(alternation(w for r in trim for w in r.get("leading", [])) or "(?!)")
        self.trailing_reversed = regex.compile(
            alternation(w[::-1] for r in trim for w in r.get("trailing", [])) or "(?!)")
        self.anywhere = {w for r in trim for w in r.get("anywhere", [])}
        self.kept_ends = tuple(w for r in trim for w in r.get("kept_ends", []))
        self.kept_starts = frozenset(w for r in trim for w in r.get("kept_starts", []))
        self.drop = [compile_pattern(d, parts, r.file, r.id) for r in trim for d in r.get("drop", [])]
        self.table_values = [(r, compile_pattern(r.get("template"), parts, r.file, r.id),
                              compile_pattern(r.get("unit_template"), parts, r.file, r.id))
                             for r in rules.of("targets", "table_value")]
        self.quoted_standards = [r.pattern for r in rules.of("targets", "quoted")]
        lists = rules.of("targets", "enumeration")
        self.respectively = regex.compile(alternation(w for r in lists for w in r.get("markers", [])) or "(?!)")
        self.category = [compile_pattern(r.get("category"), parts, r.file, r.id) for r in lists if r.get("category")]

    def states_standard(self, quote: str) -> bool:
        """Whether a quotation states a standard to meet (“15分钟生活圈”), not a name."""
        return any(p.fullmatch(quote) for p in self.quoted_standards)

    # -- helpers ---------------------------------------------------------------
    @staticmethod
    def _bounds(text: str, start: int, end: int, stops: str, lo: int, hi: int) -> tuple[int, int]:
        """The stretch of ``text[lo:hi]`` around ``start``–``end`` that holds none of ``stops``: from
        after the last stop before ``start`` to the first stop from ``end``."""
        before, after = _stop_patterns(stops)
        s, e = before.search(text, lo, start), after.search(text, end, hi)
        return s.end() if s else lo, e.start() if e else hi

    def _excluded(self, left: str, right: str, quantity: str, unit: str) -> bool:
        """Whether an exclusion rule that applies to ``unit`` matches the quantity's clause: its
        ``left`` at the end of what comes before, ``right`` at the start of what follows, or
        ``quantity`` the whole of it (one combined pattern of each part for the unit's rules)."""
        if unit not in self.exclusions:
            self.exclusions[unit] = self._exclusions(unit)
        left_re, right_re, quantity_re = self.exclusions[unit]
        return bool((left_re and left_re.search(left)) or (right_re and right_re.search(right))
                    or (quantity_re and quantity_re.fullmatch(quantity)))

    def _exclusions(self, unit: str) -> tuple[regex.Pattern | None, ...]:
        """The ``left``, ``right`` and ``quantity`` patterns of the exclusion rules that apply to
        ``unit``, each part's as one pattern (``any_of``: it matches where one of them does)."""
        applying = [parts for rule, *parts in self.excludes if unit not in rule.get("skip_units", ())
                    and not (rule.get("count_only") and unit not in self.count_units)
                    and not (rule.get("not_count") and unit in self.count_units)]
        return tuple(any_of(tuple(p[k] for p in applying if p[k] is not None)) for k in range(3))

    def _comparator(self, left: str, right: str, unit: str = "") -> tuple[str | None, int, int, int]:
        """(symbol, chars taken before, chars taken after, chars between the comparator word and
        the quantity that name the measured thing: 奖励 of 最高奖励100万元) from the words around it.
        A rate (``parts.rate``: 每人每年 of 不高于每人每年500元) may stand between them too; it names
        no thing. A word only right before the number (前 of 全省前3位) bounds no time span
        (届满前3个月 is when, not how long); one before the base of a share (``of_base`` units)
        bounds the share (不低于供养金20%). A word of one character counts only as a word of its
        own (the 约 of 签约率, the 前 of 目前 are none), and so does a word far from the number
        (the 最低 of 最低工资标准的80% bounds nothing). A word before that sets a plain level (=:
        降至) yields to a word after (降至35%以下 is <=)."""
        near = _own_word(self.before_near.search(left), left)
        adjacent = self.before_adjacent and unit not in self.timed_units and self.before_adjacent.search(left)
        base = unit in self.base_units and _own_word(self.before_base.search(left), left, any_length=True)
        m = near or _own_word(self.before_of.search(left), left, any_length=True) or base or _own_word(adjacent, left)
        before = dict(self.before)[m.group("w")] if m else None
        after = next(((w, symbol) for w, symbol in self.after if right.startswith(w)), None)
        symbol = after[1] if after and (after[1] in self.after_wins or before in (None, "=")) else before
        between = len(near.group("named")) if near else len(left) - m.end("w") if m and m is base else 0
        return symbol, len(left) - m.start() if m else 0, len(after[0]) if after else 0, between

    def _trim(self, phrase: str, kept_ends: tuple[str, ...] = ()) -> str:
        """Drop scope and time words from the start, comparator verbs from the end (jieba POS);
        a phrase ending in one of ``kept_ends`` keeps it."""
        tokens = [(w, f) for w, f in _tagged(phrase) if w not in self.anywhere]
        return self._trim_end(tokens[self._trim_start(tokens):], kept_ends)

    def _trim_start(self, tokens: list[tuple[str, str]], by_pos: bool = True) -> int:
        """Index of the first token after leading scope, time and (``by_pos``) function words; a
        ``kept_starts`` word (日间 of 日间照料中心, though jieba tags it as time) stops the trim."""
        start = 0
        while start < len(tokens):
            head = "".join(w for w, _ in tokens[start:])
            lead = self.leading.match(head)
            after, taken = self._words_forward(tokens, start, lead.end()) if lead else (start, 0)
            if lead and taken == lead.end():  # whole words only: not 建成 of 建成区
                start = after
            elif tokens[start][0] in self.kept_starts:
                break
            elif tokens[start][0] in _QUOTE_CLOSE and _QUOTE_CLOSE[tokens[start][0]] in head:
                break  # keep a quotation mark the indicator closes (“一网通办”覆盖率)
            elif by_pos and (tokens[start][1].startswith(_EDGE_POS) or tokens[start][0] in "（）、"):
                start += 1
            else:
                break
        return start

    def _trim_end(self, tokens: list[tuple[str, str]], kept_ends: tuple[str, ...]) -> str:
        """The tokens joined, without comparator verbs and function words at the end."""
        end = len(tokens)
        while end > 0:
            body = "".join(w for w, _ in tokens[:end])
            if body.endswith(kept_ends):
                break
            trail = self.trailing_reversed.match(body[::-1])
            before, taken = self._words_back(tokens, end, trail.end()) if trail else (end, 0)
            if trail and taken == trail.end():  # whole words only: 应 of 应按, not of 相应
                end = before
            elif tokens[end - 1][0] == "）" and "（" in body:
                break  # keep a parenthesis the indicator opened
            elif tokens[end - 1][1].startswith(("p", "u", "x", "w", "c", "d")):
                end -= 1
            else:
                break
        return "".join(w for w, _ in tokens[:end])

    @staticmethod
    def _words_forward(tokens: list[tuple[str, str]], start: int, n: int) -> tuple[int, int]:
        """(index after the tokens covering ``n`` characters from ``start``, characters they hold)."""
        taken = 0
        while start < len(tokens) and taken < n:
            taken += len(tokens[start][0])
            start += 1
        return start, taken

    @staticmethod
    def _words_back(tokens: list[tuple[str, str]], end: int, n: int) -> tuple[int, int]:
        """(index before the tokens covering ``n`` characters before ``end``, characters they hold)."""
        taken = 0
        while end > 0 and taken < n:
            end -= 1
            taken += len(tokens[end][0])
        return end, taken

    def _indicator(self, clause: str, q_start: int, q_end: int, times: list[tuple[int, int]],
                   kept_ends: tuple[str, ...] = ()) -> str | None:
        """What the number measures: the clause without the quantity, comparators, time and scope words."""
        spans = list(times) + self._dropped(clause)
        # an aside in brackets with numbers of its own is not part of this quantity's indicator
        spans += [m.span() for aside in (_NUMBERED_ASIDE, self.bounded_aside) for m in aside.finditer(clause)
                  if not m.start() <= q_start < m.end()]
        opening = clause.rfind("（", 0, q_start)
        if opening > clause.rfind("）", 0, q_start):  # the quantity sits in an aside: it starts there
            spans.append((0, opening + 1))
        left = self._trim(_after_last_quantity(_blanked(clause[:q_start], spans)), kept_ends + self.kept_ends)
        right = _before_next_quantity(_blanked(clause[q_end:], spans, q_end)).lstrip("的")
        right = self._trim(right) if right else ""
        indicator = left + right
        return indicator or None

    # -- document --------------------------------------------------------------
    def find(self, text: str, start: int, end: int | None, blocked: list[tuple[int, int]],
             times: list[TimeExpression], past: list[TimeExpression] = (),
             labels: list[tuple[int, int]] = ()) -> list[Target]:
        """Targets in ``text[start:end]``; ``blocked`` spans (names, quotes, time expressions) are
        skipped, and so are figures a ``past`` date governs (2020年末…82.25岁 reports a fact).
        ``labels`` (items' numbers) are no part of a figure: 1.3人户家庭 is item 1, 3 persons."""
        end = len(text) if end is None else end
        taken = SpanSet(blocked)
        found: list[Target] = []
        segment = _masked(text[start:end], labels, start)
        times, past = Times(times), Times(past)
        for rule, pattern in self.mentions:
            for m in pattern.finditer(segment):
                s, e = start + m.start(), start + m.end()
                if taken.overlaps(s, e):
                    continue
                target = self._target(text, s, e, m, rule, start, end, times, past)
                if target is not None:
                    taken.add(s, e)  # a quantity no target (_NO_TARGET) too: no other rule reads a part of it
                if isinstance(target, Target):
                    found.append(target)
        found.sort(key=lambda t: t.start)
        found = self._respectively(text, found, times)
        return self._complete(text, found)

    # -- indicator tables -------------------------------------------------------
    def from_tables(self, text: str, tables: list[IndicatorTable], reference_year: int | None) -> list[Target]:
        """Targets of indicator tables: each row's value in each target column."""
        found = []
        for table in tables:
            kinds = [c.kind for c in table.columns]
            for row in table.rows:
                indicator = row[kinds.index("indicator")]
                unit = row[kinds.index("unit")] if "unit" in kinds else None
                for i in table.target_columns(reference_year):
                    year = table.columns[i].year or table.last_year
                    target = row[i] and self._table_target(text, row[i], indicator, unit, year)
                    if target:
                        found.append(target)
        return found

    def _table_target(self, text: str, cell: Cell, indicator: Cell, unit_cell: Cell | None,
                      year: int | None) -> Target | None:
        """The target a value cell states for its row's indicator, if it holds one."""
        for rule, pattern, unit_pattern in self.table_values:
            m = pattern.fullmatch(cell.text)
            if not m:
                continue
            symbol = self._comparator(m.group("before"), m.group("after"))[0]
            if symbol is None and (m.group("before") or m.group("after")):
                return None  # words that are no comparator: not a plain value
            bracket = unit_pattern.search(indicator.text)
            name = indicator.text[:bracket.start()] if bracket else indicator.text
            unit = m.group("unit") or (unit_cell.text if unit_cell and _NAMES_UNIT.search(unit_cell.text) else None) \
                or (bracket.group("unit") if bracket else "")
            value_max = parse_number(m.group("num2")) if m.group("num2") else None
            return Target(parse_number(m.group("num")), value_max, unit, "range" if value_max is not None else symbol or "=",
                          name.strip() or None, year, text[indicator.start:cell.end], indicator.start, cell.end,
                          rule.id, cell.start)
        return None

    # -- indicators that need the sentence ---------------------------------------
    def _respectively(self, text: str, found: list[Target], times: list[TimeExpression]) -> list[Target]:
        """A…、B…和C…分别下降15%、10%和26%: the k-th value measures the k-th listed subject, and a
        comparator before the first value (分别不少于60万元、40万元) bounds every one."""
        out = list(found)
        groups: dict[int, list[int]] = {}
        for i, t in enumerate(found):
            c_start = self._bounds(text, t.at, t.at, _CLAUSE_END, 0, len(text))[0]
            markers = list(self.respectively.finditer(text[c_start:t.at]))
            if markers:  # the last 分别 before the quantity
                groups.setdefault(c_start + markers[-1].start(), []).append(i)
        for at, members in groups.items():
            verb = text[at:found[members[0]].at]
            verb = verb[self.respectively.match(verb).end():]
            shared = self._comparator(verb, "")[0]
            for i in members[1:]:
                if shared and out[i].comparator == "=":
                    out[i] = replace(out[i], comparator=shared)
            c_start = self._bounds(text, at, at, _CLAUSE_END, 0, len(text))[0]
            items, share = self._listed(text, c_start, at, times), _shared_head
            if len(items) != len(members) and c_start >= 2:
                # 对获评国家级、省级示范园区的，分别给予100万元、50万元: the list is the object before
                before = self._bounds(text, c_start - 1, c_start - 1, _CLAUSE_END, 0, len(text))[0]
                if text[c_start - 2] == "的" or text[before] == "对":
                    items = self._listed(text, before, c_start - 1 - (text[c_start - 2] == "的"), times)
                    items, share = [_ITEM_LABEL.sub("", items[0]), *items[1:]] if items else items, _shared_affixes
            if len(items) != len(members) or len(items) < 2:
                continue
            tail = ""
            words = [w for w, _ in _tagged(items[-1])]
            if "等" in words:  # the word 等 (etc.), not the 等 of 二等奖
                k = words.index("等")
                items[-1], tail = "".join(words[:k]), "".join(words[k + 1:])
                for category in self.category:
                    tail = category.sub("", tail, count=1)
            for item, i in zip(share(items), members):
                tokens = [(w, f) for w, f in _tagged(item) if w not in self.anywhere]
                subject = "".join(w for w, _ in tokens[self._trim_start(tokens, by_pos=False):])
                indicator = self._trim_end(list(_tagged(subject + tail + verb)), self.kept_ends)
                out[i] = replace(out[i], indicator=indicator or found[i].indicator)
        return out

    def _listed(self, text: str, start: int, end: int, times: "Times") -> list[str]:
        """The items a clause lists (A、B和C), without its time expressions and baselines."""
        clause = text[start:end]
        subject = _blanked(clause, [(t.start - start, t.end - start) for t in times.overlapping(start, end)]
                           + self._dropped(clause))
        return [p for p in _LIST_SEP.split(subject) if p]

    def _dropped(self, phrase: str) -> list[tuple[int, int]]:
        """Spans of ``phrase`` that no indicator keeps (baselines: 比2015年)."""
        return [m.span() for d in self.drop for m in d.finditer(phrase)]

    def _complete(self, text: str, found: list[Target]) -> list[Target]:
        """Indicators that lost their measured thing to the sentence: an elided one (郑州市分担率
        不低于50%，洛阳市不低于45%) takes the previous one's; a bare verb (3年筹集9亿元) takes the
        subject of its sentence (省财政); a value of a list named once after it (给予40万元、30万元、
        20万元服务奖励) takes the list's last one's; one naming nothing (每周工作不少于5日，每次至少
        半天) the previous one's of its sentence, when they measure in the same unit or both in time
        or it caps a share (按发生额的50%给予补助，最高不超过100万元), and the first of its sentence what the clause before it names (建立应急队伍，每个县至少1支)."""
        out = _named_after_list(text, found, lambda words: not self._trim(words))
        for i, t in enumerate(list(out)):
            sentence = self._bounds(text, t.start, t.start, _SENTENCE_END, 0, len(text))
            first = i  # the first target of its sentence
            while first and out[first - 1].start >= sentence[0]:
                first -= 1
            part = self._breakdown_part(text, out[first:i], t, sentence[0])
            if part:
                out[i] = replace(t, indicator=part)
                continue
            previous = out[i - 1] if i and out[i - 1].start >= sentence[0] else None
            if not t.indicator:  # 每周工作不少于5日，每次至少半天: the half day is of the same work
                if previous and previous.indicator and (previous.unit == t.unit or
                                                        {previous.unit, t.unit} <= self.timed_units or
                                                        (previous.unit in self.base_units and t.comparator == "<=")):
                    out[i] = replace(t, indicator=previous.indicator)
                elif previous is None:
                    out[i] = replace(t, indicator=self._clause_before(text, t.at, sentence[0]))
                continue
            if previous and previous.indicator and _PLACES_ONLY.match(t.indicator) \
                    and not _PLACES_ONLY.match(previous.indicator):
                measured = _LEADING_PLACES.sub("", previous.indicator)
                if measured and measured != previous.indicator:
                    out[i] = replace(t, indicator=t.indicator + measured)
                continue
            tags = _tagged(t.indicator)
            if all(flag.startswith("v") for _, flag in tags):
                subject = self._subject(text, t.start)
                if subject:
                    out[i] = replace(t, indicator=subject + t.indicator)
        return out

    def _clause_before(self, text: str, at: int, sentence_start: int) -> str | None:
        """What the clause before a quantity's own names, when that clause holds no number: 组织农技
        人员下乡指导，每个乡镇不少于3人 counts the 农技人员下乡指导 of each township."""
        own = self._bounds(text, at, at, _CLAUSE_END, 0, len(text))[0]
        if own - 1 <= sentence_start or text[own - 1] not in "，,":
            return None
        before = self._bounds(text, own - 2, own - 2, _CLAUSE_END, sentence_start, len(text))[0]
        clause = text[before:own - 1]
        return (self._trim(clause) or None) if not _DIGIT.search(clause) else None

    def _breakdown_part(self, text: str, earlier: list[Target], t: Target, sentence_start: int) -> str | None:
        """The indicator of a part of a total named after 其中 only by how it is made (建设高标准农田
        5万亩，其中新建3万亩、改造提升2万亩): the total's indicator and the part's own words
        (高标准农田新建), in reading order. A part that names its own thing (其中高校毕业生2万人,
        其中新增投入3亿元) keeps its indicator."""
        among = text.rfind("其中", sentence_start, t.at) if earlier else -1
        totals = [b for b in earlier if b.end <= among and b.unit == t.unit]
        if among < 0 or not totals or not totals[-1].indicator:
            return None
        piece = _after_last_quantity(text[among + 2:t.at]).lstrip("，,：:")
        own = self._trim_end(list(_tagged(piece)), ())
        made_only = self.leading.match(own) and all(flag.startswith("v") for _, flag in _tagged(own))
        if not own or (t.indicator and not made_only):
            return None
        return totals[-1].indicator + own

    def _subject(self, text: str, at: int) -> str:
        """The words a clause group opens with, up to its first preposition (省财政按…); none when
        the first clause has no preposition or the words name nothing."""
        start = self._bounds(text, at, at, _SUBJECT_END, 0, len(text))[0]
        words: list[str] = []
        for word, flag in _tagged(_AMONG.sub("", text[start:at])):
            if flag.startswith("p"):
                subject = "".join(words)
                return subject if len(subject) <= 12 and any(f.startswith("n") for _, f in _tagged(subject)) else ""
            if word in "，,：:" or (flag.startswith(("x", "w", "m")) and word != "、"):
                break
            words.append(word)
        return ""

    def _target(self, text: str, s: int, e: int, m: regex.Match, rule: Rule, lo: int, hi: int,
                times: "Times", past: "Times") -> Target | object | None:
        """The target the match ``m`` reads; ``_NO_TARGET`` for a quantity that is none (excluded,
        or a past figure), so no rule reads a part of it as one; None when it reads no quantity."""
        c_start, c_end = self._bounds(text, s, e, _CLAUSE_END, lo, hi)
        left, right = text[c_start:s], text[e:c_end]
        groups = m.groupdict()
        unit = groups.get("unit") or rule.get("unit")
        if rule.get("unit_format"):  # 每人每天120元 -> 元/人·天
            unit = rule.get("unit_format").format(**{k: v or "" for k, v in groups.items()})
        if self._excluded(left, right, m.group(), unit):
            return _NO_TARGET
        symbol, took_before, took_after, between = self._comparator(left, right, unit)
        if rule.get("comparator"):
            symbol = rule.get("comparator")
        elif groups.get("num2"):
            symbol = "range"
        elif groups.get("approx"):
            symbol = ">"
        if symbol is None and (rule.get("needs_comparator") or unit in self.timed_units):
            return None
        value = parse_number(groups["num"])
        if value is None:
            return None
        if rule.get("share"):  # 三分之一: num parts of den, as a percentage
            value = round(100 * value / parse_number(groups["den"]), 2)
        if rule.get("doublings"):  # 翻两番: four times
            value = 2.0 ** value
        if rule.get("tenths"):  # 三成: 30 %
            value = 10 * value
        value_max = parse_number(groups["num2"]) if groups.get("num2") else None
        if groups.get("mag2"):  # 5000元以上5万元以下: the upper end in the lower end's unit
            value_max *= MAGNITUDES[groups["mag2"]]
        sentence = self._bounds(text, s, e, _SENTENCE_END, lo, hi)
        if _dated_past(times, past, s, sentence):
            return _NO_TARGET
        clause_times = [(t.start - c_start, t.end - c_start) for t in times.starting(c_start, c_end)]
        clause = text[c_start:c_end]
        comparator_words = (s - c_start - took_before, s - c_start - between)  # 最高 of 最高奖励, not 奖励
        indicator = self._indicator(clause, s - c_start, e - c_start + took_after, clause_times + [comparator_words],
                                    tuple(rule.get("indicator_ends", ())))
        quote = clause.strip()
        quote_start = c_start + len(clause) - len(clause.lstrip())
        return Target(value, value_max, unit, symbol or "=", indicator, self._year(times, s, sentence),
                      quote, quote_start, quote_start + len(quote), rule.id, s)

    @staticmethod
    def _year(times: "Times", at: int, sentence: tuple[int, int]) -> int | None:
        """Year of the time expression governing the sentence: the nearest before, else the first after."""
        inside = [t for t in times.starting(*sentence) if t.year]
        before = [t for t in inside if t.start < at]
        if before:
            return before[-1].year
        return inside[0].year if inside else None


def _dated_past(times: "Times", past: "Times", at: int, sentence: tuple[int, int]) -> bool:
    """Whether the dated time expression nearest before ``at`` in its sentence is a past one:
    the figure reports a fact (2020年末人均预期寿命82.25岁), unless a later date sets it
    (2020年末为80岁，到2025年达到82岁: 82 is a target)."""
    earlier = past.starting(sentence[0], at)
    if not earlier:
        return False
    dated = [t for t in times.starting(sentence[0], at) if t.year]
    return not dated or earlier[-1].start > dated[-1].start


class Times(list):
    """A document's time expressions in text order, found by where they start (bisection: a
    long document has thousands, and every target looks up those of its clause and sentence)."""

    def __init__(self, times: list[TimeExpression]) -> None:
        super().__init__(sorted(times, key=lambda t: t.start))
        self.starts = [t.start for t in self]
        self.ends = [t.end for t in self]  # sorted too: time expressions never overlap

    def starting(self, start: int, end: int) -> list[TimeExpression]:
        """Those that start in ``[start, end)``."""
        return self[bisect_left(self.starts, start):bisect_left(self.starts, end)]

    def overlapping(self, start: int, end: int) -> list[TimeExpression]:
        """Those with a character in ``[start, end)``."""
        return self[bisect_right(self.ends, start):bisect_left(self.starts, end)]


def _shared_head(items: list[str], any_word: bool = False) -> list[str]:
    """A list whose last item alone names what they share: the short items before it take the words
    after the last one's own part — up to the character they all end with (市级、县级财政; 区级、
    街道级、社区级设施), after its first character when they are one character each (一、二、三等奖),
    or a per-unit base after its first word (小学、初中每生; any words after it with ``any_word``,
    as in an object clause: 优秀、良好、合格等级的). Items that name things of their own
    (二氧化硫、氮氧化物和挥发性有机物) share nothing."""
    if len(items) < 2 or any(len(item) > 4 for item in items[:-1]) or len(items[-1]) <= max(map(len, items[:-1])):
        return items
    last = items[-1]
    ends = {item[-1] for item in items[:-1]}
    if len(ends) == 1 and last.find(next(iter(ends)), 1) > 0:
        own = last.find(next(iter(ends)), 1) + 1
    elif all(len(item) == 1 for item in items[:-1]):
        own = 1
    else:
        own = len(_tagged(last)[0][0])
        if not (any_word or last[own:].startswith("每")):
            return items
    shared = last[own:]
    return [item + shared for item in items[:-1]] + [last] if shared and own <= 4 else items


def _shared_affixes(items: list[str]) -> list[str]:
    """``_shared_head``, and the words the first item opens with shared too, as an object clause
    writes them: 对新认定的国家级、省级专精特新企业 -> 对新认定的国家级专精特新企业, 对新认定的省级…"""
    first = items[0]
    if len(first) <= 4 or len(items) < 2 or any(len(item) > 4 for item in items[1:-1]):
        return _shared_head(items, any_word=True)
    own = _tagged(first)[-1][0]  # the first item's own part: its last word
    if len(own) > 4 or own == first:
        return items
    shared = _shared_head([own, *items[1:]], any_word=True)
    if shared == [own, *items[1:]]:
        return items  # nothing after the last item's own part is shared: no prefix either
    prefix = first[:-len(own)]
    return [prefix + item for item in shared]


def _own_word(m: regex.Match | None, text: str, any_length: bool = False) -> regex.Match | None:
    """``m``, unless its word ``w`` is one Han character (``any_length``: any word) that jieba
    reads as part of a longer word of ``text`` (签约, 目前; 最低工资, 最高人民法院)."""
    if not m or (len(m.group("w")) > 1 and not any_length) or not _HAN.match(m.group("w")):
        return m
    edges, at = {0}, 0
    for word, _ in _tagged(text):
        at += len(word)
        edges.add(at)
    return m if m.start("w") in edges and m.end("w") in edges else None


def _named_after_list(text: str, found: list[Target], names_nothing: Callable[[str], bool]) -> list[Target]:
    """``found`` with the values of a list that name nothing given the last one's indicator: nothing
    between them but their units and a separator (40万元、30万元、20万元服务奖励), or words that
    name nothing (``names_nothing``: a year and a verb, 2024年新建3个、2025年新建5个名医工作室)."""
    out = list(found)
    run: list[int] = []
    for i, t in enumerate(found + [None]):
        gap = _VALUE_LIST_GAP.match(text, found[run[-1]].at, t.at) if run and t is not None else None
        if gap and gap.group("unit").endswith(found[run[-1]].unit) \
                and (not gap.group("words") or names_nothing(gap.group("words"))):
            run.append(i)
            continue
        named = out[run[-1]].indicator if len(run) > 1 else None
        for k in run if named else ():
            if not out[k].indicator:
                out[k] = replace(out[k], indicator=named)
        run = [i]
    return out


def _after_last_quantity(left: str) -> str:
    """The left context after the last 、 that follows a quantity (合格率80%以上、纯度90%)."""
    pieces = _LIST_COMMA.split(left)
    for i in range(len(pieces) - 2, -1, -1):
        if _DIGIT.search(pieces[i]):
            return "、".join(pieces[i + 1:])
    return left


def _before_next_quantity(right: str) -> str:
    """The right context up to the 、 before the next quantity."""
    pieces = _LIST_COMMA.split(right)
    for i in range(1, len(pieces)):
        if _DIGIT.search(pieces[i]):
            return "、".join(pieces[:i])
    return right


def _masked(segment: str, spans: list[tuple[int, int]], offset: int) -> str:
    """``segment`` (at ``offset`` in its text) with the characters of ``spans`` made line breaks,
    so no pattern reads across them; its offsets stay the text's."""
    pieces, at = [], 0
    for s, e in sorted(spans):
        s, e = max(s - offset, at), min(e - offset, len(segment))
        if s < e:
            pieces += [segment[at:s], "\n" * (e - s)]
            at = e
    return "".join(pieces) + segment[at:] if pieces else segment


def _blanked(phrase: str, spans: list[tuple[int, int]], offset: int = 0) -> str:
    """``phrase`` without the characters of ``spans`` (offsets relative to ``offset`` before it)."""
    keep = [True] * len(phrase)
    for s, e in spans:
        for i in range(max(s - offset, 0), min(e - offset, len(phrase))):
            keep[i] = False
    return "".join(c for c, k in zip(phrase, keep) if k)

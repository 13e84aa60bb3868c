"""Numeric targets (annotation-guide §3) by the rules in ``rules/targets.toml``.

A quantity (number + unit) is a target unless an exclusion rule says it names,
scopes or counts something else. Its comparator comes from the words around it,
its indicator from the jieba tokens and parts of speech of its clause, and its
deadline year from the time expression governing its sentence.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import jieba.posseg
import regex

from pipeline.extract.numbers import parse_number
from pipeline.extract.spans import SpanSet
from pipeline.extract.timex import TimeExpression
from pipeline.rules import MATCH_TIMEOUT, Rule, Rules, compile_pattern

_CLAUSE_END = "，,；;。！？!?\n"
_SENTENCE_END = "。！？!?\n"
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


@lru_cache(maxsize=8192)
def _tagged(phrase: str) -> tuple[tuple[str, str], ...]:
    """jieba words with their parts of speech (phrases repeat across documents: cached).

    Without the HMM for unknown words (four times faster); numbers, which jieba then tags
    ``eng``, are tagged ``m`` as the HMM would."""
    return tuple((t.word, "m" if t.word.isdigit() else t.flag) for t in jieba.posseg.cut(phrase, HMM=False))


def _alternation(words) -> str:
    return "|".join(regex.escape(w) for w in sorted(set(words), key=len, reverse=True))


class TargetReader:
    def __init__(self, rules: Rules) -> None:
        units = rules.of("targets", "unit")
        self.timed_units = {n for r in units if r.get("needs_comparator") for n in r.get("names", [])}
        parts = dict(rules.parts.get("targets", {}))
        parts["unit"] = _alternation(n for r in units for n in r.get("names", []))
        parts["count_unit"] = _alternation(n for r in units if r.get("count") for n in r.get("names", []))
        self.mentions = [(r, compile_pattern(r.get("template"), parts, r.file, r.id))
                         for r in rules.of("targets", "mention")]
        comparators = rules.of("targets", "comparator")
        self.before = [(w, r.get("symbol")) for r in comparators
                       for w in r.get("before", []) + r.get("adjacent_before", [])]
        self.before.sort(key=lambda x: -len(x[0]))
        self.after = [(w, r.get("symbol")) for r in comparators for w in r.get("after", [])]
        self.after.sort(key=lambda x: -len(x[0]))
        before_words = _alternation(w for r in comparators for w in r.get("before", []))
        self.before_near = regex.compile(rf"(?P<w>{before_words})\p{{Han}}{{0,2}}$")
        self.before_of = regex.compile(rf"(?P<w>{before_words})[^，；。、\n]{{1,10}}的$")
        adjacent = _alternation(w for r in comparators for w in r.get("adjacent_before", []))
        self.before_adjacent = regex.compile(rf"(?P<w>{adjacent})$") if adjacent else None
        self.excludes = rules.of("targets", "exclude")
        self.excludes_compiled = [
            (r, regex.compile(r.get("left")) if r.get("left") else None,
             regex.compile(r.get("right")) if r.get("right") else None) for r in self.excludes]
        trim = rules.of("targets", "indicator")
        # longest word first: the first alternative that fits is the longest
        self.leading = regex.compile(_alternation(w for r in trim for w in r.get("leading", [])) or "(?!)")
        self.trailing_reversed = regex.compile(
            _alternation(w[::-1] for r in trim for w in r.get("trailing", [])) or "(?!)")
        self.anywhere = {w for r in trim for w in r.get("anywhere", [])}

    # -- helpers ---------------------------------------------------------------
    @staticmethod
    def _bounds(text: str, start: int, end: int, stops: str, lo: int, hi: int) -> tuple[int, int]:
        s = start
        while s > lo and text[s - 1] not in stops:
            s -= 1
        e = end
        while e < hi and text[e] not in stops:
            e += 1
        return s, e

    def _excluded(self, left: str, right: str, unit: str) -> bool:
        for rule, left_re, right_re in self.excludes_compiled:
            if unit in rule.get("skip_units", ()):
                continue
            if left_re and left_re.search(left, timeout=MATCH_TIMEOUT):
                return True
            if right_re and right_re.search(right, timeout=MATCH_TIMEOUT):
                return True
        return False

    def _comparator(self, left: str, right: str) -> tuple[str | None, int, int]:
        """(symbol, chars taken before, chars taken after) from the words around a quantity."""
        m = (self.before_near.search(left) or self.before_of.search(left)
             or (self.before_adjacent and self.before_adjacent.search(left)))
        before = dict(self.before)[m.group("w")] if m else None
        after = next(((w, symbol) for w, symbol in self.after if right.startswith(w)), None)
        symbol = before or (after[1] if after else None)
        return symbol, len(left) - m.start() if m else 0, len(after[0]) if after else 0

    def _trim(self, phrase: str, kept_ends: tuple[str, ...] = ()) -> str:
        """Drop scope and time words from the start, comparator verbs from the end (jieba POS);
        a phrase ending in one of ``kept_ends`` keeps it."""
        tokens = [(w, f) for w, f in _tagged(phrase) if w not in self.anywhere]
        start, end = 0, len(tokens)
        while start < end:
            head = "".join(w for w, _ in tokens[start:end])
            lead = self.leading.match(head)
            if lead:
                start = self._skip_chars(tokens, start, lead.end())
            elif tokens[start][1].startswith(_EDGE_POS) or tokens[start][0] in "（）、":
                start += 1
            else:
                break
        while start < end:
            body = "".join(w for w, _ in tokens[start:end])
            if body.endswith(kept_ends):
                break
            trail = self.trailing_reversed.match(body[::-1])
            if trail:
                end = self._drop_chars(tokens, end, trail.end())
            elif tokens[end - 1][0] == "）" and "（" in body:
                break  # keep a parenthesis the indicator opened
            elif tokens[end - 1][1].startswith(("p", "u", "x", "w", "c", "d")):
                end -= 1
            else:
                break
        return "".join(w for w, _ in tokens[start:end])

    @staticmethod
    def _skip_chars(tokens: list[tuple[str, str]], start: int, n: int) -> int:
        """Index after the tokens covering ``n`` characters from ``start`` (at least one token)."""
        taken = 0
        while start < len(tokens) and taken < n:
            taken += len(tokens[start][0])
            start += 1
        return start

    @staticmethod
    def _drop_chars(tokens: list[tuple[str, str]], end: int, n: int) -> int:
        """Index before the tokens covering ``n`` characters before ``end`` (at least one token)."""
        taken = 0
        while end > 0 and taken < n:
            end -= 1
            taken += len(tokens[end][0])
        return end

    def _indicator(self, clause: str, q_start: int, q_end: int, times: list[tuple[int, int]],
                   kept_ends: tuple[str, ...] = ()) -> str | None:
        """What the number measures: the clause without the quantity, comparators, time and scope words."""
        chars = list(clause)
        for s, e in times:
            for i in range(max(s, 0), min(e, len(chars))):
                chars[i] = ""
        left = self._trim("".join(chars[:q_start]), kept_ends)
        right = "".join(chars[q_end:]).lstrip("的")
        right = self._trim(right) if right else ""
        indicator = left + right
        return indicator or None

    # -- document --------------------------------------------------------------
    def find(self, text: str, start: int, end: int | None, blocked: list[tuple[int, int]],
             times: list[TimeExpression]) -> list[Target]:
        """Targets in ``text[start:end]``; ``blocked`` spans (names, quotes, time expressions) are skipped."""
        end = len(text) if end is None else end
        taken = SpanSet(blocked)
        found: list[Target] = []
        segment = text[start:end]
        for rule, pattern in self.mentions:
            for m in pattern.finditer(segment, timeout=MATCH_TIMEOUT):
                s, e = start + m.start(), start + m.end()
                if taken.overlaps(s, e):
                    continue
                target = self._target(text, s, e, m, rule, start, end, times)
                if target is not None:
                    taken.add(s, e)
                    found.append(target)
        return sorted(found, key=lambda t: t.start)

    def _target(self, text: str, s: int, e: int, m: regex.Match, rule: Rule, lo: int, hi: int,
                times: list[TimeExpression]) -> Target | None:
        c_start, c_end = self._bounds(text, s, e, _CLAUSE_END, lo, hi)
        left, right = text[c_start:s], text[e:c_end]
        groups = m.groupdict()
        unit = groups.get("unit") or rule.get("unit")
        if self._excluded(left, right, unit):
            return None
        symbol, took_before, took_after = self._comparator(left, right)
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
        value_max = parse_number(groups["num2"]) if groups.get("num2") else None
        sentence = self._bounds(text, s, e, _SENTENCE_END, lo, hi)
        clause_times = [(t.start - c_start, t.end - c_start) for t in times if c_start <= t.start < c_end]
        clause = text[c_start:c_end]
        indicator = self._indicator(clause, s - c_start - took_before, e - c_start + took_after, clause_times,
                                    tuple(rule.get("indicator_ends", ())))
        quote = clause.strip()
        quote_start = c_start + len(clause) - len(clause.lstrip())
        return Target(value, value_max, unit, symbol or "=", indicator, self._year(times, s, sentence),
                      quote, quote_start, quote_start + len(quote), rule.id)

    @staticmethod
    def _year(times: list[TimeExpression], at: int, sentence: tuple[int, int]) -> int | None:
        """Year of the time expression governing the sentence: the nearest before, else the first after."""
        inside = [t for t in times if sentence[0] <= t.start < sentence[1] and t.year]
        before = [t for t in inside if t.start < at]
        if before:
            return before[-1].year
        return inside[0].year if inside else None

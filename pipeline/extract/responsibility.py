"""Responsible departments: notes (（责任单位：…）) and inline assignments (由X牵头).

Per annotation-guide §5: in a note the first named department leads unless a
role word or label says otherwise; blanket units and trailing 等 are dropped;
where no note covers a measure, inline wording assigns the departments.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

import regex

from pipeline.extract.lexicon import Lexicon
from pipeline.extract.spans import SpanSet
from pipeline.rules import Rule, Rules, compile_pattern

_CLAUSE_SEP = regex.compile(r"[，,；;](?![^（]*）)")
_NAME_SEP = regex.compile(r"(?:、|[ \t\u3000]+)(?![^（]*）)")
_COLON = regex.compile(r"[：:】]")  # a label's end: 责任单位：, 【责任单位】
_LABEL_CHARS = 7  # the longest note label (主要责任单位, its 【), or 责任单位 and a space or two before its colon
_TRAILING_ETC = regex.compile(r"等.*$")
# a piece of a note that is a schedule or a task, not a name: 2024年底前完成, 持续推进
_NOT_A_NAME = regex.compile(r"\d|年底|月底|[前底]完成|完成$|推进$|落实$")
# a bracket after one name: a role (市教育局（牵头）) or the organ's other name (市发展改革委（市粮食和储备局）)
_NAME_BRACKET = regex.compile(r"[（(](?P<inner>[^（）()]{1,20})[）)]$")


@dataclass(frozen=True)
class Assigned:
    """One department named for a measure."""

    name: str
    start: int
    end: int
    role: str  # lead | co
    rank: int
    source: str  # note | inline
    rule: str


@dataclass
class Note:
    start: int
    end: int
    rule: str
    standalone: bool
    assigned: list[Assigned] = field(default_factory=list)


def merge_assignments(first: list[Assigned], more: list[Assigned]) -> list[Assigned]:
    """``first`` then each department of ``more`` not named yet (by name or place): the first
    one named leads, every later one is a co-department, ranked in order."""
    merged = list(first)
    for a in more:
        if any(a.name == b.name or (a.start < b.end and b.start < a.end) for b in merged):
            continue
        merged.append(replace(a, role=a.role if not merged else "co", rank=len(merged) + 1))
    return merged


def _split(pattern: regex.Pattern, text: str, offset: int) -> list[tuple[str, int]]:
    """Pieces of ``text`` between separators, with their offsets."""
    pieces, pos = [], 0
    for m in pattern.finditer(text):
        pieces.append((text[pos:m.start()], offset + pos))
        pos = m.end()
    pieces.append((text[pos:], offset + pos))
    return pieces


class Responsibility:
    """Finds notes and inline assignments with the rules, using the department lexicon."""

    def __init__(self, rules: Rules, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.note_rules = rules.of("responsibility", "note")
        self.labels = rules.of("responsibility", "label")
        self.conventions = rules.of("responsibility", "convention")
        self.roles = rules.of("responsibility", "role")
        parts = {**rules.parts.get("responsibility", {}), **lexicon.parts}
        self.assignments: list[tuple[Rule, regex.Pattern]] = [
            (r, compile_pattern(r.get("template"), parts, r.file, r.id))
            for r in rules.of("responsibility", "assignment")
        ]

    # -- notes ---------------------------------------------------------------
    @cached_property
    def _glued(self) -> regex.Pattern:
        """Two or more department names with nothing between them (their spaces collapsed)."""
        return regex.compile(rf"(?:(?P<d>{self.lexicon.dept_part})){{2,8}}")

    @cached_property
    def _known(self) -> frozenset[str]:
        return frozenset(self.lexicon.surface_forms())

    def _unglued(self, name: str, start: int) -> list[tuple[str, int]]:
        """``name`` as the names it is made of when it is known names run together
        (市商务局市发展改革委: 市商务局 市发展改革委 lost the space between them), else itself."""
        m = None if name in self._known else self._glued.fullmatch(name)
        if not m:
            return [(name, start)]
        return [(part, start + s) for part, (s, _) in zip(m.captures("d"), m.spans("d"))]

    def _at_labels(self, clause: str, at: int) -> list[tuple[str, int]]:
        """The clause cut before each label inside it (牵头单位：A　责任单位：B lost its space): a
        label ends in a colon, so it is looked for in the few characters before each one."""
        cuts = []
        for colon in _COLON.finditer(clause, 1):
            k = next((k for k in range(max(0, colon.start() - _LABEL_CHARS), colon.start())
                      if any(label.pattern.match(clause[k:]) for label in self.labels)), None)
            if k:  # not 0: a label opening the clause (主要责任单位：) is no cut
                cuts.append(k)
        bounds = [0] + cuts + [len(clause)]
        return [(clause[a:b], at + a) for a, b in zip(bounds, bounds[1:])]

    def _pieces(self, text: str, offset: int) -> list[tuple[str, int]]:
        """The names of a list, with their offsets: ``text`` cut at 、 and spaces, a piece that is
        only places joined to the next (市、县财政局 and 各县、市人民政府 are one name each)."""
        merged: list[tuple[str, int]] = []
        for piece, at in _split(_NAME_SEP, text, offset):
            if merged and self.lexicon.is_places_only(merged[-1][0].strip()):
                prev, prev_at = merged.pop()
                piece, at = prev + "、" + piece, prev_at
            merged.append((piece, at))
        return merged

    def _names(self, clause: str, offset: int, role: str) -> list[tuple[str, int, int, str]]:
        """Department names of one clause as (name, start, end, role)."""
        names = []
        for piece, at in self._pieces(clause, offset):
            stripped = _TRAILING_ETC.sub("", piece)
            lead_ws = len(stripped) - len(stripped.lstrip())
            name = stripped.strip().removeprefix("共同")
            if not name or len(name) > 30 or self.lexicon.is_blanket(name) or _NOT_A_NAME.search(name):
                continue
            start = at + lead_ws + (len(stripped.strip()) - len(name))
            name, own_role = self._own_role(name, role)
            names += [(part, s, s + len(part), own_role) for part, s in self._unglued(name, start)]
        return names

    def _own_role(self, name: str, role: str) -> tuple[str, str]:
        """A name without the bracket after it, when that holds a role word (市教育局（牵头） leads)
        or the organ's other name (市发展改革委（市粮食和储备局）); else as it is."""
        m = _NAME_BRACKET.search(name)
        if not m or not name[:m.start()]:
            return name, role
        inner = m.group("inner")
        word = next((r for r in self.roles if len(inner) <= 4 and r.pattern.search(inner)), None)
        if word:
            return name[:m.start()], word.get("role")
        return (name[:m.start()], role) if self.lexicon.lookup(inner) else (name, role)

    def parse_note(self, text: str, start: int, end: int, rule: Rule) -> list[Assigned]:
        """Departments of the note ``text[start:end]`` (brackets included; a note on a line of
        its own may have none)."""
        opened = text[start] in "（〔【("
        closed = opened and text[end - 1] in "）〕】)"
        body_start = start + opened
        body = text[body_start:end - 1 if closed else end]  # a copy may cut it open
        stop = body.find("。")
        if stop >= 0:
            body = body[:stop]  # later sentences state conventions, not names
        found: list[tuple[str, int, int, str]] = []
        label_role = None
        clauses = [cut for clause, at in _split(_CLAUSE_SEP, body, body_start) for cut in self._at_labels(clause, at)]
        for clause, at in clauses:
            if any(c.pattern.search(clause) for c in self.conventions):
                continue
            for label in self.labels:
                m = label.pattern.search(clause)
                if m:
                    label_role = label.get("role")
                    clause, at = clause[m.end():], at + m.end()
                    break
            if label_role == "none":  # 完成时限：…, 责任领导：… name no department
                continue
            role = label_role or "all"
            for word in self.roles:
                m = word.pattern.search(clause)
                if m:
                    role = word.get("role")
                    clause = clause[:m.start()]
                    break
            found += self._names(clause, at, role)
        if not found:
            return []
        if rule.get("needs_known_department", False) and not any(self.lexicon.lookup(n) for n, *_ in found):
            return []
        return self._ranked(found, "note", rule.id)

    @staticmethod
    def _ranked(found: list[tuple[str, int, int, str]], source: str, rule: str) -> list[Assigned]:
        lead_at = next((i for i, f in enumerate(found) if f[3] == "lead"),
                       next((i for i, f in enumerate(found) if f[3] != "co"), 0))
        ordered = [found[lead_at]] + [f for i, f in enumerate(found) if i != lead_at]
        return [Assigned(name, s, e, "lead" if rank == 1 else "co", rank, source, rule)
                for rank, (name, s, e, _) in enumerate(ordered, 1)]

    def find_notes(self, text: str) -> list[Note]:
        """Every responsibility note in the text, in order."""
        notes: list[Note] = []
        taken = SpanSet()
        for rule in self.note_rules:
            for m in rule.pattern.finditer(text):
                if taken.overlaps(m.start(), m.end()):
                    continue
                assigned = self.parse_note(text, m.start(), m.end(), rule)
                if not assigned and not rule.get("labelled", False):
                    continue
                taken.add(m.start(), m.end())
                notes.append(Note(m.start(), m.end(), rule.id, self._standalone(text, m.start(), m.end()), assigned))
        return sorted(notes, key=lambda n: n.start)

    @staticmethod
    def _standalone(text: str, start: int, end: int) -> bool:
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        line_end = len(text) if line_end < 0 else line_end
        return not text[line_start:start].strip() and not text[end:line_end].strip(" 。.；;")

    # -- inline --------------------------------------------------------------
    def inline_by(self, rule_id: str, text: str) -> list[Assigned]:
        """What one assignment rule alone finds in ``text``."""
        return self._inline(text, 0, len(text), [(r, p) for r, p in self.assignments if r.id == rule_id])

    def inline(self, text: str, start: int, end: int) -> list[Assigned]:
        """Departments assigned by wording inside ``text[start:end]``."""
        return self._inline(text, start, end, self.assignments)

    def _inline(self, text: str, start: int, end: int, assignments) -> list[Assigned]:
        """Every assignment in ``text[start:end]``, in text order: the first one's lead leads, the
        departments the others name are co-departments (each named once)."""
        segment = text[start:end]
        matches = []  # (position, rule, names)
        for rule, pattern in assignments:
            if rule.get("requires", "") not in segment:
                continue  # the word the pattern cannot match without (牵头, 负责): skip the scan
            for m in pattern.finditer(segment):
                found: list[tuple[str, int, int, str]] = []
                for group, role in (("lead", "lead"), ("co", "co")):
                    if group not in pattern.groupindex or m.group(group) is None:
                        continue
                    for name, at in self._pieces(m.group(group), start + m.start(group)):
                        if name and not self.lexicon.is_blanket(name):
                            found.append((name, at, at + len(name), role))
                if found:
                    matches.append((m.start(), rule, found))
        merged: list[Assigned] = []
        for _, rule, found in sorted(matches, key=lambda x: x[0]):
            merged = merge_assignments(merged, self._ranked(found, "inline", rule.id))
        return merged

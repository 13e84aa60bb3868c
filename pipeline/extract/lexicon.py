"""The department lexicon of ``rules/departments.toml``: canonical names and levels."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import regex

from pipeline.rules import Rules, alternation


@dataclass(frozen=True)
class Organ:
    canonical: str | None
    level: str | None
    rule: str


class Lexicon:
    """Looks up names as written: level prefix + alias -> canonical name and level."""

    def __init__(self, rules: Rules) -> None:
        self.levels: list[tuple[str, str, str]] = []  # (prefix, level, rule id)
        self.unprefixed: list[tuple[str, str]] = []  # (suffix, level)
        for rule in rules.of("departments", "level"):
            self.levels += [(p, rule.get("level"), rule.id) for p in rule.get("prefixes", [])]
            self.unprefixed += [(s, rule.get("level")) for s in rule.get("unprefixed_suffixes", [])]
        self.levels.sort(key=lambda x: -len(x[0]))
        series = rules.of("departments", "level_series")
        self.places = [p for r in series for p in r.get("places", [])]
        self.tiers = [t for r in series for t in r.get("tiers", [])]
        self.names: dict[str, tuple[str, str]] = {}  # alias -> (canonical, rule id)
        self.stems: dict[str, tuple[str, str]] = {}
        for rule in rules.of("departments", "organ"):
            for name in rule.get("names", []):
                self.names[name] = (rule.get("canonical"), rule.id)
            for stem in rule.get("stems", []):
                self.stems[stem] = (rule.get("canonical"), rule.id)
        self.stem_suffixes = sorted({x for r in rules.of("departments", "stem_form") for x in r.get("suffixes", [])},
                                    key=len, reverse=True)
        self.canonical_by_rule = {rule: canonical for canonical, rule in self.names.values()}
        self.blankets = rules.of("departments", "blanket")
        self.branches = rules.of("departments", "branch")
        self.organ_suffixes = sorted({x for r in rules.of("departments", "organ_form") for x in r.get("suffixes", [])},
                                     key=len, reverse=True)
        self.text_suffixes = sorted({x for r in rules.of("departments", "organ_form") for x in r.get("in_text", [])},
                                    key=len, reverse=True)
        self.text_stems = [r.get("in_text_stem") for r in rules.of("departments", "organ_form")
                           if r.get("in_text_stem")]
        self.aliases_longest_first = sorted(self.names, key=len, reverse=True)
        self._looked_up: dict[str, Organ | None] = {}
        self._by_rule: dict[tuple[str, str], Organ] = {}  # surface forms only: bounded by the lexicon

    def organ_by_rule(self, rule_id: str, name: str) -> Organ:
        """The organ a SpanRuler match points at (``span.id_``), with the level of ``name``."""
        key = (rule_id, name)
        if key not in self._by_rule:
            level = None if name in self.names else self.split_level(name)[1]  # 市场监管局 has no prefix 市
            self._by_rule[key] = Organ(self.canonical_by_rule.get(rule_id), level or self._unprefixed_level(name),
                                       rule_id)
        return self._by_rule[key]

    def _unprefixed_level(self, name: str) -> str | None:
        return next((lv for suffix, lv in self.unprefixed if name.endswith(suffix)), None)

    @cached_property
    def _prefix_source(self) -> str:
        """Regex source for any one level prefix, the longest first."""
        return alternation(p for p, _, _ in self.levels)

    @cached_property
    def _place_source(self) -> str:
        return alternation(self.places) or "(?!)"

    @cached_property
    def series(self) -> str:
        """Regex source for a level series (``[[level_series]]``): places and 、 before a level
        prefix (市、县, 省、市、县三级, 市、县区), or places written together before one with a tier
        after it (市县两级); without places, a pattern that never matches."""
        if not self.places:
            return "(?!)"
        place, prefix, tier = self._place_source, self._prefix_source, alternation(self.tiers) or "(?!)"
        return rf"(?:(?:(?:{place})、){{1,4}}(?:{prefix})(?:{tier})?|(?:{place}){{1,4}}(?:{prefix})(?:{tier}))"

    @cached_property
    def _series_head(self) -> regex.Pattern:
        return regex.compile(self.series)

    @cached_property
    def _places_only(self) -> regex.Pattern:
        place = self._place_source
        return regex.compile(rf"各?(?:{place})(?:、(?:{place}))*|各(?:{place}){{1,2}}")

    def is_places_only(self, piece: str) -> bool:
        """Whether a piece of a list cut at 、 is only places (市 of 市、县财政局, 各县 of 各县、市人民政府):
        the start of the name after it, not a name of its own."""
        return self._places_only.fullmatch(piece) is not None

    @cached_property
    def _place_levels(self) -> dict[str, str]:
        """Each place's level, by the level prefix it is (区 -> 县); a place no prefix is, itself (乡)."""
        level_of = {p: level for p, level, _ in self.levels}
        return {place: level_of.get(place, place) for place in self.places}

    def _series_level(self, series: str) -> str:
        """市、县区 -> 市、县: each place's level, as listed, once each."""
        return "、".join(dict.fromkeys(self._place_levels[c] for c in series if c in self._place_levels))

    def split_level(self, name: str) -> tuple[str, str | None]:
        """``市卫健委`` -> (``卫健委``, ``市``); ``市、县卫生健康部门`` -> (``卫生健康部门``, ``市、县``)."""
        series = self._series_head.match(name)
        if series and series.end() < len(name):
            return name[series.end():], self._series_level(series.group())
        for prefix, level, _ in self.levels:
            if name.startswith(prefix) and len(name) > len(prefix):
                return name[len(prefix):], level
        return name, None

    def lookup(self, name: str) -> Organ | None:
        """Canonical name and level of a department as written; None if not an organ."""
        if name not in self._looked_up:
            if len(self._looked_up) > 100_000:
                self._looked_up.clear()
            self._looked_up[name] = self._lookup(name)
        return self._looked_up[name]

    def _stem_of(self, name: str) -> str:
        """The organ stem ``name`` is, bare or with a department word (卫生健康主管部门), else ``name``."""
        return next((name[:-len(x)] for x in self.stem_suffixes if name.endswith(x) and name[:-len(x)] in self.stems),
                    name)

    def _branch(self, name: str) -> Organ | None:
        """A branch of an organ in a place (国家税务总局常德市税务局, 人民银行常德市分行): the organ's
        canonical name, the level of the place's suffix or, without one, of the branch word."""
        for rule in self.branches:
            m = rule.pattern.fullmatch(name)
            head = m and self.lookup(m.group("organ"))
            if head:
                level = rule.get("place_levels", {}).get(m.group("suffix") or "") \
                    or rule.get("branch_levels", {}).get(m.group("branch"))
                return Organ(head.canonical, level, head.rule)
        return None

    def _lookup(self, name: str) -> Organ | None:
        if branch := self._branch(name):
            return branch
        if name in self.names:  # a whole alias (市场监管局) is not 市 + 场监管局
            canonical, rule = self.names[name]
            return Organ(canonical, self._unprefixed_level(name), rule)
        if (stem := self._stem_of(name)) in self.stems:  # 市场监督管理部门 is not 市 + 场监督管理部门
            canonical, rule = self.stems[stem]
            return Organ(canonical, None, rule)
        rest, level = self.split_level(name)
        for alias in self.aliases_longest_first:
            if rest == alias or (rest.endswith(alias) and len(alias) >= 3):
                canonical, rule = self.names[alias]
                if level is None and rest == alias:
                    level = self._unprefixed_level(alias)
                return Organ(canonical, level, rule)
        if (stem := self._stem_of(rest)) in self.stems:  # 市卫生健康, 市卫生健康主管部门
            canonical, rule = self.stems[stem]
            return Organ(canonical, level, rule)
        if self.unknown_organ.fullmatch(name) and not self.is_blanket(name):
            return Organ(None, level, "departments.organ_form")  # an organ by its form: name unknown, level by its prefix
        return None

    def is_blanket(self, name: str) -> bool:
        return any(r.pattern.search(name) for r in self.blankets)

    @cached_property
    def unknown_organ(self) -> regex.Pattern:
        """An organ not in the lexicon, by its form: optional level, a stem, an organ suffix."""
        suffixes = "|".join(map(regex.escape, self.organ_suffixes)) or "(?!)"
        return regex.compile(rf"(?:{self.series}|{self._prefix_source})?\p{{Han}}{{1,12}}?(?:{suffixes})")

    @cached_property
    def dept_part(self) -> str:
        """Regex source for one department as written in running text: a known name after a level
        prefix or series (市、县财政), or else an organ by its form (a level prefix or series, an
        ``in_text_stem``, an ``in_text`` suffix: 市城市更新局)."""
        words = alternation(set(self.names) | {s + x for s in self.stems for x in self.stem_suffixes} | set(self.stems))
        leveled = f"(?:{self.series}|{self._prefix_source})"
        known = f"{leveled}?(?:{words})"
        if not (self.text_suffixes and self.text_stems):
            return known
        stems = "|".join(f"(?:{stem})" for stem in self.text_stems)
        suffixes = "|".join(map(regex.escape, self.text_suffixes))
        return f"(?:{known}|{leveled}(?:{stems})(?:{suffixes}))"

    @cached_property
    def parts(self) -> dict[str, str]:
        return {"dept": self.dept_part, "depts": f"{self.dept_part}(?:、{self.dept_part}){{0,20}}"}

    def surface_forms(self) -> dict[str, str]:
        """Every name as written, bare and after each level prefix -> its organ rule id."""
        forms = {alias: rule for alias, (_, rule) in self.names.items()}
        for prefix, _, _ in self.levels:
            forms.update({prefix + alias: rule for alias, (_, rule) in self.names.items() if prefix + alias not in forms})
        return dict(sorted(forms.items()))

"""Load and validate the rule files in ``rules/``.

Rule files are TOML data (read with the standard library's ``tomllib``, which
executes nothing). Each top-level array of tables is a *kind* of rule; every
rule has an ``id``, a one-line ``comment`` and ``examples`` that the test suite
runs. Patterns may reference named sub-patterns from the file's ``[parts]``
table as ``<<name>>``. A problem is reported as ``RuleError`` naming the file,
the rule id and the reason.
"""
from __future__ import annotations

import difflib
import hashlib
import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import regex

T = TypeVar("T")
RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
EXAMPLE_BUDGET = 2.0  # seconds one rule example may take (`rules check`)
_PART_REF = regex.compile(r"<<(\w+)>>")
_ID = regex.compile(r"^[a-z][a-z0-9_.]*$")
# a group that repeats without bound and holds an unbounded repeat itself: (a+)+, (?:x*y)*
_UNBOUNDED = r"(?:[+*]|\{\d*,\})"
_NESTED_QUANTIFIER = regex.compile(rf"\((?:[^()\\]|\\.)*{_UNBOUNDED}(?:[^()\\]|\\.)*\){_UNBOUNDED}")
_QUANTIFIER = regex.compile(r"(?<!\\)(?:[+*]|\{\d*,?\d*\})")
# an innermost group and the quantifier after it
_QUANTIFIED_GROUP = regex.compile(r"\((?P<body>(?:[^()\\]|\\.)*)\)(?P<outer>[+*]|\{\d*,?\d*\})")
_META = regex.compile(r"[\\\[\].^$*+?{}()|]")
PROBE_SECONDS = 0.05


# file -> kind -> the keys its rules may have besides id, comment, examples and pattern: what
# the stages read. A key or kind not listed is a misspelling (or a rule nothing would read).
SCHEMA: dict[str, dict[str, frozenset[str]]] = {
    "deadlines": {"named_period": frozenset({"periods"}), "expression": frozenset({"defaults", "kind", "on_issue", "seasons"}),
                  "exclude": frozenset(), "defined_period": frozenset({"reference"}),
                  "year_context": frozenset()},
    "departments": {"level": frozenset({"level", "prefixes", "unprefixed_suffixes"}),
                    "level_series": frozenset({"places", "tiers"}),
                    "organ": frozenset({"canonical", "names", "stems"}), "organ_form": frozenset({"in_text", "in_text_stem", "suffixes"}),
                    "stem_form": frozenset({"suffixes"}),
                    "blanket": frozenset(), "branch": frozenset({"branch_levels", "place_levels"})},
    "metadata": {"field": frozenset(), "province": frozenset({"provinces"}),
                 "national": frozenset({"field", "region"}), "page_field": frozenset({"alone", "field", "labels"})},
    "noise": {"inline": frozenset({"decode", "replace"}), "line": frozenset({"serial_gap"}),
              "tail": frozenset({"html_block", "max_line_chars"}),
              "html_chrome": frozenset({"tokens"})},
    "normalise": {"replace": frozenset({"map", "replace"}), "table_cells": frozenset({"min_columns"}),
                  "unwrap": frozenset({"max_wider", "max_width", "min_lines", "min_share", "min_width", "slack",
                                      "starts"})},
    "responsibility": {"note": frozenset({"labelled", "needs_known_department"}), "convention": frozenset(),
                       "label": frozenset({"role"}), "role": frozenset({"role"}),
                       "assignment": frozenset({"requires", "template"}), "segment_cue": frozenset()},
    "structure": {"numbering": frozenset({"always_item", "beside_previous", "heading_only", "in_run", "in_table", "rank", "style"}),
                  "framing": frozenset(), "body_end": frozenset(), "closing_provision": frozenset(),
                  "table_column": frozenset({"rows_are_items"}), "indicator_column": frozenset({"column"}),
                  "attachment_list": frozenset({"entry"})},
    "targets": {"unit": frozenset({"count", "names", "needs_comparator", "of_base"}),
                "mention": frozenset({"comparator", "doublings", "indicator_ends", "needs_comparator", "share",
                                      "template", "tenths", "unit", "unit_format"}),
                "comparator": frozenset({"adjacent_before", "after", "after_wins", "before", "symbol"}),
                "exclude": frozenset({"count_only", "left", "not_count", "quantity", "right", "skip_units"}),
                "indicator": frozenset({"anywhere", "drop", "kept_ends", "kept_starts", "leading", "trailing"}),
                "enumeration": frozenset({"category", "markers"}),
                "table_value": frozenset({"template", "unit_template"}), "quoted": frozenset()},
}
_COMMON_KEYS = frozenset({"id", "comment", "examples", "pattern"})
# other keys that hold patterns (checked like `pattern` at load time; <<parts>> the rule file
# does not define, like the department lexicon's <<depts>>, stand for a placeholder there)
PATTERN_KEYS = {("targets", "exclude"): ("left", "right"), ("targets", "mention"): ("template",),
                ("responsibility", "assignment"): ("template",), ("deadlines", "defined_period"): ("reference",),
                ("targets", "table_value"): ("template", "unit_template"), ("normalise", "unwrap"): ("starts",),
                ("structure", "attachment_list"): ("entry",), ("departments", "organ_form"): ("in_text_stem",)}


# keys whose value is a number, and keys whose value is one of a few words
NUMBER_KEYS = frozenset({"max_line_chars", "max_wider", "max_width", "min_columns", "min_lines", "min_share",
                         "min_width", "serial_gap", "slack"})
CHOICES = {"decode": frozenset({"html"}),
           "column": frozenset({"indicator", "unit", "year", "target", "baseline", "other"}),
           "kind": frozenset({"deadline", "period", "start", "recurring", "duration"})}


def _check_values(table: dict[str, Any], file: str, rule_id: str) -> None:
    """Numbers where a number is meant, and one of the known words where a choice is."""
    for key, value in table.items():
        if key in NUMBER_KEYS and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise RuleError(file, rule_id, f"{key!r} must be a number, not {value!r}")
        if key in CHOICES and value not in CHOICES[key]:
            raise RuleError(file, rule_id, f"{key!r} must be one of {', '.join(sorted(CHOICES[key]))}"
                                           f"{_did_you_mean(str(value), CHOICES[key])}, not {value!r}")


def _did_you_mean(word: str, choices) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class RuleError(ValueError):
    """A rule file that cannot be used, with where and why."""

    def __init__(self, file: str, rule_id: str | None, reason: str) -> None:
        self.file, self.rule_id, self.reason = file, rule_id, reason
        where = f"{file}: rule {rule_id!r}" if rule_id else file
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True)
class Rule:
    """One rule: its id, comment, compiled pattern (if any), other fields and examples."""

    id: str
    file: str
    kind: str
    comment: str
    pattern: regex.Pattern | None
    fields: dict[str, Any]
    examples: list[dict[str, Any]]

    def get(self, key: str, default: Any = None) -> Any:
        return self.fields.get(key, default)


@dataclass
class Rules:
    """All rule files, validated and compiled once per process."""

    by_file: dict[str, dict[str, list[Rule]]] = field(default_factory=dict)
    parts: dict[str, dict[str, str]] = field(default_factory=dict)
    digest: str = ""
    _derived: dict = field(default_factory=dict, repr=False, compare=False)

    def of(self, file: str, kind: str) -> list[Rule]:
        return self.by_file.get(file, {}).get(kind, [])

    def derived(self, make: Callable[["Rules"], T]) -> T:
        """What ``make`` builds from these rules (a reader with its patterns compiled), built once
        per rule set however many documents use it."""
        if make not in self._derived:
            self._derived[make] = make(self)
        return self._derived[make]

    def all(self) -> list[Rule]:
        return [r for kinds in self.by_file.values() for rules in kinds.values() for r in rules]


def expand_parts(pattern: str, parts: dict[str, str], file: str, rule_id: str, depth: int = 0) -> str:
    """Replace ``<<name>>`` references by the named parts (which may nest)."""
    if depth > 10:
        raise RuleError(file, rule_id, "parts reference each other in a loop")

    def repl(m: regex.Match) -> str:
        name = m.group(1)
        if name not in parts:
            raise RuleError(file, rule_id, f"unknown part <<{name}>>")
        return "(?:" + expand_parts(parts[name], parts, file, rule_id, depth + 1) + ")"

    return _PART_REF.sub(repl, pattern)


def _top_level_alternatives(group: str) -> list[str]:
    """The alternatives of an innermost group's content (``|`` inside ``[...]`` is a character)."""
    alternatives, current, in_class, escaped = [], [], False, False
    for c in group:
        if escaped:
            current.append(c)
            escaped = False
        elif c == "\\":
            current.append(c)
            escaped = True
        elif c == "[":
            in_class = True
            current.append(c)
        elif c == "]":
            in_class = False
            current.append(c)
        elif c == "|" and not in_class:
            alternatives.append("".join(current))
            current = []
        else:
            current.append(c)
    return [*alternatives, "".join(current)]


def _most(quantifier: str) -> float:
    """The most repeats a quantifier allows: + * {2,} -> infinity, {1,100} -> 100, ? -> 1
    (an exact count like {3} leaves no choice and is not counted as a repeat)."""
    if quantifier in "+*" or quantifier.endswith(",}"):
        return math.inf
    if quantifier == "?":
        return 1
    numbers = [int(n) for n in regex.findall(r"\d+", quantifier)]
    return max(numbers) if numbers else 1


def safety_problem(expanded: str) -> str | None:
    """Why a pattern could backtrack catastrophically, or None: repeats nested in repeats (unbounded,
    or bounded with 1,000 or more combinations, unless each repeat ends in a literal delimiter:
    (?:\\p{Han}{1,8}、)+) and alternatives that overlap inside a repeat."""
    if _NESTED_QUANTIFIER.search(expanded):
        return "nested quantifier (like (a+)+) can backtrack catastrophically"
    for m in _QUANTIFIED_GROUP.finditer(expanded):
        body, outer = m.group("body"), _most(m.group("outer"))
        inner = max((_most(q) for q in _QUANTIFIER.findall(body) if not regex.fullmatch(r"\{\d+\}", q)), default=1)
        delimited = bool(body) and not _META.search(body[-1]) and not body.endswith("\\" + body[-1])
        if inner > 1 and outer > 1 and inner * outer >= 1000 and not delimited:
            return (f"repeat nested in a repeat ({m.group(0)[:40]}) allows {inner * outer:g} ways to split a "
                    "match: bound them more tightly")
        if outer > 1:
            alternatives = [a.removeprefix("?:") for a in _top_level_alternatives(body.removeprefix("?:"))]
            literal = [a for a in alternatives if a and not _META.search(a)]
            for a in literal:
                if any(b != a and b.startswith(a) for b in literal) or literal.count(a) > 1:
                    return (f"alternatives overlap inside a repeat ({m.group(0)[:40]}): the same text can be "
                            "matched many ways; make the alternatives distinct")
    return None


def _probe(pattern: regex.Pattern) -> str | None:
    """Run the pattern on strings made of its own characters, repeated; one that takes more than
    ``PROBE_SECONDS`` backtracks badly on some line."""
    literals = sorted(set(regex.sub(r"\\.|\[[^\]]*\]|[()|?*+{}^$.,\d]", "", pattern.pattern)))[:6] or ["a"]
    for c in literals:
        for probe in (c * 60 + "\x00", (c + "，") * 40 + "\x00"):
            try:
                pattern.search(probe, timeout=PROBE_SECONDS)
            except TimeoutError:
                return f"takes over {PROBE_SECONDS * 1000:.0f} ms on a line of {c!r} repeated: it backtracks badly"
    return None


def _check_pattern_field(source, parts: dict[str, str], file: str, rule_id: str, key: str) -> None:
    if not isinstance(source, str) or not source:
        raise RuleError(file, rule_id, f"{key!r} must be a non-empty pattern string")
    placeholders = {name: "x" for name in _PART_REF.findall(source) if name not in parts}
    compile_pattern(source, {**parts, **placeholders}, file, rule_id)


_NUMBERED_REFERENCE = regex.compile(r"(?<!\\)(?:\\\\)*\\(?:[1-9]|g<\d)")


def compile_pattern(source: str, parts: dict[str, str], file: str, rule_id: str) -> regex.Pattern:
    expanded = expand_parts(source, parts, file, rule_id)
    if problem := safety_problem(expanded):
        raise RuleError(file, rule_id, problem)
    if _NUMBERED_REFERENCE.search(expanded):
        raise RuleError(file, rule_id, "numbered back-reference (\\1): name the group, (?P<x>…), and refer to "
                                       "it as (?P=x); rules are combined into one pattern, where numbers shift")
    try:
        compiled = regex.compile(expanded, regex.MULTILINE)
    except regex.error as exc:
        raise RuleError(file, rule_id, f"pattern does not compile: {exc}") from None
    if problem := _probe(compiled):
        raise RuleError(file, rule_id, problem)
    return compiled


def alternation(words) -> str:
    """Regex source for any one of ``words``, escaped, longest first (so the longest that fits wins)."""
    return "|".join(regex.escape(w) for w in sorted(set(words), key=len, reverse=True))


@lru_cache(maxsize=64)
def any_of(patterns: tuple[regex.Pattern, ...]) -> regex.Pattern | None:
    """One pattern that matches where the first of ``patterns`` that matches does: one call
    instead of one per rule (None when there are none)."""
    return regex.compile("|".join(f"(?:{p.pattern})" for p in patterns), regex.MULTILINE) if patterns else None


def _rule(file: str, kind: str, table: dict[str, Any], parts: dict[str, str]) -> Rule:
    rule_id = table.get("id")
    if not isinstance(rule_id, str) or not _ID.match(rule_id):
        raise RuleError(file, str(rule_id) if rule_id else None,
                        f"every [[{kind}]] entry needs an id of lowercase letters, digits, '_' or '.'")
    comment = table.get("comment")
    if not isinstance(comment, str) or not comment.strip():
        raise RuleError(file, rule_id, "missing 'comment' (one line saying what the rule is for)")
    examples = table.get("examples")
    if not isinstance(examples, list) or not examples:
        raise RuleError(file, rule_id, "missing 'examples' (at least one input with its expected output)")
    for example in examples:
        if not isinstance(example, dict) or "in" not in example:
            raise RuleError(file, rule_id, "each example needs an 'in' field")
    allowed = SCHEMA.get(file.removesuffix(".toml"), {}).get(kind, frozenset()) | _COMMON_KEYS
    for key in table:
        if key not in allowed:
            raise RuleError(file, rule_id, f"unknown key {key!r}{_did_you_mean(key, allowed)}; "
                                           f"[[{kind}]] rules take {', '.join(sorted(allowed))}")
    _check_values(table, file, rule_id)
    for key in PATTERN_KEYS.get((file.removesuffix(".toml"), kind), ()):
        if key in table:
            _check_pattern_field(table[key], parts, file, rule_id, key)
    if "requires" in table and not (isinstance(table["requires"], str) and table["requires"]
                                    and table["requires"] in table.get("template", "")):
        raise RuleError(file, rule_id, "'requires' must be a word the template itself writes out "
                                       "(text without it is never scanned)")
    pattern = None
    if "pattern" in table:
        if not isinstance(table["pattern"], str) or not table["pattern"]:
            raise RuleError(file, rule_id, "'pattern' must be a non-empty string")
        pattern = compile_pattern(table["pattern"], parts, file, rule_id)
    fields = {k: v for k, v in table.items() if k not in {"id", "comment", "examples", "pattern"}}
    return Rule(rule_id, file, kind, comment.strip(), pattern, fields, examples)


def load_file(path: Path) -> tuple[dict[str, list[Rule]], dict[str, str]]:
    """Parse and validate one rule file: its rules by kind, and its named parts."""
    name = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RuleError(name, None, f"not valid TOML: {exc}") from None
    known = SCHEMA.get(path.stem)
    if known is None:
        raise RuleError(name, None, f"no stage reads a rule file named {name!r}{_did_you_mean(path.stem, SCHEMA)}; "
                                    f"rule files are {', '.join(f'{f}.toml' for f in sorted(SCHEMA))}")
    for kind in data:
        if kind != "parts" and kind not in known:
            raise RuleError(name, None, f"unknown table [[{kind}]]{_did_you_mean(kind, known)}; "
                                        f"{name} has {', '.join(f'[[{k}]]' for k in sorted(known))}")
    parts = data.get("parts", {})
    if not isinstance(parts, dict) or not all(isinstance(v, str) for v in parts.values()):
        raise RuleError(name, None, "[parts] must map names to pattern strings")
    kinds: dict[str, list[Rule]] = {}
    seen: set[str] = set()
    for kind, value in data.items():
        if kind == "parts":
            continue
        if not (isinstance(value, list) and all(isinstance(t, dict) for t in value)):
            raise RuleError(name, None, f"top-level '{kind}' must be an array of tables ([[{kind}]])")
        kinds[kind] = []
        for table in value:
            rule = _rule(name, kind, table, parts)
            if rule.id in seen:
                raise RuleError(name, rule.id, "duplicate id in this file")
            seen.add(rule.id)
            kinds[kind].append(rule)
    return kinds, parts


@lru_cache(maxsize=4)
def cached_rules(rules_dir: str) -> Rules:
    """``load_rules`` once per process and rules folder."""
    return load_rules(Path(rules_dir))


def _rule_files(rules_dir: Path) -> list[Path]:
    files = sorted(rules_dir.glob("*.toml"))
    if not files:
        raise RuleError(str(rules_dir), None, "no rule files (*.toml) found")
    return files


def _digest(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def rules_digest(rules_dir: Path = RULES_DIR) -> str:
    """Hash of the rule files' names and bytes (``Rules.digest``), without loading them."""
    return _digest(_rule_files(rules_dir))


def load_rules(rules_dir: Path = RULES_DIR) -> Rules:
    """Load every ``*.toml`` file in ``rules_dir``; raise ``RuleError`` on the first problem."""
    files = _rule_files(rules_dir)
    rules = Rules()
    for path in files:
        rules.by_file[path.stem], rules.parts[path.stem] = load_file(path)
    rules.digest = _digest(files)
    return rules


def check_rules(rules_dir: Path = RULES_DIR) -> list[RuleError]:
    """Validate every rule file and run every example; return all problems found."""
    from pipeline.examples import run_examples  # examples need the whole pipeline

    problems: list[RuleError] = []
    for path in sorted(rules_dir.glob("*.toml")):
        try:
            load_file(path)
        except RuleError as exc:
            problems.append(exc)
    if problems:
        return problems
    try:
        return run_examples(load_rules(rules_dir), str(rules_dir))
    except RuleError as exc:
        return [exc]

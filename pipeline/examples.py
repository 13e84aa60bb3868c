"""Run the examples written next to every rule: each is a test of that rule.

``example_cases`` lists (rule, example) pairs; ``actual_output`` computes what the
pipeline gives for an example, in the example's ``out`` form.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

from pipeline.budget import OverBudget, time_budget
from pipeline.ingest.clean import clean
from pipeline.ingest.fields import FieldLabels
from pipeline.ingest.html import ChromeNames
from pipeline.ingest.normalise import apply_replace_rule, split_table_cells, unwrap_edits
from pipeline.ingest.textmap import MappedText
from pipeline.nlp import Context, context, find_targets
from pipeline.rules import EXAMPLE_BUDGET, Rule, RuleError, Rules
from pipeline.structure.indicator_tables import find_indicator_tables
from pipeline.structure.lines import split_lines
from pipeline.structure.outline import attachment_entries, build_outline


def _assigned(items) -> list[str]:
    return [f"{a.role}:{a.name}" for a in items]


def _note_assignments(rule: Rule, text: str, ctx: Context) -> list[str]:
    return [s for note in ctx.responsibility.find_notes(text) for s in _assigned(note.assigned)]


def _matches(rule: Rule, text: str) -> bool:
    return rule.pattern.search(text) is not None


def _role_if_match(rule: Rule, text: str, ctx: Context) -> str:
    return rule.get("role") if _matches(rule, text) else ""


def _metadata(rule: Rule, text: str, ctx: Context):
    reader = ctx.metadata
    name = rule.id.removeprefix("meta.")
    if name == "doc_number":
        return reader.doc_number(text) or ""
    if name == "date":
        found = reader.date(text)
        if not found:
            return ""
        date, precision = found
        return date.isoformat() if precision == "day" else date.isoformat()[:7]
    if name == "region":
        return reader.region(text) or ""
    if name == "region_in_text":
        m = rule.pattern.search(text)
        return m.group("place") if m else ""
    if name == "promulgation":
        found = reader.promulgation(text)
        return "|".join((found[1], found[0] or "", found[2][0].isoformat())) if found else ""
    if name == "organ_title":
        m = rule.pattern.fullmatch(text)
        return m.group("title") if m else ""
    if name == "citation":
        m = rule.pattern.search(text)
        if not m:
            return ""
        number = reader.doc_number(m.group("num")) if m.group("num") else ""
        return f"{m.group('title')}|{number}"
    m = rule.pattern.search(text)
    if not m:
        return ""
    for group in ("title", "organ"):
        if group in rule.pattern.groupindex:
            return m.group(group) or ""
    return m.group()


def _numbered(rule: Rule, text: str, ctx: Context) -> str | list[str]:
    """A line's label by the rule; for an ``in_run`` rule, the labels of its items in a text."""
    if rule.get("in_run"):
        return [item.label for item in build_outline(text, ctx.rules, lambda line: False).items if item.rule.id == rule.id]
    m = rule.pattern.match(text)
    return m.group("label") if m else ""


def _lexicon(rule: Rule, text: str, ctx: Context) -> str:
    organ = ctx.lexicon.lookup(text)
    return f"{organ.canonical or ''}|{organ.level or ''}" if organ else ""


EXAMPLE_YEAR = 2023  # the document year of time and target examples unless they give `year` (0: none)


def _times(text: str, year: int, ctx: Context):
    return ctx.times.find(text, year or None)  # an example's year 0: the document has none


def _deadlines(rule: Rule, text: str, ctx: Context, year: int) -> list[str]:
    return [f"{t.kind}|{t.value()}|{t.text}" for t in _times(text, year, ctx)]


def _target_strings(found) -> list[str]:
    """Targets as examples write them: value|value_max|unit|comparator|indicator."""
    return [f"{t.value:g}|{'' if t.value_max is None else format(t.value_max, 'g')}|{t.unit}|{t.comparator}|"
            f"{t.indicator or ''}" for t in found]


def _targets(rule: Rule, text: str, ctx: Context, year: int) -> list[str]:
    return _target_strings(find_targets(ctx, text, 0, len(text), [], *ctx.times.find_all(text, year or None)))


def _table_targets(rule: Rule, text: str, ctx: Context, year: int) -> list[str]:
    return _target_strings(ctx.targets.from_tables(text, find_indicator_tables(text, ctx.rules), year or None))


def _annex_titles(rule: Rule, text: str, ctx: Context) -> list[str]:
    lines = split_lines(text)
    entries = attachment_entries(lines, ctx.rules)
    return [line.text for i, line in enumerate(lines) if i in entries]


# (file, kind) -> how to compute an example's output
_RUNNERS: dict[tuple[str, str], Callable[[Rule, str, Context], object]] = {
    ("noise", "inline"): lambda r, t, c: clean(MappedText.from_raw(t), c.rules)[0].text,
    ("noise", "line"): lambda r, t, c: clean(MappedText.from_raw(t), c.rules)[0].text,
    ("noise", "tail"): lambda r, t, c: clean(MappedText.from_raw(t), c.rules)[0].text,
    ("noise", "html_chrome"): lambda r, t, c: ChromeNames([r]).names_chrome(t),
    ("normalise", "replace"): lambda r, t, c: apply_replace_rule(MappedText.from_raw(t), r).text,
    ("normalise", "unwrap"): lambda r, t, c: MappedText.from_raw(t).edit(unwrap_edits(r, t)).text,
    ("normalise", "table_cells"): lambda r, t, c: split_table_cells(MappedText.from_raw(t), r, c.rules).text,
    ("structure", "numbering"): lambda r, t, c: _numbered(r, t, c),
    ("structure", "body_end"): lambda r, t, c: _matches(r, t),
    ("structure", "closing_provision"): lambda r, t, c: _matches(r, t),
    ("structure", "framing"): lambda r, t, c: r.pattern.match(t) is not None,
    ("structure", "table_column"): lambda r, t, c: r.pattern.match(t) is not None,
    ("structure", "indicator_column"): lambda r, t, c: r.get("column") if r.pattern.match(t) else "",
    ("structure", "attachment_list"): _annex_titles,
    ("departments", "level"): _lexicon,
    ("departments", "level_series"): _lexicon,
    ("departments", "organ"): _lexicon,
    ("departments", "blanket"): lambda r, t, c: _matches(r, t),
    ("departments", "organ_form"): _lexicon,
    ("departments", "stem_form"): _lexicon,
    ("departments", "branch"): _lexicon,
    ("responsibility", "note"): _note_assignments,
    ("responsibility", "convention"): _note_assignments,
    ("responsibility", "label"): _role_if_match,
    ("responsibility", "segment_cue"): lambda r, t, c: _matches(r, t),
    ("responsibility", "role"): _role_if_match,
    ("responsibility", "assignment"): lambda r, t, c: _assigned(c.responsibility.inline_by(r.id, t)),
    ("metadata", "field"): _metadata,
    ("metadata", "province"): lambda r, t, c: c.metadata.province_of_doc_number(t) or "",
    ("metadata", "page_field"): lambda r, t, c: ("=".join((s[0], s[2])) if (s := FieldLabels([r]).split(t)) else ""),
    ("metadata", "national"): lambda r, t, c: (r.get("region") if r.pattern.search(t) else ""),
    ("deadlines", "expression"): _deadlines,
    ("deadlines", "named_period"): _deadlines,
    ("deadlines", "exclude"): _deadlines,
    ("deadlines", "defined_period"): _deadlines,
    ("deadlines", "year_context"): _deadlines,
    **{("targets", kind): _targets for kind in ("unit", "mention", "comparator", "exclude", "indicator", "enumeration",
                                                 "quoted")},
    ("targets", "table_value"): _table_targets,
}
_DATED = {"deadlines", "targets"}


def example_cases(rules: Rules) -> Iterator[tuple[Rule, dict]]:
    for rule in rules.all():
        for example in rule.examples:
            yield rule, example


def actual_output(rule: Rule, example: dict, ctx: Context) -> object:
    family = rule.file.removesuffix(".toml")
    runner = _RUNNERS.get((family, rule.kind))
    if runner is None:
        raise RuleError(rule.file, rule.id, f"no example runner for [[{rule.kind}]] entries")
    if family in _DATED:
        return runner(rule, example["in"], ctx, example.get("year", EXAMPLE_YEAR))
    return runner(rule, example["in"], ctx)


def run_examples(rules: Rules, rules_dir: str | None = None) -> list[RuleError]:
    """Every example whose output differs from its ``out``, as a ``RuleError``."""
    ctx = context(rules_dir)
    problems = []
    for rule, example in example_cases(rules):
        try:
            with time_budget(EXAMPLE_BUDGET):
                got = actual_output(rule, example, ctx)
        except RuleError as exc:
            problems.append(exc)
            continue
        except OverBudget:
            problems.append(RuleError(rule.file, rule.id, f"example {example['in']!r}: took over "
                                                          f"{EXAMPLE_BUDGET:g} s (a pattern backtracks badly on it)"))
            continue
        if "out" in example and got != example["out"]:
            problems.append(RuleError(rule.file, rule.id,
                                      f"example {example['in']!r}: expected {example['out']!r}, got {got!r}"))
    return problems

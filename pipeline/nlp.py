"""The spaCy pipeline: ``spacy.blank("zh")`` with jieba's segmentation (``SelectiveSegmenter``) and the
policy components, each adding span groups to ``doc.spans``:

- ``dept_mentions``: every known department name (a SpanRuler over the lexicon;
  ``span.id_`` is the organ rule id)
- ``policy_structure``: ``headings``, ``measures``, ``notes``, ``citations`` and the
  document metadata (``doc.user_data["metadata"]``)
- ``policy_departments``: ``departments`` responsible for each measure
- ``policy_timex``: ``deadlines`` (time expressions of every kind)
- ``policy_targets``: ``targets`` (numeric targets)

Each group's output rows sit beside it in ``doc.user_data[("rows", group)]``, one per
span and in the same order (span extensions are keyed by character offsets, and one
note's departments stand for several measures at the same offsets); writers read
rows back with ``rows_of``. Rules are loaded once per process (``context``).
"""
from __future__ import annotations

import sys
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import regex
import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from pipeline.extract.lexicon import Lexicon
from pipeline.extract.responsibility import Responsibility, merge_assignments
from pipeline.extract.targets import TargetReader
from pipeline.extract.timex import TimeReader
from pipeline.rules import RULES_DIR, Rules, any_of, cached_rules
from pipeline.segmenter import segmenter
from pipeline.structure.metadata import MetadataReader
from pipeline.structure.outline import build_outline

@dataclass
class Context:
    """Everything a worker needs, built once per process from the rule files."""

    rules_dir: str
    rules: Rules
    lexicon: Lexicon
    responsibility: Responsibility
    metadata: MetadataReader
    times: TimeReader
    targets: TargetReader
    nlp: Language | None = None


def context(rules_dir: str | Path | None = None) -> Context:
    """The context for a rules folder, built once per process."""
    return _context(str(Path(rules_dir or RULES_DIR).resolve()))


def release() -> None:
    """Free what processing documents loaded (spaCy and the rules, the segmenter) in a process
    that will process no more: a run's link stage then has that memory. The next ``context``
    loads them again."""
    _context.cache_clear()
    segmenter.cache_clear()


@lru_cache(maxsize=4)
def _context(rules_dir: str) -> Context:
    rules = cached_rules(rules_dir)
    lexicon = Lexicon(rules)
    for word in lexicon.surface_forms():  # department names stay whole tokens (and words when tagged)
        segmenter().add_word(word, 100_000, None)
    ctx = Context(rules_dir, rules, lexicon, Responsibility(rules, lexicon), MetadataReader(rules),
                  TimeReader(rules), TargetReader(rules))
    ctx.nlp = build_nlp(rules_dir, lexicon, rules)
    return ctx


_SENTENCE_ENDS = "。；\n"
_SENTENCE_END = regex.compile(f"[{_SENTENCE_ENDS}]")


def _jieba_words(text: str) -> list[str]:
    """jieba's words (dictionary words only, no HMM guesses), segmented by rjieba (the jieba-rs
    binding: the same dictionary and segmentation, 16 times faster); runs of digits and letters
    are split into characters, so numbers never add to the vocabulary."""
    words: list[str] = []
    for word in segmenter().cut(text, False):
        if word.isascii():
            words.extend(word)
        else:
            words.append(word)
    return words


class SelectiveSegmenter:
    """Tokenizer: jieba words in the sentences that may name departments, characters elsewhere.

    jieba is the costliest stage; department names are the only thing the Doc's tokens
    are matched for (the SpanRuler), so other sentences are split into single characters.
    The vocabulary is bounded by the characters and jieba's dictionary, whatever the corpus,
    and every span group aligns with its rows exactly.
    White space is kept as tokens, so ``doc.text`` is the input text exactly.
    """

    def __init__(self, vocab, cues: list[regex.Pattern]) -> None:
        self.vocab = vocab
        self.cue = any_of(tuple(cues))
        self.orths: dict[str, int] = {}  # token -> its lexeme's id: Doc skips hashing every token
        self.everywhere = False  # segment every sentence (for the SpanRuler's phrase patterns)

    @contextmanager
    def segmenting_everything(self):
        """Within the block, every text is segmented by jieba, as cue sentences are."""
        self.everywhere = True
        try:
            yield
        finally:
            self.everywhere = False

    def _cue_sentences(self, text: str) -> list[tuple[int, int]]:
        """``(start, end)`` of each sentence (up to and including 。, ； or a line break) with a cue."""
        spans: list[tuple[int, int]] = []
        for m in self.cue.finditer(text) if self.cue else ():
            if spans and m.start() < spans[-1][1]:
                continue  # in the sentence already taken
            start = max(text.rfind(c, 0, m.start()) for c in _SENTENCE_ENDS) + 1
            stop = _SENTENCE_END.search(text, m.end())
            spans.append((start, stop.end() if stop else len(text)))
        return spans

    def _words(self, text: str) -> list[str]:
        if self.everywhere:
            return _jieba_words(text)
        words: list[str] = []
        pos = 0
        for start, end in self._cue_sentences(text):
            words.extend(text[pos:start])
            words.extend(_jieba_words(text[start:end]))
            pos = end
        words.extend(text[pos:])
        return words

    def _ids(self, words: list[str]) -> list[int]:
        """The words' lexeme ids; words not seen before in this process are learnt first, in order."""
        try:
            return list(map(self.orths.__getitem__, words))
        except KeyError:
            for word in [w for w in dict.fromkeys(words) if w not in self.orths]:
                self.orths[word] = self.vocab[word].orth
            return list(map(self.orths.__getitem__, words))

    def __call__(self, text: str) -> Doc:
        ids = self._ids(self._words(text))  # the words' strings are freed before the Doc is made
        doc = Doc(self.vocab, words=ids, spaces=[False] * len(ids))
        doc.user_data["text"] = text  # Doc.text would rebuild it from every token
        return doc


def build_nlp(rules_dir: str, lexicon: Lexicon, rules: Rules) -> Language:
    nlp = spacy.blank("zh")  # its character segmenter, replaced here: spaCy's jieba mode would load jieba's dictionary
    nlp.tokenizer = SelectiveSegmenter(nlp.vocab, [r.pattern for r in rules.of("responsibility", "segment_cue")])
    # spaCy's 1,000,000-character guard is for parsers that need memory per token; these components
    # do not, and the file size limit (--max-mb) already bounds a document
    nlp.max_length = sys.maxsize
    ruler = nlp.add_pipe("span_ruler", name="dept_mentions", config={"spans_key": "dept_mentions"})
    with nlp.tokenizer.segmenting_everything():  # names are matched in jieba-segmented sentences
        ruler.add_patterns([
            {"label": "DEPT", "pattern": word, "id": rule} for word, rule in lexicon.surface_forms().items()
        ])
    nlp.add_pipe("policy_structure", config={"rules_dir": rules_dir})
    nlp.add_pipe("policy_departments", config={"rules_dir": rules_dir})
    nlp.add_pipe("policy_timex", config={"rules_dir": rules_dir})
    nlp.add_pipe("policy_targets", config={"rules_dir": rules_dir})
    return nlp


def char_span(doc: Doc, start: int, end: int, label: str) -> Span:
    """A span over the tokens covering ``[start, end)``."""
    span = doc.char_span(start, end, label=label, alignment_mode="expand")
    if span is None:  # only white space: anchor on the nearest token
        span = Span(doc, max(0, len(doc) - 1), len(doc), label=label)
    return span


def set_group(doc: Doc, group: str, label: str, rows: list[dict]) -> None:
    """Add span group ``group`` (one span per row, over ``row["start"]:row["end"]``) and its rows."""
    doc.spans[group] = [char_span(doc, r["start"], r["end"], label) for r in rows]
    doc.user_data[("rows", group)] = rows


def rows_of(doc: Doc, group: str) -> list[dict]:
    """The rows of a span group, in span order."""
    return doc.user_data.get(("rows", group), [])


class PolicyComponent:
    """A component that works with the rules of its folder (loaded once per process).

    spaCy's factory builds it with the pipeline, the component's name and its config.
    """

    def __init__(self, nlp: Language, name: str, rules_dir: str) -> None:
        self.rules_dir = rules_dir
        self._ctx: Context | None = None

    @property
    def ctx(self) -> Context:
        if self._ctx is None:  # not at construction: the context is still being built then
            self._ctx = context(self.rules_dir)
        return self._ctx


class StructureComponent(PolicyComponent):
    """Outline, notes and metadata of the document as span groups."""

    def __call__(self, doc: Doc) -> Doc:
        ctx = self.ctx
        if "text" not in doc.user_data:  # a Doc not made by SelectiveSegmenter
            doc.user_data["text"] = doc.text
        text = doc.user_data["text"]
        notes = ctx.responsibility.find_notes(text)
        note_lines = {text[n.start:n.end].strip(" 。") for n in notes if n.standalone}
        outline = build_outline(text, ctx.rules, lambda line: line.strip(" 。") in note_lines,
                                lambda line: ctx.metadata.signer(line) is not None)
        meta = ctx.metadata.read(text, outline, doc.user_data.get("page_fields", ()))
        doc.user_data["metadata"] = meta
        doc.user_data["outline"] = outline
        doc.user_data["notes"] = notes
        set_group(doc, "headings", "HEADING", [
            {"label": i.label, "depth": i.depth, "start": i.line.start, "end": i.line.end}
            for i in outline.items if i.children or i.rule.get("heading_only")
        ])
        set_group(doc, "measures", "MEASURE", [
            {"seq": m.seq, "label": m.label, "path": m.path, "start": m.start, "end": m.end, "rule": m.rule}
            for m in outline.measures
        ])
        set_group(doc, "notes", "NOTE", [{"rule": n.rule, "standalone": n.standalone, "start": n.start, "end": n.end}
                                         for n in notes])
        set_group(doc, "citations", "CITATION", [
            {"title": c.title, "doc_number": c.doc_number, "measure_seq": _measure_at(outline.measures, c.start),
             "start": c.start, "end": c.end, "rule": "meta.citation"}
            for c in meta.citations
        ])
        return doc


class DepartmentsComponent(PolicyComponent):
    """Departments responsible for each measure: from notes, else inline wording."""

    def __call__(self, doc: Doc) -> Doc:
        ctx = self.ctx
        outline, notes, text = doc.user_data["outline"], doc.user_data["notes"], doc.user_data["text"]
        covered = assign_notes(outline.measures, notes)
        # the SpanRuler's matches name the organ of every known department as written
        mentions = {(s.start_char, s.end_char): s.id_ for s in doc.spans["dept_mentions"]}
        rows = []
        for measure in outline.measures:
            assigned = covered.get(measure.seq) or ctx.responsibility.inline(text, measure.start, measure.end)
            for a in assigned:
                organ_rule = mentions.get((a.start, a.end))
                organ = (ctx.lexicon.organ_by_rule(organ_rule, a.name) if organ_rule
                         else ctx.lexicon.lookup(a.name))
                rows.append({
                    "measure_seq": measure.seq, "name": a.name,
                    "canonical": organ.canonical if organ else None, "level": organ.level if organ else None,
                    "role": a.role, "rank": a.rank, "source": a.source,
                    "start": a.start, "end": a.end, "rule": a.rule,
                })
        set_group(doc, "departments", "DEPT", rows)
        return doc


_TITLE = regex.compile(r"《[^《》\n]{1,150}》")
_QUOTED_NAME = regex.compile(r"“[^“”\n]{1,30}”")


# a line that is a time limit by itself (a task table's 完成时限 cell): 2024年6月底前, 6月30日前
_TIME_LIMIT_LINE = regex.compile(r"^\s*(?=\S*\d)(?:(?:19|20)\d{2}年)?(?:\d{1,2}月(?:\d{1,2}日)?)?(?:底|末)?(?:前|之前|以前)\s*$")


def _titles(text: str, body_start: int, body_end: int) -> list[tuple[int, int]]:
    """Spans that name policies rather than schedule anything: 《titles》 and the lines before
    and after the body that are not sentences (titles, dates, signatures, print lines), but
    for a time limit standing alone (an annex task table's 2024年6月底前: no signature ends in 前)."""
    spans = [(m.start(), m.end()) for m in _TITLE.finditer(text)]
    line_start = 0
    for line in text.split("\n"):
        outside = line_start < body_start or line_start >= body_end
        sentence = "，" in line or "。" in line
        if outside and not sentence and not _TIME_LIMIT_LINE.match(line):
            spans.append((line_start, line_start + len(line)))
        line_start += len(line) + 1
    return spans


def _measure_holding(measures, offset: int):
    return next((m for m in measures if m.start <= offset < m.end), None)


def _measure_at(measures, offset: int):
    measure = _measure_holding(measures, offset)
    return measure.seq if measure else None


def _in_measure(measures, at: int, start: int, end: int) -> tuple[int | None, int]:
    """(the measure holding the quantity at ``at``, the quote's start): a quote that opens on
    its item's line (1.每年培训…不少于500人次) starts at the measure's text, after the label."""
    measure = _measure_holding(measures, at)
    if measure is None:
        return None, start
    return measure.seq, min(max(start, measure.start), end)


class TimexComponent(PolicyComponent):
    """Time expressions of the whole text (preamble, body and annexes): deadlines, periods,
    starts, recurrences, durations; titles and non-sentence lines outside the body are skipped."""

    def __call__(self, doc: Doc) -> Doc:
        ctx = self.ctx
        outline, meta, text = doc.user_data["outline"], doc.user_data["metadata"], doc.user_data["text"]
        titles = _titles(text, outline.body_start, outline.body_end)
        doc.user_data["titles"] = titles
        times, past = ctx.times.find_all(text, meta.reference_year, titles, issued=meta.issue_date)
        doc.user_data["times"], doc.user_data["past_times"] = times, past
        set_group(doc, "deadlines", "TIMEX", [
            {"measure_seq": _measure_at(outline.measures, t.start), "kind": t.kind, "text": t.text,
             "date": t.date, "start_date": t.start_date, "end_date": t.end_date, "every": t.every,
             "duration": t.duration, "start": t.start, "end": t.end, "rule": t.rule}
            for t in times
        ])
        return doc


def find_targets(ctx: Context, text: str, start: int, end: int, titles: list[tuple[int, int]],
                 times: list, past: list = (), labels: list[tuple[int, int]] = ()) -> list:
    """Targets in ``text[start:end]``, skipping titles, quoted names (not a quoted standard:
    “15分钟生活圈”) and time expressions;
    ``past`` are the past dates the time reader dropped (figures they date are no targets);
    ``labels`` the spans of items' numbers, which no figure reads into."""
    quoted = [m.span() for m in _QUOTED_NAME.finditer(text) if not ctx.targets.states_standard(m.group())]
    blocked = titles + quoted + [(t.start, t.end) for t in [*times, *past]]
    return ctx.targets.find(text, start, end, blocked, times, past, labels)


class TargetsComponent(PolicyComponent):
    """Numeric targets of the whole text, with their indicator, comparator and deadline year."""

    def __call__(self, doc: Doc) -> Doc:
        ctx = self.ctx
        outline, times, text = doc.user_data["outline"], doc.user_data["times"], doc.user_data["text"]
        tables = [(t.start, t.end) for t in outline.tables]  # read by their columns, not as sentences
        labels = [(item.line.start, item.content_start) for item in outline.items]
        targets = find_targets(ctx, text, 0, len(text), doc.user_data["titles"] + tables, times,
                               doc.user_data["past_times"], labels)
        targets += ctx.targets.from_tables(text, outline.tables, doc.user_data["metadata"].reference_year)
        targets.sort(key=lambda t: t.start)
        rows = []
        for t in targets:
            seq, start = _in_measure(outline.measures, t.at, t.start, t.end)
            rows.append({"measure_seq": seq, "indicator": t.indicator, "value": t.value, "value_max": t.value_max,
                         "unit": t.unit, "comparator": t.comparator, "deadline_year": t.deadline_year,
                         "quote": text[start:t.end], "start": start, "end": t.end, "rule": t.rule})
        set_group(doc, "targets", "TARGET", rows)
        return doc


def assign_notes(measures, notes) -> dict[int, list]:
    """Which notes cover which measure (annotation-guide §5).

    A note inside a measure covers that measure; a note on a line of its own covers
    every measure since the previous note; a note in a heading covers the measures
    below that heading. A measure that several notes cover gets every department they
    name, in order: the first note's lead leads, the others are co-departments.
    """
    covered: dict[int, list] = {}
    previous_end = 0
    for note in notes:
        if not note.assigned:
            previous_end = note.end
            continue
        if note.standalone:
            targets = [m for m in measures if previous_end <= m.start and m.end <= note.start]
        else:
            targets = [m for m in measures if m.start <= note.start < m.end]
            if not targets:
                targets = [m for m in measures if _under_heading_holding(m, note.start)]
        for m in targets:
            covered[m.seq] = merge_assignments(covered.get(m.seq, []), note.assigned)
        previous_end = note.end
    return covered


def _under_heading_holding(measure, offset: int) -> bool:
    node = measure.item.parent
    while node is not None:
        if node.line.start <= offset < node.line.end:
            return True
        node = node.parent
    return False


for _name, _component in (("policy_structure", StructureComponent), ("policy_departments", DepartmentsComponent),
                          ("policy_timex", TimexComponent), ("policy_targets", TargetsComponent)):
    Language.factory(_name, default_config={"rules_dir": str(RULES_DIR)}, func=_component)

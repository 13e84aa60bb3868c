"""The spaCy pipeline: selective jieba segmentation, span groups that match the rows,
and rjieba's words and tags as jieba's."""
from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import RAW
from pipeline.link.align import dictionary_frequencies, jieba_dictionary
from pipeline.nlp import context, release, rows_of

GROUPS = ("headings", "measures", "notes", "citations", "departments", "deadlines", "targets")


def test_department_sentences_are_jieba_words_and_the_rest_single_characters():
    nlp = context().nlp
    text = "（一）加强基层医疗。全市乡镇卫生院40%以上达标\n（责任单位：市卫生健康委、市医保局）"
    doc = nlp(text)
    tokens = [t.text for t in doc]
    assert "".join(tokens) == text == doc.user_data["text"]
    assert tokens[:5] == ["（", "一", "）", "加", "强"]  # no cue word: characters
    assert "市卫生健康委" in tokens and "市医保局" in tokens  # 责任 is a cue: jieba, names whole
    assert [(s.text, s.label_) for s in doc.spans["dept_mentions"]] == [("市卫生健康委", "DEPT"), ("市医保局", "DEPT")]


@pytest.mark.parametrize("prefix", [p.name[:3] for p in sorted(RAW.glob("*.txt"))])
def test_every_span_group_covers_exactly_its_rows(prefix, doc_of):
    doc = context().nlp(doc_of(prefix).text)  # the normalised text of the seed run
    for group in GROUPS:
        spans, rows = list(doc.spans[group]), rows_of(doc, group)
        assert len(spans) == len(rows), group
        for span, row in zip(spans, rows):
            assert (span.start_char, span.end_char) == (row["start"], row["end"]), (group, span.text)


def test_the_segmenter_cuts_and_tags_as_jieba_does_with_the_rules_words(seeds_out):
    import jieba
    import jieba.posseg
    import regex

    from pipeline.extract.targets import _tagged
    from pipeline.segmenter import segmenter

    ctx = context()
    for word in ctx.lexicon.surface_forms():  # jieba given the words the pipeline's segmenter has
        jieba.add_word(word, freq=100_000)
    # the normalised texts, as the pipeline tags them (in simplified characters: rjieba's
    # dictionary tags a few traditional ones jieba's does not, 調 v where jieba says x)
    text = "\n".join(pq.read_table(seeds_out / "documents.parquet", columns=["text"]).column("text").to_pylist())
    clauses = sorted({c for c in regex.split(r"[，。；：、\n]", text) if c.strip()})
    assert len(clauses) > 1000
    for clause in clauses:
        assert segmenter().cut(clause, False) == jieba.lcut(clause, HMM=False), clause
        expected = tuple((t.word, "m" if t.word.isdigit() else t.flag) for t in jieba.posseg.cut(clause, HMM=False))
        assert _tagged(clause) == expected, clause


def test_the_span_rulers_organ_agrees_with_the_lexicon_for_every_name():
    lexicon = context().lexicon
    for name, rule in lexicon.surface_forms().items():
        assert lexicon.organ_by_rule(rule, name) == lexicon.lookup(name), name


def test_tokens_never_seen_before_are_learnt_in_order_and_read_as_the_ones_seen():
    nlp = context().nlp
    text = "𠀀𠀁由𠀂𠀃局牵头，𠀀𠀁。"  # characters no document of the run had
    first = [t.text for t in nlp.make_doc(text)]
    assert "".join(first) == text and first[:2] == ["𠀀", "𠀁"]
    assert [t.text for t in nlp.make_doc(text)] == first  # seen now: the same tokens
    learnt = list(nlp.tokenizer.orths)
    assert sorted(learnt.index(c) for c in "𠀀𠀁𠀂𠀃") == [learnt.index(c) for c in "𠀀𠀁𠀂𠀃"]  # in order of first sight


def test_numbers_never_grow_the_vocabulary():
    nlp = context().nlp
    nlp("到2025年，市卫生健康委负责新建123456个站点。")
    before = len(nlp.vocab.strings)
    doc = nlp("到2031年，市卫生健康委负责新建654321个站点。")  # a cue sentence: segmented by jieba
    assert "市卫生健康委" in [t.text for t in doc]
    assert len(nlp.vocab.strings) == before


def test_language_frequencies_ignore_the_words_the_rules_add():
    import jieba

    ctx = context()
    plain = jieba.Tokenizer()
    plain.initialize()
    added = list(ctx.lexicon.surface_forms())[:200]
    frequencies, total = dictionary_frequencies(added + ["加强"])
    with jieba.dt.get_dict_file() as own:  # the file jieba reads, found without importing it
        assert Path(own.name).samefile(jieba_dictionary())
    assert total == plain.total
    assert frequencies == [plain.FREQ.get(w, 0) for w in added] + [plain.FREQ["加强"]]
    from pipeline.segmenter import segmenter

    assert all(segmenter().has_word(w) for w in added)  # what the segmenter has instead


def test_a_released_pipeline_loads_again_and_reads_the_same():
    from pipeline.segmenter import segmenter

    text = "到2025年，市卫生健康委负责新建123个站点，完成率达到95%。"
    before, held = [t.text for t in context().nlp(text)], segmenter()
    release()
    assert segmenter() is not held  # a new one, the rules' words added again by context
    assert [t.text for t in context().nlp(text)] == before


@pytest.mark.parametrize("text", ["加强 3 v\n推进 4 v\n",  # jieba's own form: split at once
                                  "加强 3 v 多\n推进 4\n",  # other fields: line by line
                                  "加强 3\r\n推进 4 v\n\n", "加强 3 v\n推进 4 v"])
def test_a_dictionary_file_is_read_as_jieba_reads_it(text):
    from pipeline.link.align import _dictionary_blocks

    for characters in (1, 4, 1 << 18):  # a line a block, lines cut by the block size, one block
        blocks = list(_dictionary_blocks(text, characters))
        assert ([w for words, _ in blocks for w in words], [q for _, qs in blocks for q in qs]) == (["加强", "推进"], ["3", "4"])

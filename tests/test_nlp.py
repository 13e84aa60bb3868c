"""The spaCy pipeline: selective jieba segmentation, span groups that match the rows,
and jieba's dictionary loaded from the pipeline's cache."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import RAW, ROOT
from pipeline.link.align import dictionary_frequencies
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


def test_jieba_dictionary_is_cached_once_and_segments_as_jieba_does(tmp_path):
    script = ("from pipeline.nlp import context; import jieba; context(); "
              "print('/'.join(jieba.cut('市卫生健康委牵头推进分级诊疗制度建设', HMM=False)))")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    first = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT)
    assert first.returncode == 0, first.stderr
    cached = list((tmp_path / "policy-pipeline").glob("jieba-*.pickle"))
    assert len(cached) == 1
    second = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT)
    assert second.stdout == first.stdout
    assert first.stdout.startswith("市卫生健康委/牵头/")
    assert list((tmp_path / "policy-pipeline").glob("jieba-*.pickle")) == cached


def test_the_span_rulers_organ_agrees_with_the_lexicon_for_every_name():
    lexicon = context().lexicon
    for name, rule in lexicon.surface_forms().items():
        assert lexicon.organ_by_rule(rule, name) == lexicon.lookup(name), name


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
    assert total == plain.total
    assert frequencies == [plain.FREQ.get(w, 0) for w in added] + [plain.FREQ["加强"]]
    assert any(jieba.dt.FREQ[w] == 100_000 for w in added)  # what the segmenter has instead


def test_a_released_pipeline_loads_again_and_reads_the_same():
    text = "到2025年，市卫生健康委负责新建123个站点，完成率达到95%。"
    before = [t.text for t in context().nlp(text)]
    release()
    import jieba

    assert not jieba.dt.initialized
    assert [t.text for t in context().nlp(text)] == before


@pytest.mark.parametrize("text", ["加强 3 v\n推进 4 v\n",  # jieba's own form: split at once
                                  "加强 3 v 多\n推进 4\n",  # other fields: line by line
                                  "加强 3\r\n推进 4 v\n\n", "加强 3 v\n推进 4 v"])
def test_a_dictionary_file_is_read_as_jieba_reads_it(text):
    from pipeline.link.align import _dictionary_blocks

    for characters in (1, 4, 1 << 18):  # a line a block, lines cut by the block size, one block
        blocks = list(_dictionary_blocks(text, characters))
        assert ([w for words, _ in blocks for w in words], [q for _, qs in blocks for q in qs]) == (["加强", "推进"], ["3", "4"])

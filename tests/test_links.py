"""The corpus stage: citations resolved inside the run and measure links (issue #16)."""
from __future__ import annotations

import os
from dataclasses import astuple

import numpy as np
import pyarrow.parquet as pq
import pytest
from conftest import RAW

from pipeline.link.align import shared_passage
from pipeline.link.candidates import MinHasher, candidate_pairs, shingles
from pipeline.link.citations import resolve, title_key
from pipeline.link.stage import link_tables
from pipeline.run import extract


@pytest.mark.parametrize("a, b", [
    ("中共中央办公厅国务院办公厅关于进一步深化改革促进乡村医疗卫生体系健康发展的意见",
     "关于进一步深化改革促进乡村医疗卫生体系健康发展的意见"),
    ("山东省人民政府办公厅印发<关于进一步深化改革促进乡村医疗卫生体系健康发展若干措施>的通知",
     "关于进一步深化改革促进乡村医疗卫生体系健康发展的若干措施"),
    ("广州市人民政府办公厅关于印发广州市公共租赁住房管理办法的通知", "《广州市公共租赁住房管理办法》"),
    ("關於進一步加強特困人員救助供養工作的通知", "关于进一步加强特困人员救助供养工作的通知"),
])
def test_two_spellings_of_one_title_share_a_key(a, b):
    assert title_key(a) == title_key(b) is not None


@pytest.mark.parametrize("a, b", [
    ("关于进一步深化改革促进乡村医疗卫生体系健康发展的意见", "关于进一步完善医疗卫生服务体系的意见"),
    ("广州市公共租赁住房管理办法", "广州市公共租赁住房管理办法实施细则"),
])
def test_different_titles_keep_different_keys(a, b):
    assert title_key(a) != title_key(b)


def test_citations_resolve_by_doc_number_then_title_never_to_the_citing_document():
    documents = [
        {"doc_id": "a", "status": "ok", "title": "某省乡村医疗卫生若干措施", "doc_number": "某政办发〔2023〕5号"},
        {"doc_id": "b", "status": "ok", "title": "某市乡村医疗卫生实施方案", "doc_number": None},
    ]
    citations = [
        {"doc_id": "b", "title": "关于印发某省乡村医疗卫生若干措施的通知", "doc_number": None},
        {"doc_id": "b", "title": "另一个标题完全不同的文件", "doc_number": "某政办发〔2023〕5号"},
        {"doc_id": "a", "title": "某省乡村医疗卫生若干措施", "doc_number": None},  # itself
        {"doc_id": "a", "title": "国务院关于某事项的决定", "doc_number": None},  # not in the run
    ]
    assert resolve(documents, citations) == ["a", "a", None, None]


def test_minhash_is_deterministic_and_buckets_reworded_provisions_together():
    text = "推进乡村医疗卫生机构一体化管理，将政府办村卫生室纳入乡镇卫生院一体化管理，人员、工资、财务统一管理。"
    reworded = "推进乡村医疗卫生一体化管理，将村卫生室纳入乡镇卫生院一体化管理，人员、财务、药品统一管理。"
    other = "到2025年，全市空气质量优良天数比例达到94%，细颗粒物年均浓度控制在29微克每立方米以下。"
    first, again = MinHasher().signature(shingles(text)), MinHasher().signature(shingles(text))
    assert (first == again).all()
    measures = [("d1", text), ("d2", reworded), ("d3", other)]
    assert candidate_pairs([], [], measures) == {("d1", "d2"): "similar"}


def test_minhash_rows_agree_as_often_as_the_shingle_sets_overlap():
    text = "推进乡村医疗卫生机构一体化管理，将政府办村卫生室纳入乡镇卫生院一体化管理，人员、工资、财务统一管理。"
    reworded = "推进乡村医疗卫生一体化管理，将村卫生室纳入乡镇卫生院一体化管理，人员、财务、药品统一管理。"
    a, b = shingles(text), shingles(reworded)
    jaccard = np.intersect1d(a, b).size / np.union1d(a, b).size
    hasher = MinHasher()
    agree = (hasher.signature(a) == hasher.signature(b)).mean()
    assert abs(agree - jaccard) < 0.15  # each hash function orders the shingles anew


def test_citing_the_same_document_makes_siblings_and_citing_one_in_the_run_makes_cites():
    citations = [{"doc_id": "x"}, {"doc_id": "y"}, {"doc_id": "z"}]
    targets = [["number:国发〔2021〕23号"], ["number:国发〔2021〕23号", "title:某方案"], ["doc:x"]]
    assert candidate_pairs(citations, targets, []) == {("x", "y"): "sibling", ("x", "z"): "cites"}


def test_the_shared_passage_is_the_reworded_span_on_both_sides():
    a = "强化协同配合。建立卫生健康、农业农村部门牵头，发展改革、财政、人力资源社会保障等部门参与的工作机制。其他内容。"
    b = "一是加强协同。建立由卫生健康、农业农村部门牵头，发展改革、财政、人力资源社会保障等部门参与的协调机制。"
    passage = shared_passage(a, b)
    assert "发展改革、财政、人力资源社会保障等部门参与" in a[passage.start:passage.end]
    assert "发展改革、财政、人力资源社会保障等部门参与" in b[passage.other_start:passage.other_end]
    assert "其他内容" not in a[passage.start:passage.end]


def test_links_of_the_seed_run_follow_the_contract(tables):
    links, measures, docs = tables["links"], tables["measures"], tables["documents"]
    assert len(links) > 0 and set(links.relation) <= {"same", "partial"}
    assert set(links.basis) <= {"cites", "sibling", "similar"}
    pairs = {frozenset(p) for p in zip(links.measure_id, links.other_measure_id)}
    assert len(pairs) == len(links)  # each unordered pair once
    assert (links.doc_id != links.other_doc_id).all() and links.score.between(0, 1).all()
    text = dict(zip(docs.doc_id, docs.text))
    span = dict(zip(measures.measure_id, zip(measures.start, measures.end)))
    for row in links.head(50).itertuples():
        for measure, start, end in ((row.measure_id, row.start, row.end),
                                    (row.other_measure_id, row.other_start, row.other_end)):
            assert span[measure][0] <= start <= end <= span[measure][1]
        assert row.end > row.start and text[row.doc_id][row.start:row.end]


def test_the_seeds_that_implement_the_central_opinion_are_siblings(tables, doc_of):
    links = tables["links"]
    a, b = doc_of("001").doc_id, doc_of("003").doc_id
    between = links[((links.doc_id == a) & (links.other_doc_id == b)) | ((links.doc_id == b) & (links.other_doc_id == a))]
    assert len(between) and set(between.basis) == {"sibling"}


def test_a_document_citing_another_in_the_run_is_linked_to_it(tmp_path):
    source = ("某省人民政府办公厅关于推进乡村医疗卫生体系建设的若干措施\n某政办发〔2023〕5号\n"
              "一、推进乡村医疗卫生一体化管理。将政府办村卫生室纳入乡镇卫生院一体化管理，人员、工资、财务统一管理。\n"
              "二、加强乡村医生队伍建设。每个村卫生室至少配备1名乡村医生，落实乡村医生养老保险待遇。\n")
    follower = ("某市推进乡村医疗卫生体系建设实施方案\n为贯彻落实《某省人民政府办公厅关于推进乡村医疗卫生体系建设的若干措施》"
                "（某政办发〔2023〕5号），制定本方案。\n"
                "一、推进乡村一体化管理。将村卫生室纳入乡镇卫生院一体化管理，人员、工资、药品统一管理。\n"
                "二、完善城市公共交通线网。优化公交线路，提高公交站点覆盖率。\n")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "province.txt").write_text(source, encoding="utf-8")
    (tmp_path / "in" / "city.txt").write_text(follower, encoding="utf-8")
    extract(tmp_path / "in", tmp_path / "out", quiet=True)
    docs = {r["source_path"]: r["doc_id"] for r in pq.read_table(tmp_path / "out" / "documents.parquet").to_pylist()}
    citations = pq.read_table(tmp_path / "out" / "citations.parquet").to_pylist()
    assert [c["cited_doc_id"] for c in citations if c["doc_id"] == docs["city.txt"]] == [docs["province.txt"]]
    links = pq.read_table(tmp_path / "out" / "links.parquet").to_pylist()
    assert len(links) == 1
    link = links[0]
    assert (link["doc_id"], link["other_doc_id"], link["basis"]) == (docs["city.txt"], docs["province.txt"], "cites")
    assert link["measure_id"].endswith("m001") and link["other_measure_id"].endswith("m001")


def test_links_made_in_worker_processes_are_the_links_made_alone(seeds_out):
    tables = {name: seeds_out / f"{name}.parquet" for name in ("documents", "measures", "citations")}
    alone = link_tables(tables)["links"]
    in_workers = link_tables(tables, workers=2, span=1, chunk=16)["links"]  # many tasks, both kinds
    assert alone.num_rows > 0 and in_workers.equals(alone)


def test_a_link_work_folder_left_by_a_killed_run_is_removed_and_none_is_left(tmp_path):
    out = tmp_path / "out"
    stale = out / ".links.abc.tmp"
    stale.mkdir(parents=True)
    (stale / "grams.weights.bin").write_bytes(b"\0" * 64)
    extract(RAW, out, quiet=True, jobs=2)
    assert not list(out.glob(".links.*"))
    assert pq.read_table(out / "links.parquet").num_rows > 0


def test_of_two_shared_passages_as_long_the_first_is_taken_and_found_on_the_other_side():
    one, two, gap = "甲乙丙丁戊己", "庚辛壬癸子丑", "以及其他不同的文字内容在此"
    passage = shared_passage(one + gap + two, two + "另有其他完全不同的内容" + one)
    assert (passage.start, passage.end) == (0, 6)
    assert (passage.other_start, passage.other_end) == (len(two) + 11, len(two) + 11 + 6)


def test_key_counts_count_as_one_sort_of_every_key_would():
    from pipeline.link.keys import KeyCounts

    rng = np.random.default_rng(3)
    counts, seen = KeyCounts(), []
    counts.CHUNK = 1000  # merge often
    for _ in range(50):
        keys = rng.integers(0, 5000, rng.integers(1, 700))
        seen.append(keys)
        if rng.random() < 0.5:
            counts.add(keys)
        else:
            counts.add(*np.unique(keys, return_counts=True))
    expected, times = np.unique(np.concatenate(seen), return_counts=True)
    counts.reduce()
    assert counts.codes.tolist() == expected.tolist() and counts.counts.tolist() == times.tolist()
    assert counts.count_of(np.array([expected[0], 5001])).tolist() == [times[0], 0]


def _die(job: int) -> int:
    os._exit(3)  # as the out-of-memory killer would end it


def test_a_link_worker_that_dies_fails_the_stage_instead_of_leaving_it_waiting():
    from concurrent.futures.process import BrokenProcessPool

    from pipeline.link.stage import WorkerMap

    with pytest.raises(BrokenProcessPool), WorkerMap(2) as pool:
        list(pool(_die, [1, 2, 3]))


@pytest.mark.parametrize("a, b, whole", [
    ("到2025年全市建成示范村卫生室三百个以上", "到2027年全市建成示范村卫生室三百个以上", True),  # a number changed
    ("推进乡村医疗卫生一体化管理", "推进乡村医疗卫生机构一体化管理", True),  # a word put in
    ("推进乡村医疗卫生一体化管理", "推进乡村医疗卫生一体化管理", True),  # equal
    ("到2025年全市建成示范村卫生室三百个以上", "到2027年全市建成示范村卫生室五百个以上", False),  # two stretches
    ("推进乡村医疗卫生一体化管理", "推进乡村医疗卫生服务机构标准化建设的一体化管理", False),  # a long one
    ("年全市建成示范村卫生室", "月全市建成示范村卫生室", False),  # the change at the very start
])
def test_texts_that_differ_in_one_short_stretch_share_the_whole_of_both(a, b, whole):
    from pipeline.link.align import whole_passage

    found = whole_passage(a, b)  # the shortcut: None where only the anchors can tell
    assert (found is not None) == whole
    if whole:  # what the anchors find: every seed of the common start and end, no gap over 8
        assert (found.start, found.end, found.other_start, found.other_end) == (0, len(a), 0, len(b))


def test_a_long_insertion_breaks_the_passage_on_the_side_that_has_it():
    passage = shared_passage("推进乡村医疗卫生一体化管理", "推进乡村医疗卫生服务机构标准化建设的一体化管理")
    assert (passage.start, passage.end, passage.other_start, passage.other_end) == (0, 13, 0, 8)


def _edited(rng, text: str, alphabet: str) -> str:
    """``text`` with a few characters changed, put in or taken out, and sometimes rotated."""
    chars = list(text)
    for _ in range(rng.randint(0, 8)):
        i, op = rng.randint(0, max(len(chars) - 1, 0)), rng.random()
        if op < 0.4 and chars:
            chars[i] = rng.choice(alphabet)
        elif op < 0.7:
            chars.insert(i, rng.choice(alphabet))
        elif chars:
            del chars[i]
    edited = "".join(chars)
    if rng.random() < 0.3:
        cut = rng.randint(0, len(edited))
        edited = edited[cut:] + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20))) + edited[:cut]
    return edited


def test_passages_found_all_at_once_are_those_found_one_pair_at_a_time():
    import random

    from pipeline.link.align import shared_passages

    rng = random.Random(6)
    alphabet = "推进乡村医疗卫生一体化管理服务机构标准化建设的加强基层。，、1234𠀀𠀁"
    pairs = [("", ""), ("推进", "推进"), ("推进乡村医疗", "加强基层服务")]
    for _ in range(1500):
        text = "".join(rng.choice(alphabet[:rng.randint(3, len(alphabet))]) for _ in range(rng.randint(0, 60)))
        pairs.append((text, _edited(rng, text, alphabet)))
    pairs += pairs[::7]  # pairs met again are read once, and given the same passage
    found = shared_passages(pairs)
    assert found.tolist() == [list(astuple(shared_passage(a, b))) for a, b in pairs]
    assert found[2].tolist() == [0, 0, 0, 0] and found[3:].any()


def test_pairs_with_too_many_characters_for_integer_seeds_are_found_one_at_a_time():
    from pipeline.link.align import shared_passages

    many = "".join(chr(c) for c in [*range(0x4E00, 0x9FFF), *range(0x20000, 0x27000)])  # 49,663 characters
    pairs = [(many[:3000] + "推进乡村医疗卫生一体化", "加强" + many[1000:2000] + "一体化"), (many, many[::-1])]
    assert len(set(many)) ** 4 * len(pairs) >= 2 ** 63  # a seed and its pair would not fit 63 bits
    assert shared_passages(pairs).tolist() == [list(astuple(shared_passage(a, b))) for a, b in pairs]


def _blas_threads(_: int) -> int:
    from threadpoolctl import threadpool_info

    return max([lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"] or [1])


def test_link_workers_run_one_blas_thread_even_when_numpy_was_imported_first():
    import subprocess
    import sys

    from conftest import ROOT

    script = ("import numpy\n"  # before the pipeline: its OPENBLAS_NUM_THREADS=1 comes too late
              "from pipeline.link.stage import WorkerMap, one_blas_thread\n"
              "from test_links import _blas_threads\n"
              "with WorkerMap(2) as pool:\n"
              "    print(max(pool(_blas_threads, range(4))))\n"
              "with one_blas_thread(), WorkerMap(2) as pool:\n"
              "    print(max(pool(_blas_threads, range(4))))\n")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                          cwd=ROOT / "tests", check=True)
    unlimited, limited = (int(line) for line in done.stdout.split())
    assert limited == 1
    if (os.cpu_count() or 1) > 1:
        assert unlimited > 1  # without the limit, what numpy imported first gives: a thread a core


REPOSTED = ["加强乡村医生队伍建设，落实乡村医生待遇。", "推进县域医共体建设，提升基层服务能力。",
            "加强乡村医生队伍建设，落实乡村医生待遇。", "完善医保支付政策。", "123", "推进县域医共体建设，提升基层服务能力。"]


def test_a_reposted_measure_read_once_counts_as_often_as_it_occurs():
    from pipeline.link.align import Weights, _grams

    weights = Weights(REPOSTED)
    rows, keys, _ = _grams(REPOSTED)  # each text's distinct n-grams: how many texts have each
    expected, times = np.unique(keys, return_counts=True)
    assert weights.gram_df.codes.tolist() == expected.tolist() and weights.gram_df.counts.tolist() == times.tolist()
    first, third = (weights.word_key[weights.word_start[i]:weights.word_start[i + 1]] for i in (0, 2))
    assert first.size and first.tolist() == third.tolist()  # the repeat has the first's words


def test_a_reposted_measure_signed_once_shares_the_buckets_of_each_copy():
    from pipeline.link.candidates import BANDS, band_keys, band_pairs, shared_buckets

    measures = list(enumerate(REPOSTED))  # each text its own document
    keys, signed = band_keys(REPOSTED)  # every copy signed, as before
    codes, counts = band_pairs((keys, np.flatnonzero(signed), len(REPOSTED)))
    found = shared_buckets(measures, len(REPOSTED))
    assert signed.tolist() == [True, True, True, True, False, True] and keys.shape == (5, BANDS)
    assert found.codes.tolist() == codes.tolist() and found.counts.tolist() == counts.tolist()
    assert found.count_of(np.array([0 * 6 + 2, 1 * 6 + 5])).tolist() == [BANDS, BANDS]  # copies share all


def test_the_link_stage_reads_words_of_jiebas_dictionary_alone_whatever_the_pipeline_added():
    import rjieba

    from pipeline.link.align import han_words
    from pipeline.nlp import context
    from pipeline.segmenter import segmenter

    context()  # the pipeline's segmenter holds the department names as whole words
    name = "国家乡村振兴局"
    words, ids = han_words([f"由{name}牵头"])
    assert segmenter().cut(name, False) == [name]
    assert [words[i] for i in ids[0]] == rjieba.Jieba().cut(f"由{name}牵头", False) != ["由", name, "牵头"]


def _sparse_rows(rng, n: int, ids: np.ndarray):
    from pipeline.link.align import SparseRows

    entries = [np.sort(rng.choice(ids.size, size=rng.integers(0, min(ids.size, 6) + 1), replace=False))
               for _ in range(n)]
    used = np.unique(np.concatenate([np.empty(0, dtype=np.int64), *entries]))
    feature_of = np.searchsorted(used, np.concatenate([np.empty(0, dtype=np.int64), *entries])).astype(np.int32)
    starts = np.cumsum([0] + [e.size for e in entries]).astype(np.int32)
    return SparseRows(starts, rng.random(feature_of.size).astype(np.float32), ids[used].astype(np.int32), feature_of)


def _dense_reference(side, width: int) -> np.ndarray:
    dense = np.zeros((side.n, width))
    for row in range(side.n):
        for k in range(side.starts[row], side.starts[row + 1]):
            dense[row, side.distinct[side.feature_of[k]]] = side.weights[k]
    return dense


def test_cosines_over_the_shared_features_are_the_products_of_the_whole_vectors():
    from pipeline.link.align import _FEATURES, cosines

    rng = np.random.default_rng(3)
    for top in (8, 40, 5000, 70_000):  # the id table grows past ids it has not seen
        ids = np.sort(rng.choice(top, size=min(top, 12), replace=False))
        for _ in range(20):
            a, b = _sparse_rows(rng, int(rng.integers(0, 5)), ids), _sparse_rows(rng, int(rng.integers(0, 5)), ids)
            expected = _dense_reference(a, top) @ _dense_reference(b, top).T
            assert np.allclose(cosines(a, b), expected, rtol=0, atol=1e-12)
            assert not _FEATURES.table.any()  # cleared after each use
    a = _sparse_rows(rng, 3, np.array([1, 2, 3]))
    b = _sparse_rows(rng, 2, np.array([7, 8]))
    assert cosines(a, b).tolist() == [[0.0, 0.0]] * 3  # nothing shared


def test_seeds_among_others_are_those_numpy_finds_by_set_membership():
    from pipeline.link.align import _among

    rng = np.random.default_rng(5)
    for size in (0, 1, 50, 5000):
        values = rng.integers(0, 2 ** 62, size=size) if size < 50 else rng.integers(0, size, size=size)
        others = np.concatenate([rng.choice(values, size=size // 2), rng.integers(0, 2 ** 62, size=3)]) if size else \
            np.empty(0, dtype=np.int64)
        assert _among(values, others).tolist() == np.isin(values, others).tolist()


def test_the_relation_is_same_from_a_high_score_or_from_a_fair_score_under_the_same_opening(tmp_path):
    from pipeline.link.align import LINK, SAME, SAME_OPENED, Weights
    from pipeline.link.pairs import PairWork, write_work

    texts = ["强化协同配合。各地要建立部门协作机制，定期会商乡村医疗卫生体系建设中的重大问题，乡村医生待遇。",
             "强化协同配合。各地要建立部门协作机制，卫生健康部门每季度报告乡村医生待遇落实情况，财政部门保障经费。",
             "健全工作机制。各地要建立部门协作机制，定期会商重大问题，落实经费保障。",
             "完善医保支付政策，提高门诊统筹报销比例。",
             "强化协同配合。财政部门保障经费，落实到位。",
             "健全协作机制。各地要建立部门协作机制，定期会商乡村医疗卫生体系建设中的重大问题，提高乡村医生待遇。"]
    weights = Weights(texts)
    vectors = weights.documents([(i, i + 1) for i in range(len(texts))])
    dtypes = write_work(tmp_path, [(vectors, texts, [1] * len(texts))], np.array([[0, i] for i in range(1, 6)]))
    found = PairWork.open(str(tmp_path), tuple(dtypes.items())).links(0, 5)
    assert found.pair.tolist() == [0, 1, 3, 4]  # 完善医保支付政策 shares nothing
    fair = (SAME_OPENED <= found.score) & (found.score < SAME)
    assert fair[:2].all() and LINK <= found.score[2] < SAME_OPENED and found.score[3] >= SAME
    # the same opening and a fair score; another opening; the same opening, little else; nearly all the text
    assert found.same.tolist() == [True, False, False, True]


def test_folding_modulo_the_mersenne_prime_is_numpys_modulo():
    from pipeline.link.candidates import _PRIME, mod_mersenne

    rng = np.random.default_rng(11)
    p = int(_PRIME)
    edges = [0, 1, p - 1, p, p + 1, 2 * p, 2 * p - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 62, 2 ** 63 - 1, p * p, p * p - 1]
    y = np.concatenate([np.array(edges, dtype=np.uint64), rng.integers(0, 2 ** 63 - 1, size=10_000, dtype=np.uint64)])
    assert mod_mersenne(y.copy()).tolist() == (y % _PRIME).tolist()


def test_reposted_documents_get_the_links_of_the_first_copy_each(tmp_path):
    """Copies of two seeds in other encodings (the same text, other bytes): the pairs of copies
    are compared once, and every pair gets the links the originals get, in order."""
    (tmp_path / "in").mkdir()
    names = {}
    for seed, encoding in (("000", "utf-8"), ("000", "gb18030"), ("001", "utf-8"), ("001", "utf-16")):
        source = next(RAW.glob(f"{seed}_*.txt"))
        name = f"{seed}.{encoding}.txt"
        (tmp_path / "in" / name).write_bytes(source.read_text(encoding="utf-8").encode(encoding))
        names[name] = seed
    extract(tmp_path / "in", tmp_path / "out", quiet=True)
    seed_of = {r["doc_id"]: names[r["source_path"]] for r in pq.read_table(tmp_path / "out" / "documents.parquet").to_pylist()}
    assert len(seed_of) == 4
    by_pair: dict[tuple[str, str], list[tuple]] = {}
    links = pq.read_table(tmp_path / "out" / "links.parquet").to_pylist()
    assert all(x["measure_id"].startswith(x["doc_id"]) and x["other_measure_id"].startswith(x["other_doc_id"])
               for x in links)  # each pair's own measures
    order = [(*sorted((x["doc_id"], x["other_doc_id"])), x["measure_id"], x["other_measure_id"]) for x in links]
    assert order == sorted(order)  # by document pair, then by measure: as each pair is compared in turn
    for link in links:
        pair = (link["doc_id"], link["other_doc_id"])
        seeds = (seed_of[link["doc_id"]], seed_of[link["other_doc_id"]])
        row = (seeds, link["measure_id"][-4:], link["other_measure_id"][-4:], link["relation"], link["score"],
               link["basis"], link["start"], link["end"], link["other_start"], link["other_end"])
        by_pair.setdefault(pair, []).append(row)
    across = [rows for (a, b), rows in by_pair.items() if seed_of[a] != seed_of[b]]
    assert len(across) == 4 and across[0] and all(rows == across[0] for rows in across)
    for (a, b), rows in by_pair.items():
        if seed_of[a] == seed_of[b]:  # a document and its copy: every measure is the same as itself
            itself = [r for r in rows if r[1] == r[2]]
            assert itself and all(r[3] == "same" and r[6:8] == r[8:10] for r in itself)


def test_a_run_with_nothing_to_compare_writes_no_links_and_still_resolves_its_citations(tmp_path):
    from pipeline.schema import TABLES

    (tmp_path / "in").mkdir()
    source = next(RAW.glob("000_*.txt"))
    (tmp_path / "in" / "one.txt").write_bytes(source.read_bytes())  # one document: no pair
    extract(tmp_path / "in", tmp_path / "out", quiet=True)
    links = pq.read_table(tmp_path / "out" / "links.parquet")
    assert links.num_rows == 0 and links.column_names == [name for name, _, _ in TABLES["links"]]
    citations = pq.read_table(tmp_path / "out" / "citations.parquet").to_pylist()
    assert citations and all("cited_doc_id" in c and c["cited_doc_id"] is None for c in citations)

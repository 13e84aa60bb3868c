"""Quality gate: the shared scorer on the shared gold sets, never below the pinned floors."""
from __future__ import annotations

import pytest

from pipeline.quality import (GOLD_SETS, README, SHARED, WEB_PAGES, below_floor, field_scores, link_below_floor,
                              link_scores, readme_with_scores, web_below_floor, web_scores)
from pipeline.run import extract

pytestmark = pytest.mark.skipif(not (SHARED / "eval" / "score.py").exists(),
                                reason="needs ../shared (gold sets and scorer) beside the checkout")


@pytest.fixture(scope="module")
def results(seeds_out, tmp_path_factory):
    corpus_out = tmp_path_factory.mktemp("corpus")
    extract(GOLD_SETS["corpus"][0], corpus_out, quiet=True)
    web_out = tmp_path_factory.mktemp("web")
    extract(WEB_PAGES, web_out, quiet=True)
    return {"seeds": field_scores(seeds_out, GOLD_SETS["seeds"][1]),
            "corpus": field_scores(corpus_out, GOLD_SETS["corpus"][1]), "web": web_scores(web_out),
            "links": link_scores(seeds_out)}


@pytest.mark.parametrize("name", list(GOLD_SETS))
def test_no_field_falls_below_its_floor(results, name):
    assert below_floor(name, results[name]) == []


def test_web_pages_keep_the_body_and_lose_the_chrome(results):
    assert web_below_floor(results["web"]) == []


def test_links_find_the_measures_that_implement_the_same_provision(results):
    assert link_below_floor(results["links"]) == []


def test_readme_score_table_is_generated(results):
    readme = README.read_text(encoding="utf-8")
    assert readme == readme_with_scores(readme, results), "run `python -m pipeline scores`"

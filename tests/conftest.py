"""Shared fixtures: the real pipeline run once over the real seeds."""
from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.run import extract

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "raw"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def seeds_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("outputs")
    extract(RAW, out, quiet=True)
    return out


@pytest.fixture(scope="session")
def tables(seeds_out):
    """Every output table of the seed run, as pandas DataFrames."""
    return {p.stem: pq.read_table(p).to_pandas() for p in seeds_out.glob("*.parquet")}


@pytest.fixture(scope="session")
def doc_of(tables):
    """source file name prefix (e.g. '000') -> its documents row."""
    docs = tables["documents"]
    return lambda prefix: docs[docs.source_path.str.startswith(prefix)].iloc[0]


@pytest.fixture(scope="session")
def measures_of(tables, doc_of):
    m = tables["measures"]
    return lambda prefix: m[m.doc_id == doc_of(prefix).doc_id].sort_values("seq").reset_index(drop=True)

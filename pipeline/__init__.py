"""Chinese policy-text extraction: measures, numeric targets, deadlines and lead departments."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

__version__ = "0.1.0"
# the link stage's matrix products are small: BLAS threads would only contend with the run's own
# worker processes (and OpenBLAS's pool stalls in forked children); set before numpy loads
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def code_digest() -> str:
    """Hash of the pipeline's own source: a changed extractor means changed outputs."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        digest.update(path.relative_to(Path(__file__).parent).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def load(output_dir: str | Path = "outputs"):
    """The output tables as pandas DataFrames: ``load()["measures"]``."""
    from pipeline.tables import load_tables

    return load_tables(output_dir)

"""Reading the output tables back, for analysts and the review pages."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from pipeline.schema import TABLES


def load_tables(output_dir: str | Path = "outputs") -> dict[str, pd.DataFrame]:
    """Every table in ``output_dir`` as a pandas DataFrame, keyed by table name."""
    output_dir = Path(output_dir)
    missing = [name for name in TABLES if not (output_dir / f"{name}.parquet").exists()]
    if missing:
        raise FileNotFoundError(f"{output_dir} has no {', '.join(missing)} table(s): run `make extract` first")
    return {name: pq.read_table(output_dir / f"{name}.parquet").to_pandas() for name in TABLES}

"""Questions analysts ask of the tables — answered with pandas and with DuckDB.

    .venv/bin/python examples/analyst_questions.py [OUTPUT_DIR]     (default: outputs)

Run `make extract` first. Each answer is printed as a small table.
"""
from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pandas as pd

import pipeline


def leading_departments(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """pandas: which departments lead the most measures (canonical organ, level kept apart)."""
    leads = tables["departments"].query("role == 'lead'").copy()
    leads["organ"] = leads.canonical.fillna(leads.name)
    return (leads.groupby(["organ", "level"], dropna=False).size().rename("measures_led")
            .sort_values(ascending=False).reset_index())


def targets_due(output_dir: Path, year: int) -> pd.DataFrame:
    """DuckDB, straight from the Parquet files: targets that fall due in ``year``."""
    return duckdb.sql(f"""
        SELECT d.title, t.indicator, t.comparator, t.value, t.value_max, t.unit
        FROM '{output_dir}/targets.parquet' t JOIN '{output_dir}/documents.parquet' d USING (doc_id)
        WHERE t.deadline_year = {int(year)}
        ORDER BY d.title, t.start
    """).df()


def targets_by_region(output_dir: Path) -> pd.DataFrame:
    """DuckDB: how targets compare across regions — how many, and the typical percentage goal."""
    return duckdb.sql(f"""
        SELECT coalesce(d.region, '(unknown)') AS region,
               count(*) AS targets,
               count(*) FILTER (WHERE t.deadline_year IS NOT NULL) AS with_deadline,
               round(median(t.value) FILTER (WHERE t.unit = '%'), 1) AS median_percent_goal
        FROM '{output_dir}/targets.parquet' t JOIN '{output_dir}/documents.parquet' d USING (doc_id)
        GROUP BY ALL ORDER BY targets DESC
    """).df()


def main(output_dir: Path) -> int:
    tables = pipeline.load(output_dir)
    with pd.option_context("display.width", 160, "display.max_columns", 10, "display.max_colwidth", 40):
        print("Which departments lead the most measures?")
        print(leading_departments(tables).head(10).to_string(index=False), end="\n\n")
        print("Which targets fall due in 2025?")
        print(targets_due(output_dir, 2025).head(20).to_string(index=False), end="\n\n")
        print("How do targets compare across regions?")
        print(targets_by_region(output_dir).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "outputs")))

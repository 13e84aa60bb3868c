"""Questions analysts ask of the tables — answered with pandas and with DuckDB; the last one
follows a policy chain: which documents adopted a document's measures, with which targets.

    .venv/bin/python examples/analyst_questions.py [OUTPUT_DIR]     (default: outputs)

Run `make extract` first. Each answer is printed as a small table.
"""
from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pandas as pd

import pipeline
from pipeline.tables import links_both_ways


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


def adoption(tables: dict[str, pd.DataFrame], doc_id: str) -> pd.DataFrame:
    """pandas: for every measure of one document, which documents adopted it (links), and with
    which targets and deadlines there and here."""
    links, measures, docs = tables["links"], tables["measures"], tables["documents"]
    either = links_both_ways(links).query("doc_id == @doc_id")
    targets = (tables["targets"].assign(target=lambda t: t.comparator + t.value.map("{:g}".format) + t.unit.fillna(""))
               .groupby("measure_id").target.agg(" ".join))
    years = tables["deadlines"].dropna(subset=["date"]).groupby("measure_id").date.agg(lambda d: d.max().year)
    heads = measures.set_index("measure_id").text.str.slice(0, 18)
    order = measures.set_index("measure_id").seq
    titles = docs.set_index("doc_id").title
    return pd.DataFrame({
        "seq": either.measure_id.map(order).values,
        "measure": either.measure_id.map(heads).values,
        "targets_here": either.measure_id.map(targets).fillna("").values,
        "adopted_by": either.other_doc_id.map(titles).str.slice(0, 16).values,
        "as": either.other_measure_id.map(heads).values,
        "targets_there": either.other_measure_id.map(targets).fillna("").values,
        "due_there": either.other_measure_id.map(years).astype("Int64").values,
        "relation": either.relation.values, "score": either.score.round(2).values,
    }).sort_values(["seq", "score"], ascending=[True, False])


def most_adopted(tables: dict[str, pd.DataFrame]) -> str | None:
    """The document others cite and link to most (else the one with most links)."""
    links = tables["links"]
    if links.empty:
        return None
    cited = links.query("basis == 'cites'").other_doc_id
    return (cited if len(cited) else pd.concat([links.doc_id, links.other_doc_id])).value_counts().index[0]


def main(output_dir: Path) -> int:
    tables = pipeline.load(output_dir)
    with pd.option_context("display.width", 160, "display.max_columns", 10, "display.max_colwidth", 40):
        print("Which departments lead the most measures?")
        print(leading_departments(tables).head(10).to_string(index=False), end="\n\n")
        print("Which targets fall due in 2025?")
        print(targets_due(output_dir, 2025).head(20).to_string(index=False), end="\n\n")
        print("How do targets compare across regions?")
        print(targets_by_region(output_dir).to_string(index=False), end="\n\n")
        reference = most_adopted(tables)
        if reference:
            title = tables["documents"].set_index("doc_id").title.get(reference)
            print(f"Which documents adopted the measures of {title}, with which targets?")
            print(adoption(tables, reference).head(30).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "outputs")))

"""Reading the output tables back, for analysts and the review pages, and exporting them."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.schema import TABLES, schema
from pipeline.write import recover

# Arrow type -> pandas nullable dtype: integers stay integers with <NA>, strings are strings
_NULLABLE = {pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype(), pa.int64(): pd.Int64Dtype(),
             pa.string(): pd.StringDtype(), pa.float64(): pd.Float64Dtype(), pa.float32(): pd.Float32Dtype(),
             pa.bool_(): pd.BooleanDtype()}


def _tables_in(output_dir: Path) -> list[str]:
    if not (output_dir / "documents.parquet").exists():
        raise FileNotFoundError(f"{output_dir} has no documents table: run `make extract` (or "
                                f"`policy-pipeline extract IN {output_dir}`) first")
    return [name for name in TABLES if (output_dir / f"{name}.parquet").exists()]


def _read(path: Path, name: str) -> pa.Table:
    """A table as the current schema has it: columns an older run did not write come back null."""
    table = pq.read_table(path) if path.exists() else schema(name).empty_table()
    for field in schema(name):
        if field.name not in table.column_names:
            table = table.append_column(field.name, pa.nulls(table.num_rows, field.type))
    return table


def load_tables(output_dir: str | Path = "outputs") -> dict[str, pd.DataFrame]:
    """Every table in ``output_dir`` as a pandas DataFrame, keyed by table name, with nullable
    dtypes: Int16/Int32 integers and string columns with <NA> for missing values, dates as
    datetime64 (NaT when missing), lists as lists. Tables or columns an older run did not
    write come back empty or null."""
    output_dir = Path(output_dir)
    recover(output_dir)  # a run killed between its final renames left a journal: finish them
    _tables_in(output_dir)
    return {name: _read(output_dir / f"{name}.parquet", name).to_pandas(types_mapper=_NULLABLE.get,
                                                                         date_as_object=False)
            for name in TABLES}


_SIDES = {"doc_id": "other_doc_id", "measure_id": "other_measure_id", "start": "other_start", "end": "other_end"}


def links_both_ways(links: pd.DataFrame) -> pd.DataFrame:
    """Every link twice, once from each side: the rows whose ``doc_id`` is a document are all its
    links, whichever side of the pair it was written on."""
    swapped = {**_SIDES, **{other: this for this, other in _SIDES.items()}}
    return pd.concat([links, links.rename(columns=swapped)], ignore_index=True)


def _cell(value):
    """A CSV cell: lists and structs as JSON, missing as empty."""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def export_tables(output_dir: str | Path, fmt: str, to: str | Path | None = None) -> list[Path]:
    """Every table as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese right; list
    columns as JSON) or JSON Lines, in ``to`` (default ``output_dir/export``)."""
    output_dir = Path(output_dir)
    folder = Path(to) if to else output_dir / "export"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in _tables_in(output_dir):
        rows = pq.read_table(output_dir / f"{name}.parquet").to_pylist()
        path = folder / f"{name}.{fmt}"
        tmp = path.with_name(f".{path.name}.tmp")
        if fmt == "csv":
            columns = [f.name for f in pq.read_schema(output_dir / f"{name}.parquet")]
            frame = pd.DataFrame([{k: _cell(row[k]) for k in columns} for row in rows], columns=columns)
            frame.to_csv(tmp, index=False, encoding="utf-8-sig")
        else:
            with tmp.open("w", encoding="utf-8") as f:
                for row in rows:
                    f.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        tmp.replace(path)
        written.append(path)
    return written

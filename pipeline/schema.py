"""The output tables: the one place their columns, types and meanings are defined.

``../shared/docs/output-contract.md`` is the contract; columns may be added, never
renamed or dropped. The README's column table and the data dictionary are made
from ``TABLES``.
"""
from __future__ import annotations

from functools import lru_cache

import pyarrow as pa

_OFFSET_RUN = pa.struct([("norm", pa.int32()), ("raw", pa.int32())])
_PAGE_FIELD = pa.struct([("field", pa.string()), ("label", pa.string()), ("value", pa.string())])

# table -> [(column, type, meaning)]
TABLES: dict[str, list[tuple[str, pa.DataType, str]]] = {
    "documents": [
        ("doc_id", pa.string(), "stable id: first 16 hex digits of the SHA-256 of the raw bytes"),
        ("source_path", pa.string(), "path relative to the input folder"),
        ("source_sha256", pa.string(), "SHA-256 of the raw bytes"),
        ("status", pa.string(), "ok or failed"),
        ("error", pa.string(), "null when ok; what went wrong and what to do, when failed"),
        ("encoding", pa.string(), "detected input encoding (utf-8, utf-8-sig, gb18030, big5, utf-16…); it says so when "
                                  "undecodable bytes were replaced or mojibake (bytes read as Latin-1) repaired"),
        ("script", pa.string(), "simplified, traditional or mixed (of the input)"),
        ("title", pa.string(), "the policy's own title"),
        ("notice_title", pa.string(), "title of the cover notice that forwards the policy, if any"),
        ("issuer", pa.string(), "issuing organ (发文机关)"),
        ("doc_number", pa.string(), "发文字号, brackets normalised to 〔〕"),
        ("region", pa.string(), "administrative area the policy governs"),
        ("issue_date", pa.date32(), "成文日期; first day of the period when only month/year is known"),
        ("issue_date_precision", pa.string(), "day, month, year or null"),
        ("n_chars", pa.int32(), "length of text"),
        ("text", pa.string(), "the normalised text all offsets refer to"),
        ("page_fields", pa.list_(_PAGE_FIELD),
         "a web page's own metadata box (索引号, 发文机关, 成文日期, 实施日期 …) and the titles it declares "
         "(ArticleTitle, its heading; its <title> as head_title): field, label as written, value"),
        ("duplicate_of", pa.string(), "source_path of an earlier file with identical bytes (its rows stand for both)"),
        ("offset_map", pa.list_(_OFFSET_RUN),
         "runs mapping text offsets to raw (decoded) offsets: raw = run.raw + (i - run.norm) for the last run with run.norm <= i"),
    ],
    "measures": [
        ("doc_id", pa.string(), "document"),
        ("measure_id", pa.string(), "unique across the corpus: doc_id-m<seq>"),
        ("seq", pa.int32(), "order in the document, from 1"),
        ("label", pa.string(), "the item's own number as written: 1, （一）, 第三条"),
        ("path", pa.list_(pa.string()), "headings above it, outermost first"),
        ("text", pa.string(), "the measure's text without its label"),
        ("start", pa.int32(), "offset of text in documents.text"),
        ("end", pa.int32(), "end offset of text"),
        ("lead_department", pa.string(), "lead department as written; null when none is stated"),
        ("co_departments", pa.list_(pa.string()), "co-departments in the order written"),
        ("lead_canonical", pa.string(), "the lead department's canonical name (as in departments.canonical); null when unknown"),
        ("lead_level", pa.string(), "the lead department's level, as departments.level; null when unknown"),
        ("rule", pa.string(), "numbering rule that found the item"),
    ],
    "targets": [
        ("doc_id", pa.string(), "document"),
        ("target_id", pa.string(), "doc_id-t<n>"),
        ("measure_id", pa.string(), "null when the target sits in an unnumbered section"),
        ("indicator", pa.string(), "what the number measures, in the document's words"),
        ("value", pa.float64(), "the number (lower end of a range)"),
        ("value_max", pa.float64(), "upper end of a range, else null"),
        ("unit", pa.string(), "unit as written (% 个 家 人 万元 …; 比 for ratios)"),
        ("comparator", pa.string(), ">=, >, <=, <, =, ~ or range"),
        ("deadline_year", pa.int16(), "year set by the time expression governing the sentence, else null"),
        ("quote", pa.string(), "the span that was read"),
        ("start", pa.int32(), "offset of quote"),
        ("end", pa.int32(), "end offset of quote"),
        ("rule", pa.string(), "id of the rule that produced the row"),
    ],
    "deadlines": [
        ("doc_id", pa.string(), "document"),
        ("deadline_id", pa.string(), "doc_id-d<n>"),
        ("measure_id", pa.string(), "null outside numbered items"),
        ("kind", pa.string(), "deadline, period, start, recurring or duration"),
        ("text", pa.string(), "as written"),
        ("date", pa.date32(), "deadline: last day of the stated period; start: the day it starts; null when the year is unknown"),
        ("start_date", pa.date32(), "period: first day"),
        ("end_date", pa.date32(), "period: last day"),
        ("every", pa.string(), "recurring: ISO 8601 duration (P1Y)"),
        ("duration", pa.string(), "duration: ISO 8601 duration (P3D, PT2H)"),
        ("start", pa.int32(), "offset of text"),
        ("end", pa.int32(), "end offset of text"),
        ("rule", pa.string(), "id of the rule that produced the row"),
    ],
    "departments": [
        ("doc_id", pa.string(), "document"),
        ("measure_id", pa.string(), "the measure the department is responsible for"),
        ("name", pa.string(), "as written, simplified"),
        ("canonical", pa.string(), "canonical organ name from rules/departments.toml; null if unknown"),
        ("level", pa.string(), "国家, 省, 市, 县 or 县级以上; levels listed before one organ joined by 、 (市、县财政部门: 市、县); null if unknown"),
        ("role", pa.string(), "lead or co"),
        ("rank", pa.int16(), "position in the note or assignment, 1 = first"),
        ("source", pa.string(), "note (责任单位 block) or inline (由X牵头 …)"),
        ("start", pa.int32(), "offset of name"),
        ("end", pa.int32(), "end offset of name"),
        ("rule", pa.string(), "id of the rule that produced the row"),
    ],
    "citations": [
        ("doc_id", pa.string(), "document"),
        ("title", pa.string(), "text inside 《》"),
        ("doc_number", pa.string(), "doc number given next to it, brackets normalised"),
        ("measure_id", pa.string(), "the measure it is cited in; null outside measures"),
        ("cited_doc_id", pa.string(),
         "the cited document's doc_id when it is among the documents of the same run (by doc number, then title)"),
        ("start", pa.int32(), "offset of the citation"),
        ("end", pa.int32(), "end offset"),
        ("rule", pa.string(), "id of the rule that produced the row"),
    ],
    "links": [
        ("doc_id", pa.string(), "one side: the document that cites, or the later one"),
        ("measure_id", pa.string(), "its measure"),
        ("other_doc_id", pa.string(), "the other document"),
        ("other_measure_id", pa.string(), "its measure"),
        ("relation", pa.string(), "same (the same provision, reworded or with other numbers) or partial (clearly overlapping)"),
        ("score", pa.float32(), "similarity of the two measures, 0-1 (cosine of weighted character n-grams)"),
        ("basis", pa.string(), "why the documents were compared: cites, sibling (both cite the same document) or similar"),
        ("start", pa.int32(), "start of the passage the two share most, in documents.text of doc_id"),
        ("end", pa.int32(), "its end"),
        ("other_start", pa.int32(), "start of that passage in the other document's text"),
        ("other_end", pa.int32(), "its end"),
        ("rule", pa.string(), "the method that made the row"),
    ],
}


@lru_cache(maxsize=None)
def schema(table: str) -> pa.Schema:
    """The explicit pyarrow schema of a table, with each column's meaning as field metadata."""
    return pa.schema([pa.field(name, dtype, metadata={"description": meaning})
                      for name, dtype, meaning in TABLES[table]])


def columns(table: str) -> list[str]:
    return [name for name, _, _ in TABLES[table]]

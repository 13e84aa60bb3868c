"""Review pages: a static HTML site showing what was extracted from each document.

``python -m pipeline review OUTPUT_DIR`` writes ``OUTPUT_DIR/review/``: an index
with every document's status and counts and charts of the corpus, and one page per
document with its normalised text, extracted spans highlighted by kind, the row
behind each span on hover or click, and a side panel of measures with their lead
department and their linked measures in other documents (the shared passage marked
on both sides); the index shows the run's citation graph. No server and no network
are needed to open it.
"""
from __future__ import annotations

import html
import json
import math
from collections import Counter
from pathlib import Path

import pandas as pd

from pipeline.tables import load_tables

KINDS = {  # table -> (css class, label, colour)
    "targets": ("target", "target", "#ffd54f"),
    "deadlines": ("deadline", "time expression", "#80deea"),
    "departments": ("dept", "department", "#c5e1a5"),
}
_STYLE = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Zen Hei",sans-serif;margin:0;display:flex;color:#222}
main{flex:1;padding:1.5rem 2rem;max-width:60rem;line-height:1.9;white-space:pre-wrap}
aside{width:22rem;height:100vh;overflow:auto;position:sticky;top:0;border-left:1px solid #ddd;padding:1rem;
font-size:.85rem;background:#fafafa}
.measure{border-left:3px solid #90a4ae;background:#f5f7f8}
mark{border-radius:3px;padding:0 1px;cursor:pointer}
mark.target{background:#ffd54f}mark.deadline{background:#80deea}mark.dept{background:#c5e1a5}
#detail{white-space:pre-wrap;font-family:monospace;background:#fff;border:1px solid #ddd;padding:.5rem;min-height:4rem}
.legend span{padding:0 .4rem;margin-right:.4rem;border-radius:3px}
table{border-collapse:collapse;font-size:.85rem}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left}
.failed{color:#b71c1c}
.links li{margin-bottom:.4rem}mark.shared{background:#f8bbd0}
"""
_SCRIPT = """
document.addEventListener('click', e => {
  const m = e.target.closest('mark');
  if (m) document.getElementById('detail').textContent = JSON.stringify(JSON.parse(m.dataset.row), null, 1);
});
"""


def _json(row: dict) -> str:
    clean = {k: (None if pd.isna(v) else v) if not isinstance(v, (list, tuple)) and not hasattr(v, "tolist") else
             list(v) for k, v in row.items() if k not in ("doc_id", "text")}
    return json.dumps(clean, ensure_ascii=False, default=str)


def _marks(doc_id: str, tables: dict[str, pd.DataFrame]) -> list[tuple[int, int, str, str]]:
    """(start, end, css class, row json) of the highlighted spans, non-overlapping, in order."""
    spans = []
    for table, (css, _, _) in KINDS.items():
        rows = tables[table][tables[table].doc_id == doc_id]
        for row in rows.to_dict("records"):
            spans.append((int(row["start"]), int(row["end"]), css, _json(row)))
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    kept, last_end = [], -1
    for span in spans:
        if span[0] >= last_end:
            kept.append(span)
            last_end = span[1]
    return kept


def render_text(text: str, measures: pd.DataFrame, marks: list[tuple[int, int, str, str]]) -> str:
    """The text as HTML: measures as blocks, marks inside them (clipped at measure edges)."""
    bounds = sorted({0, len(text)} | {int(b) for m in measures.itertuples() for b in (m.start, m.end)}
                    | {b for s, e, _, _ in marks for b in (s, e)})
    measure_at = {int(m.start): m for m in measures.itertuples()}
    measure_ends = {int(m.end) for m in measures.itertuples()}
    mark_at = {s: (e, css, row) for s, e, css, row in marks}
    out: list[str] = []
    open_mark_end = None
    for a, b in zip(bounds, bounds[1:]):
        if a in measure_ends:
            if open_mark_end is not None:
                out.append("</mark>")
                open_mark_end = None
            out.append("</span>")
        if a in measure_at:
            m = measure_at[a]
            out.append(f'<span class="measure" id="m{m.seq}">')
        if a in mark_at and open_mark_end is None:
            end, css, row = mark_at[a]
            data = html.escape(row, quote=True)
            out.append(f'<mark class="{css}" data-row="{data}" title="{data}">')
            open_mark_end = end
        out.append(html.escape(text[a:b]))
        if open_mark_end is not None and b >= open_mark_end:
            out.append("</mark>")
            open_mark_end = None
    if len(text) in measure_ends:
        out.append("</span>")
    return "".join(out)


def _shown(doc: dict, key: str) -> str:
    value = doc.get(key)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if key == "issue_date":
        precision = doc.get("issue_date_precision")
        return str(value)[: {"month": 7, "year": 4}.get(precision, 10)]
    return str(value)


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{_STYLE}</style></head><body>{body}<script>{_SCRIPT}</script></body></html>")


def _linked(doc: dict, tables: dict[str, pd.DataFrame]) -> str:
    """Each measure's linked measures in other documents, the shared passage marked on both sides."""
    links, measures, docs = tables["links"], tables["measures"], tables["documents"]
    text_of = dict(zip(docs.doc_id, docs.text))
    title_of = dict(zip(docs.doc_id, docs.title.fillna(docs.source_path)))
    by_id = measures.set_index("measure_id")
    mine = pd.concat([
        links[links.doc_id == doc["doc_id"]],
        links[links.other_doc_id == doc["doc_id"]].rename(columns={
            "doc_id": "other_doc_id", "other_doc_id": "doc_id", "measure_id": "other_measure_id",
            "other_measure_id": "measure_id", "start": "other_start", "end": "other_end",
            "other_start": "start", "other_end": "end"}),
    ])
    if mine.empty:
        return ""
    items = []
    for row in mine.sort_values(["measure_id", "score"], ascending=[True, False]).itertuples():
        here, there = by_id.loc[row.measure_id], by_id.loc[row.other_measure_id]
        ours = html.escape(text_of[row.doc_id][row.start:row.end])
        theirs = html.escape(text_of[row.other_doc_id][row.other_start:row.other_end])
        items.append(
            f'<li><a href="#m{here.seq}">{html.escape(here.label)}</a> ↔ '
            f'<a href="doc-{row.other_doc_id}.html#m{there.seq}">{html.escape(str(title_of[row.other_doc_id])[:20])} '
            f"{html.escape(there.label)}</a> <i>{row.relation} {row.score:.2f}, {row.basis}</i><br>"
            f'<mark class="shared">{ours[:80]}</mark><br>↔ <mark class="shared">{theirs[:80]}</mark></li>')
    return f'<h3>Linked measures ({len(mine)})</h3><ol class="links">{"".join(items)}</ol>'


def document_page(doc: dict, tables: dict[str, pd.DataFrame]) -> str:
    measures = tables["measures"][tables["measures"].doc_id == doc["doc_id"]].sort_values("seq")
    text_html = render_text(doc["text"] or "", measures, _marks(doc["doc_id"], tables))
    legend = "".join(f'<span style="background:{colour}">{label}</span>' for _, label, colour in KINDS.values())
    items = "".join(
        f'<li><a href="#m{m.seq}">{html.escape(m.label)}</a> {html.escape(m.text[:24])}… — '
        f"<b>{html.escape(m.lead_department) if isinstance(m.lead_department, str) else '—'}</b></li>"
        for m in measures.itertuples())
    meta = "".join(f"<tr><th>{k}</th><td>{html.escape(_shown(doc, k))}</td></tr>"
                   for k in ("source_path", "title", "issuer", "doc_number", "issue_date", "region", "encoding"))
    aside = (f'<aside><p><a href="index.html">← all documents</a></p><table>{meta}</table>'
             f'<p class="legend">{legend}</p><p>Click a highlight to see its row:</p><div id="detail"></div>'
             f"<h3>Measures ({len(measures)})</h3><ol>{items}</ol>{_linked(doc, tables)}</aside>")
    return _page(doc.get("title") or doc["source_path"], f"<main>{text_html}</main>{aside}")


def _bars(title: str, counts: list[tuple[str, int]]) -> str:
    """A horizontal bar chart as inline SVG."""
    if not counts:
        return f"<h3>{html.escape(title)}</h3><p>none</p>"
    top = max(n for _, n in counts) or 1
    rows = "".join(
        f'<text x="0" y="{20 * i + 14}" font-size="12">{html.escape(str(label))}</text>'
        f'<rect x="180" y="{20 * i + 3}" width="{300 * n / top:.0f}" height="14" fill="#5c8fc4"/>'
        f'<text x="{185 + 300 * n / top:.0f}" y="{20 * i + 14}" font-size="12">{n}</text>'
        for i, (label, n) in enumerate(counts))
    return (f'<h3>{html.escape(title)}</h3><svg width="540" height="{20 * len(counts) + 6}" '
            f'role="img" aria-label="{html.escape(title)}">{rows}</svg>')


def citation_graph(tables: dict[str, pd.DataFrame]) -> str:
    """The run's documents on a circle: arrows from citing to cited document (resolved citations),
    grey lines between documents with linked measures (wider for more links)."""
    docs = tables["documents"][tables["documents"].status == "ok"].sort_values("source_path")
    cites = tables["citations"].dropna(subset=["cited_doc_id"])
    links = tables["links"]
    if docs.empty or (cites.empty and links.empty):
        return "<h3>Citation graph</h3><p>no document of the run cites or shares measures with another</p>"
    n, r, c = len(docs), 180, 240
    at = {d: (c + r * math.cos(2 * math.pi * i / n), c + r * math.sin(2 * math.pi * i / n))
          for i, d in enumerate(docs.doc_id)}
    shapes = []
    for (a, b), count in Counter(zip(links.doc_id, links.other_doc_id)).items():
        (x1, y1), (x2, y2) = at[a], at[b]
        shapes.append(f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" stroke="#bbb" '
                      f'stroke-width="{min(8, 1 + count / 10):.1f}"><title>{count} linked measures</title></line>')
    for a, b in sorted(set(zip(cites.doc_id, cites.cited_doc_id))):
        (x1, y1), (x2, y2) = at[a], at[b]
        shapes.append(f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" stroke="#c62828" '
                      f'stroke-width="2" marker-end="url(#arrow)"><title>cites</title></line>')
    for d in docs.itertuples():
        x, y = at[d.doc_id]
        label = html.escape(str(d.title if isinstance(d.title, str) else d.source_path)[:14])
        shapes.append(f'<a href="doc-{d.doc_id}.html"><circle cx="{x:.0f}" cy="{y:.0f}" r="6" fill="#5c8fc4"/>'
                      f'<text x="{x + 8:.0f}" y="{y + 4:.0f}" font-size="11">{label}</text></a>')
    arrow = ('<defs><marker id="arrow" viewBox="0 0 10 10" refX="14" refY="5" markerWidth="6" markerHeight="6" '
             'orient="auto"><path d="M0,0L10,5L0,10z" fill="#c62828"/></marker></defs>')
    return (f'<h3>Citation graph</h3><p>red arrows: cites (resolved in the run); grey: documents with linked '
            f'measures</p><svg width="640" height="480" role="img" aria-label="citation graph">{arrow}'
            f'{"".join(shapes)}</svg>')


def index_page(tables: dict[str, pd.DataFrame]) -> str:
    docs = tables["documents"].sort_values("source_path")
    counts = {name: Counter(tables[name].doc_id) for name in ("measures", "targets", "deadlines", "departments")}
    rows = []
    for d in docs.to_dict("records"):
        link = (f'<a href="doc-{d["doc_id"]}.html">{html.escape(d["source_path"])}</a>' if d["status"] == "ok"
                else html.escape(d["source_path"]))
        error = f'<span class="failed">{html.escape(d["error"])}</span>' if d["status"] != "ok" else ""
        cells = "".join(f"<td>{counts[name][d['doc_id']]}</td>" for name in counts)
        rows.append(f"<tr><td>{link}</td><td>{d['status']}</td>{cells}<td>{html.escape(str(d['title'] or ''))}"
                    f"</td><td>{error}</td></tr>")
    header = "".join(f"<th>{name}</th>" for name in counts)
    table = (f"<table><tr><th>file</th><th>status</th>{header}<th>title</th><th>error</th></tr>"
             f"{''.join(rows)}</table>")
    targets = tables["targets"]
    by_year = sorted(Counter(int(y) for y in targets.deadline_year.dropna()).items())
    leads = Counter(tables["measures"].lead_department.dropna()).most_common(15)
    measures = tables["measures"]
    coverage = []
    for d in docs[docs.status == "ok"].to_dict("records"):
        m = measures[measures.doc_id == d["doc_id"]]
        share = int(round(100 * m.lead_department.notna().mean())) if len(m) else 0
        coverage.append((d["source_path"][:28], share))
    charts = (_bars("Targets by deadline year", [(str(y), n) for y, n in by_year])
              + _bars("Measures per lead department (top 15)", leads)
              + _bars("Coverage: % of measures with a lead department", coverage) + citation_graph(tables))
    ok = int((docs.status == "ok").sum())
    body = (f"<main style='white-space:normal'><h1>Extraction review</h1><p>{len(docs)} documents, {ok} ok, "
            f"{len(docs) - ok} failed</p>{table}{charts}</main>")
    return _page("Extraction review", body)


def write_review(output_dir: str | Path) -> Path:
    """Write the review site into ``output_dir/review``; returns the index page."""
    tables = load_tables(output_dir)
    site = Path(output_dir) / "review"
    site.mkdir(parents=True, exist_ok=True)
    for doc in tables["documents"].to_dict("records"):
        if doc["status"] == "ok":
            (site / f"doc-{doc['doc_id']}.html").write_text(document_page(doc, tables), encoding="utf-8")
    index = site / "index.html"
    index.write_text(index_page(tables), encoding="utf-8")
    return index

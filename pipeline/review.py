"""Review pages: a static HTML site showing what was extracted from each document.

``policy-pipeline review OUTPUT_DIR`` reads the tables already in ``OUTPUT_DIR`` (it never
extracts) and writes ``OUTPUT_DIR/review/`` as one set: built in a temporary folder and
swapped into place, so pages of documents that left the run leave with them.

- The index: every document with status, issuer, date, region and counts, sortable by any
  column and filterable by text and status; charts of the run (targets by year, measures
  by lead organ, lead coverage) and its citation graph.
- One page per document: the normalised text with every extracted span highlighted by
  kind (lead and co departments apart; overlapping spans nested, each with its own
  outline), toggles per kind with counts, the row behind a span as labelled fields on
  click; each measure's spans stacked and labelled by spaCy's displaCy span renderer;
  the side panel lists metadata, measures, citations (linked to the cited document's page
  when it is in the run) and each measure's linked measures in other documents.
No server and no network are needed to open it.
"""
from __future__ import annotations

import html
import json
import math
import os
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import pandas as pd
from spacy import displacy
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from pipeline.tables import links_both_ways, load_tables
from pipeline.write import as_umask_allows

# kind -> (table, label, colour); departments split by role
KINDS = {
    "target": ("targets", "target", "#ffd54f"),
    "deadline": ("deadlines", "time expression", "#80deea"),
    "lead": ("departments", "lead department", "#81c784"),
    "co": ("departments", "co-department", "#ce93d8"),
    "citation": ("citations", "citation", "#ffab91"),
}
_HIDDEN_FIELDS = {"doc_id", "text", "offset_map"}
_STYLE = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Zen Hei",sans-serif;margin:0;display:flex;color:#222}
main{flex:1;padding:1.5rem 2rem;max-width:60rem;line-height:2.1;white-space:pre-wrap}
aside{width:24rem;height:100vh;overflow:auto;position:sticky;top:0;border-left:1px solid #ddd;padding:1rem;
font-size:.85rem;background:#fafafa;line-height:1.5}
.measure{border-left:3px solid #90a4ae;background:#f5f7f8;display:inline}
mark{border-radius:3px;padding:1px 1px;cursor:pointer;background:none;border-bottom:3px solid;color:inherit}
mark mark{padding-bottom:4px}mark mark mark{padding-bottom:7px}
%s
body.hide-target mark.target,body.hide-deadline mark.deadline,body.hide-lead mark.lead,body.hide-co mark.co,
body.hide-citation mark.citation{border-bottom-color:transparent!important;background:none!important}
dl.row{display:grid;grid-template-columns:auto 1fr;gap:.1rem .6rem;background:#fff;border:1px solid #ddd;padding:.5rem}
dl.row dt{font-weight:bold;color:#555}dl.row dd{margin:0}
.toggles label{display:inline-block;margin:.1rem .5rem .1rem 0;padding:0 .3rem;border-radius:3px}
table{border-collapse:collapse;font-size:.85rem}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left}
th{cursor:pointer;background:#eef}th.sorted-asc::after{content:" ▲"}th.sorted-desc::after{content:" ▼"}
.failed{color:#b71c1c}.links li{margin-bottom:.4rem}mark.shared{background:#f8bbd0;border:none}
details.spans{white-space:normal;font-size:.9rem;margin:.2rem 0 .6rem}
main.index{white-space:normal;max-width:none;line-height:1.5}main.index td:nth-child(3){min-width:18rem}
""" % "\n".join(f"mark.{kind}{{border-bottom-color:{colour};background:{colour}40}}"
                 for kind, (_, _, colour) in KINDS.items())
_DOC_SCRIPT = """
document.addEventListener('click', e => {
  const m = e.target.closest('mark[data-row]');
  if (!m) return;
  const row = JSON.parse(m.dataset.row), dl = document.getElementById('detail');
  dl.innerHTML = '';
  for (const [k, v] of Object.entries(row)) {
    if (v === null || (Array.isArray(v) && !v.length)) continue;
    const dt = document.createElement('dt'), dd = document.createElement('dd');
    dt.textContent = k; dd.textContent = Array.isArray(v) ? v.join('、') : String(v);
    dl.append(dt, dd);
  }
});
document.querySelectorAll('.toggles input').forEach(box => box.addEventListener('change',
  () => document.body.classList.toggle('hide-' + box.value, !box.checked)));
"""
_INDEX_SCRIPT = """
const table = document.getElementById('docs'), filter = document.getElementById('filter'),
      status = document.getElementById('status'), shown = document.getElementById('shown');
function apply() {
  const q = filter.value.trim().toLowerCase(), s = status.value;
  let n = 0;
  for (const tr of table.tBodies[0].rows) {
    const ok = (!q || tr.textContent.toLowerCase().includes(q)) && (!s || tr.dataset.status === s);
    tr.hidden = !ok; n += ok;
  }
  shown.textContent = n;
}
filter.addEventListener('input', apply); status.addEventListener('change', apply);
table.querySelectorAll('th').forEach((th, i) => th.addEventListener('click', () => {
  const desc = th.classList.contains('sorted-asc');
  table.querySelectorAll('th').forEach(h => h.classList.remove('sorted-asc', 'sorted-desc'));
  th.classList.add(desc ? 'sorted-desc' : 'sorted-asc');
  const rows = [...table.tBodies[0].rows], key = tr => tr.cells[i].dataset.sort ?? tr.cells[i].textContent;
  const num = rows.every(tr => key(tr) === '' || !isNaN(key(tr)));
  rows.sort((a, b) => { const x = key(a), y = key(b);
    const c = num ? (Number(x) - Number(y)) : x.localeCompare(y, 'zh'); return desc ? -c : c; });
  rows.forEach(tr => table.tBodies[0].append(tr));
}));
apply();
"""


def _missing(value) -> bool:
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
        return False
    return value is None or bool(pd.isna(value))


def _plain(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return None if _missing(value) else value


def _json(row: dict) -> str:
    clean = {k: _plain(v) for k, v in row.items() if k not in _HIDDEN_FIELDS}
    return json.dumps(clean, ensure_ascii=False, default=str)


def _text(value, default: str = "—") -> str:
    """A value as page text: missing values (None, NaN, <NA>) never print as 'nan'."""
    if _missing(value):
        return default
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return str(value)


def _spans(doc_id: str, tables: dict[str, pd.DataFrame]) -> list[tuple[int, int, str, dict]]:
    """(start, end, kind, row) of every extracted span of a document."""
    spans = []
    for kind, (table, _, _) in KINDS.items():
        rows = tables[table][tables[table].doc_id == doc_id]
        if table == "departments":
            rows = rows[rows.role == kind]
        for row in rows.to_dict("records"):
            spans.append((int(row["start"]), int(row["end"]), kind, row))
    return sorted(spans, key=lambda s: (s[0], -(s[1] - s[0])))


def _nested(spans: list[tuple[int, int, str, dict]]) -> list[tuple[int, int, str, dict]]:
    """The spans that nest (HTML elements cannot cross): a span crossing an earlier one's end
    is cut there; everything is kept and shown."""
    kept: list[tuple[int, int, str, dict]] = []
    stack: list[int] = []  # ends of the open spans
    for start, end, kind, row in spans:
        while stack and stack[-1] <= start:
            stack.pop()
        if stack and end > stack[-1]:
            end = stack[-1]
        if end > start:
            kept.append((start, end, kind, row))
            stack.append(end)
    return kept


def _cited_pages(tables: dict[str, pd.DataFrame]) -> set[str]:
    docs = tables["documents"]
    return set(docs.doc_id[docs.status == "ok"])


def _mark_open(kind: str, row: dict, pages: set[str]) -> str:
    data = html.escape(_json(row), quote=True)
    label = KINDS[kind][1]
    said = next((row[k] for k in ("text", "quote", "name", "title") if k in row and not _missing(row[k])), "")
    title = html.escape(f"{label}: {said}")
    mark = f'<mark class="{kind}" data-row="{data}" title="{title}">'
    cited = _cited_page(kind, row, pages)
    return f'<a href="doc-{cited}.html">{mark}' if cited else mark


def _cited_page(kind: str, row: dict, pages: set[str]) -> str | None:
    """The page a citation links to: its cited document's, when that is in the run."""
    cited = row.get("cited_doc_id") if kind == "citation" else None
    return cited if not _missing(cited) and cited in pages else None


def render_text(text: str, measures: pd.DataFrame, spans: list[tuple[int, int, str, dict]],
                pages: set[str] = frozenset()) -> str:
    """The text as HTML: measures as blocks, spans as nested marks (clipped at measure edges)."""
    measure_starts = {int(m.start): m for m in measures.itertuples()}
    measure_ends = {int(m.end) for m in measures.itertuples()}
    nested = _nested(spans)
    opens: dict[int, list] = {}
    for s in nested:
        opens.setdefault(s[0], []).append(s)
    bounds = sorted({0, len(text)} | set(measure_starts) | measure_ends | {b for s in nested for b in s[:2]})
    out: list[str] = []
    open_marks: list[tuple[int, str, str, dict]] = []  # (end, closing markup, kind, row)

    def close_to(position: int, everything: bool = False) -> list[tuple[int, str, dict]]:
        reopened = []
        while open_marks and (everything or open_marks[-1][0] <= position):
            end, closing, kind, row = open_marks.pop()
            out.append(closing)
            if end > position:
                reopened.append((end, kind, row))
        return reopened

    for a, b in zip(bounds, bounds[1:]):
        carried = []
        if a in measure_ends or a in measure_starts:
            carried = close_to(a, everything=True)
            if a in measure_ends:
                out.append("</span>")
            if a in measure_starts:
                out.append(f'<span class="measure" id="m{measure_starts[a].seq}">')
        else:
            close_to(a)
        for end, kind, row in reversed(carried):  # a span running across a measure edge goes on
            out.append(_mark_open(kind, row, pages))
            open_marks.append((end, _closing(kind, row, pages), kind, row))
        for start, end, kind, row in opens.get(a, []):
            out.append(_mark_open(kind, row, pages))
            open_marks.append((end, _closing(kind, row, pages), kind, row))
        out.append(html.escape(text[a:b]))
    close_to(len(text), everything=True)
    if len(text) in measure_ends:
        out.append("</span>")
    return "".join(out)


def _closing(kind: str, row: dict, pages: set[str]) -> str:
    return "</mark></a>" if _cited_page(kind, row, pages) else "</mark>"


def stacked_spans(text: str, spans: list[tuple[int, int, str, dict]]) -> str:
    """One measure's spans stacked and labelled by displaCy's span renderer (overlaps drawn as
    separate bars). Tokens are the runs between span edges, so spans always align."""
    if not spans:
        return ""
    cuts = sorted({0, len(text)} | {max(0, min(len(text), b)) for s in spans for b in s[:2]})
    words = [text[a:b] for a, b in zip(cuts, cuts[1:])]
    doc = Doc(Vocab(), words=words, spaces=[False] * len(words))
    token_at = {a: i for i, a in enumerate(cuts[:-1])}
    token_end = {b: i + 1 for i, b in enumerate(cuts[1:])}
    doc.spans["review"] = [Span(doc, token_at[max(0, s)], token_end[min(len(text), e)], label=KINDS[kind][1])
                           for s, e, kind, _ in spans if e > s]
    colours = {label: colour for _, label, colour in KINDS.values()}
    return displacy.render(doc, style="span", options={"spans_key": "review", "colors": colours}, page=False)


def _measure_views(doc: dict, measures: pd.DataFrame, spans: list[tuple[int, int, str, dict]]) -> str:
    parts = []
    for m in measures.itertuples():
        inside = [(s - m.start, e - m.start, kind, row) for s, e, kind, row in spans if m.start <= s and e <= m.end]
        if inside:
            parts.append(f'<details class="spans"><summary>{html.escape(m.label)} — {len(inside)} spans, stacked'
                         f'</summary>{stacked_spans(doc["text"][m.start:m.end], inside)}</details>')
    return "".join(parts)


def _page(title: str, body: str, script: str) -> str:
    return (f'<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{_STYLE}</style></head><body>{body}<script>{script}</script></body></html>")


def _linked(doc: dict, tables: dict[str, pd.DataFrame]) -> str:
    """Each measure's linked measures in other documents, the shared passage marked on both sides."""
    links, measures, docs = tables["links"], tables["measures"], tables["documents"]
    both = links_both_ways(links)
    mine = both[both.doc_id == doc["doc_id"]]
    if mine.empty:
        return ""
    text_of = dict(zip(docs.doc_id, docs.text))
    title_of = {d: _text(t, s) for d, t, s in zip(docs.doc_id, docs.title, docs.source_path)}
    by_id = measures.set_index("measure_id")
    items = []
    for row in mine.sort_values(["measure_id", "score"], ascending=[True, False]).itertuples():
        here, there = by_id.loc[row.measure_id], by_id.loc[row.other_measure_id]
        ours = html.escape(text_of[row.doc_id][row.start:row.end])
        theirs = html.escape(text_of[row.other_doc_id][row.other_start:row.other_end])
        items.append(
            f'<li><a href="#m{here.seq}">{html.escape(here.label)}</a> ↔ '
            f'<a href="doc-{row.other_doc_id}.html#m{there.seq}">{html.escape(title_of[row.other_doc_id][:20])} '
            f"{html.escape(there.label)}</a> <i>{row.relation} {row.score:.2f}, {row.basis}</i><br>"
            f'<mark class="shared">{ours[:80]}</mark><br>↔ <mark class="shared">{theirs[:80]}</mark></li>')
    return f'<h3>Linked measures ({len(mine)})</h3><ol class="links">{"".join(items)}</ol>'


def _citations(doc: dict, tables: dict[str, pd.DataFrame], pages: set[str]) -> str:
    cites = tables["citations"][tables["citations"].doc_id == doc["doc_id"]]
    if cites.empty:
        return ""
    items = []
    for c in cites.itertuples():
        title = html.escape(f"《{c.title}》" + (f"（{c.doc_number}）" if not _missing(c.doc_number) else ""))
        if not _missing(c.cited_doc_id) and c.cited_doc_id in pages:
            title = f'<a href="doc-{c.cited_doc_id}.html">{title}</a> (in this run)'
        items.append(f"<li>{title}</li>")
    return f"<h3>Citations ({len(cites)})</h3><ol>{''.join(items)}</ol>"


def document_page(doc: dict, tables: dict[str, pd.DataFrame], pages: set[str] = frozenset()) -> str:
    measures = tables["measures"][tables["measures"].doc_id == doc["doc_id"]].sort_values("seq")
    spans = _spans(doc["doc_id"], tables)
    text_html = render_text(doc["text"] or "", measures, spans, pages)
    counts = Counter(kind for _, _, kind, _ in spans)
    toggles = "".join(f'<label style="background:{colour}66"><input type="checkbox" value="{kind}" checked> '
                      f"{label} ({counts[kind]})</label>" for kind, (_, label, colour) in KINDS.items())
    items = "".join(
        f'<li><a href="#m{m.seq}">{html.escape(m.label)}</a> {html.escape(m.text[:24])}… — '
        f"<b>{html.escape(_text(m.lead_canonical if not _missing(m.lead_canonical) else m.lead_department))}</b></li>"
        for m in measures.itertuples())
    meta = "".join(f"<tr><th>{k}</th><td>{html.escape(_date(doc) if k == 'issue_date' else _text(doc.get(k)))}</td></tr>"
                   for k in ("source_path", "title", "notice_title", "issuer", "doc_number", "issue_date", "region",
                             "encoding"))
    aside = (f'<aside><p><a href="index.html">← all documents</a></p><table>{meta}</table>'
             f'<p class="toggles">{toggles}</p><p>Click a highlight to see its row:</p><dl class="row" id="detail">'
             f"</dl><h3>Measures ({len(measures)})</h3><ol>{items}</ol>{_citations(doc, tables, pages)}"
             f"{_linked(doc, tables)}<h3>Spans by measure</h3>{_measure_views(doc, measures, spans)}</aside>")
    return _page(_text(doc.get("title"), doc["source_path"]), f"<main>{text_html}</main>{aside}", _DOC_SCRIPT)


def _date(doc: dict) -> str:
    value = doc.get("issue_date")
    if _missing(value):
        return "—"
    precision = doc.get("issue_date_precision")
    shown = _text(value)
    return shown[: {"month": 7, "year": 4}.get(precision if not _missing(precision) else "day", 10)]


def _bars(title: str, counts: list[tuple[str, int]]) -> str:
    """A horizontal bar chart as inline SVG."""
    if not counts:
        return f"<h3>{html.escape(title)}</h3><p>none</p>"
    top = max(n for _, n in counts) or 1
    rows = "".join(
        f'<text x="0" y="{20 * i + 14}" font-size="12">{html.escape(str(label))}</text>'
        f'<rect x="200" y="{20 * i + 3}" width="{300 * n / top:.0f}" height="14" fill="#5c8fc4"/>'
        f'<text x="{205 + 300 * n / top:.0f}" y="{20 * i + 14}" font-size="12">{n}</text>'
        for i, (label, n) in enumerate(counts))
    return (f'<h3>{html.escape(title)}</h3><svg width="560" height="{20 * len(counts) + 6}" '
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
        label = html.escape(_text(d.title, d.source_path)[:14])
        shapes.append(f'<a href="doc-{d.doc_id}.html"><circle cx="{x:.0f}" cy="{y:.0f}" r="6" fill="#5c8fc4"/>'
                      f'<text x="{x + 8:.0f}" y="{y + 4:.0f}" font-size="11">{label}</text></a>')
    arrow = ('<defs><marker id="arrow" viewBox="0 0 10 10" refX="14" refY="5" markerWidth="6" markerHeight="6" '
             'orient="auto"><path d="M0,0L10,5L0,10z" fill="#c62828"/></marker></defs>')
    return (f'<h3>Citation graph</h3><p>red arrows: cites (resolved in the run); grey: documents with linked '
            f'measures</p><svg width="640" height="480" role="img" aria-label="citation graph">{arrow}'
            f'{"".join(shapes)}</svg>')


def _lead_organs(tables: dict[str, pd.DataFrame]) -> list[tuple[str, int]]:
    """Measures per lead organ: the canonical name and level where known, else the name as written."""
    m = tables["measures"]
    organ = [f"{_text(c)}（{_text(lv, '?')}）" if not _missing(c) else _text(n)
             for c, lv, n in zip(m.lead_canonical, m.lead_level, m.lead_department) if not _missing(n)]
    return Counter(organ).most_common(15)


def index_page(tables: dict[str, pd.DataFrame]) -> str:
    docs = tables["documents"].sort_values("source_path")
    counts = {name: Counter(tables[name].doc_id) for name in ("measures", "targets", "deadlines", "departments",
                                                               "links")}
    rows = []
    for d in docs.to_dict("records"):
        ok = d["status"] == "ok"
        link = (f'<a href="doc-{d["doc_id"]}.html">{html.escape(d["source_path"])}</a>' if ok
                else html.escape(d["source_path"]))
        error = f'<span class="failed">{html.escape(_text(d["error"], ""))}</span>' if not ok else ""
        cells = "".join(f"<td>{counts[name][d['doc_id']]}</td>" for name in counts)
        rows.append(f'<tr data-status="{d["status"]}"><td>{link}</td><td>{d["status"]}</td>'
                    f"<td>{html.escape(_text(d['title'], ''))}</td><td>{html.escape(_text(d['issuer'], ''))}</td>"
                    f"<td>{html.escape(_date(d) if ok else '')}</td><td>{html.escape(_text(d['region'], ''))}</td>"
                    f"{cells}<td>{error}</td></tr>")
    header = "".join(f"<th>{name}</th>" for name in ("file", "status", "title", "issuer", "issued", "region",
                                                     *counts, "error"))
    ok = int((docs.status == "ok").sum())
    controls = (f'<p><input id="filter" placeholder="filter: file, title, issuer, region…" size="40"> '
                f'<select id="status"><option value="">all ({len(docs)})</option><option value="ok">ok ({ok})'
                f'</option><option value="failed">failed ({len(docs) - ok})</option></select> '
                f'showing <span id="shown">{len(docs)}</span> — click a column to sort</p>')
    table = f'<table id="docs"><thead><tr>{header}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    by_year = sorted(Counter(int(y) for y in tables["targets"].deadline_year.dropna()).items())
    measures = tables["measures"]
    coverage = []
    for d in docs[docs.status == "ok"].to_dict("records"):
        m = measures[measures.doc_id == d["doc_id"]]
        share = int(round(100 * m.lead_department.notna().mean())) if len(m) else 0
        coverage.append((d["source_path"][:28], share))
    charts = (_bars("Targets by deadline year", [(str(y), n) for y, n in by_year])
              + _bars("Measures per lead organ (canonical name and level; top 15)", _lead_organs(tables))
              + _bars("Coverage: % of measures with a lead department", coverage) + citation_graph(tables))
    body = (f"<main class='index'><h1>Extraction review</h1><p>{len(docs)} documents, {ok} ok, "
            f"{len(docs) - ok} failed; {len(measures)} measures, {len(tables['targets'])} targets, "
            f"{len(tables['links'])} links</p>{controls}{table}{charts}</main>")
    return _page("Extraction review", body, _INDEX_SCRIPT)


def write_review(output_dir: str | Path) -> Path:
    """Write the review site of the tables in ``output_dir`` into ``output_dir/review`` as one set
    (built beside it, then swapped in); returns the index page."""
    output_dir = Path(output_dir)
    tables = load_tables(output_dir)
    pages = _cited_pages(tables)
    build = Path(tempfile.mkdtemp(prefix=".review-", dir=output_dir))
    try:
        for doc in tables["documents"].to_dict("records"):
            if doc["status"] == "ok":
                (build / f"doc-{doc['doc_id']}.html").write_text(document_page(doc, tables, pages), encoding="utf-8")
        (build / "index.html").write_text(index_page(tables), encoding="utf-8")
        as_umask_allows(build, directory=True)
        site = output_dir / "review"
        old = output_dir / f".review-old-{os.getpid()}"
        if site.exists():
            site.rename(old)
        build.rename(site)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return site / "index.html"

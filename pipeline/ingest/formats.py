"""File formats: saved web pages (.html) and Word files (.docx) become text;
everything else is read as plain text.

For .html and .docx the "raw text" that offsets map back to is the text taken
from the file (block elements and paragraphs become lines, table cells are
separated by two spaces).
"""
from __future__ import annotations

import io
import zipfile

import lxml.html
from lxml import etree

from pipeline.ingest.read import Decoded, ReadError, decode
from pipeline.rules import MATCH_TIMEOUT, Rules

HTML_SUFFIXES = (".html", ".htm", ".shtml", ".xhtml")
DOCX_SUFFIXES = (".docx",)
_DROPPED_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "iframe", "form", "select",
                 "button", "head", "svg", "template")
_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "table", "section", "article", "ul", "ol", "dd", "dt", "dl",
               "center", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "hr"}
_CELL_TAGS = {"td", "th"}


def read_document(data: bytes, source_path: str, rules: Rules) -> Decoded:
    """Text of a document file, by its suffix; raises ``ReadError`` when it cannot be read."""
    suffix = source_path.lower().rsplit(".", 1)[-1] if "." in source_path else ""
    if f".{suffix}" in HTML_SUFFIXES:
        return html_text(data, rules)
    if f".{suffix}" in DOCX_SUFFIXES:
        return docx_text(data)
    return decode(data)


def _walk(element, out: list[str]) -> None:
    if not isinstance(element.tag, str):  # comments and processing instructions
        if element.tail:
            out.append(element.tail)
        return
    tag = element.tag.lower()
    if tag in _BLOCK_TAGS:
        out.append("\n")
    if element.text:
        out.append(element.text)
    for child in element:
        _walk(child, out)
    if tag in _CELL_TAGS:
        out.append("  ")
    if tag in _BLOCK_TAGS:
        out.append("\n")
    if element.tail:
        out.append(element.tail)


def html_text(data: bytes, rules: Rules) -> Decoded:
    """The policy body of a saved web page: chrome elements dropped, blocks as lines.

    lxml parses the broken HTML real sites serve; the metadata table many government
    pages carry (发文机关, 文号, 成文日期) stays as text for the metadata reader.
    """
    decoded = decode(data)
    source = decoded.text.lstrip("\ufeff")
    if source.lstrip().startswith("<?xml"):
        source = source.split("?>", 1)[-1]
    try:
        root = lxml.html.document_fromstring(source)
    except (etree.ParserError, ValueError) as exc:
        raise ReadError(f"not a readable HTML page ({exc}); save the page again or as text") from None
    drop = [r.pattern for r in rules.of("noise", "html_drop")]
    for element in list(root.iter()):
        if not isinstance(element.tag, str) or element.getparent() is None:
            continue
        names = f"{element.get('class', '')} {element.get('id', '')}"
        if element.tag.lower() in _DROPPED_TAGS or any(p.search(names, timeout=MATCH_TIMEOUT) for p in drop):
            element.drop_tree()
    body = root.find("body")
    out: list[str] = []
    _walk(body if body is not None else root, out)
    return Decoded("".join(out), f"html:{decoded.encoding}")


def docx_text(data: bytes) -> Decoded:
    """Paragraphs and table rows of a Word file, in document order."""
    import docx  # python-docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError) as exc:
        raise ReadError(f"not a readable .docx file ({type(exc).__name__}); open and re-save it in Word, "
                        "or export it to text") from None
    lines: list[str] = []
    for child in document.element.body.iterchildren():
        tag = etree.QName(child).localname
        if tag == "p":
            lines.append(Paragraph(child, document).text)
        elif tag == "tbl":
            for row in Table(child, document).rows:
                lines.append("  ".join(cell.text.strip() for cell in row.cells))
    return Decoded("\n".join(lines), "docx")

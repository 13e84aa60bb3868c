"""File formats: saved web pages (.html) and Word files (.docx) become text;
everything else is read as plain text.

For .html and .docx the "raw text" that offsets map back to is the text taken
from the file (block elements and paragraphs become lines, table cells are
separated by two spaces); ``pipeline.ingest.html`` says how a page's body is found.
"""
from __future__ import annotations

import io
import zipfile

from lxml import etree

from pipeline.ingest.html import html_text
from pipeline.ingest.read import Decoded, ReadError, decode
from pipeline.rules import Rules

HTML_SUFFIXES = (".html", ".htm", ".shtml", ".xhtml")
DOCX_SUFFIXES = (".docx",)


def read_document(data: bytes, source_path: str, rules: Rules) -> Decoded:
    """Text of a document file, by its suffix; raises ``ReadError`` when it cannot be read."""
    suffix = source_path.lower().rsplit(".", 1)[-1] if "." in source_path else ""
    if f".{suffix}" in HTML_SUFFIXES:
        return html_text(data, rules)
    if f".{suffix}" in DOCX_SUFFIXES:
        return docx_text(data)
    return decode(data)


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

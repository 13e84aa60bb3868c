"""File formats: saved web pages (.html) and Word files (.docx) become text;
everything else is read as plain text.

For .html and .docx the "raw text" that offsets map back to is the text taken
from the file (block elements and paragraphs become lines, table cells are
separated by two spaces); ``pipeline.ingest.html`` says how a page's body is found.
"""
from __future__ import annotations

import io
import zipfile
import zlib

from lxml import etree

from pipeline.ingest.docx_numbering import Numbering
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


MAX_DOCX_EXPANSION = 200 * 2**20  # bytes a .docx may unpack to (its text is a small part of it)


def _check_unpacked_size(data: bytes) -> None:
    """Refuse a .docx that would unpack to more than ``MAX_DOCX_EXPANSION`` (a zip bomb)
    before anything is decompressed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ReadError(f"not a readable .docx file ({type(exc).__name__}: the file is damaged or not a .docx); "
                        "open and re-save it in Word, or export it to text") from None
    if unpacked > MAX_DOCX_EXPANSION:
        raise ReadError(f"the .docx unpacks to {unpacked / 2**20:.0f} MB (more than "
                        f"{MAX_DOCX_EXPANSION / 2**20:.0f} MB): it is damaged or not a document; re-save it in Word")


def docx_text(data: bytes) -> Decoded:
    """Paragraphs and table rows of a Word file, in document order (a paragraph with the list
    number Word draws before it, a row's cells two spaces apart and a blank line after it)."""
    import docx  # python-docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    _check_unpacked_size(data)
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError, zlib.error, EOFError, OSError) as exc:
        raise ReadError(f"not a readable .docx file ({type(exc).__name__}: the file is damaged); open and re-save "
                        "it in Word, or export it to text") from None
    numbering = Numbering(document)
    lines: list[str] = []
    for child in document.element.body.iterchildren():
        tag = etree.QName(child).localname
        if tag == "p":  # with the list number Word draws itself (一、 of a numbered list)
            lines.append(numbering.label(child) + Paragraph(child, document).text)
        elif tag == "tbl":
            for row in Table(child, document).rows:  # a blank line after each row, as in a web table
                lines += ["  ".join(cell.text.strip() for cell in row.cells), ""]
    return Decoded("\n".join(lines), "docx")

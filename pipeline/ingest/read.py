"""Read: raw bytes -> text, with the encoding detected and recorded.

A file that is not text raises ``ReadError`` with a sentence a person can act on.
"""
from __future__ import annotations

import codecs
from dataclasses import dataclass

import regex

from pipeline.ingest.normalise import to_simplified


class ReadError(ValueError):
    """The bytes are not a text document; the message says what they look like."""


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    fields: tuple = ()  # (PageField, …) a web page's own metadata box declares


_SIGNATURES: list[tuple[bytes, str]] = [
    (b"%PDF", "a PDF: convert it to text first (e.g. pdftotext) and re-run"),
    (b"\x89PNG", "a PNG image: there is no text to read"),
    (b"\xff\xd8\xff", "a JPEG image: there is no text to read"),
    (b"GIF8", "a GIF image: there is no text to read"),
    (b"PK\x03\x04", "a ZIP archive or an Office file (.docx/.xlsx): unpack or convert it to text first"),
    (b"\xd0\xcf\x11\xe0", "a legacy Office file (.doc/.xls): save it as .docx or text first"),
    (b"\x1f\x8b", "a gzip archive: decompress it first"),
    (b"Rar!", "a RAR archive: unpack it first"),
    (b"\x7fELF", "a program (ELF binary), not a document"),
]
_BOMS = [(codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")]
_CANDIDATES = ("gb18030", "big5")


_NOT_CJK = regex.compile(r"[^\u4e00-\u9fff]+")
_HAN = regex.compile(r"\p{Han}")
_NOT_LEVEL_1 = bytes(b for b in range(256) if not 0xB0 <= b <= 0xD7)  # GB2312 lead bytes of level 1


def han_count(text: str) -> int:
    """How many Han characters ``text`` holds."""
    return len(_HAN.findall(text))


def _common_han_share(text: str) -> float:
    """Share of Han characters that are common (GB2312 level 1 once simplified).

    A wrong legacy decoding produces rare characters; the right one mostly common ones. In
    GB2312 a Han character is two bytes, so the lead bytes of those it has are every other
    byte of their encoding.
    """
    han = _NOT_CJK.sub("", to_simplified(text[:20000]))
    if not han:
        return 0.0
    leads = han.encode("gb2312", errors="ignore")[0::2]
    return len(leads.translate(None, _NOT_LEVEL_1)) / len(han)


_PRINTABLE_ASCII = bytes(range(0x20, 0x7F)) + b"\t\n\r"
_CONTROLS = regex.compile(r"[\x00-\x08\x0e-\x1f\ufffd]")  # and what did not decode
_NOT_CONTROL = bytes(b for b in range(256) if not (b < 9 or 13 < b < 32))  # tab, line breaks, form feed are text


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    controls = len(sample.translate(None, _NOT_CONTROL))  # what is left when all else is deleted
    return controls > len(sample) * 0.01


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 without a byte-order mark: Latin text shows as NUL bytes on one side; Chinese text
    (no NULs) as a decoding that is mostly common Han characters and no control characters."""
    sample = data[:4096]
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) // 2 or 1
    if odd_nuls > half * 0.3 and even_nuls < half * 0.05:
        return "utf-16-le"
    if even_nuls > half * 0.3 and odd_nuls < half * 0.05:
        return "utf-16-be"
    if len(sample) < 16:
        return None
    try:  # valid UTF-8 is never taken for UTF-16; the sample may end inside a character
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return None
    except UnicodeDecodeError:
        pass
    if len(sample.translate(None, _PRINTABLE_ASCII)) < len(sample) * 0.1:
        return None  # ASCII text read two bytes at a time looks like Han; Han in UTF-16 has bytes above 0x7E
    for encoding in ("utf-16-le", "utf-16-be"):
        text = sample[: len(sample) // 2 * 2].decode(encoding, errors="replace")
        controls = len(_CONTROLS.findall(text))
        if controls <= len(text) * 0.01 and _common_han_share(text) > 0.6:
            return encoding
    return None


def _decode_damaged(data: bytes, codec: str, name: str) -> Decoded:
    """Decode, replacing bytes that do not decode (a copy cut off mid-character, an odd byte
    count); the encoding then says how many characters were replaced."""
    try:
        return Decoded(data.decode(codec), name)
    except UnicodeDecodeError:
        return _replaced(name, *_undecodable(data, codec))


def _undecodable(data: bytes, codec: str) -> tuple[str, int]:
    """The text with U+FFFD for each byte sequence that does not decode, and how many those are."""
    text = data.decode(codec, errors="replace")
    return text, text.count("\ufffd") - data.decode(codec, errors="ignore").count("\ufffd")


def _replaced(name: str, text: str, bad: int) -> Decoded:
    return Decoded(text, f"{name} ({bad} undecodable byte sequence(s) replaced)")


def decode(data: bytes) -> Decoded:
    """Decode document bytes; raise ``ReadError`` when they are not text."""
    if not data.strip():
        raise ReadError("file is empty" if not data else "file holds only white space")
    for signature, what in _SIGNATURES:
        if data.startswith(signature):
            raise ReadError(f"not text: looks like {what}")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode_damaged(data, encoding, "utf-16" if encoding == "utf-16" else "utf-8-sig")
    utf16 = _utf16_without_bom(data)
    if utf16:
        return _decode_damaged(data, utf16, utf16)
    if _looks_binary(data):
        raise ReadError("not text: the file holds binary bytes (control characters); "
                        "check that it is a text export of the document")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _legacy(data)
    return _unmangled(text) or Decoded(text, "utf-8")


def _legacy(data: bytes) -> Decoded:
    """Bytes that are not UTF-8: GB18030 or Big5, whichever reads as common Han; UTF-8 or a
    legacy encoding with a few undecodable byte sequences (a cut, a stray byte), replaced."""
    decoded = []
    for encoding in _CANDIDATES:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        decoded.append((_common_han_share(text), encoding, text))
    share, encoding, text = max(decoded, key=lambda d: d[0]) if decoded else (0.0, None, None)
    if share > LEGACY_SHARE:
        return Decoded(text, encoding)
    damaged, bad = _undecodable(data, "utf-8")  # text in a legacy encoding fails on nearly every Han
    if bad <= max(1, len(damaged) * DAMAGED_SHARE):
        return _replaced("utf-8", damaged, bad)
    for codec in _CANDIDATES:  # a legacy copy with a stray byte or two: only if it then reads as common Han
        damaged, bad = _undecodable(data, codec)
        if bad <= max(3, len(damaged) * DAMAGED_SHARE) and _common_han_share(damaged) > LEGACY_SHARE:
            return _replaced(codec, damaged, bad)
    if encoding is None:
        raise ReadError("cannot decode: the bytes are not valid UTF-8, UTF-16, GB18030 or Big5; "
                        "re-save the file as UTF-8")
    return Decoded(text, encoding)


_LATIN_1_SUPPLEMENT = regex.compile(r"[\u0080-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]")


def _as_single_bytes(text: str) -> bytes | None:
    """The bytes a Latin-1 / Windows-1252 reading turned into ``text`` (None if it is not one)."""
    out = bytearray()
    for c in text:
        if ord(c) < 256:
            out.append(ord(c))
        else:
            try:
                out += c.encode("cp1252")
            except UnicodeEncodeError:
                return None
    return bytes(out)


def _unmangled(text: str) -> Decoded | None:
    """Mojibake: Chinese bytes once read as Latin-1 or Windows-1252 and saved as UTF-8
    (ºÚÁú½­Ê¡ -> 黑龙江省, é»\x91é¾\x99 -> 黑龙). Repaired when such characters make up most of
    the text, it has almost no Han, and its bytes decode to common Han characters."""
    sample = text[:20000]
    mangled = len(_LATIN_1_SUPPLEMENT.findall(sample))
    if mangled < 0.3 * len(sample.strip()) or han_count(sample) > 0.02 * len(sample):
        return None
    data = _as_single_bytes(text)
    if data is None:
        return None
    try:
        repaired = decode(data)
    except ReadError:
        return None
    if _common_han_share(repaired.text) <= LEGACY_SHARE:
        return None
    return Decoded(repaired.text, f"{repaired.encoding} (repaired: it had been read as Latin-1)")


LEGACY_SHARE = 0.6  # common Han characters from which a legacy decoding is right (a wrong one: rare ones)
DAMAGED_SHARE = 0.01  # share of a text's characters that may be undecodable in a damaged copy

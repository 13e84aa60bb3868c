"""Citations resolved inside the run: by doc number first, then by the normalised title."""
from __future__ import annotations

import regex

from pipeline.ingest.normalise import to_simplified

_MARKS = regex.compile(r"[《》〈〉<>「」『』“”\"'\s]")
_FORWARDED = regex.compile(r"印发(?P<inner>.+?)的?(?:通知|通报)$")  # X印发《Y》的通知 -> Y
_OPENING = regex.compile(r"^.*?关于(?!印发)")  # the issuer before 关于 (not 关于印发, handled above)


def title_key(title: str | None) -> str | None:
    """A title reduced to what two spellings of it share: no quotation marks or spaces, the
    forwarding wrapper (…关于印发《Y》的通知) and the issuer before 关于 dropped, no 的;
    traditional characters simplified. None when nothing distinctive is left."""
    if not title:
        return None
    key = _MARKS.sub("", to_simplified(title))
    if m := _FORWARDED.search(key):
        key = m.group("inner")
    key = _OPENING.sub("", key).replace("的", "")
    return key if len(key) >= 6 else None


def resolve(documents: list[dict], citations: list[dict]) -> list[str | None]:
    """The ``doc_id`` each citation names among ``documents`` (never the citing one), or None."""
    by_number: dict[str, str] = {}
    by_title: dict[str, str] = {}
    for doc in sorted(documents, key=lambda d: d["doc_id"]):  # the smallest id wins a tie
        if doc.get("status") != "ok" or doc.get("duplicate_of"):
            continue
        if doc.get("doc_number"):
            by_number.setdefault(doc["doc_number"], doc["doc_id"])
        for title in (doc.get("title"), doc.get("notice_title")):
            if key := title_key(title):
                by_title.setdefault(key, doc["doc_id"])
    resolved = []
    for c in citations:
        found = by_number.get(c.get("doc_number") or "") or by_title.get(title_key(c.get("title")) or "")
        resolved.append(found if found != c["doc_id"] else None)
    return resolved


def targets_of(citation: dict, cited_doc_id: str | None) -> list[str]:
    """What a citation points at, resolved or not (its document, doc number and title key):
    two documents citing the same target are siblings even when it is not in the run, and
    whether one writes its doc number and the other only its title."""
    keys = [f"doc:{cited_doc_id}"] if cited_doc_id else []
    if citation.get("doc_number"):
        keys.append(f"number:{citation['doc_number']}")
    if key := title_key(citation.get("title")):
        keys.append(f"title:{key}")
    return keys

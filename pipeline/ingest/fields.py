"""Metadata fields a page or a copy declares about itself (索引号, 发文机关, 成文日期 …).

Labels come from ``[[page_field]]`` rules in ``rules/metadata.toml``. A label may be
letter-spaced (文　　号, 索 引 号) or bracketed (【发布部门】), and its value follows a
colon, a space, the bracket, or stands in the next cell.
"""
from __future__ import annotations

from dataclasses import dataclass

import regex

from pipeline.rules import Rule, Rules


@dataclass(frozen=True)
class PageField:
    """One label and value of a metadata box or metadata line."""

    field: str
    label: str
    value: str


class FieldLabels:
    """Labels of metadata fields: 发文机关 -> issuer."""

    def __init__(self, rules: list[Rule]) -> None:
        self.field_of = {label: r.get("field") for r in rules for label in r.get("labels", [])}
        self.alone = {r.get("field") for r in rules if r.get("alone", True)}  # may stand on a line alone
        spaced = "|".join(r"\s*".join(regex.escape(c) for c in label)
                          for label in sorted(self.field_of, key=len, reverse=True))
        # 【label】value, or a label at the start of the text or after a space, then a colon,
        # a space or the end of the text
        self.label = regex.compile(
            rf"[【\[](?P<label>{spaced})[】\]]\s*[:：]?\s*|(?:^|(?<=\s))(?P<label>{spaced})\s*(?:[:：]\s*|\s+|$)"
        ) if spaced else None

    def fields(self, text: str) -> list[tuple[str, str, str]]:
        """Every ``(field, label, value)`` in ``text`` when it starts with a label, else []:
        发布日期：2024-09-12 浏览次数：… or 组配分类 区政府规范性文件 发布机构 区政府办公室."""
        found = list(self.label.finditer(text)) if self.label else []
        if not found or text[:found[0].start()].strip():
            return []
        out = []
        for m, after in zip(found, found[1:] + [None]):
            label = regex.sub(r"\s+", "", m.group("label"))
            value = " ".join(text[m.end():after.start() if after else len(text)].split())
            out.append((self.field_of[label], label, value))
        return out

    @classmethod
    def of(cls, rules: Rules) -> "FieldLabels":
        """The labels of a rule set's ``[[page_field]]`` rules (``rules.derived(FieldLabels.of)``)."""
        return cls(rules.of("metadata", "page_field"))

    def split(self, text: str) -> tuple[str, str, str] | None:
        """The first ``(field, label, value)`` of ``text`` when it starts with a label."""
        found = self.fields(text)
        return found[0] if found else None

"""Saved web pages: the policy body and the page's own metadata box, without the page chrome.

How the body is found (nothing here knows a site):
1. elements that never show text go: scripts, forms, and anything hidden
   (``display:none``, ``visibility:hidden``, ``hidden``, ``aria-hidden``) -- many pages
   carry a hidden second copy of the body for text-to-speech or sharing; so do blocks of
   links a chrome label opens (相关文章: ``[[tail]]`` rules with ``html_block``);
2. the metadata box (索引号, 发文机关, 成文日期 …, ``[[page_field]]`` in
   ``rules/metadata.toml``) is read into fields and removed;
3. the main block is the element where running text concentrates (paragraph scores
   passed to parent and grandparent, as Readability does; long link titles count half,
   so a listing page finds its list), plus siblings that hold running text too; the
   heading just before it is read as the page's title field, not as body text;
4. inside the main block chrome goes: elements whose
   class or id names chrome (``[[html_chrome]]`` tokens in ``rules/noise.toml``; camelCase,
   snake_case and kebab-case names are split into words) and blocks of short links
   (navigation, pagination, tool rows).
Block elements become lines and table cells are separated by two spaces; the text
line rules of the clean stage then see it like any text copy.
"""
from __future__ import annotations

from collections.abc import Iterator

import lxml.html
import regex
from lxml import etree

from pipeline.ingest.fields import FieldLabels, PageField
from pipeline.ingest.read import Decoded, ReadError, decode, han_count
from pipeline.rules import Rule, Rules

_DROPPED_TAGS = {"script", "style", "noscript", "nav", "header", "footer", "iframe", "form", "select", "button",
                 "head", "svg", "template", "input", "textarea", "object", "embed", "canvas", "audio", "video",
                 "aside", "map", "title", "meta", "link"}
BLOCK_TAGS = {"p", "div", "br", "li", "tr", "table", "section", "article", "ul", "ol", "dd", "dt", "dl", "center",
              "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "main", "tbody", "thead", "td", "th"}
_CELL_TAGS = {"td", "th"}
_HEADINGS = {"h1", "h2", "h3"}
_HIDDEN_STYLE = regex.compile(r"(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)\b", regex.I)
_NAME_WORD = regex.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_BOX_CHARS = 3000
_LIST_LINK_CHARS = 10  # a link title this long is content (a listing page's entry), not navigation


def name_tokens(names: str) -> list[str]:
    """The words of class and id names: ``mainNav share_box go-top`` -> main nav share box go top."""
    return [w.lower() for w in _NAME_WORD.findall(names)]


class ChromeNames:
    """Class/id words that name page chrome, from ``[[html_chrome]]`` rules."""

    def __init__(self, rules: list[Rule]) -> None:
        self.words = {w.lower() for r in rules for w in r.get("tokens", [])}
        self.joined = tuple(sorted(self.words, key=len, reverse=True))

    @classmethod
    def of(cls, rules: Rules) -> "ChromeNames":
        """The words of a rule set's ``[[html_chrome]]`` rules (``rules.derived(ChromeNames.of)``)."""
        return cls(rules.of("noise", "html_chrome"))

    def _words(self, names: str) -> Iterator[str]:
        tokens = name_tokens(names)
        yield from (a + b for a, b in zip(tokens, tokens[1:]))  # hotKey -> hotkey
        for token in tokens:
            yield token
            # names written without separators: gotop, printbtn, sharebox, mainnav
            for word in self.joined:
                if len(word) >= 3 and len(token) > len(word) and (token.startswith(word) or token.endswith(word)):
                    yield word

    def names_chrome(self, names: str) -> bool:
        return any(w in self.words for w in self._words(names))


def _text(element) -> str:
    return "".join(element.itertext())


def _is_hidden(element) -> bool:
    return (_HIDDEN_STYLE.search(element.get("style", "")) is not None or element.get("hidden") is not None
            or element.get("aria-hidden", "").lower() == "true")


def _remove_invisible(root) -> None:
    """Drop what a reader never sees. A hidden element holding most of the page's text is a veil
    that scripts lift once the page loads (``<body style="visibility:hidden">``), not hidden text;
    a hidden second copy of the body holds half of it at most."""
    total = han_count(_text(root)) or 1
    for element in list(root.iter()):
        if element.getparent() is None:
            continue
        if not isinstance(element.tag, str) or element.tag.lower() in _DROPPED_TAGS:
            element.drop_tree()  # keeps the text that follows the element
        elif _is_hidden(element) and han_count(_text(element)) < 0.8 * total:
            element.drop_tree()


def _remove_labelled_link_blocks(root, labels: list[regex.Pattern]) -> None:
    """Drop the blocks of links a chrome label opens (相关文章, 推荐阅读: ``[[tail]]`` rules with
    ``html_block``), whatever their links' length: next to a listing page's own list, such a
    block of long titles would read as the page's body. The page's text is counted only when a
    label is found, as most pages have none."""
    total = None
    for element in list(root.iter(*BLOCK_TAGS)):
        if element.getparent() is None or not _still_attached(element, root):
            continue
        opening = next((t.strip() for t in element.itertext() if t.strip()), "")
        if not (opening and any(label.match(opening) for label in labels) and len(element.findall(".//a")) >= 2):
            continue
        total = total or han_count(_text(root)) or 1
        if han_count(_text(element)) < 0.9 * total:  # not the page itself
            element.drop_tree()


# -- metadata box ---------------------------------------------------------------------------

def _is_block(element) -> bool:
    return isinstance(element.tag, str) and element.tag.lower() in BLOCK_TAGS


def _pieces(element, out: list[str]) -> None:
    """Texts of a box in document order: each innermost block whole, other text as it comes."""
    if not any(_is_block(d) for d in element.iterdescendants()):
        out.append(" ".join(_text(element).split()))
        return
    out.append(" ".join((element.text or "").split()))
    for child in element:
        if any(_is_block(d) for d in child.iter()):
            _pieces(child, out)
        elif isinstance(child.tag, str):
            out.append(" ".join(_text(child).split()))
        out.append(" ".join((child.tail or "").split()))


def _box_fields(element, labels: FieldLabels) -> list[PageField]:
    """Fields of a box: a label and its value in one piece (发文机关：X) or in the next one."""
    pieces: list[str] = []
    _pieces(element, pieces)
    pieces = [p for p in pieces if p]
    fields = []
    for i, piece in enumerate(pieces):
        found = labels.fields(piece)
        for n, (field, label, value) in enumerate(found):
            last = n == len(found) - 1
            if not value and last and i + 1 < len(pieces) and not labels.fields(pieces[i + 1]):
                value = pieces[i + 1]
            if value:
                fields.append(PageField(field, label, value))
    return fields


def _read_boxes(root, labels: FieldLabels) -> list[PageField]:
    """Read and remove metadata boxes: the largest elements whose text is mostly two or more fields."""
    fields: list[PageField] = []
    for element in list(root.iter("table", "ul", "dl", "div", "ol")):
        if element.getparent() is None or not _still_attached(element, root):
            continue
        if len(_text(element)) > _BOX_CHARS:  # a box is small; the body is not one
            continue
        found = _box_fields(element, labels)
        if len({f.field for f in found}) < 2:
            continue
        text = "".join(_text(element).split())
        field_chars = sum(len(f.label) + len(f.value.replace(" ", "")) for f in found)
        if field_chars >= 0.7 * len(text):
            fields += found
            element.drop_tree()
    return fields


def _still_attached(element, root) -> bool:
    return any(a is root for a in element.iterancestors())


def _head_fields(root) -> list[PageField]:
    """The title the page declares in its head (``<meta name="ArticleTitle">``), and its
    ``<title>`` up to the site's name after it (某县人民政府关于…的通知_某县人民政府网)."""
    fields = []
    for meta in root.iter("meta"):
        if (meta.get("name") or "").lower() == "articletitle" and (meta.get("content") or "").strip():
            fields.append(PageField("title", "ArticleTitle", " ".join(meta.get("content").split())))
            break
    title = root.find(".//title")
    named = _SITE_NAME_AFTER.split(" ".join(_text(title).split()))[0] if title is not None else ""
    if named:
        fields.append(PageField("head_title", "title", named))
    return fields


# what separates a page's title from the site's name in its <title>: _ | ｜ - — ——
_SITE_NAME_AFTER = regex.compile(r"\s*(?:[_|｜]|\s[-—]+\s|——|-(?=[^-]*$))\s*")

# -- main block -----------------------------------------------------------------------------

def _link_chars(element) -> int:
    return sum(han_count(_text(a)) for a in element.iter("a"))


def _scores(root) -> dict:
    """Readability-style scores: each block's running text (link text excluded, long link
    titles counted half) added to its parent and half to its grandparent."""
    scores: dict = {}
    for element in root.iter():
        if not isinstance(element.tag, str) or element.tag.lower() not in BLOCK_TAGS:
            continue
        own = han_count(element.text or "") + sum(han_count(c.tail or "") for c in element)
        for child in element:
            if isinstance(child.tag, str) and child.tag.lower() not in BLOCK_TAGS:
                if child.tag.lower() == "a" or child.find(".//a") is not None:
                    n = han_count(_text(child))
                    own += n / 2 if n >= _LIST_LINK_CHARS else 0
                else:
                    own += han_count(_text(child))
        if own < 1:
            continue
        score = own + 0.1 * own * min(3, (element.text or "").count("，") + 1)
        parent = element.getparent()
        for ancestor, share in ((parent, 1.0), (parent.getparent() if parent is not None else None, 0.5)):
            if ancestor is not None:
                scores[ancestor] = scores.get(ancestor, 0.0) + score * share
    return scores


def _class_and_id(element) -> str:
    """The names an element's class and id give it (what [[html_chrome]] tokens are looked for in)."""
    return f"{element.get('class', '')} {element.get('id', '')}"


def _main_blocks(root, chrome: ChromeNames) -> list:
    """The main block and those of its siblings that hold running text too and are not named
    as chrome (a footer's address and licence lines are running text of a kind)."""
    scores = _scores(root)
    if not scores:
        return [root]
    top = max(scores, key=lambda e: scores[e])
    parent = top.getparent()
    if parent is None:
        return [top]
    blocks = []
    for sibling in parent:
        if sibling is top:
            blocks.append(sibling)
            continue
        if not isinstance(sibling.tag, str) or chrome.names_chrome(_class_and_id(sibling)):
            continue
        text = _text(sibling)
        han = han_count(text)
        if han and scores.get(sibling, 0.0) >= 0.2 * scores[top] and _link_chars(sibling) < 0.33 * han:
            blocks.append(sibling)
    return blocks


def _heading_before(root, first) -> object | None:
    """The page heading just before the main block (its title), if one stands there."""
    heading = None
    for element in root.iter():
        if element is first:
            break
        if isinstance(element.tag, str) and element.tag.lower() in _HEADINGS and element.find(".//a") is None:
            if 6 <= han_count(_text(element)) <= 200:
                heading = element
    return heading


def _short_link_block(element) -> bool:
    """Navigation, pagination and tool rows: three or more links, short, that make up the block."""
    links = [han_count(_text(a)) + len(regex.findall(r"\w", _text(a))) for a in element.iter("a")]
    if len(links) < 3:
        return False
    text = len(regex.findall(r"\w", _text(element)))
    return sum(links) >= 0.7 * text and sum(links) / len(links) <= 8


def _remove_chrome(block, chrome: ChromeNames) -> None:
    total = han_count(_text(block)) or 1
    for element in list(block.iter()):
        if element is block or not isinstance(element.tag, str) or not _still_attached(element, block):
            continue
        small = han_count(_text(element)) < 0.3 * total
        if small and (chrome.names_chrome(_class_and_id(element)) or _short_link_block(element)):
            element.drop_tree()


def _walk(element, out: list[str]) -> None:
    """The text of an element and its descendants (not its tail): blocks as lines, cells apart.
    Iterative, so Word exports nested thousands of tags deep are read whole."""
    stack: list = [("open", element)]
    while stack:
        step, node = stack.pop()
        if step == "text":
            out.append(node)
            continue
        if not isinstance(node.tag, str):
            continue
        tag = node.tag.lower()
        block = tag in BLOCK_TAGS and tag not in _CELL_TAGS
        if step == "close":
            out.append("  " if tag in _CELL_TAGS else "\n" if block else "")
            continue
        if block:
            out.append("\n")
        if node.text:
            out.append(node.text)
        stack.append(("close", node))
        for child in reversed(node):
            if child.tail:
                stack.append(("text", child.tail))
            stack.append(("open", child))


def _parse(data: bytes):
    decoded = decode(data)
    source = decoded.text.lstrip("\ufeff")
    if source.lstrip().startswith("<?xml"):
        source = source.split("?>", 1)[-1]
    try:  # huge_tree: Word exports nest thousands of unclosed tags deep
        return decoded, lxml.html.document_fromstring(source, parser=lxml.html.HTMLParser(huge_tree=True))
    except (etree.ParserError, ValueError) as exc:
        raise ReadError(f"not a readable HTML page ({exc}); save the page again or as text") from None


def html_text(data: bytes, rules: Rules) -> Decoded:
    """The policy body of a saved web page and the fields of its metadata box."""
    decoded, root = _parse(data)
    declared = _head_fields(root)
    _remove_invisible(root)
    _remove_labelled_link_blocks(root, [r.pattern for r in rules.of("noise", "tail") if r.get("html_block")])
    fields = _read_boxes(root, rules.derived(FieldLabels.of)) + declared
    body = root.find("body")
    body = body if body is not None else root
    chrome = rules.derived(ChromeNames.of)
    blocks = _main_blocks(body, chrome)
    heading = _heading_before(body, blocks[0])
    if heading is not None:  # the page's heading names the page; the body keeps its own title
        fields.append(PageField("title", heading.tag.lower(), " ".join(_text(heading).split())))
    out: list[str] = []
    for block in blocks:
        _remove_chrome(block, chrome)
        _walk_alone(block, out)
    return Decoded("".join(out), f"html:{decoded.encoding}", tuple(fields))


def _walk_alone(element, out: list[str]) -> None:
    """An element's text (without the text that follows it in its parent), then a line end."""
    _walk(element, out)
    out.append("\n")

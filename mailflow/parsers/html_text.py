"""Readable plain text from mail HTML, with the quoted old mail marked as ``> `` lines.

Many clients (GMX, web.de, Outlook on the web, Apple Mail) send replies as HTML only, and people
paste forms into them. The reply parser and form reader work on plain text, and they drop quoted
lines; so this module keeps what a reader sees (paragraphs, line breaks, list numbers, link texts)
and marks what the client marks as the quoted mail: ``<blockquote>``, Gmail's ``div.gmail_quote``,
Yahoo's ``div.yahoo_quoted``, GMX/web.de's ``<div name="quote">``, and everything after Outlook's
reply divider (``#divRplyFwdMsg``, ``#appendonsend``, ``<hr tabindex="-1">`` or the Word
``border-top`` header box). The standard library's tolerant ``html.parser`` reads the tags;
unbalanced tags are closed when an outer one closes, as browsers do.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

_SKIPPED = frozenset({"head", "title", "style", "script", "template", "noscript", "xml", "svg",
                      "object"})
_VOID = frozenset({"br", "img", "hr", "meta", "link", "input", "col", "area", "base", "wbr",
                   "source", "embed", "param", "track", "basefont", "frame", "keygen"})
_BLOCKS = frozenset({"p", "div", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li",
                     "table", "tr", "pre", "address", "section", "article", "header", "footer",
                     "aside", "nav", "dl", "dt", "dd", "center", "form", "fieldset", "hr", "body",
                     "html", "main", "figure", "caption"})
_QUOTE_CLASSES = frozenset({"gmail_quote", "yahoo_quoted", "moz-cite", "ms-outlook-quote"})
_OUTLOOK_DIVIDER_IDS = frozenset({"divrplyfwdmsg", "appendonsend", "x_divrplyfwdmsg",
                                  "x_appendonsend"})
_WORD_HEADER_BOX = re.compile(r"border:\s*none.*border-top:\s*solid", re.IGNORECASE | re.DOTALL)
_SPACES = re.compile(r"[ \t\n\r\f]+")


def html_to_text(html: str) -> str:
    """Plain text of ``html``: one line per paragraph, ``<br>`` or ``<div>``,
    quoted mail as ``> `` lines."""
    reader = _TextReader()
    try:
        reader.feed(html or "")
        reader.close()
    except Exception:  # noqa: BLE001
        pass  # html.parser is tolerant; anything left over is still text we have
    return reader.text()


@dataclass
class _OpenTag:
    name: str
    quote: bool = False
    ordered: bool = False
    spaced: bool = False  # a paragraph with a margin: an empty line follows it
    items: int = 0


@dataclass
class _Line:
    depth: int = 0
    words: list[str] = field(default_factory=list)
    touched: bool = False  # had content, even only a non-breaking space: an intended empty line


class _TextReader(HTMLParser):
    """Collects lines with their quote depth while html.parser walks the tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[_OpenTag] = []
        self.lines: list[tuple[int, str]] = []
        self.line = _Line(0)
        self.skipping = 0
        self.preformatted = 0
        self.after_outlook_divider = False

    # --- tags ---

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name.lower(): value or "" for name, value in attrs}
        if tag in _VOID:
            self._void(tag, attributes)
            return
        word_paragraph = "msonormal" in attributes.get("class", "").lower()
        opened = _OpenTag(tag, quote=_is_quote(tag, attributes), ordered=tag == "ol",
                          spaced=tag == "p" and not word_paragraph)
        if self._starts_outlook_quote(tag, attributes):
            self.after_outlook_divider = True
        self._enter(opened)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        names = [opened.name for opened in self.open]
        if tag not in names:
            return
        while self.open:
            closed = self.open.pop()
            self._leave(closed)
            if closed.name == tag:
                break

    def _enter(self, opened: _OpenTag) -> None:
        if opened.name in _BLOCKS:
            self._break()
        self.open.append(opened)
        self.skipping += opened.name in _SKIPPED
        self.preformatted += opened.name == "pre"
        if opened.name == "li":
            self._list_marker()
        elif opened.name in ("td", "th") and self.line.words:
            self._add(" ")

    def _leave(self, closed: _OpenTag) -> None:
        if closed.name in _BLOCKS:
            self._break()
        self.skipping -= closed.name in _SKIPPED
        self.preformatted -= closed.name == "pre"
        if closed.spaced and not self.skipping:
            self._blank_line_after_paragraph()

    def _void(self, tag: str, attributes: dict[str, str]) -> None:
        if tag == "br":
            self._add("")
            self._break()
        elif tag == "hr":
            self._break()
            # Outlook's reply divider
            self.after_outlook_divider |= attributes.get("tabindex") == "-1"
        elif tag == "img" and attributes.get("alt") and not self.skipping:
            self.handle_data(attributes["alt"])

    def _starts_outlook_quote(self, tag: str, attributes: dict[str, str]) -> bool:
        if tag != "div" or self.after_outlook_divider:
            return False
        return (attributes.get("id", "").lower() in _OUTLOOK_DIVIDER_IDS
                or bool(_WORD_HEADER_BOX.search(attributes.get("style", ""))))

    def _list_marker(self) -> None:
        parent = next((o for o in reversed(self.open[:-1]) if o.name in ("ol", "ul")), None)
        if parent is not None and parent.ordered:
            parent.items += 1
            self._add(f"{parent.items}. ")
        else:
            self._add("- ")

    # --- text ---

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if self.preformatted:
            self._preformatted(data)
            return
        text = _SPACES.sub(" ", data)
        if text == " " and not self.line.words:
            return
        self._add(text)

    def _preformatted(self, data: str) -> None:
        first, *rest = data.replace("\r\n", "\n").split("\n")
        self._add(first)
        for part in rest:
            self._break(force=True)
            self._add(part)

    def _add(self, text: str) -> None:
        """Append to the current line; its quote depth is where its first content stands."""
        if not self.line.touched:
            self.line.depth = self._depth()
        self.line.words.append(text)
        self.line.touched = True

    # --- lines ---

    def _depth(self) -> int:
        return sum(opened.quote for opened in self.open) + self.after_outlook_divider

    def _break(self, force: bool = False) -> None:
        """End the current line if it has anything in it (or always, for a <br>)."""
        if self.line.touched or force:
            words = "".join(self.line.words).replace("\xa0", " ")
            kept = words.strip() if not self.preformatted else words.rstrip()
            self.lines.append((self.line.depth, kept))
        self.line = _Line(0)

    def _blank_line_after_paragraph(self) -> None:
        """Word's MsoNormal paragraphs have no margin;
        other paragraphs are set apart by an empty line."""
        if self.lines and self.lines[-1][1]:
            self.lines.append((self._depth(), ""))

    def text(self) -> str:
        self._break()
        return _joined(_trimmed(self.lines))


def _is_quote(tag: str, attributes: dict[str, str]) -> bool:
    if tag == "blockquote":
        return True
    if tag != "div":
        return False
    classes = set(attributes.get("class", "").lower().split())
    return bool(classes & _QUOTE_CLASSES) or attributes.get("name", "").lower() == "quote"


def _trimmed(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """At most one empty line in a row, none at the start or end."""
    kept: list[tuple[int, str]] = []
    for depth, text in lines:
        if not text and (not kept or not kept[-1][1]):
            continue
        kept.append((depth, text))
    while kept and not kept[-1][1]:
        kept.pop()
    return kept


def _joined(lines: list[tuple[int, str]]) -> str:
    rendered = [("> " * depth + text).rstrip() if depth else text for depth, text in lines]
    return "\n".join(rendered) + "\n" if rendered else ""

"""Email rendering: Jinja2 templates in ``templates/email/`` to subject, HTML and plain text.

Every email template extends ``base.html`` and defines ``{% block subject %}``, so the subject
lives next to the body it describes. The plain-text part is derived from the rendered HTML
rather than written twice: two hand-kept versions drift apart, and a text part that is the
raw HTML (what yagmail sends by default) is unreadable in text-only clients.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from typing import Any

from jinja2 import Environment, StrictUndefined, select_autoescape

from bapas_sop.templating import SopTemplateLoader
from bapas_sop.settings import TEMPLATES_DIR, get_settings

EMAIL_TEMPLATES_DIR = TEMPLATES_DIR / "email"


class _OptionalUndefined(StrictUndefined):
    """Printing a missing name fails (a typo must not send an email with a hole in it), but
    ``{% if name %}`` on a missing name is simply false, so optional parts stay readable."""

    def __bool__(self) -> bool:
        return False


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    html: str
    text: str


@lru_cache(maxsize=4)
def _environment(directory: str) -> Environment:
    return Environment(
        loader=SopTemplateLoader.for_directory(directory),
        autoescape=select_autoescape(["html", "htm"]),
        undefined=_OptionalUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def email_environment() -> Environment:
    """The Jinja2 environment of the email templates (cached per directory)."""
    return _environment(str(EMAIL_TEMPLATES_DIR))


def _template_name(template: str) -> str:
    return template if template.endswith(".html") else f"{template}.html"


def render_email(template: str, context: dict[str, Any]) -> RenderedEmail:
    """Render ``templates/email/<template>.html`` with ``context``.

    ``office`` and ``public_url`` are available to every template unless the context
    overrides them. The subject is the template's ``subject`` block, unescaped and on one
    line (a newline in a header would be a header injection).
    """
    settings = get_settings()
    values: dict[str, Any] = {"office": settings.office, "public_url": settings.public_url}
    values.update(context)
    tmpl = email_environment().get_template(_template_name(template))
    if "subject" not in tmpl.blocks:
        raise ValueError(f"email template {template!r} defines no {{% block subject %}}")
    subject_markup = "".join(tmpl.blocks["subject"](tmpl.new_context(values)))
    subject = " ".join(html_lib.unescape(subject_markup).split())
    if not subject:
        raise ValueError(f"email template {template!r} rendered an empty subject")
    html = tmpl.render(values)
    return RenderedEmail(subject=subject, html=html, text=html_to_text(html))


# --------------------------------------------------------------------------- HTML -> text

_SKIP = {"head", "title", "style", "script", "template"}
_BLOCK = {
    "p", "div", "section", "article", "header", "footer", "main", "nav", "aside",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "dl", "blockquote",
    "pre", "hr", "address", "figure", "form", "fieldset",
}  # fmt: skip
_LINE = {"tr", "li", "dt", "dd", "caption"}
_VOID = {"br", "hr", "img", "meta", "link", "input", "col", "area", "base", "wbr", "source"}


class _TextExtractor(HTMLParser):
    """A small HTML to text converter for email bodies.

    Whitespace collapses as a browser would; block elements become blank-line separated
    paragraphs; ``<br>`` a line break; list items ``- `` (numbered in ``<ol>``); table cells in
    a row are joined (``Key: value`` when the row starts with a ``<th>``); a link keeps its
    URL visible as ``text (url)``; images give their ``alt`` text; ``<head>``, ``<style>`` and
    ``<script>`` are dropped.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._break = 0  # newlines owed before the next text: 1 = line, 2 = paragraph
        self._skip_depth = 0
        self._pre_depth = 0
        self._links: list[tuple[str | None, int]] = []  # (href, index in _parts)
        self._lists: list[list[Any]] = []  # [kind, counter]
        self._rows: list[dict[str, Any]] = []  # cells seen in the current row, first-is-th

    # output helpers ---------------------------------------------------------------
    def _owe(self, newlines: int) -> None:
        self._break = max(self._break, newlines)

    def _emit(self, text: str) -> None:
        if not text:
            return
        if self._break:
            if self._parts:
                self._parts.append("\n" * self._break)
            self._break = 0
        if self._at_line_start() and not self._pre_depth:
            text = text.lstrip(" ")
        if text:
            self._parts.append(text)

    def _at_line_start(self) -> bool:
        return not self._parts or self._parts[-1].endswith("\n")

    # parser callbacks ---------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip_depth += 1
            return
        if self._skip_depth:
            return
        attr = dict(attrs)
        if tag in _BLOCK:
            self._owe(2)
        if tag == "pre":
            self._pre_depth += 1
        elif tag == "br":
            self._owe_line_break()
        elif tag in ("ul", "ol"):
            self._lists.append([tag, 0])
        elif tag == "li":
            self._owe(1)
            kind, count = self._lists[-1] if self._lists else ("ul", 0)
            if self._lists:
                self._lists[-1][1] = count + 1
            indent = "  " * max(len(self._lists) - 1, 0)
            self._emit(f"{indent}{count + 1}. " if kind == "ol" else f"{indent}- ")
        elif tag == "tr":
            self._owe(1)
            self._rows.append({"cells": 0, "th_first": False})
        elif tag in ("td", "th"):
            self._start_cell(tag)
        elif tag in ("dt", "dd", "caption"):
            self._owe(1)
        elif tag == "a":
            self._links.append((attr.get("href"), len(self._parts)))
        elif tag == "img":
            alt = (attr.get("alt") or "").strip()
            if alt:
                self._emit(alt)

    def _owe_line_break(self) -> None:
        if self._break:
            self._break = max(self._break, 1)
        else:
            self._parts.append("\n")

    def _start_cell(self, tag: str) -> None:
        if not self._rows:
            self._rows.append({"cells": 0, "th_first": False})
        row = self._rows[-1]
        if row["cells"] == 0:
            row["th_first"] = tag == "th"
        elif not self._break and not self._at_line_start():
            self._parts[-1] = self._parts[-1].rstrip(" ")
            self._parts.append(": " if row["th_first"] and row["cells"] == 1 else " | ")
        row["cells"] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip_depth = max(self._skip_depth - 1, 0)
            return
        if self._skip_depth:
            return
        if tag in _BLOCK:
            self._owe(2)
        if tag == "pre":
            self._pre_depth = max(self._pre_depth - 1, 0)
        elif tag in ("ul", "ol") and self._lists:
            self._lists.pop()
        elif tag == "tr" and self._rows:
            self._rows.pop()
            self._owe(1)
        elif tag in ("li", "dt", "dd", "caption"):
            self._owe(1)
        elif tag == "a" and self._links:
            href, start = self._links.pop()
            self._close_link(href, start)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def _close_link(self, href: str | None, start: int) -> None:
        href = (href or "").strip()
        if not href or href.startswith("#"):
            return
        url = href[len("mailto:") :] if href.lower().startswith("mailto:") else href
        label = " ".join("".join(self._parts[start:]).split())
        if not label:
            self._emit(url)
        elif label != url and label != href:
            self._emit(f" ({url})")

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._pre_depth:
            self._emit(data)
            return
        text = re.sub(r"\s+", " ", data)
        if text.strip() == "" and (self._break or self._at_line_start()):
            return
        if self._parts and self._parts[-1].endswith(" ") and text.startswith(" "):
            text = text[1:]
        self._emit(text)

    def text(self) -> str:
        lines = [line.rstrip() for line in "".join(self._parts).split("\n")]
        out = "\n".join(lines)
        out = re.sub(r"\n{3,}", "\n\n", out)
        return out.strip() + "\n"


def html_to_text(html: str) -> str:
    """Plain text of an HTML email: readable in a text-only client, links still usable."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return parser.text()

"""Printable documents of every SOP: Jinja2 HTML in ``templates/documents/`` to PDF (WeasyPrint).

One place for reports, certificates and letters, so that they all carry the same office
letterhead (from ``[office]`` in the configuration, never from code: the office and its
regional head office have been renamed before), the same A4 print layout and page numbers.

A document template extends ``documents/base.html`` and fills ``{% block title %}`` and
``{% block content %}`` (optionally ``{% block extra_css %}`` and ``{% block letterhead %}``).
Charts are matplotlib PNGs embedded as ``data:`` URIs (:func:`png_data_uri`), so a PDF is
built from memory with nothing to clean up afterwards.

Rendering never reaches the network: the URL fetcher given to WeasyPrint serves ``data:``
URIs and files under the templates and data directories, and refuses everything else (a
template, or a value typed by a person, naming ``http://…`` must not make a worker call out
or stall on a timeout). Fonts come from fontconfig (DejaVu is installed), not from URLs.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from jinja2 import Environment, StrictUndefined, select_autoescape

from bapas_sop.templating import SopTemplateLoader
from bapas_sop.settings import TEMPLATES_DIR, get_settings
from bapas_sop.textid import format_date_id, format_datetime_id

log = logging.getLogger(__name__)

DOCUMENT_TEMPLATES_DIR = TEMPLATES_DIR / "documents"


class DocumentError(RuntimeError):
    """A document that cannot be rendered (unknown template, a value missing in the context)."""


class _OptionalUndefined(StrictUndefined):
    """A missing name fails when printed (a printed document with a hole in it is worse than
    no document), but is simply false in ``{% if name %}``."""

    def __bool__(self) -> bool:
        return False


def percent_id(rate: float | None, digits: int = 1) -> str:
    """A share as Indonesians write it: ``85,7%``, ``100%``; no value gives ``-``."""
    if rate is None:
        return "-"
    value = round(float(rate) * 100, digits)
    if float(value).is_integer():
        return f"{int(value)}%"
    return f"{value:.{digits}f}%".replace(".", ",")


def number_id(value: float | int | None) -> str:
    """A number as Indonesians write it: ``1.250``, ``3,5``; no value gives ``-``."""
    if value is None:
        return "-"
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    whole, _, frac = f"{value:,.2f}".partition(".")
    return f"{whole.replace(',', '.')},{frac.rstrip('0')}"


@lru_cache(maxsize=4)
def decimal_id(value: float | int | None, digits: int = 2) -> str:
    """A score as Indonesians write it, rounded: ``87,65``; no value gives ``-``."""
    if value is None:
        return "-"
    return number_id(round(float(value), digits))


def _environment(directory: str) -> Environment:
    env = Environment(
        loader=SopTemplateLoader.for_directory(directory),
        autoescape=select_autoescape(["html", "htm"]),
        undefined=_OptionalUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date_id"] = format_date_id
    env.filters["datetime_id"] = format_datetime_id
    env.filters["percent_id"] = percent_id
    env.filters["number_id"] = number_id
    env.filters["decimal_id"] = decimal_id
    return env


def document_environment() -> Environment:
    """The Jinja2 environment of ``templates/documents`` (cached per directory)."""
    return _environment(str(DOCUMENT_TEMPLATES_DIR))


def _template_name(template: str) -> str:
    return template if template.endswith((".html", ".htm")) else f"{template}.html"


def render_html(template: str, context: Mapping[str, Any]) -> str:
    """The document's HTML: what :func:`render_pdf` prints, also handy for a preview page.

    ``office`` (the configuration's ``[office]`` table) is available to every template unless
    the context overrides it.
    """
    settings = get_settings()
    values: dict[str, Any] = {"office": settings.office, "office_logo": _office_logo(settings.office, settings.data_dir)}
    values.update(context)
    env = document_environment()
    try:
        return env.get_template(_template_name(template)).render(values)
    except Exception as exc:
        if exc.__class__.__module__.startswith("jinja2"):
            raise DocumentError(f"document template {template!r} cannot be rendered: {exc}") from exc
        raise


def _office_logo(office: Mapping[str, Any], data_dir: Path) -> str | None:
    """``[office] logo`` names an image in the data directory; None when unset or missing."""
    name = office.get("logo")
    if not name:
        return None
    path = (data_dir / str(name)).resolve()
    if not path.is_file():
        log.warning("office logo %s not found; documents are printed without it", path)
        return None
    return path.as_uri()


# --------------------------------------------------------------------------- URL fetching


def allowed_file_roots() -> tuple[Path, ...]:
    """Directories a document may load files from (images, stylesheets): the templates and
    the data directory (e.g. an office logo placed there by the operator)."""
    return (TEMPLATES_DIR.resolve(), get_settings().data_dir.resolve())


def _file_path(url: str) -> Path:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise ValueError(f"document refers to a file on another host: {url}")
    return Path(unquote(parts.path)).resolve()


def _offline_fetcher_class() -> type:
    """WeasyPrint's own fetcher limited to ``data:`` and local ``file:`` URLs.

    Built lazily: importing WeasyPrint costs about a second, which DAG parsing and code that
    only renders HTML must not pay.
    """
    from weasyprint.urls import URLFetcher

    class OfflineURLFetcher(URLFetcher):
        """Serves ``data:`` URIs and files under :func:`allowed_file_roots`; refuses the rest.

        A refused URL raises ``ValueError``: WeasyPrint logs it and leaves the resource out,
        so a stray link costs nothing and the document is still produced.
        """

        def __init__(self) -> None:
            super().__init__(timeout=1, allowed_protocols=("data", "file"), allow_redirects=False)

        def fetch(self, url: str, headers: Any = None) -> Any:
            scheme = url.split(":", 1)[0].lower() if ":" in url else ""
            if scheme == "file":
                path = _file_path(url)
                roots = allowed_file_roots()
                if not any(path.is_relative_to(root) for root in roots):
                    raise ValueError(f"document may not read {path} (outside {', '.join(map(str, roots))})")
            elif scheme != "data":
                log.warning("document refers to %s: refused, documents never fetch from the network", url)
                raise ValueError(f"documents never fetch from the network: {url}")
            return super().fetch(url, headers)

    return OfflineURLFetcher


@lru_cache(maxsize=1)
def _fetcher_class() -> type:
    return _offline_fetcher_class()


def offline_url_fetcher() -> Any:
    """A new fetcher for one rendering (WeasyPrint's fetchers keep per-request state)."""
    return _fetcher_class()()


# --------------------------------------------------------------------------- PDF


def html_to_pdf(html: str, *, base_dir: Path | None = None) -> bytes:
    """Print HTML to PDF bytes; relative URLs resolve against ``base_dir`` (the templates)."""
    from weasyprint import HTML

    base = (base_dir or DOCUMENT_TEMPLATES_DIR).resolve()
    document = HTML(string=html, base_url=base.as_uri() + "/", url_fetcher=offline_url_fetcher())
    return document.write_pdf()


def render_pdf(template: str, context: Mapping[str, Any]) -> bytes:
    """Render ``templates/documents/<template>.html`` with ``context`` and print it to A4 PDF."""
    return html_to_pdf(render_html(template, context))


def png_data_uri(png: bytes) -> str:
    """A PNG (e.g. a matplotlib chart) as a ``data:`` URI for ``<img src>``: the document is
    self-contained and the offline fetcher serves it without touching the disk."""
    if not png.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValueError("not PNG data")
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


__all__ = [
    "DOCUMENT_TEMPLATES_DIR",
    "DocumentError",
    "decimal_id",
    "allowed_file_roots",
    "document_environment",
    "html_to_pdf",
    "number_id",
    "offline_url_fetcher",
    "percent_id",
    "png_data_uri",
    "render_html",
    "render_pdf",
]

"""Server-side rendering of the web pages (Jinja2, ``templates/pages``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import urlparse

from fastapi.responses import HTMLResponse
from jinja2 import Environment, StrictUndefined, select_autoescape

from bapas_sop.templating import SopTemplateLoader
from bapas_sop.settings import TEMPLATES_DIR, get_settings
from bapas_sop.documents import decimal_id
from bapas_sop.textid import format_date_id, format_datetime_id


class _LenientUndefined(StrictUndefined):
    """A missing name fails loudly when printed, but is false in ``{% if %}``."""

    def __bool__(self) -> bool:
        return False


@lru_cache(maxsize=2)
def _environment(directory: str) -> Environment:
    env = Environment(
        loader=SopTemplateLoader.for_directory(directory),
        autoescape=select_autoescape(["html"]),
        undefined=_LenientUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["datetime_id"] = format_datetime_id
    env.filters["date_id"] = format_date_id
    env.filters["decimal_id"] = decimal_id
    return env


def render_page(template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    env = _environment(str(TEMPLATES_DIR / "pages"))
    settings = get_settings()
    base = urlparse(settings.public_url).path.rstrip("/")
    html = env.get_template(template).render(office=settings.office, base=base, sop_nav=_sop_nav(), **context)
    return HTMLResponse(html, status_code=status_code, headers=_SECURITY_HEADERS)


def _sop_nav() -> tuple[Any, ...]:
    """The SOPs' admin links for the navigation bar (their public forms are on the index page)."""
    from bapas_sop.descriptor import nav_links

    return tuple(link for link in nav_links() if not link.public)


# Pages load nothing from elsewhere and are never framed: the CSP says so to the browser.
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

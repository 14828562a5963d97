"""A person's side of a form page: open the personal link of an email, read it, answer it.

The scenario responder and the web tests all do the same three things over HTTP (the
``TestClient`` of the forms app): follow the emailed ``/bapas/f/<token>`` link, read the
page (its choices, what is checked, its CSRF token) and post answers with that token. This
is that one client, so a change of the page (a renamed token field, another link form)
is made once.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bapas_sop.mail.devserver import InboxMessage

#: The path every personal form link has (``<public url>/f/<token>``).
FORM_LINK_MARK = "/bapas/f/"


def path_of(url: str) -> str:
    """The path of an absolute link, for the test client (``http://host/bapas/f/x`` -> ``/bapas/f/x``)."""
    if "://" not in url:
        return url
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def form_links(message: InboxMessage) -> list[str]:
    """The personal form links of an email (none when its form is elsewhere, e.g. Google)."""
    return [link for link in message.links if FORM_LINK_MARK in link]


def form_link(message: InboxMessage) -> str:
    """The email's personal form link; an email without one fails the test here."""
    links = form_links(message)
    if not links:
        raise AssertionError(f"{message.subject!r} has no form link of ours")
    return links[0]


def csrf(page_html: str) -> str:
    """The page's CSRF token, as a browser would send it back."""
    found = re.search(r'name="_csrf" value="([^"]+)"', page_html)
    if found is None:
        raise AssertionError("the page has no CSRF token: not a form page")
    return found.group(1)


def choices(page_html: str, field: str) -> dict[str, str]:
    """The options of a radio/checkbox field as the person reads them: value -> label.

    Matched as whole choices of ``field``, not as text of the page: a page also names staff
    elsewhere (the hand-over list), and a name may be part of another.
    """
    pattern = (rf'<input type="(?:checkbox|radio)" name="{re.escape(field)}" value="([^"]*)"'
               r'[^>]*>\s*([^<]*?)\s*</label>')
    return {html_lib.unescape(v): html_lib.unescape(label) for v, label in re.findall(pattern, page_html)}


def checked(page_html: str, field: str) -> list[str]:
    """The values of ``field`` the page shows checked (prefill, suggestion, kept input)."""
    pattern = rf'<input type="(?:checkbox|radio)" name="{re.escape(field)}" value="([^"]*)"\s+checked'
    return [html_lib.unescape(v) for v in re.findall(pattern, page_html)]


@dataclass
class FormPage:
    """One GET of a form page; :meth:`answer` posts to it with the page's CSRF token."""

    client: Any
    path: str
    response: Any

    @property
    def status_code(self) -> int:
        return self.response.status_code

    @property
    def text(self) -> str:
        return self.response.text

    @property
    def csrf(self) -> str:
        return csrf(self.text)

    def choices(self, field: str) -> dict[str, str]:
        return choices(self.text, field)

    def checked(self, field: str) -> list[str]:
        return checked(self.text, field)

    def answer(self, data: Mapping[str, Any], *, action: str = "") -> Any:
        """POST ``data`` (with the token) to the form, or to ``path + action`` (``/alihkan``)."""
        return self.client.post(self.path + action, data={"_csrf": self.csrf, **dict(data)})

    def hand_over(self, stand_in_nip: str, reason: str) -> Any:
        """Hand the step over to a stand-in, as the page's "Alihkan" form does."""
        return self.answer({"pengganti_nip": stand_in_nip, "alasan": reason}, action="/alihkan")


def open_form(client: Any, link: str | InboxMessage) -> FormPage:
    """GET the form of a link (absolute or a path) or of an email's personal link."""
    url = form_link(link) if isinstance(link, InboxMessage) else link
    path = path_of(url)
    return FormPage(client, path, client.get(path))

"""No route of the forms app answers a 5xx, whatever is sent to it.

Every route of the app (read from ``app.routes``, so a new page is covered the day it is
added) gets GET and POST with its path parameters filled with garbage and bodies that no
browser of ours would send: urlencoded, multipart with file parts, huge fields, bytes that
are not UTF-8, with and without the admin login. Then ``hypothesis`` posts generated
answers to every form (the link forms and the public ones) and checks that what was typed
is shown back when refused.

The ``web`` client raises a server exception instead of returning a 500, so a crash fails
the test with its traceback.
"""

from __future__ import annotations

import html
import itertools
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Mount, Route

from bapas_sop import humantask

ADMIN = {"x-test-admin": "yes"}
PATH_GARBAGE = ["0", str(10**30), "é", "-1", "x" * 300, "a.b.c", "%00", "..%2F..%2Fetc"]
BODIES: list[tuple[dict[str, str], bytes]] = [
    ({"content-type": "application/x-www-form-urlencoded"}, b"_csrf=%C3%A9&seksi=bka&nama_klien=%FF%FE"),
    ({"content-type": "application/x-www-form-urlencoded"}, b"\xff\xfe\x00garbage=\xc3\x28&&&=="),
    ({"content-type": "application/x-www-form-urlencoded"}, b"catatan=" + b"z" * (2 * 1024 * 1024)),
    ({"content-type": "application/json"}, b'{"seksi": "bka"}'),
    ({"content-type": "multipart/form-data; boundary=zz"}, b"--zz\r\nbroken"),
    ({"content-type": "multipart/form-data"}, b"no boundary at all"),
    ({"content-type": "text/plain"}, b"\x00\x01\x02"),
]


def _multipart_bodies() -> list[dict[str, Any]]:
    """Multipart posts: file parts named like fields and like ``_csrf``, non-UTF-8 bytes, a huge part."""
    return [
        {"data": {"seksi": "bka"}, "files": {"_csrf": ("x.bin", b"\x00\xff", "application/octet-stream")}},
        {"data": {}, "files": {name: ("f.txt", b"isi", "text/plain") for name in
                               ("nama_klien", "catatan", "seksi", "email_pemohon", "diterima_pada", "pengganti_nip", "alasan")}},
        {"data": {}, "files": {"nama_klien": (None, b"\xff\xfe\xc3\x28 bukan utf-8"), "catatan": (None, b"\x80\x81")}},
        {"data": {}, "files": {"catatan": (None, b"q" * (3 * 1024 * 1024))}},
        {"data": {}, "files": {"nama_klien": (None, b"w" * (9 * 1024 * 1024))}},
    ]


def _routes(app) -> list[tuple[str, set[str]]]:
    """Every (path, methods) of the app under /bapas, mounted routers included."""
    found: list[tuple[str, set[str]]] = []
    for route in app.routes:
        if isinstance(route, Route):
            found.append((route.path, set(route.methods or ())))
        elif isinstance(route, Mount):  # pragma: no cover - no sub-mounts today
            found.extend((route.path + sub, methods) for sub, methods in _routes(route.app))
    return found


def _fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{([^}:]+)(:[^}]*)?\}", lambda m: values.get(m.group(1), "x"), path)


def _forms_app(web):
    [mount] = [r for r in web.app.routes if isinstance(r, Mount) and r.path == "/bapas"]
    return mount.app


def _assert_no_5xx(response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:300]}"


def test_every_route_survives_garbage(web, smtp_server):
    opened = humantask.open_request(
        key="sp2lo/run1/kabapas_disposisi", step="kabapas_disposisi", form_name="sp2lo_disposisi",
        title="Disposisi", assignee="kabapas", dag_id="sp2lo", run_id="run1",
    )
    real_token = opened.url.rsplit("/", 1)[1]
    from bapas_sop.forms.links import LinkClaims, sign_link

    path_values = [*({"token": g, "message_id": g} for g in PATH_GARBAGE),
                   {"token": real_token, "message_id": "x"},
                   {"token": sign_link(LinkClaims(10**30, "x", 1)), "message_id": "x"},
                   {"token": sign_link(LinkClaims(opened.request_id, "197408121999031002", 10**30)), "message_id": "x"}]
    routes = _routes(_forms_app(web))
    assert len(routes) >= 10, routes  # the SOPs' own pages are in
    queries = ["", "?batas=-99999999999999999999", "?tersimpan=é&sudah=99999999999999999999", "?sop=é&kepada=%FF",
               "?subjek=" + "s" * 5000]
    count = 0
    for (path, methods), values, headers in itertools.product(routes, path_values, [{}, ADMIN]):
        url = "/bapas" + _fill(path, values)
        if "GET" in methods or "HEAD" in methods:
            for query in queries:
                _assert_no_5xx(web.get(url + query, headers=headers), f"GET {url}{query}")
                count += 1
        for content_headers, body in BODIES:
            _assert_no_5xx(web.post(url, content=body, headers={**headers, **content_headers}), f"POST {url} {body[:40]!r}")
            count += 1
        for multipart in _multipart_bodies():
            _assert_no_5xx(web.post(url, headers=headers, **multipart), f"POST {url} multipart {list(multipart['files'])}")
            count += 1
    assert count > 500
    assert humantask.poll(opened.key)["status"] == "open"  # nothing of that garbage was an answer


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)


def _form_fields(page_html: str) -> list[str]:
    return sorted(set(re.findall(r'name="([a-z][a-z0-9_]*)"', page_html)))


@pytest.fixture
def link_form(web, smtp_server):
    opened = humantask.open_request(
        key="sp2lo/run1/kabapas_disposisi", step="kabapas_disposisi", form_name="sp2lo_disposisi",
        title="Disposisi", assignee="kabapas", dag_id="sp2lo", run_id="run1",
    )
    path = "/bapas/f/" + opened.url.rsplit("/", 1)[1]
    page = web.get(path)
    return path, re.search(r'name="_csrf" value="([^"]+)"', page.text).group(1), _form_fields(page.text), opened


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_generated_answers_to_a_link_form_never_crash_and_are_kept(web, link_form, data):
    path, csrf, fields, opened = link_form
    answers = {name: data.draw(_TEXT, label=name) for name in fields if name not in ("pengganti_nip",)}
    response = web.post(path, data={"_csrf": csrf, **answers})
    _assert_no_5xx(response, f"POST {path} {answers}")
    if response.status_code == 422:
        shown = html.unescape(response.text)
        for name in ("catatan",):
            typed = answers.get(name, "").strip()
            if typed and "\r" not in typed:
                assert typed in shown, f"{name}={typed!r} not kept"
    if humantask.poll(opened.key)["status"] != "open":
        return  # answered: later examples exercise the answered page
    _assert_no_5xx(web.post(path + "/alihkan", data={"_csrf": csrf, "pengganti_nip": answers.get("seksi", ""),
                                                      "alasan": answers.get("catatan", "")}), "alihkan")


@pytest.mark.parametrize("path,headers", [("/bapas/litmas/permohonan", {}), ("/bapas/litmas/surat-masuk", ADMIN)])
@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_generated_posts_of_the_public_forms_never_crash_and_are_kept(web, smtp_server, path, headers, data):
    page = web.get(path, headers=headers)
    assert page.status_code == 200
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    answers = {name: data.draw(_TEXT, label=name) for name in _form_fields(page.text)}
    response = web.post(path, data={**hidden, **answers}, headers=headers)
    _assert_no_5xx(response, f"POST {path} {answers}")
    if response.status_code == 422:
        shown = html.unescape(response.text)
        for name in ("nama_klien", "nama_pemohon", "nomor_surat"):
            typed = answers.get(name, "").strip()
            if typed and "\r" not in typed:
                assert typed in shown, f"{name}={typed!r} not kept"

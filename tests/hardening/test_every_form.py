"""Every form of every SOP, posted through its personal link with generated answers.

Parametrized over the form registry (``all_forms()``), so a form added by any SOP is fuzzed the
day it exists. ``hypothesis`` draws each field from what a person could post there: one of
the field's own choices, a typical value of its kind, or arbitrary text (markup, control
characters, Indonesian numbers and dates in odd shapes). The page must answer with no 5xx;
when it refuses the post (422), what was typed in a text field is shown back; and an answer
it accepts is recorded once.
"""

from __future__ import annotations

import html
import itertools
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bapas_sop import humantask
from bapas_sop.forms.registry import all_forms
from bapas_sop.forms.spec import Kind
from bapas_sop.web.app import field_limit

FORMS = sorted(all_forms())
_EXAMPLE = itertools.count()
_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)
_TYPICAL = {
    Kind.NUMBER: st.sampled_from(["0", "-1", "1.500.000", "1.500.000,50", "Rp 1.500.000", "3,5", "nan", "inf", "1e309"]),
    Kind.DATE: st.sampled_from(["2026-11-18", "0001-01-01", "9999-12-31", "18/11/2026", "2026-02-30", ""]),
    Kind.DATETIME: st.sampled_from(["2026-11-18T09:00", "0001-01-01T00:00", "9999-12-31T23:59", "2026-11-18"]),
    Kind.URL: st.sampled_from(["https://contoh.example/x", "javascript:alert(1)", "ftp://x", "contoh"]),
    Kind.FILE_LINK: st.sampled_from(["https://drive.example/berkas", "file:///etc/passwd"]),
    Kind.EMAIL: st.sampled_from(["a@b.example", "a,b@c.example", 'x"<evil@attacker.example>', "pémohon@contoh.example"]),
}


def _field_value(spec, form, data):
    choices = [c.value for c in form.choices_for(spec, {})]
    options = [_TEXT]
    if choices:
        options.append(st.sampled_from(choices))
    if spec.kind in _TYPICAL:
        options.append(_TYPICAL[spec.kind])
    return data.draw(st.one_of(*options), label=spec.name)


@pytest.mark.parametrize("form_name", FORMS)
@settings(max_examples=12, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_generated_answers_never_crash_and_are_kept(web, smtp_server, form_name, data):
    form = all_forms()[form_name]
    key = f"fuzz/run/{form_name}/{next(_EXAMPLE)}"  # a fresh step for every example
    opened = humantask.open_request(key=key, step="fuzz", form_name=form_name, title=form.title, assignee="kabapas",
                                    dag_id="fuzz", run_id="run")
    path = "/bapas/f/" + opened.url.rsplit("/", 1)[1]
    page = web.get(path)
    assert page.status_code == 200, page.text[:300]
    csrf = re.search(r'name="_csrf" value="([^"]+)"', page.text).group(1)
    answers = {f.name: _field_value(f, form, data) for f in form.fields}
    response = web.post(path, data={"_csrf": csrf, **answers})
    assert response.status_code < 500, f"{response.status_code} for {answers}"
    if response.status_code == 422:
        shown = html.unescape(response.text)
        for f in form.fields:
            typed = answers[f.name][:field_limit(f)]  # a text over the field's limit is kept cut at it
            if f.kind in (Kind.TEXT, Kind.LONG_TEXT) and typed.strip() and "\r" not in typed and "\x00" not in typed:
                assert typed.strip()[:40] in shown, f"{f.name}={typed!r} not kept"
    else:
        assert humantask.poll(opened.key)["status"] == "answered", response.text[:300]

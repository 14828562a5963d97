"""Personal form links carry no personal data (issue 9, security).

A link is signed, not encrypted: anyone holding it (a forwarded email, a proxy log) can
base64-decode it. Before the fix the token's payload held the assignee's NIP (or email) in
clear; now it holds an opaque tag, and every check of a link still works.
"""

from __future__ import annotations

import base64
import binascii
import zlib

from itsdangerous import URLSafeTimedSerializer

from bapas_sop import humantask
from bapas_sop.settings import get_settings
from bapas_sop.store.db import session_scope
from bapas_sop.store.models import AuditEvent

from tests.support.forms import open_form, path_of
from tests.support.people import BAMBANG, KABAPAS

OUTSIDER = {"name": "Iptu Budi", "email": "Budi.Penyidik@polresta-jambi.example"}


def _open(step: str = "kabapas_disposisi", assignee: object = "kabapas", run_id: str = "run1"):
    opened = humantask.open_request(
        key=f"sp2lo/{run_id}/{step}", step=step, form_name="sp2lo_disposisi",
        title="Disposisi permintaan Litmas LITMAS-2026-0001", assignee=assignee,
        context={"facts": [["Nomor perkara", "LITMAS-2026-0001"]]}, dag_id="sp2lo", run_id=run_id,
    )
    from bapas_sop.mail.outbox import flush

    flush(keys=list(opened.outbox_keys))
    return opened


def _token(url: str) -> str:
    return path_of(url).rsplit("/", 1)[1]


def _decoded(token: str) -> str:
    """Everything a person can read out of a token with plain base64 (and zlib, which
    itsdangerous uses for long payloads): each dot-separated part, decoded."""
    texts = [token]
    for part in token.split("."):
        if not part:
            continue
        try:
            raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        except (binascii.Error, ValueError):
            continue
        texts.append(raw.decode("latin-1"))
        try:
            texts.append(zlib.decompress(raw).decode("latin-1"))
        except zlib.error:
            pass
    return "\n".join(texts)


def test_a_staff_link_does_not_reveal_the_nip(web, smtp_server):
    opened = _open()
    decoded = _decoded(_token(opened.url))
    assert KABAPAS.nip not in decoded
    assert KABAPAS.email.lower() not in decoded.lower()
    assert '"r":' in decoded  # the payload was read: what is in it is the request, not the person
    answer = open_form(web, opened.url).answer({"seksi": "bka"})
    assert answer.status_code == 303
    outcome = humantask.poll(opened.key)
    assert outcome["answered_by"] == KABAPAS.nip  # the record still names who answered
    with session_scope() as session:
        actors = {e.actor for e in session.query(AuditEvent).filter(AuditEvent.subject == opened.key,
                                                                      AuditEvent.action == "answered")}
    assert actors == {KABAPAS.nip}


def test_an_outside_link_does_not_reveal_the_email(web, smtp_server):
    opened = _open(step="penyidik_step", assignee=OUTSIDER)
    decoded = _decoded(_token(opened.url)).lower()
    assert OUTSIDER["email"].lower() not in decoded
    assert "polresta" not in decoded and "budi" not in decoded
    page = web.get(path_of(opened.url))
    assert page.status_code == 200 and "Disposisi permintaan Litmas" in page.text


def test_two_links_of_one_person_cannot_be_matched_up(web, smtp_server):
    from bapas_sop.forms.links import read_link

    first = read_link(_token(_open(run_id="run1").url))
    second = read_link(_token(_open(run_id="run2").url))
    assert first.request_id != second.request_id
    assert first.person_tag != second.person_tag
    assert first.is_for(KABAPAS.nip) and second.is_for(KABAPAS.nip)
    assert not first.is_for(BAMBANG.nip) and not first.is_for(None)


def test_a_link_moved_to_another_request_is_refused(web, smtp_server):
    """The tag is bound to its request: re-signing it for another id (with a leaked key)
    does not make it the same person's link there."""
    from bapas_sop.forms.links import _SALT, form_url, read_link

    mine = read_link(_token(_open(run_id="run1").url))
    other = _open(run_id="run2")
    serializer = URLSafeTimedSerializer(get_settings().secret_key, salt=_SALT)
    moved = serializer.dumps({"r": read_link(_token(other.url)).request_id, "p": mine.person_tag, "v": 1})
    page = web.get(path_of(form_url(moved)))
    assert page.status_code == 403 and "bukan untuk" in page.text
    assert humantask.poll(other.key)["status"] == "open"


def test_an_old_link_with_the_nip_in_it_is_refused_cleanly(web, smtp_server):
    """Links made before the change (salt v1, NIP in clear) no longer open: an Indonesian
    'invalid link' page, not an error, and nothing recorded."""
    from bapas_sop.forms.links import form_url

    opened = _open()
    old = URLSafeTimedSerializer(get_settings().secret_key, salt="bapas-sop.form-link.v1").dumps(
        {"r": opened.request_id, "p": KABAPAS.nip, "v": 1})
    page = web.get(path_of(form_url(old)))
    assert page.status_code == 403 and "Tautan tidak sah" in page.text
    posted = web.post(path_of(form_url(old)), data={"_csrf": "x", "seksi": "bka"})
    assert posted.status_code == 403
    assert humantask.poll(opened.key)["status"] == "open"


def test_hand_over_still_turns_the_old_link_off(web, smtp_server):
    opened = _open()
    page = open_form(web, opened.url)
    assert page.hand_over(BAMBANG.nip, "Dinas luar").status_code == 200
    old = web.get(page.path)
    assert old.status_code == 410 and "sudah dialihkan" in old.text

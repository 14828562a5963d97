"""The form pages as a person meets them: a link from an email, a mistake, an answer."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bapas_sop import humantask
from bapas_sop.mail.devserver import read_inbox
from bapas_sop.store.db import session_scope
from bapas_sop.store.models import AuditEvent, FormRequest, FormResponse

from tests.support.forms import form_link, open_form, path_of
from tests.support.people import BAMBANG, KABAPAS, YULIANA

PK_ON_LEAVE = YULIANA  # on leave in the demo staff table
STAND_IN = BAMBANG  # her stand-in


def _open(step: str = "kabapas_disposisi", assignee: str = "kabapas", **kwargs):
    opened = humantask.open_request(
        key=f"sp2lo/run1/{step}", step=step, form_name="sp2lo_disposisi",
        title="Disposisi permintaan Litmas LITMAS-2026-0001", assignee=assignee,
        context={"facts": [["Nomor perkara", "LITMAS-2026-0001"], ["Nama klien", "Andi"]]},
        prefill={"seksi": "bka"}, dag_id="sp2lo", run_id="run1", **kwargs,
    )
    from bapas_sop.mail.outbox import flush

    flush(keys=list(opened.outbox_keys))
    return opened


def test_email_link_opens_the_form_with_facts_and_prefill(web, smtp_server):
    opened = _open()
    [mail] = read_inbox(smtp_server.maildir)
    assert mail.subject == "[Perlu tindakan] Disposisi permintaan Litmas LITMAS-2026-0001"
    assert mail.to == [KABAPAS.email] or mail.to[0].endswith("@bapas-jambi.example")
    assert form_link(mail) == opened.url
    page = open_form(web, mail)
    assert page.status_code == 200
    assert "Disposisi permintaan Litmas LITMAS-2026-0001" in page.text
    assert "Andi" in page.text
    assert page.checked("seksi") == ["bka"]


def test_invalid_answer_shows_indonesian_error_and_keeps_input(web, smtp_server):
    opened = _open()
    page = open_form(web, opened.url)
    response = page.answer({"seksi": "xyz", "catatan": "Segera diproses"})
    assert response.status_code == 422
    assert "pilihan tidak dikenal" in response.text
    assert "Segera diproses" in response.text  # what was typed is kept
    with session_scope() as session:
        assert session.query(FormResponse).count() == 0


def test_valid_answer_is_recorded_once_and_second_visit_shows_it(web, smtp_server):
    opened = _open()
    page = open_form(web, opened.url)
    data = {"_csrf": page.csrf, "seksi": "bkd", "catatan": "Klien dewasa"}
    first = web.post(page.path, data=data)
    assert first.status_code == 303
    confirmation = web.get(first.headers["location"])
    assert "Terima kasih, jawaban Anda sudah tersimpan" in confirmation.text
    assert "Kasubsi Bimbingan Klien Dewasa" in confirmation.text
    again = web.post(page.path, data={**data, "seksi": "bka"})
    assert again.status_code == 303
    shown = web.get(page.path)
    assert "sudah dijawab" in shown.text and "Kasubsi Bimbingan Klien Dewasa" in shown.text
    outcome = humantask.poll(opened.key)
    assert outcome["status"] == "answered"
    assert outcome["answer"] == {"seksi": "bkd", "catatan": "Klien dewasa"}
    with session_scope() as session:
        assert session.query(FormResponse).count() == 1
        actions = [e.action for e in session.query(AuditEvent).filter(AuditEvent.subject == opened.key)]
    assert actions[:1] == ["requested"] and "answered" in actions


@pytest.mark.parametrize("mangle", [lambda t: t[:-3] + "abc", lambda t: t + "x", lambda t: "foo.bar.baz"])
def test_tampered_link_is_refused(web, smtp_server, mangle):
    opened = _open()
    token = opened.url.rsplit("/", 1)[1]
    page = web.get(f"/bapas/f/{mangle(token)}")
    assert page.status_code == 403
    assert "Tautan tidak sah" in page.text


def test_expired_link_is_refused(web, smtp_server, monkeypatch):
    opened = _open()
    import bapas_sop.forms.links as links

    monkeypatch.setattr(links, "link_lifetime", lambda: timedelta(seconds=-1))
    page = web.get(path_of(opened.url))
    assert page.status_code == 410
    assert "kedaluwarsa" in page.text


def test_post_without_csrf_is_refused_and_nothing_recorded(web, smtp_server):
    opened = _open()
    response = web.post(path_of(opened.url), data={"seksi": "bka"})
    assert response.status_code == 403
    assert humantask.poll(opened.key)["status"] == "open"


def test_on_leave_assignee_is_replaced_by_stand_in(web, smtp_server):
    opened = _open(step="pk_step", assignee=f"nip:{PK_ON_LEAVE.nip}")
    assert opened.assignee.nip == STAND_IN.nip
    assert opened.substituted_for == PK_ON_LEAVE.nip
    [mail] = read_inbox(smtp_server.maildir)
    assert "pengganti (Plh) Yuliana Harahap" in mail.text


def test_hand_over_moves_the_step_and_turns_the_old_link_off(web, smtp_server):
    opened = _open()
    page = open_form(web, opened.url)
    missing_reason = page.hand_over(STAND_IN.nip, "")
    assert missing_reason.status_code == 422 and "Alasan pengalihan wajib diisi" in missing_reason.text
    done = page.hand_over(STAND_IN.nip, "Dinas luar")
    assert done.status_code == 200 and "Bambang Setiawan" in done.text
    old = web.get(page.path)
    assert old.status_code == 410 and "sudah dialihkan" in old.text
    mails = [m for m in read_inbox(smtp_server.maildir) if "bambang" in m.to[0]]
    assert mails and "dialihkan kepada Anda oleh" in mails[0].text
    answer = open_form(web, mails[0]).answer({"seksi": "bka"})
    assert answer.status_code == 303
    outcome = humantask.poll(opened.key)
    assert outcome["answered_by"] == STAND_IN.nip and outcome["substituted_for"] == KABAPAS.nip


def test_reminder_and_escalation_are_sent_once(web, smtp_server):
    from bapas_sop.mail.outbox import flush

    opened = _open()
    with session_scope() as session:
        request = session.query(FormRequest).filter_by(key=opened.key).one()
        due = request.due_at
    before_due = due - timedelta(hours=1)
    result = humantask.sweep(now=before_due)
    assert result.reminded == [opened.key] and not result.escalated
    assert humantask.sweep(now=before_due).reminded == []
    after_due = due + timedelta(minutes=1)
    result = humantask.sweep(now=after_due)
    assert result.escalated == [opened.key]
    flush()
    subjects = sorted(m.subject for m in read_inbox(smtp_server.maildir))
    assert subjects.count("[Pengingat] Disposisi permintaan Litmas LITMAS-2026-0001") == 1
    # The Kabapas has no supervisor in the office: the escalation goes nowhere but is recorded.
    assert humantask.sweep(now=after_due).escalated == []


def test_expired_step_takes_its_default_or_fails_clearly(project):
    from bapas_sop.policy import StepPolicy

    opened = _open(policy=StepPolicy.from_config(default_answer={"seksi": "bka"}))
    with session_scope() as session:
        expires = session.query(FormRequest).filter_by(key=opened.key).one().expires_at
    outcome = humantask.poll(opened.key, now=expires + timedelta(seconds=1))
    assert outcome["status"] == "expired" and outcome["default_answer"] == {"seksi": "bka"}


def test_public_intake_form_validates_and_registers(web, smtp_server):
    page = web.get("/bapas/litmas/permohonan")
    assert page.status_code == 200 and "Permintaan Penelitian Kemasyarakatan" in page.text
    bad = web.post("/bapas/litmas/permohonan", data={"nomor_surat": "B/1/2026", "email_pemohon": "polisi@", "kategori": "anak"})
    assert bad.status_code == 422
    assert "Email pemohon: alamat email tidak valid." in bad.text
    assert "Nama klien wajib diisi." in bad.text
    assert 'value="B/1/2026"' in bad.text
    good = web.post("/bapas/litmas/permohonan", data={
        "nomor_surat": "B/1/XII/2026", "tanggal_surat": "2026-11-27", "instansi": "penyidik",
        "nama_instansi": "Polresta Jambi", "nama_pemohon": "Iptu Budi", "email_pemohon": "budi@polresta-jambi.example",
        "nama_klien": "Andi", "kategori": "anak", "jenis_litmas": "sidang_anak",
        "_submission_key": re.search(r'name="_submission_key" value="([^"]+)"', page.text).group(1),  # from the page
    })
    assert good.status_code == 200
    assert "LITMAS-2026-0001" in good.text or "LITMAS-" in good.text
    assert len(web.started_runs) == 1


def test_admin_pages_need_a_login(web, smtp_server):
    assert web.get("/bapas/admin/inbox").status_code == 401
    assert web.get("/bapas/admin/inbox", headers={"x-test-admin": "yes"}).status_code == 200


def test_link_signed_for_another_person_is_refused(web, smtp_server):
    from bapas_sop.forms.links import LinkClaims, form_url, sign_link

    opened = _open()
    forged = sign_link(LinkClaims(request_id=opened.request_id, person=STAND_IN.nip, version=1))
    page = web.get(path_of(form_url(forged)))
    assert page.status_code == 403
    assert "bukan untuk" in page.text
    posted = web.post(path_of(form_url(forged)), data={"_csrf": "x", "seksi": "bka"})
    assert posted.status_code == 403
    assert humantask.poll(opened.key)["status"] == "open"


def test_a_personal_step_cannot_be_handed_over(web, smtp_server):
    from bapas_sop.forms.registry import get_form

    personal = next(
        name for name in ("sp2lo_permohonan", "sp2lo_surat_masuk") if not get_form(name).allow_handover
    )
    opened = humantask.open_request(
        key="sp2lo/run1/pribadi", step="pribadi", form_name=personal, title="Langkah pribadi",
        assignee="kabapas", dag_id="sp2lo", run_id="run1",
    )
    token = opened.url.rsplit("/", 1)[1]
    with pytest.raises(humantask.HandOverError, match="tidak dapat dialihkan"):
        humantask.hand_over(token, STAND_IN.nip, "Dinas luar")
    assert humantask.poll(opened.key)["status"] == "open"
    with session_scope() as session:
        request = session.query(FormRequest).filter_by(key=opened.key).one()
        assert request.assignee_nip == KABAPAS.nip and request.link_version == 1

"""Tamu Ngopi's tasks without Airflow: an agenda nobody approved, an outsider's RSVP through the
real page, the decision form's checks, and an action item's reminders, escalation and next round."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from bapas_sop import humantask
from bapas_sop.calendar import WIB
from bapas_sop.sops.tamu_ngopi.models import TamuNgopiActionItem, TamuNgopiMeeting, TamuNgopiParticipant
from bapas_sop.store.db import session_scope
from bapas_sop.store.models import FormRequest, OutboxMessage

from tests.support import people
from tests.support.clock import pinned_clock
from tests.support.forms import open_form

DAG, RUN = "tamu_ngopi", "manual__test"
RUDI = "rudi.hartono@polresta-jambi.example"


@pytest.fixture
def invited(project, smtp_server):
    """A December forum planned, its agenda left unanswered (the proposal stands), invitations out."""
    from bapas_sop.sops.tamu_ngopi import flow

    plan = flow.plan_forum({"bulan": "2026-12"}, dag_id=DAG, run_id=RUN)
    flow.open_topic_requests(plan, dag_id=DAG, run_id=RUN)
    asked = flow.build_agenda(plan, [], dag_id=DAG, run_id=RUN)
    agenda = flow.record_agenda(plan, {"key": asked["key"], "status": "expired", "defaulted": True,
                                       "answer": {"pakai_usulan": True}}, dag_id=DAG, run_id=RUN)
    keys = flow.send_invitations(plan, agenda, dag_id=DAG, run_id=RUN)
    return plan, agenda, keys


def test_an_unanswered_agenda_keeps_the_proposal_and_the_kabapas_as_host(invited) -> None:
    plan, agenda, keys = invited
    with session_scope() as session:
        meeting = session.get(TamuNgopiMeeting, plan["meeting_id"])
        # The third Thursday of December 2026, at the configured hour.
        assert meeting.starts_at.astimezone(WIB) == datetime(2026, 12, 17, 13, 0, tzinfo=WIB)
        assert meeting.host_nip == people.KABAPAS.nip and meeting.approved_by == "system"
        guests = {p.email for p in session.scalars(select(TamuNgopiParticipant)) if p.kind != "pegawai"}
    assert len(guests) == 4 and RUDI in guests  # every configured stakeholder stands
    assert len(keys) == len(set(keys)) and agenda["points"] == 0
    # Outsiders' keys name a hash of the address, never the address (Airflow sees the keys).
    assert not any("@" in k for k in keys)


def test_a_retried_invitation_sends_nothing_twice(invited) -> None:
    from bapas_sop.sops.tamu_ngopi import flow

    plan, agenda, keys = invited
    with session_scope() as session:
        before = session.query(OutboxMessage).count()
    assert flow.send_invitations(plan, agenda, dag_id=DAG, run_id=RUN) == keys
    with session_scope() as session:
        assert session.query(OutboxMessage).count() == before
        assert session.query(TamuNgopiParticipant).count() == len(keys)


def test_an_outsider_answers_diwakili_and_must_name_the_representative(invited, web) -> None:
    from bapas_sop.sops.tamu_ngopi import flow

    plan, _agenda, keys = invited
    with session_scope() as session:
        request = session.scalars(select(FormRequest).where(FormRequest.key.in_(keys),
                                                            FormRequest.assignee_email == RUDI)).one()
        url = humantask.personal_url(request)
    page = open_form(web, url)
    assert page.status_code == 200 and "Konfirmasi kehadiran Tamu Ngopi Desember 2026" in page.text
    refused = page.answer({"kehadiran": "diwakili", "catatan": "Kapolresta berhalangan"})
    assert refused.status_code == 422
    assert "Diwakili oleh (nama dan jabatan) wajib diisi." in refused.text
    assert "Kapolresta berhalangan" in refused.text  # what was typed is kept
    assert page.answer({"kehadiran": "diwakili", "diwakili_oleh": "Bripka Andi Saputra"}).status_code == 303
    counts = flow.record_rsvps(plan, [humantask.poll(request.key)], dag_id=DAG, run_id=RUN)
    assert counts["diwakili"] == 1
    with session_scope() as session:
        row = session.scalars(select(TamuNgopiParticipant).where(TamuNgopiParticipant.email == RUDI)).one()
        assert (row.rsvp, row.representative, row.rsvp_note) == ("diwakili", "Bripka Andi Saputra", None)


def test_the_decision_form_wants_an_owner_and_a_date_for_each_item(project) -> None:
    from bapas_sop.sops.tamu_ngopi.forms import KEPUTUSAN

    context = {"pegawai_options": [{"value": people.BAMBANG.nip, "label": people.BAMBANG.name}]}
    errors = KEPUTUSAN.validate({"tindakan_1": "Buka layanan Sabtu", "pj_2": people.BAMBANG.nip,
                                 "tenggat_3": "2020-01-01", "tindakan_3": "Lama"}, context).errors
    assert errors == {
        "pj_1": "Penanggung jawab tindak lanjut 1 wajib dipilih.",
        "tenggat_1": "Tenggat tindak lanjut 1 wajib diisi.",
        "tindakan_2": "Tindak lanjut 2 wajib diisi bila penanggung jawab atau tenggatnya diisi.",
        "pj_3": "Penanggung jawab tindak lanjut 3 wajib dipilih.",
        "tenggat_3": "Tenggat tindak lanjut 3 tidak boleh sebelum hari ini.",
    }
    assert KEPUTUSAN.validate({}, context).ok  # no action item at all is a decision too


def _item(due: date) -> int:
    with session_scope() as session:
        meeting = TamuNgopiMeeting(month="2026-11", dag_id=DAG, run_id="scheduled__2026-11-02", agenda=[])
        session.add(meeting)
        session.flush()
        item = TamuNgopiActionItem(meeting_id=meeting.id, month="2026-11", slot=1, title="Pasang papan alur layanan",
                                   owner_nip=people.SITI.nip, owner_name=people.SITI.name, due_date=due,
                                   status="terbuka", reports=0)
        session.add(item)
        session.flush()
        return item.id


def _outbox(key: str) -> OutboxMessage | None:
    with session_scope() as session:
        row = session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
        session.expunge_all()
    return row


def test_an_unreported_item_is_reminded_escalated_after_its_due_date_and_asked_again(project, smtp_server) -> None:
    from bapas_sop.sops.tamu_ngopi import flow

    due = date(2026, 11, 25)
    item_id = _item(due)
    first = flow.open_follow_up(item_id, 1, dag_id=DAG, run_id=RUN)
    assert first.key == f"{DAG}/{RUN}/tindak_lanjut/{item_id}" and first.result is None
    deadline = datetime.combine(due, time(16, 0), tzinfo=WIB)
    with session_scope() as session:
        request = session.scalar(select(FormRequest).where(FormRequest.key == first.key))
        assert request.due_at == deadline and request.assignee_nip == people.SITI.nip
        assert request.escalate_to_role == "kabapas"

    # The day before: a reminder to the owner. After the due date: the Kabapas is told.
    humantask.sweep(now=deadline - timedelta(hours=20))
    reminder = _outbox(f"{first.key}/reminder/v1")
    assert reminder is not None and reminder.to_addr == people.SITI.email
    assert _outbox(f"{first.key}/escalation/{people.KABAPAS.nip}") is None
    humantask.sweep(now=deadline + timedelta(minutes=5))
    escalation = _outbox(f"{first.key}/escalation/{people.KABAPAS.nip}")
    assert escalation is not None and escalation.to_addr == people.KABAPAS.email
    assert "Pasang papan alur layanan" in escalation.html

    # Still no report a day later: the round closes as "not reported" and a new one is asked,
    # a week on (the item's due date is past), with its own reminder and escalation.
    later = deadline + timedelta(days=1, minutes=1)
    outcome = humantask.poll(first.key, now=later)
    assert outcome["status"] == "expired"
    outcome.update(answer=outcome["default_answer"], defaulted=True)
    with pinned_clock(later):
        second = flow.after_follow_up(outcome, max_rounds=3)
        assert second.key == f"{first.key}/r2"
        assert flow.after_follow_up(outcome, max_rounds=3).key == second.key  # a retry: the same round
    with session_scope() as session:
        again = session.scalar(select(FormRequest).where(FormRequest.key == second.key))
        item = session.get(TamuNgopiActionItem, item_id)
        assert (item.reports, item.status) == (1, "terbuka")
        assert again.due_at.astimezone(WIB) == datetime(2026, 12, 3, 16, 0, tzinfo=WIB)

    # Reported done in the last round allowed: the loop ends, the item is done.
    with pinned_clock(later):
        done = flow.after_follow_up({**outcome, "key": second.key, "defaulted": False, "answered_by": people.SITI.nip,
                                     "answer": {"status": "selesai", "keterangan": "Papan terpasang."}}, max_rounds=3)
    assert done.result == {"item_id": item_id, "status": "selesai", "reports": 2}
    with session_scope() as session:
        item = session.get(TamuNgopiActionItem, item_id)
        assert (item.status, item.reports, item.done_note) == ("selesai", 2, "Papan terpasang.")


def test_the_admin_page_groups_items_by_where_they_stand_on_the_day(project) -> None:
    from bapas_sop.sops.tamu_ngopi.pages import admin_page

    _item(date(2026, 11, 10))
    with session_scope() as session:
        meeting = session.scalar(select(TamuNgopiMeeting))
        session.add(TamuNgopiActionItem(meeting_id=meeting.id, month="2026-11", slot=2, title="Sosialisasi ke kelurahan",
                                        owner_nip=people.DEDI.nip, owner_name=people.DEDI.name,
                                        due_date=date(2026, 11, 30), status="terbuka", reports=0))
    html = admin_page(datetime(2026, 11, 18, 9, 0, tzinfo=WIB)).body.decode()
    overdue = html.split('id="terlambat"', 1)[1].split('id="terbuka"', 1)[0]
    still_open = html.split('id="terbuka"', 1)[1].split('id="selesai"', 1)[0]
    assert "Pasang papan alur layanan" in overdue and "lewat 8 hari" in overdue
    assert "Sosialisasi ke kelurahan" in still_open and "Pasang papan" not in still_open
    # On its due date an item is not late yet; the day after it is.
    html = admin_page(datetime(2026, 11, 10, 15, 0, tzinfo=WIB)).body.decode()
    assert "0 lewat tenggat" in html and "2 terbuka" in html

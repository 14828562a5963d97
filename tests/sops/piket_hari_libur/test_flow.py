"""Piket Hari Libur's tasks without Airflow: draft, approval with swaps, the substitution loop,
the duty page's records, the missed check-in and the report (on pinned days)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from bapas_sop import humantask
from bapas_sop.calendar import WIB
from bapas_sop.humantask import RequestKey
from bapas_sop.store.db import session_scope
from bapas_sop.store.models import FormRequest
from tests.support import people
from tests.support.clock import pinned_clock
from tests.support.scenario import inbox, messages
from tests.sops.peterpan.test_scenario import attachments_of, pdf_text

DAG, RUN = "piket_hari_libur", "manual__test"
DECEMBER = "2026-12"


def approved_roster(swaps: dict[str, str] | None = None) -> tuple[dict, dict]:
    from bapas_sop.sops.piket_hari_libur import flow

    plan = flow.plan_month({"bulan": DECEMBER}, dag_id=DAG, run_id=RUN)
    drafted = flow.draft(plan, dag_id=DAG, run_id=RUN)
    outcome = {"answer": {"keputusan": "setuju"}, "answered_by": people.KABAPAS.nip, "rounds": 1,
               "work": {"answer": dict(swaps or {}), "answered_by": people.HASAN.nip}}
    officers = flow.approve(plan, outcome, dag_id=DAG, run_id=RUN)
    return plan, {"drafted": drafted, "officers": officers}


def duties(day: date | None = None) -> list:
    from bapas_sop.sops.piket_hari_libur.models import PiketDuty

    with session_scope() as session:
        stmt = select(PiketDuty).order_by(PiketDuty.day, PiketDuty.slot)
        if day is not None:
            stmt = stmt.where(PiketDuty.day == day)
        rows = session.scalars(stmt).all()
        session.expunge_all()
    return list(rows)


def answer(key: str, values: dict) -> dict:
    with session_scope() as session:
        request = session.scalar(select(FormRequest).where(FormRequest.key == key))
        token = humantask.personal_url(request).rsplit("/f/", 1)[1]
    result = humantask.submit(token, values)
    assert result.status == "saved", result.validation and result.validation.errors
    return humantask.poll(key)


def test_the_draft_covers_every_non_working_day_and_leaves_out_who_is_away(project, smtp_server) -> None:
    plan, made = approved_roster()
    days = {d for d, _ in plan["days"]}
    assert {"2026-12-05", "2026-12-24", "2026-12-25", "2026-12-31"} - days == {"2026-12-31"}  # 31 Dec is a Thursday
    rows = duties()
    assert {r.day.isoformat() for r in rows} == days and len(rows) == 2 * len(days)
    assert people.YULIANA.nip not in {r.nip for r in rows}  # on leave the whole month
    assert people.KABAPAS.nip not in {r.nip for r in rows}
    assert all(r.nip != people.DEDI.nip for r in rows if r.day >= date(2026, 12, 21))  # cuti 21-31 Dec
    assert {r.role for r in rows} == {"pk", "lainnya"}
    # Staf TU's form offers each place of the draft and each eligible employee.
    assert len(made["drafted"]["jadwal_options"]) == len(rows)
    assert any("Hari Raya Natal" in label for label, _ in made["drafted"]["facts"])


def test_staf_tu_swaps_are_made_and_every_officer_is_told_with_an_invitation(project, smtp_server) -> None:
    from bapas_sop.sops.piket_hari_libur import flow

    plan = flow.plan_month({"bulan": DECEMBER}, dag_id=DAG, run_id=RUN)
    drafted = flow.draft(plan, dag_id=DAG, run_id=RUN)
    first = drafted["jadwal_options"][0]["value"]  # "2026-12-05|<nip>"
    out = first.split("|")[1]
    into = next(o["value"] for o in drafted["pegawai_options"] if o["value"] not in first and o["value"] != out
                and o["value"] != people.HASAN.nip)
    outcome = {"answer": {"keputusan": "setuju"}, "answered_by": people.KABAPAS.nip, "rounds": 2,
               "work": {"answer": {"keluar_1": first, "masuk_1": into}, "answered_by": people.HASAN.nip}}
    officers = flow.approve(plan, outcome, dag_id=DAG, run_id=RUN)
    assert flow.approve(plan, outcome, dag_id=DAG, run_id=RUN) == officers  # a retry changes nothing
    saturday = {d.nip for d in duties(date(2026, 12, 5))}
    assert into in saturday and out not in saturday

    sent = flow.notify_officers(plan, dag_id=DAG, run_id=RUN)
    assert sent == len(officers)
    mails = messages(smtp_server.maildir, subject="Jadwal piket hari libur Desember 2026")
    assert len(mails) == sent
    mine = next(m for m in mails if m.to == [people.person(into).email])
    ics = attachments_of(smtp_server.maildir, mine)["undangan.ics"]
    text = ics.decode() if isinstance(ics, bytes) else ics
    assert "BEGIN:VEVENT" in text and "Piket hari libur" in text


def test_substitution_decline_back_to_the_officer_then_staf_tu_appoints(project, smtp_server) -> None:
    from bapas_sop.sops.piket_hari_libur import flow

    plan, made = approved_roster()
    officer = made["officers"][0]
    mine = [d for d in duties() if d.nip == officer["nip"]]
    day = mine[0].day.isoformat()
    free = [p for p in (people.RIZKI, people.FAJAR, people.MAYA, people.AGUS, people.INDRA, people.LESTARI)
            if p.nip != officer["nip"] and all(d.nip != p.nip or d.day.isoformat() != day for d in duties())]

    step = flow.open_availability(officer, dag_id=DAG, run_id=RUN)
    assert step.key.endswith(f"/kesediaan_petugas/{officer['nip']}")
    outcome = answer(step.key, {"kesediaan": "berhalangan", "tanggal": [day], "pengganti": free[0].nip,
                                "alasan": "Menghadiri pernikahan saudara."})
    step = flow.after_answer(officer, outcome, RequestKey.parse(outcome["key"]))
    assert f"/konfirmasi_pengganti/{officer['nip']}" in step.key
    # The substitute declines: back to the officer (round 2) with the reason.
    outcome = answer(step.key, {"keputusan": "menolak", "catatan": "Saya dinas luar kota."})
    step = flow.after_answer(officer, outcome, RequestKey.parse(outcome["key"]))
    assert step.key.endswith(f"/kesediaan_petugas/{officer['nip']}/r2")
    with session_scope() as session:
        again = session.scalar(select(FormRequest).where(FormRequest.key == step.key))
        assert "tidak dapat menggantikan" in str(again.context["facts"])
    # A second name, who declines too: now Staf TU appoints.
    outcome = answer(step.key, {"kesediaan": "berhalangan", "tanggal": [day], "pengganti": free[1].nip,
                                "alasan": "Menghadiri pernikahan saudara."})
    step = flow.after_answer(officer, outcome, RequestKey.parse(outcome["key"]))
    assert step.key.endswith(f"/konfirmasi_pengganti/{officer['nip']}/r2")
    outcome = answer(step.key, {"keputusan": "menolak", "catatan": "Keluarga sakit."})
    step = flow.after_answer(officer, outcome, RequestKey.parse(outcome["key"]))
    assert step.key.endswith(f"/penunjukan_pengganti/{officer['nip']}")
    with session_scope() as session:
        appoint = session.scalar(select(FormRequest).where(FormRequest.key == step.key))
        assert appoint.assignee_nip == people.HASAN.nip
    outcome = answer(step.key, {"pengganti": free[2].nip})
    step = flow.after_answer(officer, outcome, RequestKey.parse(outcome["key"]))
    assert step.result == {"nip": officer["nip"], "status": "digantikan", "by": "staf_tu"}

    from bapas_sop.sops.piket_hari_libur.models import PiketHandover

    moved = next(d for d in duties(date.fromisoformat(day)) if d.scheduled_nip == officer["nip"])
    assert moved.nip == free[2].nip
    with session_scope() as session:
        [handover] = session.scalars(select(PiketHandover)).all()
        assert (handover.from_nip, handover.to_nip, handover.decided_by) == (officer["nip"], free[2].nip, people.HASAN.nip)
    [told] = messages(smtp_server.maildir, subject="Anda menggantikan piket hari libur")
    assert told.to == [free[2].email]
    assert "undangan.ics" in attachments_of(smtp_server.maildir, told)


def test_an_officer_who_does_not_answer_serves(project, smtp_server) -> None:
    from bapas_sop.sops.piket_hari_libur import flow

    _plan, made = approved_roster()
    officer = made["officers"][0]
    step = flow.open_availability(officer, dag_id=DAG, run_id=RUN)
    humantask.expire_now([step.key])
    outcome = humantask.poll(step.key)
    outcome = {**outcome, "answer": outcome["default_answer"]}
    assert flow.after_answer(officer, outcome, RequestKey.parse(step.key)).result["status"] == "bersedia"


def test_the_day_checkin_escalation_and_the_report(project, smtp_server) -> None:
    from bapas_sop.sops.piket_hari_libur import flow

    approved_roster()
    saturday = date(2026, 12, 5)
    first, second = duties(saturday)
    with pinned_clock(datetime(2026, 12, 4, 6, 0, tzinfo=WIB)):
        assert flow.remind_day_before("2026-12-04") == 2
    with pinned_clock(datetime(2026, 12, 5, 7, 30, tzinfo=WIB)):
        flow.check_in(first.token)
        with pytest.raises(flow.DutyError, match="hari piket"):
            flow.check_in(duties(date(2026, 12, 6))[0].token)
        entry, created = flow.log_entry(first.token, "wajib_lapor", {"nama_klien": "Rudi Hartono"}, "a" * 20)
        assert created and not flow.log_entry(first.token, "wajib_lapor", {"nama_klien": "Rudi Hartono"}, "a" * 20)[1]
    with pinned_clock(datetime(2026, 12, 5, 8, 5, tzinfo=WIB)):
        assert flow.escalate_missing_checkins("2026-12-05") == [second.id]
    [escalation] = messages(smtp_server.maildir, subject="Petugas piket belum hadir")
    assert escalation.to == [people.DEWI.email] and people.KABAPAS.email in escalation.cc

    with pinned_clock(datetime(2026, 12, 7, 6, 0, tzinfo=WIB)):
        assert flow.report("2026-12-06") == []  # a Sunday: no report
        assert flow.report("2026-12-07") == ["2026-12-05", "2026-12-06"]
        assert flow.report("2026-12-07") == ["2026-12-05", "2026-12-06"]  # a retry sends nothing twice
    [mail] = messages(smtp_server.maildir, subject="Laporan piket hari libur")
    assert mail.to == [people.KABAPAS.email]
    text = pdf_text(attachments_of(smtp_server.maildir, mail)["laporan-piket-2026-12-05.pdf"])
    assert "Rudi Hartono" in text and "tidak mengisi kehadiran" in text
    assert len(inbox(smtp_server.maildir)) == 4  # two reminders, one escalation, one report


def test_a_month_approved_again_replaces_the_earlier_roster(project, smtp_server) -> None:
    from bapas_sop.sops.piket_hari_libur import flow
    from bapas_sop.sops.piket_hari_libur.models import PiketRoster

    approved_roster()
    plan = flow.plan_month({"bulan": DECEMBER}, dag_id=DAG, run_id="manual__again")
    flow.draft(plan, dag_id=DAG, run_id="manual__again")
    flow.approve(plan, {"answer": {"keputusan": "setuju"}, "work": {"answer": {}}}, dag_id=DAG, run_id="manual__again")
    with session_scope() as session:
        statuses = {r.run_id: r.status for r in session.scalars(select(PiketRoster))}
        assert statuses == {RUN: "diganti", "manual__again": "disetujui"}
        # The day's team is the new roster's only: nobody is told twice.
        assert len(flow._approved_duties(session, date(2026, 12, 5))) == 2

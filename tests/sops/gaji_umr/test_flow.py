"""Gaji UMR's tasks without Airflow: the default activity and the contact chain of a slot."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from bapas_sop import humantask
from bapas_sop.sops.gaji_umr.models import GajiUmrClient, GajiUmrMonth
from bapas_sop.store.db import session_scope
from bapas_sop.store.models import AuditEvent, FormRequest

DAG, RUN = "gaji_umr", "manual__test"
BAMBANG = "198409092009121001"  # stand-in of Yuliana (on leave)


@pytest.fixture
def planned(project, smtp_server):
    from bapas_sop.sops.gaji_umr import flow as gaji_umr_flow

    plan = gaji_umr_flow.plan_month({"bulan": "2026-12", "seksi": "bkd", "jumlah_klien": 3}, dag_id=DAG, run_id=RUN)
    activity = gaji_umr_flow.record_activity(plan, {"status": "expired", "defaulted": True, "answer": {"pakai_saran": True}},
                                             dag_id=DAG, run_id=RUN)
    proposal = gaji_umr_flow.propose_clients(plan, activity, dag_id=DAG, run_id=RUN)
    slots = gaji_umr_flow.record_selection(plan, activity, proposal, {"status": "expired", "answer": {"klien": None}},
                                           dag_id=DAG, run_id=RUN)
    return plan, activity, proposal, slots


def _answer(key: str, status: str) -> dict:
    with session_scope() as session:
        request = session.scalar(select(FormRequest).where(FormRequest.key == key))
        token = humantask.personal_url(request).rsplit("/f/", 1)[1]
    result = humantask.submit(token, {"status": status})
    assert result.status == "saved", result.validation and result.validation.errors
    return humantask.poll(key)


def test_an_unanswered_activity_takes_the_suggestion_and_the_proposal_stands(planned) -> None:
    plan, activity, proposal, slots = planned
    assert activity["source"] == "saran" and activity["kegiatan"] == plan["suggestion"]["kegiatan"]
    assert any("Saran sistem" in value for _label, value in activity["facts"])
    assert [s["client_id"] for s in slots] == proposal["proposed"] and len(slots) == 3
    assert [s["slot"] for s in slots] == [1, 2, 3]


def test_a_decline_pulls_the_next_client_and_a_retry_changes_nothing(planned) -> None:
    from bapas_sop.sops.gaji_umr import flow as gaji_umr_flow

    plan, _activity, proposal, slots = planned
    ranked = list(gaji_umr_flow.ranking(plan)["id_klien"])
    first = gaji_umr_flow.open_contact(slots[0], dag_id=DAG, run_id=RUN)
    assert first.key.endswith(f"/menghubungi_klien/{slots[0]['client_id']}")
    assert gaji_umr_flow.open_contact(slots[0], dag_id=DAG, run_id=RUN).key == first.key  # retried task

    declined = _answer(first.key, "menolak")
    step = gaji_umr_flow.after_contact(slots[0], declined, dag_id=DAG, run_id=RUN)
    assert step.result is None and step.key.endswith(f"/menghubungi_klien/{ranked[3]}")
    # The same answer seen again (a retried task) resumes the chain where it is.
    assert gaji_umr_flow.after_contact(slots[0], declined, dag_id=DAG, run_id=RUN).key == step.key
    assert gaji_umr_flow.open_contact(slots[0], dag_id=DAG, run_id=RUN).key == step.key

    # Slot 2 declines too: it gets the next client, not slot 1's replacement.
    second = gaji_umr_flow.open_contact(slots[1], dag_id=DAG, run_id=RUN)
    step2 = gaji_umr_flow.after_contact(slots[1], _answer(second.key, "tidak_terhubung"), dag_id=DAG, run_id=RUN)
    assert step2.key.endswith(f"/menghubungi_klien/{ranked[4]}")

    confirmed = gaji_umr_flow.after_contact(slots[0], _answer(step.key, "dikonfirmasi"), dag_id=DAG, run_id=RUN)
    assert confirmed.result["client_id"] == ranked[3] and confirmed.result["attempts"] == 2

    with session_scope() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.run_id == RUN)).all()
        actions = Counter(e.action for e in events)
        clients = {c.client_id: (c.status, c.contact_status, c.slot) for c in session.scalars(
            select(GajiUmrClient).where(GajiUmrClient.month == plan["month"]))}
    assert actions["gaji_umr_contact"] == 3  # logged once each, whatever the retries
    assert clients == {  # one row each, whatever the retries
        slots[0]["client_id"]: ("menolak", "menolak", 1), slots[1]["client_id"]: ("tidak_terhubung", "tidak_terhubung", 2),
        ranked[3]: ("dikonfirmasi", "dikonfirmasi", 1),
    }
    history = gaji_umr_flow.participation_history()
    assert dict(zip(history["client_id"], history["status"], strict=True)) == {
        slots[0]["client_id"]: "menolak", slots[1]["client_id"]: "tidak_terhubung"}


def test_a_slot_gives_up_after_its_attempts(planned) -> None:
    from bapas_sop.sops.gaji_umr import flow as gaji_umr_flow

    _plan, _activity, _proposal, slots = planned
    step = gaji_umr_flow.open_contact(slots[2], dag_id=DAG, run_id=RUN)
    for _ in range(2):
        step = gaji_umr_flow.after_contact(slots[2], _answer(step.key, "menolak"), dag_id=DAG, run_id=RUN, max_attempts=3)
        assert step.key
    last = gaji_umr_flow.after_contact(slots[2], _answer(step.key, "menolak"), dag_id=DAG, run_id=RUN, max_attempts=3)
    assert last.result == {"slot": 3, "client_id": None, "status": "tidak_terisi", "attempts": 3}


def test_the_pk_on_leave_is_replaced_by_the_stand_in(planned) -> None:
    from bapas_sop.sops.gaji_umr import flow as gaji_umr_flow

    plan, activity, proposal, _slots = planned
    yuliana_client = "KL-BKD-005"  # PK Yuliana Harahap, on leave
    slot = gaji_umr_flow.record_selection(plan, activity, proposal, {"answer": {"klien": [yuliana_client]}},
                                          dag_id=DAG, run_id="manual__other")[0]
    step = gaji_umr_flow.open_contact(slot, dag_id=DAG, run_id="manual__other")
    with session_scope() as session:
        request = session.scalar(select(FormRequest).where(FormRequest.key == step.key))
        assert request.assignee_nip == BAMBANG and request.original_assignee_nip == "198706142011012002"


def test_every_step_run_twice_leaves_one_record_per_run_and_one_row_per_client(planned) -> None:
    from bapas_sop.sops.gaji_umr import flow as gaji_umr_flow
    from bapas_sop.store.models import OutboxMessage

    plan, activity, proposal, slots = planned
    # Every step again, as a retried task would: the month's records stay as first written.
    again = gaji_umr_flow.record_activity(plan, {"status": "answered", "answered_by": "someone", "answer": {
        "kegiatan": "Lain", "tempat": "Lain", "tanggal": activity["tanggal"], "jam": "09.00"}}, dag_id=DAG, run_id=RUN)
    assert again["kegiatan"] == "Lain"  # what the task returns; the record keeps the first answer
    gaji_umr_flow.propose_clients(plan, activity, dag_id=DAG, run_id=RUN)
    gaji_umr_flow.record_selection(plan, activity, proposal, {"status": "expired", "answer": {"klien": None}},
                                   dag_id=DAG, run_id=RUN)
    results = []
    for slot in slots:
        step = gaji_umr_flow.open_contact(slot, dag_id=DAG, run_id=RUN)
        outcome = _answer(step.key, "dikonfirmasi")
        results.append(gaji_umr_flow.after_contact(slot, outcome, dag_id=DAG, run_id=RUN).result)
        assert gaji_umr_flow.after_contact(slot, outcome, dag_id=DAG, run_id=RUN).result == results[-1]
    chosen = [s["client_id"] for s in slots]
    attendance = {"answer": {"hadir": chosen[:2], "jumlah_petugas": 4, "uraian": "Lancar."},
                  "answered_by": "197811032003121002", "answered_by_name": "Ahmad Fauzi Nasution"}
    for _ in range(2):
        people = gaji_umr_flow.participants(plan, activity, results, dag_id=DAG, run_id=RUN)
        gaji_umr_flow.report(plan, activity, people, attendance, dag_id=DAG, run_id=RUN)

    with session_scope() as session:
        [run] = session.scalars(select(GajiUmrMonth).where(GajiUmrMonth.month == plan["month"])).all()
        clients = session.scalars(select(GajiUmrClient).where(GajiUmrClient.month == plan["month"])).all()
        actions = Counter(e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.run_id == RUN)))
        emails = Counter(m.key.split("/")[2] for m in session.scalars(select(OutboxMessage)))
    assert (run.run_id, run.section, run.kegiatan, run.suggested) == (RUN, "bkd", activity["kegiatan"], True)
    assert run.proposed == proposal["proposed"] and run.selected == chosen and run.swapped_out == []
    assert run.participants_sent_at is not None and (run.attended, run.invited, run.staff) == (2, 3, 4)
    assert sorted((c.client_id, c.status, c.contact_status) for c in clients) == sorted(
        [(chosen[0], "hadir", "dikonfirmasi"), (chosen[1], "hadir", "dikonfirmasi"),
         (chosen[2], "tidak_hadir", "dikonfirmasi")])
    for action in ("gaji_umr_activity", "gaji_umr_proposed", "gaji_umr_selected", "gaji_umr_participants",
                   "gaji_umr_report"):
        assert actions[action] == 1, action
    assert actions["gaji_umr_contact"] == 3 and actions["gaji_umr_participation"] == 3
    assert emails["daftar_peserta"] == 1 and emails["laporan"] == 1
    history = gaji_umr_flow.participation_history()
    assert sorted(zip(history["client_id"], history["status"], strict=True)) == sorted(
        [(chosen[0], "hadir"), (chosen[1], "hadir"), (chosen[2], "tidak_hadir")])

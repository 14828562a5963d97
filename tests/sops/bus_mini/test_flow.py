"""The flow's record of a run (``bus_mini_week``): every step writes the run's one row, and a
step that runs again (a retried task, another poke) neither adds a row nor emails twice."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bapas_sop.sops.bus_mini.rules import Week

DAG, RUN = "bus_mini", "manual__test"
MAYA_NIP = "199407062018122002"
TIM_HUMAS = ["lestari.handayani@bapas-jambi.example", "maya.putri@bapas-jambi.example"]


@pytest.fixture
def plan(project, smtp_server, monkeypatch):
    from bapas_sop.sops.bus_mini import flow as bus_mini_flow
    from bapas_sop.store.models import utcnow

    monkeypatch.delenv(bus_mini_flow.CHANNEL_ENV, raising=False)
    return bus_mini_flow.plan_week({"pekan": Week.of(utcnow()).key}, dag_id=DAG, run_id=RUN)


def _rows():
    from bapas_sop.sops.bus_mini.models import BusMiniWeek
    from bapas_sop.store.db import session_scope

    with session_scope() as session:
        return session.scalars(select(BusMiniWeek)).all()


def _audit_count(action: str) -> int:
    from bapas_sop.store.db import session_scope
    from bapas_sop.store.models import AuditEvent

    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def test_every_step_twice_leaves_one_row_and_one_email_each(plan, smtp_server) -> None:
    from bapas_sop.directory import get_directory
    from bapas_sop.mail.devserver import read_inbox
    from bapas_sop.sops.bus_mini import flow as bus_mini_flow

    maildir = smtp_server.maildir
    week = Week.parse(plan["week"])
    reporters = bus_mini_flow.reporters(get_directory())

    for _ in range(2):
        keys = bus_mini_flow.open_report_requests(plan, dag_id=DAG, run_id=RUN)
    assert len(keys) == len(reporters)
    assert len([m for m in read_inbox(maildir) if "Laporan kegiatan untuk Bus Mini" in m.subject]) == len(reporters)
    [row] = _rows()
    assert (row.week, row.dag_id, row.run_id, row.rundown_sent_at, row.status) == (plan["week"], DAG, RUN, None, None)

    outcomes = [{"key": f"{DAG}/{RUN}/mengumpulkan_informasi/{MAYA_NIP}", "status": "answered", "answered_by": MAYA_NIP,
                 "answer": {"ada_kegiatan": True, "judul_1": "Penyuluhan hukum", "tanggal_1": week.monday.isoformat(),
                            "uraian_1": "SMP Negeri 7 Jambi"}}]
    for _ in range(2):
        bus_mini_flow.compile_rundown(plan, outcomes, dag_id=DAG, run_id=RUN)
    rundowns = [m for m in read_inbox(maildir) if m.subject.startswith("Rundown Bus Mini")]
    assert sorted(m.to[0] for m in rundowns) == TIM_HUMAS
    [row] = _rows()
    assert row.rundown_sent_at is not None
    assert (row.rundown_recipients, row.rundown_items, row.rundown_reporters) == (2, 1, 1)
    assert _audit_count("bus_mini_rundown") == 1

    result = {"status": "uploaded", "source": "konfirmasi", "video": {
        "video_id": "abcDEF12345", "title": "Bus Mini pekan ini", "url": "https://youtu.be/abcDEF12345",
        "published_at": None, "confirmed_at": "2026-11-27T09:00:00+00:00", "confirmed_by": MAYA_NIP}}
    for _ in range(2):
        video = bus_mini_flow.record_week(plan, result, dag_id=DAG, run_id=RUN)
    assert video["url"] == "https://youtu.be/abcDEF12345"
    sent = [bus_mini_flow.announce_video(plan, video, dag_id=DAG, run_id=RUN) for _ in range(2)]
    employees = get_directory().active_employees()
    assert sent == [len(employees), 0]
    assert len([m for m in read_inbox(maildir) if m.subject.endswith("sudah tayang")]) == len(employees)

    [row] = _rows()
    assert (row.status, row.source, row.video_id, row.confirmed_by) == ("uploaded", "konfirmasi", "abcDEF12345", MAYA_NIP)
    assert row.confirmed_at.isoformat() == "2026-11-27T09:00:00+00:00"
    assert row.announced_to == len(employees) and row.announced_at is not None
    assert _audit_count("bus_mini_week") == 1
    [shown] = bus_mini_flow.week_history()
    assert (shown["week"], shown["status"], shown["url"]) == (plan["week"], "uploaded", "https://youtu.be/abcDEF12345")


def test_a_second_run_of_the_same_week_is_a_row_of_its_own_and_the_history_shows_its_outcome(plan) -> None:
    from bapas_sop.sops.bus_mini import flow as bus_mini_flow

    bus_mini_flow.record_week(plan, {"status": "missed", "video": None, "source": "youtube"}, dag_id=DAG, run_id=RUN)
    bus_mini_flow.record_week(plan, {"status": "uploaded", "source": "youtube", "video": {
        "video_id": "late0000001", "title": "Bus Mini (susulan)", "url": "https://www.youtube.com/watch?v=late0000001",
        "published_at": "2026-11-29T10:00:00+07:00"}}, dag_id=DAG, run_id="manual__again")

    assert sorted(r.run_id for r in _rows()) == ["manual__again", RUN]
    [shown] = bus_mini_flow.week_history()
    assert (shown["status"], shown["title"]) == ("uploaded", "Bus Mini (susulan)")

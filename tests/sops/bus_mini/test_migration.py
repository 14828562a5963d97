"""Revision bus_mini_0001: a database whose Bus Mini records are audit rows (as the flow wrote
them before the ``bus_mini_week`` table) shows the same weeks after the upgrade."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from bapas_sop import audit
from bapas_sop.store.db import session_scope
from tests.support.migrations import database_at

DAG = "bus_mini"
MAYA, LESTARI = "maya.putri@bapas-jambi.example", "lestari.handayani@bapas-jambi.example"
INDRA_NIP = "198301172008011004"  # Ketua Humas
MAYA_NIP = "199407062018122002"


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=timezone.utc)


@pytest.fixture
def old_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A project database at the shared schema only (revision 0001), before Bus Mini's branch."""
    url = database_at(tmp_path, monkeypatch, "0001")
    return url


def _old_event(session, when: datetime, **kwargs) -> None:
    """An audit row as the flow wrote it (``audit.record``), at a known time."""
    event = audit.record(session, **kwargs)
    event.at = when


def _seed_old_trail() -> None:
    """What HEAD~1's ``bus_mini_flow`` recorded: its actions, subjects and detail keys."""
    from bapas_sop.mail.outbox import enqueue

    w47, w48, w49, w48_again = ("scheduled__2026-11-16", "scheduled__2026-11-23", "scheduled__2026-11-30",
                                "manual__2026-11-29")
    with session_scope() as session:
        # Week 47: rundown to Tim Humas (two emails), nothing uploaded, reminder, escalation, missed.
        for email in (MAYA, LESTARI):
            enqueue(session, key=f"{DAG}/{w47}/rundown/{email}", to=email, subject="Rundown", html="<p>r</p>", text="r")
        _old_event(session, at(18, 3), actor="system", action="bus_mini_rundown", subject="bus_mini/2026-W47",
                   dag_id=DAG, run_id=w47, items=3, reporters=2, silent=1)
        _old_event(session, at(21, 2), actor="system", action="bus_mini_upload_reminder", subject="bus_mini/2026-W47",
                   dag_id=DAG, run_id=w47, to=[MAYA, LESTARI])
        _old_event(session, at(22, 17), actor="system", action="bus_mini_upload_escalated", subject="bus_mini/2026-W47",
                   dag_id=DAG, run_id=w47, to=INDRA_NIP)
        _old_event(session, at(22, 17), actor="system", action="bus_mini_week", subject="bus_mini/2026-W47",
                   dag_id=DAG, run_id=w47, week="2026-W47", status="missed", source="youtube", video_id=None,
                   title=None, url=None, published_at=None)
        # Week 48: found on YouTube (published_at as the task's XCom carried it: ISO text).
        _old_event(session, at(25, 3), actor="system", action="bus_mini_rundown", subject="bus_mini/2026-W48",
                   dag_id=DAG, run_id=w48, items=1, reporters=1, silent=0)
        _old_event(session, at(27, 10), actor="system", action="bus_mini_week", subject="bus_mini/2026-W48",
                   dag_id=DAG, run_id=w48, week="2026-W48", status="uploaded", source="youtube",
                   video_id="abcDEF12345", title="Bus Mini Pekan 48",
                   url="https://www.youtube.com/watch?v=abcDEF12345", published_at="2026-11-27T16:30:00+07:00")
        # An admin's second run of week 48 that only got as far as the rundown.
        _old_event(session, at(29, 1), actor="system", action="bus_mini_rundown", subject="bus_mini/2026-W48",
                   dag_id=DAG, run_id=w48_again, items=1, reporters=1, silent=0)
        # Week 49: Tim Humas confirmed the upload on the form (the actor is who confirmed).
        _old_event(session, at(30, 9), actor=MAYA_NIP, action="bus_mini_week", subject="bus_mini/2026-W49",
                   dag_id=DAG, run_id=w49, week="2026-W49", status="uploaded", source="konfirmasi",
                   video_id="zzzYYY00000", title="", url="https://youtu.be/zzzYYY00000", published_at=None)
        # Another SOP's row is left alone.
        audit.record(session, actor="system", action="peterpan_tally", subject="peterpan/2026-Q3", dag_id="peterpan",
                     run_id="scheduled__2026-10-01", votes=3)


def test_the_audit_trail_becomes_one_row_per_run_and_the_history_shows_the_same_weeks(old_database) -> None:
    from bapas_sop.sops.bus_mini import history
    from bapas_sop.sops.bus_mini.flow import week_history
    from bapas_sop.sops.bus_mini.models import BusMiniWeek
    from bapas_sop.store import migrate
    from bapas_sop.store.models import AuditEvent

    _seed_old_trail()

    migrate(old_database)

    weeks = week_history()
    assert [(w["week"], w["status"], w["url"]) for w in weeks] == [
        ("2026-W49", "uploaded", "https://youtu.be/zzzYYY00000"),
        ("2026-W48", "uploaded", "https://www.youtube.com/watch?v=abcDEF12345"),
        ("2026-W47", "missed", None),
    ]
    assert weeks[1]["published_at"] == datetime(2026, 11, 27, 9, 30, tzinfo=timezone.utc)

    section = history.rows()
    assert section["summary"] == "2 dari 3 pekan terakhir terunggah"
    w49, w48, w47 = section["rows"]
    assert (w48["label"], w48["uploaded"], w48["title"]) == ("Pekan 48 (23–29 Nov 2026)", True, "Bus Mini Pekan 48")
    assert w48["url"] == "https://www.youtube.com/watch?v=abcDEF12345"
    assert w48["published"] == "Jumat, 27 November 2026 pukul 16.30 WIB" and not w48["confirmed"]
    assert (w47["uploaded"], w47["url"]) == (False, None)
    assert w49["url"] == "https://youtu.be/zzzYYY00000" and w49["confirmed"] and w49["published"] is None

    with session_scope() as session:
        rows = {r.run_id: r for r in session.scalars(select(BusMiniWeek))}
        assert sorted(rows) == ["manual__2026-11-29", "scheduled__2026-11-16", "scheduled__2026-11-23",
                                "scheduled__2026-11-30"]
        missed = rows["scheduled__2026-11-16"]
        assert (missed.week, missed.dag_id, missed.status, missed.source) == ("2026-W47", DAG, "missed", "youtube")
        assert (missed.rundown_sent_at, missed.rundown_recipients, missed.rundown_items) == (at(18, 3), 2, 3)
        assert (missed.reminder_sent_at, missed.escalated_at, missed.recorded_at) == (at(21, 2), at(22, 17), at(22, 17))
        assert rows["scheduled__2026-11-23"].video_id == "abcDEF12345"
        assert rows["scheduled__2026-11-23"].confirmed_by is None
        assert rows["scheduled__2026-11-30"].confirmed_by == MAYA_NIP
        again = rows["manual__2026-11-29"]
        assert (again.week, again.status, again.rundown_sent_at) == ("2026-W48", None, at(29, 1))
        # The trail is a log: every audit row is still there.
        assert len(session.scalars(select(AuditEvent)).all()) == 9

    migrate(old_database)  # at the newest schema already: nothing moves twice
    with session_scope() as session:
        assert len(session.scalars(select(BusMiniWeek)).all()) == 4


def test_an_empty_database_gets_an_empty_table(old_database) -> None:
    from bapas_sop.sops.bus_mini.flow import week_history
    from bapas_sop.store import migrate

    migrate(old_database)

    assert week_history() == []

"""Revision 0004: an install whose steps waited in the triggerer is upgraded; an answer to a
step opened before leaves no wake-up (no task parked on it: its task, handed back by the
retired trigger, reads the store itself)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import insert, inspect

from bapas_sop import humantask
from bapas_sop.store.db import get_engine, session_scope
from bapas_sop.store.models import FormRequest
from tests.support.migrations import database_at

KEY = "sp2lo/manual__2026-12-01/kabapas_disposisi"


@pytest.fixture
def database_at_0003(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = database_at(tmp_path, monkeypatch, "0003")
    opened = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)
    with session_scope() as session:
        session.execute(insert(FormRequest.__table__).values(
            key=KEY, dag_id="sp2lo", run_id="manual__2026-12-01", step="kabapas_disposisi", form_name="sp2lo_disposisi",
            title="Disposisi", assignee_nip="196805121990031001", assignee_name="Kabapas", assignee_email="k@bapas.example",
            context={}, prefill={}, status="open", created_at=opened, due_at=opened + timedelta(days=1),
            expires_at=datetime(2100, 1, 1, tzinfo=timezone.utc), link_version=1,
        ))
    return url


def test_the_upgrade_adds_the_waiting_task_and_the_wake_ups(database_at_0003: str) -> None:
    from bapas_sop.store import migrate

    migrate(database_at_0003)
    migrate(database_at_0003)  # twice: nothing left to do

    tables = inspect(get_engine())
    assert "step_wake" in tables.get_table_names()
    assert {"waiting_task_id", "waiting_map_index"} <= {c["name"] for c in tables.get_columns("form_request")}
    # A step opened before the upgrade is answered: no task is marked as parked on it, so no
    # wake-up is left behind (its task reads the answer itself).
    assert humantask.record_answer(KEY, {"seksi": "bka"}, answered_at=humantask.utcnow(), link_id="t",
                                   channel="test") == "saved"
    assert humantask.due_wakes() == []
    assert humantask.poll(KEY)["status"] == "answered"

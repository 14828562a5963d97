"""Revision 0002: a database kept by the code before it (Google Form state and late answers
read back from the audit trail) is upgraded, and the core finds the same state in its own
tables: the half-created form is resumed, the published one is not created again, the closed
one stays closed, a refusal is not told twice and a late answer is not kept twice.

The audit rows are written as that code wrote them (``audit.record`` with the actions and
detail keys of ``git show HEAD:include/bapas_sop/google/form_steps.py`` and ``humantask.record_answer``).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import insert, inspect, select

from bapas_sop import audit, humantask
from bapas_sop.google import form_steps
from bapas_sop.store.db import alembic_config, get_engine, session_scope
from bapas_sop.store.models import AuditEvent, FormRequest, GoogleForm, GoogleFormRejection, LateAnswer
from tests.support.migrations import database_at

DAG = "peterpan"
SUBJECT = "peterpan/2026-Q3"
RUN = "scheduled__2026-10-01"
HALF_SUBJECT, HALF_RUN = "peterpan/2026-Q4", "scheduled__2027-01-01"
FORM_ID = "form-q3"
HASAN = "hasan.basri@bapas-jambi.example"
LESTARI = "lestari.handayani@bapas-jambi.example"
BAMBANG = "198409092009121001"
SITI = "199005022015032005"
LATE_KEY = f"{DAG}/{RUN}/suara/{BAMBANG}"
CREATED_AT = datetime(2026, 10, 1, 1, 0, tzinfo=timezone.utc)
CLOSED_AT = datetime(2026, 10, 9, 8, 0, tzinfo=timezone.utc)
FORM = {
    "form_id": FORM_ID, "responder_uri": f"https://docs.google.com/forms/d/e/{FORM_ID}/viewform",
    "token_item_id": "item-token", "token_question_id": "0000abcd", "question_ids": {"pilihan": "0000beef"},
    "title": "Survei Peterpan Triwulan III 2026", "publish_state": {"published": True, "accepting_responses": True},
}


def _record(action: str, subject: str, at: datetime, *, actor: str = "system", run_id: str | None = RUN,
            dag_id: str | None = DAG, **detail) -> None:
    with session_scope() as session:
        event = audit.record(session, actor=actor, action=action, subject=subject, dag_id=dag_id, run_id=run_id,
                             **detail)
        event.at = at


def _seed_old_trail() -> None:
    # Q3: started, created, shared with one refused address, shared again on a retry, closed.
    _record(form_steps.STARTED, SUBJECT, CREATED_AT, form_id=FORM_ID)
    _record(form_steps.CREATED, SUBJECT, CREATED_AT + timedelta(seconds=5), form=FORM)
    _record(form_steps.SHARED, SUBJECT, CREATED_AT + timedelta(seconds=6), form_id=FORM_ID, shared=[HASAN],
            share_failed={LESTARI: "Alamat ini tidak terhubung dengan akun Google."})
    _record(form_steps.SHARED, SUBJECT, CREATED_AT + timedelta(minutes=5), form_id=FORM_ID,
            shared=[HASAN, LESTARI], share_failed={})
    submitted = CREATED_AT + timedelta(hours=2)
    _record(form_steps.REJECTED, SUBJECT, submitted + timedelta(minutes=1), actor=SITI, run_id=None, dag_id=None,
            response_id="resp-self", reason="not_allowed", message="Anda tidak boleh memilih diri sendiri.",
            voter=SITI, submitted_at=submitted.isoformat(), errors={})
    _record(form_steps.REJECTED, SUBJECT, submitted + timedelta(minutes=2), actor="unknown", run_id=None,
            dag_id=None, response_id="resp-forged", reason="unknown_token", message="Kode tidak dikenal.",
            voter=None, submitted_at=submitted.isoformat(), errors={})
    _record(form_steps.CLOSED, SUBJECT, CLOSED_AT, run_id=None, dag_id=None, form_id=FORM_ID, counted=3, expired=1,
            too_late=[])
    # Q4: the form was created on Google, but filling or publishing it failed.
    _record(form_steps.STARTED, HALF_SUBJECT, CREATED_AT, run_id=HALF_RUN, form_id="form-q4")
    # Bambang's ballot had expired when his Google answer was read.
    with session_scope() as session:
        # The columns of revision 0001 only (later revisions add to the table).
        session.execute(insert(FormRequest.__table__).values(
            key=LATE_KEY, dag_id=DAG, run_id=RUN, step="suara", form_name="peterpan_suara", title="Suara",
            assignee_nip=BAMBANG, assignee_name="Bambang Setiawan", assignee_email="bambang@bapas.example",
            context={}, prefill={}, status="expired", created_at=CREATED_AT, due_at=CLOSED_AT,
            expires_at=CLOSED_AT, link_version=1,
        ))
    _record("answer_too_late", LATE_KEY, CLOSED_AT + timedelta(hours=1), actor=BAMBANG,
            answer={"pilihan": SITI, "alasan": "Teliti."}, channel=form_steps.CHANNEL, link_id="google:resp-late",
            answered_at=(CLOSED_AT + timedelta(minutes=30)).isoformat())


@pytest.fixture
def old_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A database at revision 0001 holding the audit rows the earlier code wrote."""
    url = database_at(tmp_path, monkeypatch, "0001")
    assert "google_form" not in inspect(get_engine()).get_table_names()
    _seed_old_trail()
    return url


def test_the_upgrade_moves_the_google_form_state_and_the_core_reads_it_back(old_database) -> None:
    from bapas_sop.store import migrate

    migrate(old_database)
    migrate(old_database)  # twice: nothing left to do

    with session_scope() as session:
        trail = len(session.scalars(select(AuditEvent)).all())
        forms = {row.subject: row for row in session.scalars(select(GoogleForm))}
        rejections = session.scalars(select(GoogleFormRejection).order_by(GoogleFormRejection.id)).all()
        [late] = session.scalars(select(LateAnswer)).all()
    assert trail == 9  # the audit rows stay: the trail is a log

    q3 = forms[SUBJECT]
    assert (q3.run_id, q3.dag_id, q3.form_id, q3.form) == (RUN, DAG, FORM_ID, FORM)
    assert q3.responder_url == FORM["responder_uri"] and q3.edit_url == form_steps.edit_url(FORM_ID)
    assert q3.published_at == CREATED_AT + timedelta(seconds=5)
    assert q3.shared == [HASAN, LESTARI] and q3.share_failed == {}  # the latest sharing counts
    assert q3.closed_at == CLOSED_AT
    q4 = forms[HALF_SUBJECT]
    assert (q4.run_id, q4.form_id, q4.form, q4.shared, q4.closed_at) == (HALF_RUN, "form-q4", None, None, None)

    assert [(r.response_id, r.reason, r.voter, r.form_id) for r in rejections] == [
        ("resp-self", "not_allowed", SITI, FORM_ID), ("resp-forged", "unknown_token", None, FORM_ID)]
    assert rejections[0].submitted_at == CREATED_AT + timedelta(hours=2)

    assert (late.link_id, late.channel, late.data) == ("google:resp-late", form_steps.CHANNEL,
                                                       {"pilihan": SITI, "alasan": "Teliti."})
    assert late.answered_at == CLOSED_AT + timedelta(minutes=30)

    # The retried creating task finds its form published and shared: no Google call at all
    # (no backend and no Drive connection are configured here: one would fail).
    again = form_steps.create_form("peterpan_suara", title="x", context={}, subject=SUBJECT, dag_id=DAG, run_id=RUN,
                                   editors=[HASAN, LESTARI])
    assert again == {"form": FORM, "edit_url": form_steps.edit_url(FORM_ID), "shared": [HASAN, LESTARI],
                     "share_failed": {}}
    # The half-created form is what a retry would resume.
    assert form_steps._state(HALF_SUBJECT, HALF_RUN).form_id == "form-q4"

    # The late answer read again is recognised; another one is kept.
    assert humantask.record_answer(LATE_KEY, {"pilihan": SITI}, answered_at=CLOSED_AT, link_id="google:resp-late",
                                   channel=form_steps.CHANNEL) == "already"
    assert humantask.record_answer(LATE_KEY, {"pilihan": SITI}, answered_at=CLOSED_AT, link_id="google:resp-other",
                                   channel=form_steps.CHANNEL) == "closed"


def test_an_empty_trail_upgrades_to_empty_tables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bapas_sop.store import migrate

    url = f"sqlite:///{tmp_path / 'bapas.db'}"
    monkeypatch.setenv("BAPAS_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("BAPAS_DB_URL", url)
    command.upgrade(alembic_config(url), "0001")
    migrate(url)
    with session_scope() as session:
        assert session.scalars(select(GoogleForm)).all() == []
        assert session.scalars(select(GoogleFormRejection)).all() == []
        assert session.scalars(select(LateAnswer)).all() == []

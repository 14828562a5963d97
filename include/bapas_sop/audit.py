"""The audit trail: one row per request, email, reminder, answer, hand-over and decision."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bapas_sop.store.models import AuditEvent, utcnow


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    subject: str,
    dag_id: str | None = None,
    run_id: str | None = None,
    **detail: Any,
) -> AuditEvent:
    """Add an audit row to the caller's transaction, so it commits or rolls back with the change it records."""
    event = AuditEvent(
        at=utcnow(), actor=actor, action=action, subject=subject, dag_id=dag_id, run_id=run_id, detail=detail
    )
    session.add(event)
    return event


def history(session: Session, subject_prefix: str) -> list[AuditEvent]:
    from sqlalchemy import select

    stmt = (
        select(AuditEvent)
        .where(AuditEvent.subject.startswith(subject_prefix))
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return list(session.scalars(stmt))

"""The project's own records, kept apart from Airflow's metadata database."""

from bapas_sop.store.db import get_engine, migrate, session_scope
from bapas_sop.store.models import (
    AuditEvent,
    Base,
    FormRequest,
    FormResponse,
    OutboxMessage,
)

__all__ = [
    "AuditEvent",
    "Base",
    "FormRequest",
    "FormResponse",
    "OutboxMessage",
    "get_engine",
    "migrate",
    "session_scope",
]

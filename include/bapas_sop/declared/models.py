"""The records of declared SOPs: one row per request, whatever the SOP.

The requester's name, email and the request itself stay here, in the project's database:
the DAG run gets the request number only (its run id and its one parameter), and the steps'
answers are read back from here, never passed through XCom.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bapas_sop.store.models import Base


class DeclaredRequest(Base):
    __tablename__ = "declared_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    sop_id: Mapped[str] = mapped_column(String(50), index=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)  # PPID-2026-0001
    # One view of the public page: a repeated post finds its request (no second number).
    submission_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    dag_id: Mapped[str | None] = mapped_column(String(250))
    run_id: Mapped[str | None] = mapped_column(String(250), unique=True)
    requester_name: Mapped[str] = mapped_column(String(200))
    requester_email: Mapped[str] = mapped_column(String(320))
    data: Mapped[dict[str, Any]]  # the intake form's answer
    answers: Mapped[dict[str, Any]]  # step id -> the step's answer (the extended round under its own id)
    status: Mapped[str] = mapped_column(String(20))  # berjalan | selesai
    outcome: Mapped[str | None] = mapped_column(String(100))
    received_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]

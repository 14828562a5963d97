"""Pasjam School's records: a visit per run, and what each step of it decided.

* ``pasjam_school_visit``: one row per run (a period's visit): the Kasubsi's pick, the school
  that agreed, the date, the schedule letter, the quiz session's public code, the day's team
  and students, the teachers' feedback, the evaluation and the report. A column left empty
  means the step has not happened in this run yet (each step is safe to run twice). The
  **visit history** the next risk score reads is these rows with ``held_at`` set.
* ``pasjam_school_observation``: a PK/APK's observation of one candidate school;
* ``pasjam_school_ranking``: the run's risk ranking, each factor's contribution kept;
* ``pasjam_school_coordination``: each school asked in turn and its answer;
* ``pasjam_school_quiz_answer``: one anonymous quiz submission (no student name is asked).

Schools are named by NPSN; the contact's name and email stay in the register and the form
requests, the contact person the school named stays in its coordination row.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bapas_sop.store.models import Base, utcnow


class PasjamSchoolVisit(Base):
    """One period's school visit, from the ranking to the report."""

    __tablename__ = "pasjam_school_visit"

    id: Mapped[int] = mapped_column(primary_key=True)
    term: Mapped[str] = mapped_column(String(10), index=True)  # 2026-S2
    dag_id: Mapped[str | None] = mapped_column(String(250))
    run_id: Mapped[str] = mapped_column(String(250), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    candidates: Mapped[list[str] | None] = mapped_column(JSON)
    ranked_at: Mapped[datetime | None]
    picked_npsn: Mapped[str | None] = mapped_column(String(20))
    pick_note: Mapped[str | None] = mapped_column(Text)
    picked_by: Mapped[str | None] = mapped_column(String(200))
    picked_at: Mapped[datetime | None]
    npsn: Mapped[str | None] = mapped_column(String(20), index=True)  # the school that agreed
    coordinated_at: Mapped[datetime | None]
    tanggal: Mapped[date | None]
    jam: Mapped[str | None] = mapped_column(String(5))
    students_planned: Mapped[int | None] = mapped_column(Integer)
    letter_number: Mapped[str | None] = mapped_column(String(200))
    letter_sent_at: Mapped[datetime | None]
    quiz_code: Mapped[str | None] = mapped_column(String(40), unique=True)
    held_at: Mapped[datetime | None]
    team: Mapped[list[str] | None] = mapped_column(JSON)
    students_present: Mapped[int | None] = mapped_column(Integer)
    held_note: Mapped[str | None] = mapped_column(Text)
    held_by: Mapped[str | None] = mapped_column(String(200))
    feedback: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    feedback_at: Mapped[datetime | None]
    evaluation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    evaluated_at: Mapped[datetime | None]
    reported_at: Mapped[datetime | None]


class PasjamSchoolObservation(Base):
    """A PK/APK's observation of one candidate school in one run."""

    __tablename__ = "pasjam_school_observation"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[str] = mapped_column(String(250), index=True)
    npsn: Mapped[str] = mapped_column(String(20), index=True)
    observed_on: Mapped[date | None]
    incidents: Mapped[int] = mapped_column(Integer, default=0)
    kinds: Mapped[list[str] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    observer: Mapped[str | None] = mapped_column(String(200))
    defaulted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("run_id", "npsn", name="uq_pasjam_school_observation_run_npsn"),)


class PasjamSchoolRanking(Base):
    """One school's place in a run's risk ranking, with each factor's value and contribution."""

    __tablename__ = "pasjam_school_ranking"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[str] = mapped_column(String(250), index=True)
    npsn: Mapped[str] = mapped_column(String(20))
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    factors: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    contributions: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("run_id", "npsn", name="uq_pasjam_school_ranking_run_npsn"),)


class PasjamSchoolCoordination(Base):
    """One school asked in a run, in turn, and what its contact answered."""

    __tablename__ = "pasjam_school_coordination"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[str] = mapped_column(String(250), index=True)
    npsn: Mapped[str] = mapped_column(String(20))
    attempt: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # bersedia | tidak_bersedia | tidak_dijawab
    preferred_dates: Mapped[list[str] | None] = mapped_column(JSON)
    jam: Mapped[str | None] = mapped_column(String(5))
    students: Mapped[int | None] = mapped_column(Integer)
    contact_person: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(50))
    note: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("run_id", "npsn", name="uq_pasjam_school_coordination_run_npsn"),)


class PasjamSchoolQuizAnswer(Base):
    """One anonymous submission of the quiz page of a session, before or after the talk."""

    __tablename__ = "pasjam_school_quiz_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_code: Mapped[str] = mapped_column(String(40), index=True)
    stage: Mapped[str] = mapped_column(String(10))  # sebelum | sesudah
    submission_key: Mapped[str] = mapped_column(String(100), unique=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    score: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


__all__ = [
    "PasjamSchoolCoordination",
    "PasjamSchoolObservation",
    "PasjamSchoolQuizAnswer",
    "PasjamSchoolRanking",
    "PasjamSchoolVisit",
]

"""Tamu Ngopi's records: the month's forum, the topics proposed, who was invited and answered,
and the action items decided, followed up until done.

Outside participants (stakeholders of the configuration) have no NIP: a participant is keyed by
``person_key``, the NIP of an employee or the lower-cased email of an outsider, as the human
steps key them. The audit trail logs every step besides; nothing here is read from it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bapas_sop.store.models import Base, utcnow


class TamuNgopiMeeting(Base):
    """One run's forum: when and where, the approved agenda and guests, the minutes, the report.

    A column left empty means its step has not happened in this run yet (``run_id`` is unique),
    which is what makes each step safe to run twice.
    """

    __tablename__ = "tamu_ngopi_meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    dag_id: Mapped[str | None] = mapped_column(String(250))
    run_id: Mapped[str] = mapped_column(String(250), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    starts_at: Mapped[datetime | None]
    place: Mapped[str | None] = mapped_column(String(300))
    host_nip: Mapped[str | None] = mapped_column(String(30))  # the Kabapas, or the stand-in host he named
    host_name: Mapped[str | None] = mapped_column(String(200))
    agenda: Mapped[list[dict] | None] = mapped_column(JSON)  # AgendaEntry.as_dict() of the approved points
    carried_items: Mapped[list[int] | None] = mapped_column(JSON)  # action item ids on the agenda
    approval_note: Mapped[str | None] = mapped_column(Text)
    approved_by: Mapped[str | None] = mapped_column(String(200))
    approved_at: Mapped[datetime | None]
    invited_at: Mapped[datetime | None]

    minutes: Mapped[str | None] = mapped_column(Text)
    suggestions: Mapped[list[str] | None] = mapped_column(JSON)
    documentation: Mapped[str | None] = mapped_column(String(500))
    attended: Mapped[int | None] = mapped_column(Integer)
    minutes_by: Mapped[str | None] = mapped_column(String(200))
    minutes_at: Mapped[datetime | None]

    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None]
    reported_at: Mapped[datetime | None]


class TamuNgopiTopic(Base):
    """A topic proposed for a forum; ``on_agenda`` once the Kabapas approved it."""

    __tablename__ = "tamu_ngopi_topic"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("tamu_ngopi_meeting.id"), index=True)
    person_key: Mapped[str] = mapped_column(String(320))
    proposer_name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    on_agenda: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("meeting_id", "person_key", name="uq_tamu_ngopi_topic_person"),)


class TamuNgopiParticipant(Base):
    """Someone invited to a forum (an employee or a stakeholder), their RSVP and attendance."""

    __tablename__ = "tamu_ngopi_participant"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("tamu_ngopi_meeting.id"), index=True)
    person_key: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(30))  # pegawai | mitra | keluarga_klien | tokoh_masyarakat
    organisation: Mapped[str | None] = mapped_column(String(300))
    rsvp: Mapped[str | None] = mapped_column(String(20))  # hadir | tidak_hadir | diwakili | None
    representative: Mapped[str | None] = mapped_column(String(200))
    rsvp_note: Mapped[str | None] = mapped_column(Text)
    rsvp_at: Mapped[datetime | None]
    attended: Mapped[bool | None] = mapped_column(Boolean)

    __table_args__ = (UniqueConstraint("meeting_id", "person_key", name="uq_tamu_ngopi_participant_person"),)


class TamuNgopiActionItem(Base):
    """An action item the Kabapas decided: its owner, due date and where it stands.

    ``status`` is ``terbuka`` until the owner reports it done (``selesai``); whether an open
    item is overdue is derived from ``due_date`` (:func:`bapas_sop.sops.tamu_ngopi.rules.classify`).
    ``carried_to`` lists the months whose agenda took it over while it was open.
    """

    __tablename__ = "tamu_ngopi_action_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("tamu_ngopi_meeting.id"), index=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    slot: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    owner_nip: Mapped[str] = mapped_column(String(30))
    owner_name: Mapped[str] = mapped_column(String(200))
    due_date: Mapped[date]
    status: Mapped[str] = mapped_column(String(20), index=True)
    progress_note: Mapped[str | None] = mapped_column(Text)
    reports: Mapped[int] = mapped_column(Integer, default=0)
    last_report_key: Mapped[str | None] = mapped_column(String(500))  # the request of the latest report counted
    done_note: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None]
    carried_to: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("meeting_id", "slot", name="uq_tamu_ngopi_action_item_slot"),)


__all__ = ["TamuNgopiActionItem", "TamuNgopiMeeting", "TamuNgopiParticipant", "TamuNgopiTopic"]

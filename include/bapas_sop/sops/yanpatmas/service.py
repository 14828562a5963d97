"""Complaints in the store: registered by the pages, moved from stage to stage by the flow.

Plain Python over the project's database (no Airflow). Nothing here logs or returns a
complainant's identity except :func:`identity_of`, which decrypts it for the one caller that
must write to the complainant (an email) or show it to ULP and the Kepala Bapas.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bapas_sop import audit
from bapas_sop.calendar import WIB, to_wib
from bapas_sop.directory import get_directory
from bapas_sop.sops.yanpatmas import rules, secrecy
from bapas_sop.sops.yanpatmas.models import Complaint
from bapas_sop.store.db import session_scope
from bapas_sop.store.models import utcnow
from bapas_sop.textid import format_datetime_id

DAG_ID = "yanpatmas"


class ComplaintError(ValueError):
    """A complaint that cannot move as asked (unknown ticket, wrong stage)."""


def run_id_for(ticket: str) -> str:
    """The DAG run of a complaint is named by its ticket only (``aduan__YP-2026-0001``)."""
    return f"aduan__{ticket}"


def _next_ticket(session: Any, year: int) -> str:
    prefix = f"YP-{year}-"
    count = session.scalar(select(func.count()).select_from(Complaint).where(Complaint.ticket.startswith(prefix)))
    return f"{prefix}{(count or 0) + 1:04d}"


def register(values: Mapping[str, Any], *, channel: str, actor: str, submission_key: str | None = None,
             received_at: datetime | None = None) -> tuple[Complaint, str | None, bool]:
    """Store a complaint: ``(complaint, tracking code, created)``.

    The tracking code is returned once, to be shown and mailed; only its hash is kept. A
    repeated post of the same page (``submission_key``) returns the complaint it registered,
    with no code (it was shown the first time) and ``created`` False.
    """
    if values.get("diterima_pada"):
        received = datetime.fromisoformat(str(values["diterima_pada"]))
        received = received.replace(tzinfo=WIB) if received.tzinfo is None else received
    else:
        received = received_at or utcnow()
    anonymous = bool(values.get("anonim"))
    identity = {"nama": None if anonymous else values.get("nama"), "email": values.get("email") or None,
                "telepon": values.get("telepon") or None}
    table = rules.load_rules()
    due = rules.deadlines(table, received)
    for attempt in range(5):
        if submission_key is not None and (existing := _by_submission(submission_key)) is not None:
            return existing, None, False
        code = secrecy.new_tracking_code()
        try:
            with session_scope() as session:
                ticket = _next_ticket(session, to_wib(received).year)
                complaint = Complaint(
                    ticket=ticket, channel=channel, received_at=received, submission_key=submission_key,
                    entered_by=None if channel == "web" else actor,
                    anonymous=anonymous, identity=secrecy.seal_identity(identity),
                    has_email=bool(identity["email"]), has_phone=bool(identity["telepon"]),
                    code_digest=secrecy.code_digest(ticket, code),
                    subject=str(values["perihal"]), reported=values.get("terlapor"), occurred=values.get("waktu_tempat"),
                    description=str(values["uraian"]), evidence_url=values.get("tautan_bukti"),
                    stage=rules.Stage.RECEIVED, stage_at=utcnow(),
                    completeness_due=due.completeness, first_answer_due=due.first_answer, examination={}, reminders={},
                )
                session.add(complaint)
                session.flush()
                audit.record(session, actor="pelapor" if channel == "web" else actor, action="yanpatmas_registered",
                             subject=f"yanpatmas/{ticket}", channel=channel, anonymous=anonymous)
                return complaint, code, True
        except IntegrityError:
            if submission_key is not None and (existing := _by_submission(submission_key)) is not None:
                return existing, None, False
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def _by_submission(submission_key: str) -> Complaint | None:
    with session_scope() as session:
        return session.scalar(select(Complaint).where(Complaint.submission_key == submission_key))


def get(ticket: str) -> Complaint:
    with session_scope() as session:
        complaint = session.scalar(select(Complaint).where(Complaint.ticket == ticket))
        if complaint is None:
            raise ComplaintError(f"Pengaduan {ticket} tidak ditemukan.")
        return complaint


def find_by_code(ticket: str, code: str) -> Complaint | None:
    """The complaint of a ticket whose tracking code matches; None for a wrong ticket or code alike."""
    with session_scope() as session:
        complaint = session.scalar(select(Complaint).where(Complaint.ticket == ticket.strip().upper()))
    if complaint is None:
        secrecy.code_matches(ticket, code, "0" * 64)  # the same work either way
        return None
    return complaint if secrecy.code_matches(complaint.ticket, code, complaint.code_digest) else None


def identity_of(complaint: Complaint) -> dict[str, Any]:
    """The decrypted identity (``nama``, ``email``, ``telepon``; None each when not given or unreadable)."""
    return secrecy.open_identity(complaint.identity) or {"nama": None, "email": None, "telepon": None}


def attach_run(ticket: str, dag_id: str, run_id: str) -> Complaint:
    with session_scope() as session:
        complaint = locked(session, ticket)
        if complaint.run_id and complaint.run_id != run_id:
            raise ComplaintError(f"Pengaduan {ticket} sudah diproses oleh run {complaint.run_id}.")
        complaint.dag_id, complaint.run_id = dag_id, run_id
        return complaint


def without_run(older_than: timedelta = timedelta(minutes=5)) -> list[str]:
    """Tickets stored whose run never started (the scheduler was down at the time)."""
    with session_scope() as session:
        return list(session.scalars(
            select(Complaint.ticket)
            .where(Complaint.run_id.is_(None), Complaint.created_at < utcnow() - older_than)
            .order_by(Complaint.id)
        ))


def locked(session: Any, ticket: str) -> Complaint:
    complaint = session.scalar(select(Complaint).where(Complaint.ticket == ticket).with_for_update())
    if complaint is None:
        raise ComplaintError(f"Pengaduan {ticket} tidak ditemukan.")
    return complaint


def update(ticket: str, *, by: str, action: str, stage: str | None = None, **values: Any) -> Complaint:
    """Set columns of a complaint (and its stage), with one audit row naming only what changed."""
    with session_scope() as session:
        complaint = locked(session, ticket)
        for name, value in values.items():
            setattr(complaint, name, value)
        if stage is not None and complaint.stage != stage:
            complaint.stage, complaint.stage_at = stage, utcnow()
        audit.record(session, actor=by, action=action, subject=f"yanpatmas/{ticket}", dag_id=complaint.dag_id,
                     run_id=complaint.run_id, stage=complaint.stage, fields=sorted(values))
        return complaint


def ticket_facts(complaint: Complaint) -> list[list[str]]:
    """What an email may say of a complaint: its ticket, stage and deadline, never its contents."""
    rows = [["Nomor tiket", complaint.ticket], ["Diterima", format_datetime_id(complaint.received_at)]]
    if complaint.resolution_due:
        rows.append(["Batas penyelesaian", format_datetime_id(complaint.resolution_due)])
    return rows


def content_facts(complaint: Complaint, *, with_identity: bool) -> list[list[str]]:
    """The complaint as ULP and the Kepala Bapas read it (``with_identity``) or the examiner (without)."""
    rows = [["Nomor tiket", complaint.ticket],
            ["Saluran", rules.CHANNELS.get(complaint.channel, complaint.channel)],
            ["Diterima", format_datetime_id(complaint.received_at)]]
    if with_identity:
        who = identity_of(complaint)
        rows += [["Pelapor", "Anonim" if complaint.anonymous else (who["nama"] or "-")],
                 ["Email pelapor", who["email"] or "-"], ["Telepon pelapor", who["telepon"] or "-"]]
    rows += [["Perihal", complaint.subject], ["Yang diadukan", complaint.reported or "-"],
             ["Waktu dan tempat", complaint.occurred or "-"], ["Uraian", complaint.description],
             ["Tautan bukti", complaint.evidence_url or "-"]]
    if complaint.missing:
        rows.append(["Diminta dilengkapi", complaint.missing])
    if complaint.supplement:
        rows.append(["Kelengkapan dari pelapor", complaint.supplement])
    if complaint.summary:
        rows.append(["Ringkasan ULP", complaint.summary])
    if complaint.category:
        rows.append(["Kategori", rules.categories().get(complaint.category, complaint.category)])
    if complaint.reported_nip:
        rows.append(["Pegawai terlapor", person_name(complaint.reported_nip)])
    if complaint.analysis_note and with_identity:
        rows.append(["Catatan telaah", complaint.analysis_note])
    exam = complaint.examination or {}
    if exam:
        rows += [["Tanggal pemeriksaan", exam.get("tanggal_pemeriksaan") or "-"],
                 ["Keterangan terlapor", exam.get("keterangan_terlapor") or "-"],
                 ["Keterangan saksi", exam.get("keterangan_saksi") or "-"],
                 ["Bukti", exam.get("bukti") or "-"],
                 ["Kesimpulan", rules.OUTCOMES.get(complaint.outcome or "", "-")],
                 ["Uraian kesimpulan", exam.get("uraian_kesimpulan") or "-"]]
    for label, due in (("Batas kelengkapan", complaint.completeness_due), ("Batas tanggapan pertama", complaint.first_answer_due),
                       ("Batas penyelesaian", complaint.resolution_due)):
        if due:
            rows.append([label, format_datetime_id(due)])
    return rows


def staff_options(exclude: tuple[str | None, ...] = ()) -> list[dict[str, str]]:
    """Every active employee as a choice (name — title), for the reported person and the examiner."""
    return [{"value": p.nip, "label": f"{p.name} — {p.title}"} for p in get_directory().active_employees()
            if p.nip not in exclude]


def person_name(nip: str | None) -> str:
    person = get_directory().find(nip) if nip else None
    return person.name if person else (nip or "-")


def open_complaints() -> list[Complaint]:
    with session_scope() as session:
        return list(session.scalars(select(Complaint).where(Complaint.stage.not_in([str(s) for s in rules.FINAL_STAGES]))
                                    .order_by(Complaint.received_at)))


def received_between(start: datetime, end: datetime) -> list[Complaint]:
    with session_scope() as session:
        return list(session.scalars(select(Complaint).where(Complaint.received_at >= start, Complaint.received_at < end)
                                    .order_by(Complaint.received_at)))

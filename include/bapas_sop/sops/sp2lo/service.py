"""SP2LO records: Litmas cases in the store, moved from stage to stage by the DAG's tasks.

Plain Python over the project's database (no Airflow), so that the DAG, the web app and the
tests share one set of rules: the deadline rules and the SPPD gate of
:mod:`bapas_sop.sops.sp2lo.rules` are applied here, at the moment the facts arrive.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bapas_sop import audit
from bapas_sop.calendar import WIB, to_wib
from bapas_sop.directory import get_directory
from bapas_sop.sops.sp2lo import rules as sp2lo
from bapas_sop.store.db import session_scope
from bapas_sop.sops.sp2lo.models import LitmasCase
from bapas_sop.store.models import utcnow
from bapas_sop.textid import format_date_id, format_datetime_id

DAG_ID = "sp2lo"


class CaseError(ValueError):
    """A case that cannot move as asked (unknown number, wrong stage)."""


def _next_case_number(session: Any, year: int) -> str:
    prefix = f"LITMAS-{year}-"
    count = session.scalar(select(func.count()).select_from(LitmasCase).where(LitmasCase.case_number.startswith(prefix)))
    return f"{prefix}{(count or 0) + 1:04d}"


def register_request(
    values: Mapping[str, Any],
    *,
    channel: str,
    actor: str,
    received_at: datetime | None = None,
    dag_id: str | None = None,
    run_id: str | None = None,
    submission_key: str | None = None,
) -> LitmasCase:
    """Record a Litmas request and give it a case number; the deadline clock starts at receipt.

    ``values`` are the typed fields of the intake form (or the DAG's Params). A letter typed by
    staff carries its own receipt time (``diterima_pada``, WIB).

    ``submission_key`` is the intake form's key for one filled-in page: a repeated or concurrent
    post of the same submission returns the case it already registered (found by the key, or
    after losing the race on its unique constraint), so one request never gets two clocks.
    """
    return _record_request(values, channel=channel, actor=actor, received_at=received_at, dag_id=dag_id,
                           run_id=run_id, submission_key=submission_key)[0]


def register_submission(values: Mapping[str, Any], *, submission_key: str, channel: str, actor: str) -> tuple[LitmasCase, bool]:
    """:func:`register_request` for one intake submission, and whether this call registered it
    (False: an earlier or concurrent post of the same submission did, and its case is returned),
    so that only the post that created the case starts its run."""
    return _record_request(values, channel=channel, actor=actor, submission_key=submission_key)


def _record_request(
    values: Mapping[str, Any],
    *,
    channel: str,
    actor: str,
    received_at: datetime | None = None,
    dag_id: str | None = None,
    run_id: str | None = None,
    submission_key: str | None = None,
) -> tuple[LitmasCase, bool]:
    if values.get("diterima_pada"):
        received = datetime.fromisoformat(str(values["diterima_pada"]))
        received = received.replace(tzinfo=WIB) if received.tzinfo is None else received
    else:
        received = received_at or utcnow()
    category = str(values["kategori"])
    sp2lo.suggest_section(category)  # rejects an unknown category before anything is stored
    for attempt in range(5):
        if submission_key is not None and (existing := case_for_submission(submission_key)) is not None:
            return existing, False
        try:
            with session_scope() as session:
                case = LitmasCase(
                    case_number=_next_case_number(session, to_wib(received).year),
                    dag_id=dag_id,
                    run_id=run_id,
                    channel=channel,
                    submission_key=submission_key,
                    letter_number=str(values["nomor_surat"]),
                    letter_date=str(values["tanggal_surat"]),
                    requester_agency=f"{values.get('nama_instansi') or ''}".strip() or str(values.get("instansi")),
                    requester_name=values.get("nama_pemohon"),
                    requester_email=values.get("email_pemohon"),
                    client_name=str(values["nama_klien"]),
                    client_category=category,
                    litmas_type=str(values["jenis_litmas"]),
                    received_at=received,
                    stage=sp2lo.Stage.REGISTERED,
                )
                rule = sp2lo.match_rule(sp2lo.load_rules(), category, case.litmas_type)
                case.deadline_rule = rule.name
                case.deadline_at = sp2lo.compute_deadline(rule, received)
                session.add(case)
                session.flush()
                audit.record(
                    session, actor=actor, action="litmas_registered", subject=f"litmas/{case.case_number}",
                    dag_id=dag_id, run_id=run_id, channel=channel, client=case.client_name,
                    category=category, litmas_type=case.litmas_type, received_at=received.isoformat(),
                )
                return case, True
        except IntegrityError:
            # Another post of the same submission won the race: its case is the answer.
            if submission_key is not None and (existing := case_for_submission(submission_key)) is not None:
                return existing, False
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def case_for_submission(submission_key: str) -> LitmasCase | None:
    """The case an intake submission already registered, if any."""
    with session_scope() as session:
        return session.scalar(select(LitmasCase).where(LitmasCase.submission_key == submission_key))


def get_case(case_number: str) -> LitmasCase:
    with session_scope() as session:
        case = session.scalar(select(LitmasCase).where(LitmasCase.case_number == case_number))
        if case is None:
            raise CaseError(f"Perkara {case_number} tidak ditemukan.")
        return case


def case_for_run(dag_id: str, run_id: str) -> LitmasCase | None:
    with session_scope() as session:
        return session.scalar(select(LitmasCase).where(LitmasCase.dag_id == dag_id, LitmasCase.run_id == run_id))


def cases_without_run(older_than: timedelta = timedelta(minutes=5)) -> list[str]:
    """Cases registered through a form whose DAG run never started (a lost trigger).

    The form page starts the run right away; a case still without one after a few minutes
    was registered while the scheduler or API could not start it, and the monitor starts it.
    """
    with session_scope() as session:
        return list(
            session.scalars(
                select(LitmasCase.case_number)
                .where(LitmasCase.run_id.is_(None), LitmasCase.received_at < utcnow() - older_than)
                .order_by(LitmasCase.id)
            )
        )


def attach_run(case_number: str, dag_id: str, run_id: str) -> LitmasCase:
    """Tie a case to its DAG run (the intake form registers first, the run starts after)."""
    with session_scope() as session:
        case = _load(session, case_number)
        if case.run_id and case.run_id != run_id:
            raise CaseError(f"Perkara {case_number} sudah diproses oleh run {case.run_id}.")
        case.dag_id, case.run_id = dag_id, run_id
        return case


def _load(session: Any, case_number: str) -> LitmasCase:
    case = session.scalar(select(LitmasCase).where(LitmasCase.case_number == case_number).with_for_update())
    if case is None:
        raise CaseError(f"Perkara {case_number} tidak ditemukan.")
    return case


def summary(case: LitmasCase) -> dict[str, Any]:
    """What downstream tasks need of a case (JSON-safe, for XCom)."""
    return {
        "case_number": case.case_number,
        "client_name": case.client_name,
        "category": case.client_category,
        "litmas_type": case.litmas_type,
        "suggested_section": sp2lo.suggest_section(case.client_category),
        "section": case.section,
        "pk_nip": case.pk_nip,
        "requester_email": case.requester_email,
        "requester_name": case.requester_name,
        "facts": facts(case),
    }


def facts(case: LitmasCase) -> list[list[str]]:
    """The case as label/value rows, shown on every form and email of the case."""
    rows = [
        ["Nomor perkara", case.case_number],
        ["Nama klien", case.client_name],
        ["Kategori", sp2lo.CATEGORIES.get(case.client_category, case.client_category)],
        ["Jenis Litmas", sp2lo.LITMAS_TYPES.get(case.litmas_type, case.litmas_type)],
        ["Pemohon", case.requester_agency],
        ["Nomor surat", f"{case.letter_number} ({format_date_id(case.letter_date, with_day=False)})"],
        ["Diterima", format_datetime_id(case.received_at)],
    ]
    if case.section:
        rows.append(["Seksi", sp2lo.SECTION_NAMES.get(case.section, case.section)])
    if case.pk_nip:
        pk = get_directory().find(case.pk_nip)
        rows.append(["PK", pk.name if pk else case.pk_nip])
    rows.append(["Batas waktu", format_datetime_id(case.deadline_at) if case.deadline_at else "dihitung sejak PK ditunjuk"])
    return rows


def record_disposition(case_number: str, section: str, *, by: str, notes: str | None = None) -> LitmasCase:
    if section not in sp2lo.SECTION_ROLES:
        raise CaseError(f"Seksi tidak dikenal: {section}")
    with session_scope() as session:
        case = _load(session, case_number)
        case.section = section
        case.stage = sp2lo.Stage.DISPOSED
        audit.record(session, actor=by, action="disposition", subject=f"litmas/{case_number}",
                     dag_id=case.dag_id, run_id=case.run_id, section=section, notes=notes)
        return case


def open_loads() -> dict[str, int]:
    """Open Litmas per PK: what the Kasubsi sees when appointing, least loaded first."""
    with session_scope() as session:
        rows = session.execute(
            select(LitmasCase.pk_nip, func.count())
            .where(LitmasCase.pk_nip.is_not(None), LitmasCase.stage.in_(sorted(sp2lo.OPEN_STAGES)))
            .group_by(LitmasCase.pk_nip)
        ).all()
    return {nip: int(n) for nip, n in rows}


def pk_options(section: str) -> list[dict[str, Any]]:
    """The PKs of a section as form choices, least loaded first, with their load in the label."""
    directory = get_directory()
    candidates = [{"nip": p.nip, "name": p.name} for p in directory.pks_in_section(section)]
    ranked = sp2lo.suggest_pk(candidates, open_loads())
    options = []
    for i, pk in enumerate(ranked):
        label = f"{pk['name']} ({pk['open_litmas']} Litmas berjalan)"
        options.append({"value": pk["nip"], "label": f"{label} — disarankan" if i == 0 else label})
    return options


def record_appointment(case_number: str, pk_nip: str, *, by: str, at: datetime | None = None) -> LitmasCase:
    """Appoint the PK; integration Litmas start their deadline clock now."""
    at = at or utcnow()
    get_directory().get(pk_nip)
    with session_scope() as session:
        case = _load(session, case_number)
        case.pk_nip = pk_nip
        case.appointed_at = at
        case.stage = sp2lo.Stage.IN_RESEARCH
        rule = sp2lo.match_rule(sp2lo.load_rules(), case.client_category, case.litmas_type)
        case.deadline_rule = rule.name
        case.deadline_at = sp2lo.compute_deadline(rule, case.received_at, at)
        audit.record(session, actor=by, action="pk_appointed", subject=f"litmas/{case_number}",
                     dag_id=case.dag_id, run_id=case.run_id, pk=pk_nip,
                     deadline_at=case.deadline_at.isoformat() if case.deadline_at else None)
        return case


def record_report(case_number: str, answer: Mapping[str, Any], *, by: str, rounds: int = 1) -> LitmasCase:
    """The PK's (latest) completion report: report reference, date and the trip made."""
    with session_scope() as session:
        case = _load(session, case_number)
        case.report_ref = answer.get("nomor_laporan")
        finished = answer.get("tanggal_selesai")
        case.completed_at = utcnow() if not finished else datetime.combine(date.fromisoformat(finished), datetime.min.time(), WIB)
        case.trip = _trip(answer)
        case.revision_count = max(0, rounds - 1)
        audit.record(session, actor=by, action="litmas_reported", subject=f"litmas/{case_number}",
                     dag_id=case.dag_id, run_id=case.run_id, report=case.report_ref, trip=case.trip)
        return case


def _trip(answer: Mapping[str, Any]) -> dict[str, Any]:
    if not answer.get("perjalanan_dinas"):
        return {"made": False}
    return {
        "made": True,
        "destination": answer.get("tujuan"),
        "start_date": answer.get("tanggal_berangkat"),
        "end_date": answer.get("tanggal_kembali"),
    }


def record_stage(case_number: str, stage: str, *, by: str, **detail: Any) -> LitmasCase:
    with session_scope() as session:
        case = _load(session, case_number)
        case.stage = stage
        now = utcnow()
        if stage == sp2lo.Stage.APPROVED:
            case.approved_at = now
        elif stage == sp2lo.Stage.SETTLED:
            case.sppd_disbursed_at = now
        elif stage == sp2lo.Stage.CLOSED:
            case.closed_at = now
        audit.record(session, actor=by, action=f"stage_{stage}", subject=f"litmas/{case_number}",
                     dag_id=case.dag_id, run_id=case.run_id, **detail)
        return case


def check_sppd(case_number: str) -> sp2lo.Eligibility:
    """The SPPD gate: records eligibility (and the accountability deadline) when granted."""
    with session_scope() as session:
        case = _load(session, case_number)
        verdict = sp2lo.sppd_eligibility(case.stage, case.approved_at, case.completed_at, case.trip)
        audit.record(session, actor="system", action="sppd_checked", subject=f"litmas/{case_number}",
                     dag_id=case.dag_id, run_id=case.run_id, eligible=verdict.eligible, reason=verdict.reason)
        if verdict.eligible and case.sppd_eligible_at is None:
            case.sppd_eligible_at = utcnow()
            case.stage = sp2lo.Stage.SPPD_ELIGIBLE
            end = case.trip.get("end_date") or case.trip.get("start_date")
            if end:
                case.accountability_due_at = sp2lo.accountability_due(date.fromisoformat(end))
        return verdict


def record_accountability(case_number: str, *, by: str, answer: Mapping[str, Any]) -> LitmasCase:
    with session_scope() as session:
        case = _load(session, case_number)
        case.accountability_done_at = utcnow()
        audit.record(session, actor=by, action="sppd_accountability", subject=f"litmas/{case_number}",
                     dag_id=case.dag_id, run_id=case.run_id, answer=dict(answer))
        return case

"""What each task of the SP2LO DAG does, as plain functions (the DAG file only wires them).

Every function is safe to run twice for the same case (a retried task): records are updated
to the same values and emails are keyed in the outbox, so nothing is sent twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bapas_sop.directory import get_directory
from bapas_sop.forms.registry import get_form
from bapas_sop.forms.spec import FormSpec
from bapas_sop.kinerja import survey
from bapas_sop.mail.outbox import mailing
from bapas_sop.sops.sp2lo import rules as sp2lo
from bapas_sop.sops.sp2lo import service as sp2lo_service
from bapas_sop.sops.sp2lo.service import CaseError, facts
from bapas_sop.textid import format_datetime_id


class InvalidRequest(ValueError):
    """Params of an admin-triggered run that do not make a valid Litmas request."""


def start_case(params: Mapping[str, Any], *, dag_id: str, run_id: str) -> dict[str, Any]:
    """Register the request (or pick up the one the intake form registered) and acknowledge it.

    An admin triggering the DAG types the letter into the run's Params; they are checked with
    the same form the staff use, so the messages are the same Indonesian ones.
    """
    if params.get("case_number"):
        case = sp2lo_service.attach_run(str(params["case_number"]), dag_id, run_id)
    else:
        case = sp2lo_service.case_for_run(dag_id, run_id)
        if case is None:
            form: FormSpec = get_form("sp2lo_surat_masuk")
            raw = {k: ("" if v is None else str(v)) for k, v in params.items()}
            if raw.get("diterima_pada"):
                raw["diterima_pada"] = raw["diterima_pada"].replace("Z", "+00:00")
            validation = form.validate(raw)
            errors = {k: v for k, v in validation.errors.items() if k != "diterima_pada" or raw.get("diterima_pada")}
            if errors:
                raise InvalidRequest("Parameter permintaan Litmas belum lengkap: " + " ".join(errors.values()))
            case = sp2lo_service.register_request(
                validation.values, channel="airflow", actor="admin", dag_id=dag_id, run_id=run_id
            )
    if case.requester_email:
        with mailing() as batch:
            batch.email(
                key=f"{dag_id}/{run_id}/tanda_terima/{case.requester_email}",
                to=case.requester_email,
                template="sp2lo/tanda_terima",
                context={"name": case.requester_name or case.requester_agency, "case_number": case.case_number,
                         "facts": facts(case)},
            )
    return sp2lo_service.summary(case)


def after_disposition(case_number: str, outcome: Mapping[str, Any]) -> dict[str, Any]:
    answer = outcome["answer"]
    case = sp2lo_service.record_disposition(
        case_number, answer["seksi"], by=_who(outcome), notes=answer.get("catatan")
    )
    options = sp2lo_service.pk_options(case.section)
    if not options:
        raise CaseError(f"Tidak ada PK aktif di seksi {case.section}.")
    rows = facts(case)
    if answer.get("catatan"):
        rows.append(["Catatan disposisi", answer["catatan"]])
    return {
        "kasubsi": sp2lo.SECTION_ROLES[case.section],
        "facts": rows,
        "pk_options": options,
        "suggested_pk": options[0]["value"],
    }


def after_appointment(case_number: str, outcome: Mapping[str, Any]) -> dict[str, Any]:
    answer = outcome["answer"]
    case = sp2lo_service.record_appointment(case_number, answer["pk_nip"], by=_who(outcome))
    rows = facts(case)
    if answer.get("catatan"):
        rows.append(["Catatan Kasubsi", answer["catatan"]])
    return {
        "assignee": f"nip:{case.pk_nip}",
        "facts": rows,
        "due_at": case.deadline_at.isoformat() if case.deadline_at else None,
    }


def after_report(case_number: str, outcome: Mapping[str, Any]) -> dict[str, Any]:
    case = sp2lo_service.record_report(case_number, outcome["answer"], by=_who(outcome))
    sp2lo_service.record_stage(case_number, sp2lo.Stage.IN_REVIEW, by="system")
    report_rows = get_form("sp2lo_laporan_litmas").display(outcome["answer"])
    return {"facts": [*facts(case), *report_rows]}


def after_review(case_number: str, outcome: Mapping[str, Any]) -> dict[str, Any]:
    """Record the final (approving) review and the report it approved."""
    work = outcome.get("work") or {}
    if work.get("answer"):
        sp2lo_service.record_report(case_number, work["answer"], by=work.get("answered_by") or "pk",
                                    rounds=int(outcome.get("rounds") or 1))
    case = sp2lo_service.record_stage(
        case_number, sp2lo.Stage.APPROVED, by=_who(outcome), rounds=outcome.get("rounds"),
        notes=outcome["answer"].get("catatan"),
    )
    return {"case_number": case.case_number, "approved_at": case.approved_at.isoformat()}


def notify_requester_done(case_number: str) -> None:
    case = sp2lo_service.get_case(case_number)
    if not case.requester_email:
        return
    with mailing() as batch:
        batch.email(
            key=f"{case.dag_id}/{case.run_id}/selesai/{case.requester_email}",
            to=case.requester_email,
            template="sp2lo/selesai",
            context={"name": case.requester_name or case.requester_agency, "case_number": case.case_number,
                     "facts": facts(case)},
        )
        # The service to the requester ended: ask how it went (SKM, PermenPANRB 14/2017).
        survey.invite(batch, service="sp2lo", service_title="Penelitian Kemasyarakatan (Litmas)",
                      subject=case.case_number, to=case.requester_email,
                      name=case.requester_name or case.requester_agency)


def sppd_gate(case_number: str) -> dict[str, Any] | None:
    """Continue to the SPPD steps only for an eligible case; None skips them (no trip made)."""
    verdict = sp2lo_service.check_sppd(case_number)
    if not verdict.eligible:
        return None
    case = sp2lo_service.get_case(case_number)
    trip = case.trip
    rows = [
        *facts(case),
        ["Tujuan perjalanan dinas", trip.get("destination") or "-"],
        ["Tanggal perjalanan", f"{trip.get('start_date') or '-'} s.d. {trip.get('end_date') or '-'}"],
        ["Batas pertanggungjawaban", format_datetime_id(case.accountability_due_at)],
    ]
    return {
        "facts": rows,
        "accountability_due_at": case.accountability_due_at.isoformat() if case.accountability_due_at else None,
        "reason": verdict.reason,
    }


def after_disbursement(case_number: str, outcome: Mapping[str, Any]) -> None:
    """Keuangan recorded the payout: the SPPD is settled (the accountability still follows)."""
    answer = outcome.get("answer") or {}
    sp2lo_service.record_stage(
        case_number, sp2lo.Stage.SETTLED, by=_who(outcome),
        amount=answer.get("jumlah_dicairkan"), receipt=answer.get("nomor_bukti"), paid_on=answer.get("tanggal_pencairan"),
    )


def close_case(case_number: str, outcome: Mapping[str, Any]) -> None:
    sp2lo_service.record_accountability(case_number, by=_who(outcome), answer=outcome.get("answer") or {})
    sp2lo_service.record_stage(case_number, sp2lo.Stage.CLOSED, by="system")


def _who(outcome: Mapping[str, Any]) -> str:
    return str(outcome.get("answered_by") or ("default" if outcome.get("defaulted") else "system"))


def directory_name(nip: str | None) -> str:
    person = get_directory().find(nip) if nip else None
    return person.name if person else (nip or "-")

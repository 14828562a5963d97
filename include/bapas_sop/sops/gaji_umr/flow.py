"""What each task of the Gaji UMR DAG does, as plain functions (the DAG file only wires them).

Records, without a table of their own (see the proposal in the closing note of issue 3):

* the month's activity, the clients proposed and approved, and the report: audit rows with
  subject ``gaji_umr/<month>`` (``gaji_umr_activity``, ``gaji_umr_proposed``,
  ``gaji_umr_selected``, ``gaji_umr_report``);
* every contact a PK made: the form request (key ``.../menghubungi_klien/<client id>``,
  context ``slot``) with its answer, and an audit row ``gaji_umr_contact``;
* the **participation history** the rotation reads: one audit row per client and month,
  action ``gaji_umr_participation``, subject ``gaji_umr/klien/<client id>``, detail
  ``{"month", "status"}`` (hadir, tidak_hadir, menolak, tidak_terhubung).

Every function is safe to run twice for the same run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bapas_sop import audit, humantask
from bapas_sop.calendar import at_wib, now_wib
from bapas_sop.directory import Directory, get_directory
from bapas_sop.documents import render_pdf
from bapas_sop.mail.outbox import enqueue_email, flush
from bapas_sop.policy import StepPolicy
from bapas_sop.sops.gaji_umr import rules as gaji_umr
from bapas_sop.store.db import session_scope
from bapas_sop.store.models import AuditEvent, FormRequest, utcnow
from bapas_sop.textid import format_date_id

log = logging.getLogger(__name__)

ACTOR = "system"
CONTACT_STEP = "menghubungi_klien"
CONTACT_FORM = "gaji_umr_kontak_klien"
DEFAULT_CLIENTS = 5
MAX_ATTEMPTS_PER_SLOT = 4


class PlanError(ValueError):
    """The month cannot be planned as asked (the message is for the admin, in Indonesian)."""


def subject(month: str) -> str:
    return f"gaji_umr/{month}"


def client_subject(client_id: str) -> str:
    return f"gaji_umr/klien/{client_id}"


def contact_policy() -> StepPolicy:
    """PK contacts: a reminder, the Kasubsi told when late; unanswered = not reachable."""
    return StepPolicy.from_config(remind_before=timedelta(hours=6), escalate_after=timedelta(0),
                                  expire_after=timedelta(hours=12), default_answer={"status": gaji_umr.UNREACHABLE})


# --------------------------------------------------------------------------- 1. the month's activity


def plan_month(
    params: Mapping[str, Any], *, dag_id: str, run_id: str,
    data_interval_start: datetime | None = None, logical_date: datetime | None = None,
) -> dict[str, Any]:
    """The month, the section and the suggestion the Kabapas starts from."""
    try:
        month = gaji_umr.month_for_run(params.get("bulan"), data_interval_start, logical_date)
    except ValueError as exc:
        raise PlanError(str(exc)) from None
    section = str(params.get("seksi") or "bkd")
    count = int(params.get("jumlah_klien") or DEFAULT_CLIENTS)
    suggestion = gaji_umr.suggest_activity(month, today=now_wib().date())
    label = gaji_umr.month_label(month)
    facts = [
        ["Bulan", label],
        ["Saran kegiatan", suggestion.activity],
        ["Saran tempat", suggestion.place],
        ["Saran tanggal", format_date_id(suggestion.day)],
    ]
    return {
        "month": month, "month_label": label, "section": section, "count": count,
        "kasubsi": f"kasubsi_{section}", "suggestion": suggestion.as_answer(), "facts": facts,
        "prefill": {k: v for k, v in suggestion.as_answer().items() if v is not None},
    }


def record_activity(plan: Mapping[str, Any], outcome: Mapping[str, Any], *, dag_id: str, run_id: str) -> dict[str, Any]:
    """The Kabapas's choice, or the suggestion when the step expired unanswered."""
    answer = dict(outcome.get("answer") or {})
    defaulted = bool(outcome.get("defaulted")) or not answer.get("kegiatan")
    chosen = dict(plan["suggestion"]) if defaulted else answer
    day = date.fromisoformat(chosen["tanggal"])
    start = (chosen.get("jam") or "08.00").replace(":", ".")
    activity = {
        "kegiatan": chosen["kegiatan"], "tempat": chosen["tempat"], "tanggal": day.isoformat(), "jam": start,
        "catatan": chosen.get("catatan"), "source": "saran" if defaulted else "kabapas",
        "day_label": format_date_id(day), "day_starts": _attendance_opens(day).isoformat(),
    }
    activity["facts"] = [
        ["Bulan", plan["month_label"]],
        ["Kegiatan", activity["kegiatan"]],
        ["Tempat", activity["tempat"]],
        ["Hari, tanggal", f"{activity['day_label']}, pukul {start} WIB"],
    ]
    if defaulted:
        activity["facts"].append(["Keterangan", "Saran sistem (Kepala Bapas tidak menjawab sampai batas waktu)"])
    with session_scope() as session:
        if not audit.has_event(session, subject(plan["month"]), "gaji_umr_activity", run_id):
            audit.record(session, actor=str(outcome.get("answered_by") or ACTOR), action="gaji_umr_activity",
                         subject=subject(plan["month"]), dag_id=dag_id, run_id=run_id,
                         **{k: v for k, v in activity.items() if k != "facts"})
    return activity


def _attendance_opens(day: date, now: datetime | None = None) -> datetime:
    """The attendance form goes out at 06.00 WIB on the day; at once when planned that very day."""
    opens = at_wib(day, time(6, 0))
    current = now or now_wib()
    return min(opens, current) if day == current.astimezone(opens.tzinfo).date() else opens


# --------------------------------------------------------------------------- 2. clients


def load_register(directory: Directory | None = None) -> pd.DataFrame:
    """The valid rows of the client register; bad rows are logged (with what to fix)."""
    directory = directory or get_directory()
    result = gaji_umr.read_register(known_pk=[p.nip for p in directory])
    if result.raw.empty and not result.ok:
        result.raise_if_errors()  # no usable file at all: say why
    for error in result.errors:
        log.warning("%s: %s", gaji_umr.REGISTER_LABEL, error)
    frame = gaji_umr.register_frame(result)
    frame.attrs["bad_rows"] = len(result.bad_rows)
    return frame


def participation_history() -> pd.DataFrame:
    """Every participation record the system made (the rotation reads it)."""
    with session_scope() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "gaji_umr_participation").order_by(AuditEvent.id)
        ).all()
        rows = [{"client_id": e.subject.rsplit("/", 1)[-1], "month": e.detail.get("month"),
                 "status": e.detail.get("status")} for e in events]
    return gaji_umr.history_frame(rows)


def ranking(plan: Mapping[str, Any]) -> pd.DataFrame:
    return gaji_umr.rank_clients(load_register(), participation_history(), plan["month"], section=plan["section"])


def _client_label(row: Mapping[str, Any], names: Mapping[str, str]) -> str:
    last = f"terakhir {gaji_umr.month_label(row['last'])}" if row.get("last") else "belum pernah ikut"
    return f"{row['nama']} ({row['id_klien']}) — PK {names.get(row['pk_nip'], row['pk_nip'])}, {row['times']}× ikut, {last}"


def propose_clients(plan: Mapping[str, Any], activity: Mapping[str, Any], *, dag_id: str, run_id: str) -> dict[str, Any]:
    """*Menunjuk 5 klien*: the rotation's proposal, for the Kasubsi to approve or swap."""
    register = load_register()
    ranked = gaji_umr.rank_clients(register, participation_history(), plan["month"], section=plan["section"])
    if ranked.empty:
        raise PlanError(f"Tidak ada klien yang memenuhi syarat di seksi {plan['section'].upper()} pada daftar klien.")
    proposed = gaji_umr.propose(ranked, plan["count"])
    names = {p.nip: p.name for p in get_directory()}
    options = []
    for row in ranked.to_dict("records"):
        label = _client_label(row, names)
        if row["id_klien"] in proposed:
            label += " — diusulkan"
        options.append({"value": row["id_klien"], "label": label})
    facts = [
        *activity["facts"],
        ["Klien memenuhi syarat", f"{len(ranked)} klien (aktif, sudah mendapat bimbingan)"],
        ["Diusulkan sistem", ", ".join(register.loc[cid, "nama"] for cid in proposed)],
    ]
    if register.attrs.get("bad_rows"):
        facts.append(["Perhatian", f"{register.attrs['bad_rows']} baris daftar klien bermasalah dan tidak ikut dihitung."])
    with session_scope() as session:
        if not audit.has_event(session, subject(plan["month"]), "gaji_umr_proposed", run_id):
            audit.record(session, actor=ACTOR, action="gaji_umr_proposed", subject=subject(plan["month"]),
                         dag_id=dag_id, run_id=run_id, proposed=proposed, eligible=len(ranked))
    return {"proposed": proposed, "options": options, "facts": facts, "kasubsi": plan["kasubsi"]}


def record_selection(
    plan: Mapping[str, Any], activity: Mapping[str, Any], proposal: Mapping[str, Any], outcome: Mapping[str, Any],
    *, dag_id: str, run_id: str,
) -> list[dict[str, Any]]:
    """The Kasubsi's list (or the proposal when unanswered): one contact slot per client."""
    answer = outcome.get("answer") or {}
    chosen = list(answer.get("klien") or proposal["proposed"])
    register = load_register()
    unknown = [cid for cid in chosen if cid not in register.index]
    if unknown:
        raise PlanError(f"Klien tidak dikenal di daftar klien: {', '.join(unknown)}.")
    swapped_in = [c for c in chosen if c not in proposal["proposed"]]
    swapped_out = [c for c in proposal["proposed"] if c not in chosen]
    with session_scope() as session:
        if not audit.has_event(session, subject(plan["month"]), "gaji_umr_selected", run_id):
            audit.record(session, actor=str(outcome.get("answered_by") or ACTOR), action="gaji_umr_selected",
                         subject=subject(plan["month"]), dag_id=dag_id, run_id=run_id, chosen=chosen,
                         swapped_in=swapped_in, swapped_out=swapped_out, note=answer.get("catatan"))
    base = {
        "month": plan["month"], "month_label": plan["month_label"], "section": plan["section"],
        # Swapped out by the Kasubsi: not brought back as anyone's replacement this month.
        "chosen": chosen, "swapped_out": swapped_out, "activity_facts": activity["facts"], "tanggal": activity["tanggal"],
        "note": answer.get("catatan"),
    }
    return [{**base, "slot": i, "client_id": cid} for i, cid in enumerate(chosen, start=1)]


# --------------------------------------------------------------------------- 3. contacting clients


@dataclass(frozen=True)
class ContactStep:
    """What a slot does next: wait for ``key`` (emails ``outbox`` to send), or end with ``result``."""

    key: str | None = None
    outbox: tuple[str, ...] = ()
    result: dict[str, Any] | None = None


def _slot_requests(dag_id: str, run_id: str, slot: int | None = None) -> list[FormRequest]:
    with session_scope() as session:
        rows = session.scalars(
            select(FormRequest).where(FormRequest.dag_id == dag_id, FormRequest.run_id == run_id,
                                      FormRequest.step == CONTACT_STEP).order_by(FormRequest.id)
        ).all()
        session.expunge_all()
    return [r for r in rows if slot is None or r.context.get("slot") == slot]


def _contact_key(dag_id: str, run_id: str, client_id: str) -> str:
    return humantask.request_key(dag_id, run_id, f"{CONTACT_STEP}/{client_id}")


def _open_contact_for(slot: Mapping[str, Any], client_id: str, *, dag_id: str, run_id: str) -> humantask.OpenedRequest | None:
    """Ask the client's PK; None when another slot already asked about this client."""
    register = load_register()
    client = register.loc[client_id]
    directory = get_directory()
    assignee = f"nip:{client['pk_nip']}" if client["pk_nip"] in directory else f"kasubsi_{slot['section']}"
    facts = [
        ["Klien", f"{client['nama']} ({client_id})"],
        ["Telepon klien", client.get("telepon") or "-"],
        *slot["activity_facts"],
    ]
    if slot.get("note"):
        facts.append(["Catatan Kasubsi", slot["note"]])
    if client_id not in slot["chosen"]:
        facts.append(["Keterangan", "Pengganti klien yang menolak atau tidak dapat dihubungi"])
    now = utcnow()
    try:
        opened = humantask.open_request(
            key=_contact_key(dag_id, run_id, client_id), step=CONTACT_STEP, form_name=CONTACT_FORM,
            title=f"Konfirmasi klien Gaji UMR {slot['month_label']}: {client['nama']}",
            assignee=assignee,
            context={"facts": facts, "slot": slot["slot"], "client_id": client_id, "client_name": client["nama"]},
            policy=contact_policy(),
            due_at=gaji_umr.contact_due(now, date.fromisoformat(slot["tanggal"])),
            dag_id=dag_id, run_id=run_id, now=now,
        )
    except IntegrityError:
        return None  # another slot took this client at the same moment
    if not opened.created:
        with session_scope() as session:
            existing = session.scalar(select(FormRequest).where(FormRequest.key == opened.key))
            if existing is None or existing.context.get("slot") != slot["slot"]:
                return None
    return opened


def open_contact(slot: Mapping[str, Any], *, dag_id: str, run_id: str) -> ContactStep:
    """Start (or, on a retry, resume) the slot: the latest request of the slot, or a new one."""
    mine = _slot_requests(dag_id, run_id, slot["slot"])
    if mine:
        # Its invitation was queued when it was opened; the sweep resends what is still queued.
        return ContactStep(key=mine[-1].key)
    opened = _open_contact_for(slot, slot["client_id"], dag_id=dag_id, run_id=run_id)
    if opened is None:  # the Kasubsi's client is already asked about in this run (cannot happen twice)
        return _replacement(slot, dag_id=dag_id, run_id=run_id, tried=[])
    return ContactStep(key=opened.key, outbox=opened.outbox_keys)


def after_contact(
    slot: Mapping[str, Any], outcome: Mapping[str, Any], *, dag_id: str, run_id: str,
    max_attempts: int = MAX_ATTEMPTS_PER_SLOT,
) -> ContactStep:
    """A PK answered (or the step expired): confirmed ends the slot, anything else asks about
    the next eligible client, until the slot has had ``max_attempts`` clients."""
    key = str(outcome["key"])
    client_id = key.rsplit("/", 1)[-1]
    answer = outcome.get("answer") or {}
    status = answer.get("status") or gaji_umr.UNREACHABLE
    _record_contact(slot, client_id, status, outcome, dag_id=dag_id, run_id=run_id)
    mine = _slot_requests(dag_id, run_id, slot["slot"])
    if mine and mine[-1].key != key:
        # A retried task: this slot already moved on to a later client.
        return ContactStep(key=mine[-1].key)
    if status == gaji_umr.CONFIRMED:
        client = load_register().loc[client_id]
        return ContactStep(result={
            "slot": slot["slot"], "client_id": client_id, "name": client["nama"], "pk_nip": client["pk_nip"],
            "status": status, "attempts": len(mine), "confirmed_by": outcome.get("answered_by"),
        })
    if len(mine) >= max_attempts:
        return ContactStep(result={"slot": slot["slot"], "client_id": None, "status": "tidak_terisi",
                                   "attempts": len(mine)})
    return _replacement(slot, dag_id=dag_id, run_id=run_id, tried=[r.context.get("client_id") for r in mine])


def _replacement(slot: Mapping[str, Any], *, dag_id: str, run_id: str, tried: Sequence[str]) -> ContactStep:
    ranked = ranking(slot)
    for _ in range(len(ranked)):
        asked = [r.context.get("client_id") for r in _slot_requests(dag_id, run_id)]
        candidate = gaji_umr.next_candidate(ranked, [*slot["chosen"], *slot.get("swapped_out", []), *asked, *tried])
        if candidate is None:
            break
        opened = _open_contact_for(slot, candidate, dag_id=dag_id, run_id=run_id)
        if opened is not None:
            log.info("Slot %s: asking about %s next", slot["slot"], candidate)
            return ContactStep(key=opened.key, outbox=opened.outbox_keys)
        tried = [*tried, candidate]
    return ContactStep(result={"slot": slot["slot"], "client_id": None, "status": "tidak_terisi",
                               "attempts": len(_slot_requests(dag_id, run_id, slot["slot"]))})


def _record_contact(slot: Mapping[str, Any], client_id: str, status: str, outcome: Mapping[str, Any], *, dag_id: str, run_id: str) -> None:
    subject_ = f"{subject(slot['month'])}/klien/{client_id}"
    with session_scope() as session:
        if audit.has_event(session, subject_, "gaji_umr_contact", run_id):
            return
        audit.record(session, actor=str(outcome.get("answered_by") or ACTOR), action="gaji_umr_contact",
                     subject=subject_, dag_id=dag_id, run_id=run_id, slot=slot["slot"], status=status,
                     defaulted=bool(outcome.get("defaulted")), note=(outcome.get("answer") or {}).get("catatan"))
        if status in (gaji_umr.DECLINED, gaji_umr.UNREACHABLE):
            _participation(session, client_id, slot["month"], status, dag_id=dag_id, run_id=run_id)


def _participation(session: Any, client_id: str, month: str, status: str, *, dag_id: str, run_id: str) -> None:
    audit.record(session, actor=ACTOR, action="gaji_umr_participation", subject=client_subject(client_id),
                 dag_id=dag_id, run_id=run_id, month=month, status=status)


# --------------------------------------------------------------------------- 4. the day


def participants(plan: Mapping[str, Any], activity: Mapping[str, Any], results: Iterable[Mapping[str, Any]], *,
                 dag_id: str, run_id: str) -> dict[str, Any]:
    """The confirmed clients; the Kasubsi (Kabapas in copy) gets the list before the day."""
    results = sorted((dict(r) for r in results), key=lambda r: r["slot"])
    confirmed = [r for r in results if r.get("status") == gaji_umr.CONFIRMED]
    names = {p.nip: p.name for p in get_directory()}
    options = [{"value": r["client_id"], "label": f"{r['name']} (PK {names.get(r['pk_nip'], r['pk_nip'])})"} for r in confirmed]
    unfilled = len(results) - len(confirmed)
    facts = [*activity["facts"], ["Klien yang bersedia", f"{len(confirmed)} dari {len(results)}"]]
    day = date.fromisoformat(activity["tanggal"])
    directory = get_directory()
    kasubsi = humantask.resolve_assignee(plan["kasubsi"], directory)[0]
    kabapas = humantask.resolve_assignee("kabapas", directory)[0]
    key = f"{dag_id}/{run_id}/daftar_peserta/{kasubsi.email}"
    with session_scope() as session:
        enqueue_email(session, key=key, to=kasubsi.email, cc=[kabapas.email], template="gaji_umr/daftar_peserta",
                      context={"name": kasubsi.name, "month_label": plan["month_label"], "facts": facts,
                               "participants": [o["label"] for o in options], "unfilled": unfilled})
        if not audit.has_event(session, subject(plan["month"]), "gaji_umr_participants", run_id):
            audit.record(session, actor=ACTOR, action="gaji_umr_participants", subject=subject(plan["month"]),
                         dag_id=dag_id, run_id=run_id, confirmed=[r["client_id"] for r in confirmed], unfilled=unfilled)
    flush(keys=[key])
    return {
        "ids": [o["value"] for o in options], "options": options, "facts": facts, "results": results,
        "attendance_due": gaji_umr.attendance_due(day).isoformat(),
    }


# --------------------------------------------------------------------------- 5. report


def report(
    plan: Mapping[str, Any], activity: Mapping[str, Any], people: Mapping[str, Any], attendance: Mapping[str, Any], *,
    dag_id: str, run_id: str,
) -> str:
    """*Membuat laporan hasil kegiatan*: the PDF to the Kabapas; participation history updated."""
    answer = attendance.get("answer") or {}
    present = set(answer.get("hadir") or [])
    register = load_register()
    names = {p.nip: p.name for p in get_directory()}
    rows = []
    for r in people["results"]:
        if r.get("status") != gaji_umr.CONFIRMED:
            continue
        status = gaji_umr.ATTENDED if r["client_id"] in present else gaji_umr.ABSENT
        rows.append({"client_id": r["client_id"], "name": r["name"], "pk": names.get(r["pk_nip"], r["pk_nip"]),
                     "status": status, "status_label": gaji_umr.STATUS_LABELS[status]})
    contacts = _contacts_of_run(dag_id, run_id, register, names)
    context = {
        "title": f"Laporan Kegiatan Gaji UMR {plan['month_label']}",
        "month_label": plan["month_label"], "activity": activity, "rows": rows, "contacts": contacts,
        "attended": sum(1 for r in rows if r["status"] == gaji_umr.ATTENDED), "invited": len(rows),
        "staff": answer.get("jumlah_petugas"), "description": answer.get("uraian"),
        "documentation": answer.get("tautan_dokumentasi"), "recorded_by": attendance.get("answered_by_name"),
        "generated_date": format_date_id(now_wib().date(), with_day=False),
    }
    directory = get_directory()
    kabapas = humantask.resolve_assignee("kabapas", directory)[0]
    kasubsi = humantask.resolve_assignee(plan["kasubsi"], directory)[0]
    key = f"{dag_id}/{run_id}/laporan/{kabapas.email}"
    with session_scope() as session:
        from bapas_sop.store.models import OutboxMessage

        if session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key)) is None:
            pdf = render_pdf("gaji_umr/laporan", context)
            enqueue_email(
                session, key=key, to=kabapas.email, cc=[kasubsi.email], template="gaji_umr/laporan",
                context={"name": kabapas.name, "month_label": plan["month_label"], "facts": [
                    *activity["facts"], ["Klien hadir", f"{context['attended']} dari {context['invited']}"],
                    ["Petugas yang ikut", str(context["staff"] if context["staff"] is not None else "-")],
                ]},
                attachments={f"laporan-gaji-umr-{plan['month']}.pdf": pdf},
            )
        if not audit.has_event(session, subject(plan["month"]), "gaji_umr_report", run_id):
            for row in rows:
                _participation(session, row["client_id"], plan["month"], row["status"], dag_id=dag_id, run_id=run_id)
            audit.record(session, actor=str(attendance.get("answered_by") or ACTOR), action="gaji_umr_report",
                         subject=subject(plan["month"]), dag_id=dag_id, run_id=run_id, attended=context["attended"],
                         invited=context["invited"], staff=context["staff"])
    flush(keys=[key])
    return key


def _contacts_of_run(dag_id: str, run_id: str, register: pd.DataFrame, names: Mapping[str, str]) -> list[dict[str, Any]]:
    rows = []
    for request in _slot_requests(dag_id, run_id):
        client_id = request.context.get("client_id")
        status = None
        with session_scope() as session:
            event = session.scalars(select(AuditEvent).where(
                AuditEvent.action == "gaji_umr_contact", AuditEvent.run_id == run_id,
                AuditEvent.subject.endswith(f"/klien/{client_id}"))).first()
            if event is not None:
                status = event.detail.get("status")
        rows.append({
            "client_id": client_id, "name": request.context.get("client_name"),
            "pk": request.assignee_name, "status_label": gaji_umr.STATUS_LABELS.get(status, "belum dijawab"),
        })
    return rows


__all__ = [
    "ContactStep",
    "PlanError",
    "after_contact",
    "contact_policy",
    "load_register",
    "open_contact",
    "participants",
    "participation_history",
    "plan_month",
    "propose_clients",
    "ranking",
    "record_activity",
    "record_selection",
    "report",
]

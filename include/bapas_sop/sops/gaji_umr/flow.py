"""What each task of the Gaji UMR DAG does, as plain functions (the DAG file only wires them).

Records (:mod:`bapas_sop.sops.gaji_umr.models`):

* ``gaji_umr_month``, one row per run: the month's activity, the clients proposed and
  approved, when the participants' list went out, and the report;
* ``gaji_umr_client``, one row per client and month: the PK's answer after the call and
  where the client stands (dikonfirmasi, then hadir / tidak_hadir; or menolak /
  tidak_terhubung). The **participation history** the rotation reads is these rows;
* every contact a PK made is also a form request (key ``.../menghubungi_klien/<client id>``,
  context ``slot``) with its answer.

Every step also writes an audit row (``gaji_umr_*`` actions): the trail is a log, nothing
here reads it back. Every function is safe to run twice for the same run: a step whose
columns are already filled in for the run (or whose client row is already there) changes
nothing.
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
from sqlalchemy.orm import Session

from bapas_sop import audit, humantask
from bapas_sop.humantask import RequestKey
from bapas_sop.calendar import at_wib, now_wib
from bapas_sop.directory import Directory, get_directory
from bapas_sop.documents import render_pdf
from bapas_sop.mail.outbox import mailing
from bapas_sop.policy import StepPolicy
from bapas_sop.sops.gaji_umr import rules as gaji_umr
from bapas_sop.sops.gaji_umr.models import GajiUmrClient, GajiUmrMonth
from bapas_sop.store.db import insert_or_get, session_scope
from bapas_sop.store.models import FormRequest, utcnow
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


# --------------------------------------------------------------------------- records




def _run_record(session: Session, month: str, *, dag_id: str, run_id: str, section: str | None = None) -> GajiUmrMonth:
    row = insert_or_get(session, GajiUmrMonth, {"run_id": run_id},
                         {"month": month, "dag_id": dag_id, "section": section, "created_at": utcnow()})
    if section and row.section is None:
        row.section = section
    return row


def _client_record(session: Session, month: str, client_id: str, status: str, *, dag_id: str, run_id: str) -> GajiUmrClient:
    """The client's row for the month (created with ``status`` by this run when missing)."""
    return insert_or_get(session, GajiUmrClient, {"month": month, "client_id": client_id},
                          {"status": status, "dag_id": dag_id, "run_id": run_id, "contact_defaulted": False,
                           "updated_at": utcnow()})


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
    with session_scope() as session:
        _run_record(session, month, dag_id=dag_id, run_id=run_id, section=section)
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
    actor = str(outcome.get("answered_by") or ACTOR)
    with session_scope() as session:
        record = _run_record(session, plan["month"], dag_id=dag_id, run_id=run_id, section=plan.get("section"))
        if record.activity_at is None:
            record.kegiatan, record.tempat, record.tanggal, record.jam = (
                activity["kegiatan"], activity["tempat"], day, start)
            record.activity_note, record.suggested = activity["catatan"], defaulted
            record.activity_by, record.activity_at = actor, utcnow()
            audit.record(session, actor=actor, action="gaji_umr_activity", subject=subject(plan["month"]),
                         dag_id=dag_id, run_id=run_id, **{k: v for k, v in activity.items() if k != "facts"})
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


#: Where a client's month is settled: the day came (hadir, tidak hadir) or the call said no.
#: A client who agreed and awaits the day (dikonfirmasi) is not in the history yet, as before
#: these records had a table: the report turns them into hadir or tidak hadir.
PARTICIPATION_STATUSES = (gaji_umr.ATTENDED, gaji_umr.ABSENT, gaji_umr.DECLINED, gaji_umr.UNREACHABLE)


def participation_history() -> pd.DataFrame:
    """Every participation record the system made (the rotation reads it): one per client and month."""
    with session_scope() as session:
        records = session.execute(
            select(GajiUmrClient.client_id, GajiUmrClient.month, GajiUmrClient.status)
            .where(GajiUmrClient.status.in_(PARTICIPATION_STATUSES))
            .order_by(GajiUmrClient.updated_at, GajiUmrClient.id)
        ).all()
    return gaji_umr.history_frame({"client_id": r.client_id, "month": r.month, "status": r.status} for r in records)


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
        record = _run_record(session, plan["month"], dag_id=dag_id, run_id=run_id, section=plan.get("section"))
        if record.proposed_at is None:
            record.proposed, record.eligible, record.proposed_at = proposed, len(ranked), utcnow()
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
    actor = str(outcome.get("answered_by") or ACTOR)
    with session_scope() as session:
        record = _run_record(session, plan["month"], dag_id=dag_id, run_id=run_id, section=plan.get("section"))
        if record.selected_at is None:
            if record.proposed is None:
                record.proposed = list(proposal["proposed"])
            record.selected, record.selection_note = chosen, answer.get("catatan")
            record.selected_by, record.selected_at = actor, utcnow()
            audit.record(session, actor=actor, action="gaji_umr_selected", subject=subject(plan["month"]),
                         dag_id=dag_id, run_id=run_id, chosen=chosen, swapped_in=swapped_in,
                         swapped_out=swapped_out, note=answer.get("catatan"))
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
    client_id = RequestKey.parse(key).subject
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
    """The PK's answer on the client's row for the month, once per run (a retry changes nothing)."""
    actor = str(outcome.get("answered_by") or ACTOR)
    note = (outcome.get("answer") or {}).get("catatan")
    with session_scope() as session:
        record = _client_record(session, slot["month"], client_id, status, dag_id=dag_id, run_id=run_id)
        if record.run_id == run_id and record.contacted_at is not None:
            return
        record.dag_id, record.run_id, record.slot = dag_id, run_id, slot["slot"]
        record.contact_status, record.contact_note = status, note
        record.contact_defaulted, record.contacted_by, record.contacted_at = bool(outcome.get("defaulted")), actor, utcnow()
        # A day already reported (an earlier run of the same month) stands over a later call.
        if record.status not in (gaji_umr.ATTENDED, gaji_umr.ABSENT):
            record.status = status
        record.updated_at = utcnow()
        audit.record(session, actor=actor, action="gaji_umr_contact", subject=f"{subject(slot['month'])}/klien/{client_id}",
                     dag_id=dag_id, run_id=run_id, slot=slot["slot"], status=status,
                     defaulted=bool(outcome.get("defaulted")), note=note)
        if status in (gaji_umr.DECLINED, gaji_umr.UNREACHABLE):
            _log_participation(session, client_id, slot["month"], status, dag_id=dag_id, run_id=run_id)


def _log_participation(session: Session, client_id: str, month: str, status: str, *, dag_id: str, run_id: str) -> None:
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
    with mailing() as batch:
        record = _run_record(batch.session, plan["month"], dag_id=dag_id, run_id=run_id, section=plan.get("section"))
        batch.email(key=key, to=kasubsi.email, cc=[kabapas.email], template="gaji_umr/daftar_peserta",
                    context={"name": kasubsi.name, "month_label": plan["month_label"], "facts": facts,
                             "participants": [o["label"] for o in options], "unfilled": unfilled})
        if record.participants_sent_at is None:
            record.participants_sent_at = utcnow()
            audit.record(batch.session, actor=ACTOR, action="gaji_umr_participants", subject=subject(plan["month"]),
                         dag_id=dag_id, run_id=run_id, confirmed=[r["client_id"] for r in confirmed], unfilled=unfilled)
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
    actor = str(attendance.get("answered_by") or ACTOR)
    with mailing() as batch:
        batch.email(
            key=key, to=kabapas.email, cc=[kasubsi.email], template="gaji_umr/laporan",
            context={"name": kabapas.name, "month_label": plan["month_label"], "facts": [
                *activity["facts"], ["Klien hadir", f"{context['attended']} dari {context['invited']}"],
                ["Petugas yang ikut", str(context["staff"] if context["staff"] is not None else "-")],
            ]},
            attachments=lambda: {f"laporan-gaji-umr-{plan['month']}.pdf": render_pdf("gaji_umr/laporan", context)},
        )
        session = batch.session
        record = _run_record(session, plan["month"], dag_id=dag_id, run_id=run_id, section=plan.get("section"))
        if record.reported_at is None:
            now = utcnow()
            for row in rows:
                client = _client_record(session, plan["month"], row["client_id"], row["status"], dag_id=dag_id, run_id=run_id)
                client.status, client.updated_at = row["status"], now
                _log_participation(session, row["client_id"], plan["month"], row["status"], dag_id=dag_id, run_id=run_id)
            record.attended, record.invited, record.staff = context["attended"], context["invited"], _staff(context["staff"])
            record.reported_by, record.reported_at = actor, now
            audit.record(session, actor=actor, action="gaji_umr_report", subject=subject(plan["month"]),
                         dag_id=dag_id, run_id=run_id, attended=context["attended"], invited=context["invited"],
                         staff=context["staff"])
    return key


def _staff(value: Any) -> int | None:
    """The number of staff as a column value (the form gives a number; nothing when empty)."""
    try:
        return None if value is None or value == "" else int(float(value))
    except (TypeError, ValueError):
        return None


def _contacts_of_run(dag_id: str, run_id: str, register: pd.DataFrame, names: Mapping[str, str]) -> list[dict[str, Any]]:
    requests = _slot_requests(dag_id, run_id)
    with session_scope() as session:
        answered = {r.client_id: r.contact_status for r in session.scalars(
            select(GajiUmrClient).where(GajiUmrClient.run_id == run_id, GajiUmrClient.contacted_at.is_not(None)))}
    rows = []
    for request in requests:
        client_id = request.context.get("client_id")
        status = answered.get(client_id)
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

"""What the tasks of Piket Hari Libur do, as plain functions (the DAG files only wire them).

Records (:mod:`bapas_sop.sops.piket_hari_libur.models`): ``piket_hari_libur_roster`` (one per
monthly run), ``piket_hari_libur_duty`` (one officer, one day), ``piket_hari_libur_handover``
(substitusi pelaksana) and ``piket_hari_libur_log`` (what the officer on duty handled). Every
step also writes an audit row; nothing here reads the trail back. Every function is safe to
run twice: a step whose record is already filled in changes nothing, and every email is keyed
in the outbox.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bapas_sop import audit, humantask
from bapas_sop.absences import get_absences
from bapas_sop.calendar import WIB, at_wib, is_working_day, non_working_days, now_wib, previous_working_day, to_wib
from bapas_sop.directory import Directory, get_directory
from bapas_sop.documents import render_pdf
from bapas_sop.humantask import RequestKey
from bapas_sop.invitation import CalendarEvent, invitation_attachment
from bapas_sop.mail.outbox import mailing
from bapas_sop.policy import StepPolicy
from bapas_sop.settings import get_settings
from bapas_sop.sops.piket_hari_libur import forms
from bapas_sop.sops.piket_hari_libur import rules as piket
from bapas_sop.sops.piket_hari_libur.models import PiketDuty, PiketHandover, PiketLog, PiketRoster
from bapas_sop.store.db import session_scope
from bapas_sop.store.models import FormRequest, utcnow
from bapas_sop.textid import format_date_id, format_datetime_id

log = logging.getLogger(__name__)

ACTOR = "system"
SOP = "piket_hari_libur"
AVAILABILITY_STEP = "kesediaan_petugas"
CONFIRM_STEP = "konfirmasi_pengganti"
APPOINT_STEP = "penunjukan_pengganti"
#: How many times an officer may name a substitute before Staf TU appoints one.
OFFICER_ROUNDS = 2
LOG_KINDS = {"wajib_lapor": "Klien wajib lapor", "pembebasan": "Penerimaan klien bebas bersyarat",
             "litmas": "Permintaan Litmas"}


def config() -> Mapping[str, Any]:
    return get_settings().config.get(SOP, {})


def checkin_clock() -> time:
    return piket.parse_clock(str(config().get("batas_hadir", "08.00")))


def subject(month: str) -> str:
    return f"{SOP}/{month}"


def duty_url(token: str) -> str:
    return f"{get_settings().public_url}/piket/{token}"


# --------------------------------------------------------------------------- 1. jadwal


def plan_month(params: Mapping[str, Any], *, dag_id: str, run_id: str, logical_date: datetime | None = None) -> dict[str, Any]:
    """*Jadwal*: the coming month's non-working days and the team of each day."""
    run_date = to_wib(logical_date).date() if logical_date else now_wib().date()
    month = piket.month_to_plan(params.get("bulan"), run_date)
    places = piket.team_from_config(config())
    year, number = (int(p) for p in month.split("-"))
    days = [[d.isoformat(), reason] for d, reason in non_working_days(year, number)]
    with session_scope() as session:
        _roster(session, month, dag_id=dag_id, run_id=run_id)
    label = piket.month_label(month)
    return {
        "month": month, "month_label": label, "days": days,
        "places": [[p.role, p.count] for p in places],
        "team": ", ".join(f"{p.count} {p.title}" for p in places),
    }


def _roster(session: Session, month: str, *, dag_id: str, run_id: str) -> PiketRoster:
    row = session.scalar(select(PiketRoster).where(PiketRoster.run_id == run_id))
    if row is None:
        row = PiketRoster(month=month, dag_id=dag_id, run_id=run_id, status="draf", created_at=utcnow())
        session.add(row)
        session.flush()
    return row


# --------------------------------------------------------------------------- 2. the draft


def is_away_check(directory: Directory | None = None):
    """``is_away(nip, day)``: leave or travel in the dated register, or on leave now in the directory."""
    directory = directory or get_directory()
    register = get_absences()
    on_leave = {p.nip for p in directory.people if p.on_leave}
    return lambda nip, day: nip in on_leave or register.is_away(nip, day)


def candidates(directory: Directory | None = None) -> list[piket.Candidate]:
    directory = directory or get_directory()
    return [piket.Candidate(p.nip, p.name, p.roles) for p in directory.active_employees()]


def past_duties(month: str) -> tuple[dict[str, int], dict[str, date]]:
    """Duties this year before ``month`` in approved rosters: counts and latest day, by NIP."""
    first, _ = piket.month_bounds(month)
    counts: dict[str, int] = {}
    last: dict[str, date] = {}
    with session_scope() as session:
        rows = session.execute(
            select(PiketDuty.nip, PiketDuty.day).join(PiketRoster, PiketRoster.id == PiketDuty.roster_id)
            .where(PiketRoster.status == "disetujui", PiketDuty.day >= date(first.year, 1, 1), PiketDuty.day < first,
                   PiketDuty.nip.is_not(None))
        ).all()
    for nip, day in rows:
        counts[nip] = counts.get(nip, 0) + 1
        last[nip] = max(last.get(nip, day), day)
    return counts, last


def _duties_from(rows: Sequence[Sequence[Any]]) -> list[piket.Duty]:
    return [piket.Duty(date.fromisoformat(day), role, nip) for day, role, nip in rows]


def _duty_rows(duties: Sequence[piket.Duty]) -> list[list[Any]]:
    return [[d.day.isoformat(), d.role, d.nip] for d in duties]


def _roster_facts(duties: Sequence[piket.Duty], reasons: Mapping[str, str], names: Mapping[str, str]) -> list[list[str]]:
    facts = []
    for day, group in piket.Draft(list(duties)).by_day().items():
        officers = "; ".join(f"{names.get(d.nip, '(kosong)') if d.nip else '(kosong)'} ({piket.PLACE_TITLES.get(d.role, d.role)})"
                             for d in group)
        facts.append([f"{format_date_id(day)} — {reasons.get(day.isoformat(), '')}", officers])
    return facts


def draft(plan: Mapping[str, Any], *, dag_id: str, run_id: str) -> dict[str, Any]:
    """*Menyusun rotasi*: the fair rotation, stored with the run; the review form's context."""
    directory = get_directory()
    places = [piket.Place(role, count) for role, count in plan["places"]]
    excluded = config().get("peran_dikecualikan", list(piket.DEFAULT_EXCLUDED))
    pool = piket.pools(candidates(directory), places, excluded_roles=excluded)
    counts, last = past_duties(plan["month"])
    days = [date.fromisoformat(d) for d, _ in plan["days"]]
    result = piket.draft_rotation(days, places, pool, past_counts=counts, last_served=last,
                                  is_away=is_away_check(directory))
    names = {p.nip: p.name for p in directory.people}
    reasons = {d: r for d, r in plan["days"]}
    with session_scope() as session:
        roster = _roster(session, plan["month"], dag_id=dag_id, run_id=run_id)
        if roster.drafted is None:
            roster.drafted, roster.notes = _duty_rows(result.duties), list(result.notes)
            audit.record(session, actor=ACTOR, action="piket_drafted", subject=subject(plan["month"]),
                         dag_id=dag_id, run_id=run_id, duties=len(result.duties), notes=len(result.notes))
        duties = _duties_from(roster.drafted)
        notes = list(roster.notes or [])
    facts = [["Bulan", plan["month_label"]], ["Regu per hari", plan["team"]],
             ["Hari libur", f"{len(plan['days'])} hari"], *_roster_facts(duties, reasons, names)]
    facts += [["Perhatian", note] for note in notes]
    eligible = sorted({c.nip for cs in pool.values() for c in cs}, key=lambda nip: names.get(nip, nip))
    return {
        "facts": facts,
        "jadwal_options": [{"value": f"{d.day.isoformat()}|{d.nip}",
                            "label": f"{format_date_id(d.day)}: {names.get(d.nip, d.nip)}"} for d in duties if d.nip],
        "pegawai_options": [{"value": nip, "label": names.get(nip, nip)} for nip in eligible],
    }


# --------------------------------------------------------------------------- 3. approval


def swaps_from(answer: Mapping[str, Any]) -> list[piket.Swap]:
    swaps = []
    for i in range(1, forms.MAX_SWAPS + 1):
        out, into = answer.get(f"keluar_{i}"), answer.get(f"masuk_{i}")
        if out and into:
            day, _, nip = str(out).partition("|")
            swaps.append(piket.Swap(date.fromisoformat(day), nip, str(into)))
    return swaps


def approve(plan: Mapping[str, Any], outcome: Mapping[str, Any], *, dag_id: str, run_id: str) -> list[dict[str, Any]]:
    """*Penetapan*: Staf TU's latest swaps made on the draft, the duties stored; one item per officer.

    ``outcome`` is the Kabapas's review (``work``: Staf TU's latest answer, kept across rounds).
    """
    work = dict(outcome.get("work") or {})
    answer = dict(work.get("answer") or {})
    directory = get_directory()
    names = {p.nip: p.name for p in directory.people}
    reasons = {d: r for d, r in plan["days"]}
    with session_scope() as session:
        roster = _roster(session, plan["month"], dag_id=dag_id, run_id=run_id)
        if roster.status != "disetujui":
            duties, refused = piket.apply_swaps(_duties_from(roster.drafted or []), swaps_from(answer),
                                                is_away=is_away_check(directory), names=names)
            roster.swaps = [[s.day.isoformat(), s.out, s.into] for s in swaps_from(answer)]
            roster.notes = [*(roster.notes or []), *refused]
            roster.reviewed_by, roster.rounds = work.get("answered_by"), outcome.get("rounds")
            # A month drafted again (an admin's second run): the roster approved last is the one that holds.
            for older in session.scalars(select(PiketRoster).where(PiketRoster.month == plan["month"],
                                                                   PiketRoster.status == "disetujui",
                                                                   PiketRoster.id != roster.id)):
                older.status = "diganti"
            roster.approved_by, roster.approved_at, roster.status = outcome.get("answered_by"), utcnow(), "disetujui"
            slots: dict[str, int] = {}
            for d in duties:
                slots[d.day.isoformat()] = slots.get(d.day.isoformat(), 0) + 1
                session.add(PiketDuty(roster_id=roster.id, month=plan["month"], day=d.day, reason=reasons.get(d.day.isoformat()),
                                      role=d.role, slot=slots[d.day.isoformat()], nip=d.nip, scheduled_nip=d.nip,
                                      token=secrets.token_urlsafe(24)))
            audit.record(session, actor=str(outcome.get("answered_by") or ACTOR), action="piket_approved",
                         subject=subject(plan["month"]), dag_id=dag_id, run_id=run_id, swaps=len(roster.swaps),
                         refused=len(refused), rounds=outcome.get("rounds"))
        officers = sorted({d.nip for d in session.scalars(select(PiketDuty).where(PiketDuty.roster_id == roster.id)) if d.nip})
    return [{"nip": nip, "month": plan["month"]} for nip in officers]


# --------------------------------------------------------------------------- 4. notify


def _duties_of(session: Session, month: str, nip: str) -> list[PiketDuty]:
    return list(session.scalars(
        select(PiketDuty).join(PiketRoster, PiketRoster.id == PiketDuty.roster_id)
        .where(PiketRoster.status == "disetujui", PiketDuty.month == month, PiketDuty.nip == nip)
        .order_by(PiketDuty.day)))


def _event(duty: PiketDuty, email: str, *, sequence: int = 0) -> CalendarEvent:
    office = get_settings().config.get("office", {})
    start = at_wib(duty.day, checkin_clock())
    return CalendarEvent(
        uid=f"piket/{duty.month}/{duty.day.isoformat()}/{duty.slot}", sequence=sequence,
        summary=f"Piket hari libur {office.get('short_name', 'Bapas')}", start=start,
        end=at_wib(duty.day, time(16, 0)), location=str(office.get("address", "")),
        description=f"Piket {duty.reason or ''}. Isi kehadiran paling lambat pukul {checkin_clock():%H.%M} WIB.",
        attendees=(email,),
    )


def _date_lines(duties: Sequence[PiketDuty]) -> list[list[str]]:
    return [[format_date_id(d.day), d.reason or "-"] for d in duties]


def notify_officers(plan: Mapping[str, Any], *, dag_id: str, run_id: str) -> int:
    """*Pemberitahuan*: each officer gets their dates with a calendar invitation (``.ics``)."""
    directory = get_directory()
    sent = 0
    with mailing() as batch:
        roster = _roster(batch.session, plan["month"], dag_id=dag_id, run_id=run_id)
        officers = sorted({d.nip for d in batch.session.scalars(select(PiketDuty).where(PiketDuty.roster_id == roster.id)) if d.nip})
        for nip in officers:
            person = directory.get(nip)
            duties = _duties_of(batch.session, plan["month"], nip)
            events = [_event(d, person.email) for d in duties]
            batch.email(key=f"{dag_id}/{run_id}/pemberitahuan/{nip}", to=person.email, template="piket_hari_libur/pemberitahuan",
                        context={"name": person.name, "month_label": plan["month_label"], "facts": _date_lines(duties),
                                 "deadline": f"{checkin_clock():%H.%M}"},
                        attachments=lambda events=events: invitation_attachment(*events))
            sent += 1
        if roster.notified_at is None:
            roster.notified_at = utcnow()
            audit.record(batch.session, actor=ACTOR, action="piket_notified", subject=subject(plan["month"]),
                         dag_id=dag_id, run_id=run_id, officers=sent)
    return sent


# --------------------------------------------------------------------------- 5. substitution


@dataclass(frozen=True)
class SubstitutionStep:
    """What the loop does next: wait for ``key`` (emails ``outbox`` to send), or end with ``result``."""

    key: str | None = None
    outbox: tuple[str, ...] = ()
    result: dict[str, Any] | None = None


def _policy_before(first_day: date) -> tuple[StepPolicy, datetime]:
    """Answer by the morning two days before the first duty (at least a few hours from now)."""
    due = max(at_wib(first_day - timedelta(days=2), time(12, 0)), now_wib() + timedelta(hours=6))
    policy = StepPolicy.from_config(remind_before=timedelta(hours=24), escalate_after=None, expire_after=timedelta(0))
    return policy, due


def _substitute_options(nip: str, directory: Directory) -> list[dict[str, str]]:
    return [{"value": p.nip, "label": p.name} for p in directory.active_employees()
            if p.nip != nip and not p.on_leave and not p.has_role("kabapas")]


def open_availability(officer: Mapping[str, Any], *, dag_id: str, run_id: str, round_no: int = 1,
                      note: str | None = None) -> SubstitutionStep:
    """Ask the officer whether they can serve on their dates (silence = they serve)."""
    directory = get_directory()
    nip = officer["nip"]
    with session_scope() as session:
        duties = _duties_of(session, officer["month"], nip)
        options = [{"value": d.day.isoformat(), "label": f"{format_date_id(d.day)} ({d.reason})"} for d in duties]
        first = duties[0].day if duties else now_wib().date() + timedelta(days=3)
    if not duties:
        return SubstitutionStep(result={"nip": nip, "status": "tanpa_jadwal"})
    policy, due = _policy_before(first)
    facts = [["Bulan", piket.month_label(officer["month"])], *_date_lines(duties)]
    if note:
        facts.append(["Keterangan", note])
    opened = humantask.open_request(
        key=humantask.request_key(dag_id, run_id, f"{AVAILABILITY_STEP}/{nip}", round_no), step=AVAILABILITY_STEP,
        form_name=forms.KESEDIAAN.name, title=f"Kesediaan piket hari libur {piket.month_label(officer['month'])}",
        assignee=f"nip:{nip}", context={"facts": facts, "tanggal_options": options,
                                        "pengganti_options": _substitute_options(nip, directory)},
        policy=replace(policy, default_answer={"kesediaan": forms.AVAILABLE}), due_at=due, dag_id=dag_id, run_id=run_id,
    )
    return SubstitutionStep(key=opened.key, outbox=opened.outbox_keys)


def _request(key: str) -> FormRequest:
    with session_scope() as session:
        request = session.scalar(select(FormRequest).where(FormRequest.key == key))
        session.expunge_all()
    return request


def _conflict(month: str, days: Sequence[date], substitute: str) -> str | None:
    """Why ``substitute`` cannot take these days (on duty already, or away), or None."""
    directory = get_directory()
    away = is_away_check(directory)
    name = directory.get(substitute).name
    with session_scope() as session:
        busy = {d.day for d in _duties_of(session, month, substitute)}
    for day in days:
        if day in busy:
            return f"{name} sudah bertugas piket pada {format_date_id(day)}."
        if away(substitute, day):
            return f"{name} sedang cuti atau dinas luar pada {format_date_id(day)}."
    return None


def after_answer(officer: Mapping[str, Any], outcome: Mapping[str, Any], answered: RequestKey) -> SubstitutionStep:
    """The next step of the substitution loop after the request ``answered`` settled."""
    dag_id, run_id, nip = answered.dag_id, answered.run_id, officer["nip"]
    answer = dict(outcome.get("answer") or {})
    if answered.step == AVAILABILITY_STEP:
        if answer.get("kesediaan") != forms.UNAVAILABLE:
            return SubstitutionStep(result={"nip": nip, "status": "bersedia", "rounds": answered.round_no})
        days = [date.fromisoformat(d) for d in answer.get("tanggal") or []]
        substitute = str(answer["pengganti"])
        problem = _conflict(officer["month"], days, substitute)
        if problem:
            return _back_to_officer(officer, answered, problem)
        return _ask_substitute(officer, answered.round_no, days, substitute, str(answer.get("alasan") or ""),
                               dag_id=dag_id, run_id=run_id)
    request = _request(str(answered))
    days = [date.fromisoformat(d) for d in request.context["tanggal"]]
    if answered.step == CONFIRM_STEP:
        if answer.get("keputusan") == forms.ACCEPT:
            _hand_over(officer, days, request.assignee_nip, reason=request.context.get("alasan"),
                       decided_by=request.assignee_nip, key=str(answered))
            return SubstitutionStep(result={"nip": nip, "status": "digantikan", "by": "pengganti"})
        why = answer.get("catatan") or "tidak menjawab sampai batas waktu"
        problem = f"{request.assignee_name} tidak dapat menggantikan: {why}"
        if answered.round_no < OFFICER_ROUNDS:
            return _back_to_officer(officer, RequestKey(dag_id, run_id, AVAILABILITY_STEP, nip, answered.round_no), problem)
        return _ask_staff_tu(officer, days, request.context.get("alasan"), problem, dag_id=dag_id, run_id=run_id)
    if answered.step == APPOINT_STEP:
        _hand_over(officer, days, str(answer["pengganti"]), reason=request.context.get("alasan"),
                   decided_by=str(outcome.get("answered_by") or "staff_tu"), key=str(answered))
        return SubstitutionStep(result={"nip": nip, "status": "digantikan", "by": "staf_tu"})
    raise ValueError(f"unexpected request {answered}")


def _back_to_officer(officer: Mapping[str, Any], answered: RequestKey, problem: str) -> SubstitutionStep:
    if answered.round_no >= OFFICER_ROUNDS:
        request = _request(str(answered))
        answer = request.latest_response.data if request.latest_response else {}
        days = [date.fromisoformat(d) for d in answer.get("tanggal") or []]
        return _ask_staff_tu(officer, days, answer.get("alasan"), problem, dag_id=answered.dag_id, run_id=answered.run_id)
    return open_availability(officer, dag_id=answered.dag_id, run_id=answered.run_id, round_no=answered.round_no + 1,
                             note=f"{problem} Pilih pengganti lain, atau nyatakan bersedia.")


def _ask_substitute(officer: Mapping[str, Any], round_no: int, days: Sequence[date], substitute: str, reason: str,
                    *, dag_id: str, run_id: str) -> SubstitutionStep:
    directory = get_directory()
    name = directory.get(officer["nip"]).name
    policy, due = _policy_before(min(days))
    opened = humantask.open_request(
        key=humantask.request_key(dag_id, run_id, f"{CONFIRM_STEP}/{officer['nip']}", round_no), step=CONFIRM_STEP,
        form_name=forms.KONFIRMASI_PENGGANTI.name, title=f"Menggantikan piket {name}",
        assignee=f"nip:{substitute}",
        context={"facts": [["Petugas yang berhalangan", name], ["Alasan", reason or "-"],
                           *[[format_date_id(d), "piket hari libur"] for d in days]],
                 "tanggal": [d.isoformat() for d in days], "alasan": reason},
        policy=replace(policy, default_answer={"keputusan": forms.DECLINE}), due_at=due, dag_id=dag_id, run_id=run_id,
    )
    return SubstitutionStep(key=opened.key, outbox=opened.outbox_keys)


def _ask_staff_tu(officer: Mapping[str, Any], days: Sequence[date], reason: str | None, problem: str,
                  *, dag_id: str, run_id: str) -> SubstitutionStep:
    directory = get_directory()
    name = directory.get(officer["nip"]).name
    options = [o for o in _substitute_options(officer["nip"], directory)
               if _conflict(officer["month"], days, o["value"]) is None]
    opened = humantask.open_request(
        key=humantask.request_key(dag_id, run_id, f"{APPOINT_STEP}/{officer['nip']}"), step=APPOINT_STEP,
        form_name=forms.PENUNJUKAN_PENGGANTI.name, title=f"Penunjukan pengganti piket {name}",
        assignee="staff_tu",
        context={"facts": [["Petugas yang berhalangan", name], ["Alasan", reason or "-"], ["Riwayat", problem],
                           *[[format_date_id(d), "piket hari libur"] for d in days]],
                 "tanggal": [d.isoformat() for d in days], "alasan": reason, "pengganti_options": options},
        policy=StepPolicy.from_config(due=timedelta(hours=24), escalate_to_role="kaur_tu"), dag_id=dag_id, run_id=run_id,
    )
    return SubstitutionStep(key=opened.key, outbox=opened.outbox_keys)


def _hand_over(officer: Mapping[str, Any], days: Sequence[date], substitute: str, *, reason: str | None,
               decided_by: str, key: str) -> None:
    """Substitusi pelaksana: the duties of those days pass to ``substitute``, recorded and announced."""
    directory = get_directory()
    person = directory.get(substitute)
    with mailing() as batch:
        session = batch.session
        if session.scalar(select(PiketHandover.id).where(PiketHandover.request_key.like(f"{key}%"))) is not None:
            return
        moved = [d for d in _duties_of(session, officer["month"], officer["nip"]) if d.day in set(days)]
        for i, duty in enumerate(moved):
            session.add(PiketHandover(duty_id=duty.id, from_nip=officer["nip"], to_nip=substitute, reason=reason,
                                      decided_by=decided_by, request_key=f"{key}#{i}", at=utcnow()))
            duty.nip = substitute
            audit.record(session, actor=decided_by, action="piket_handed_over", subject=f"{SOP}/tugas/{duty.id}",
                         dag_id=RequestKey.parse(key).dag_id, run_id=RequestKey.parse(key).run_id,
                         from_nip=officer["nip"], to=substitute)
        session.flush()
        events = [_event(d, person.email, sequence=1) for d in moved]
        if events:
            batch.email(key=f"{key}/pengganti/{substitute}", to=person.email, template="piket_hari_libur/pengganti",
                        context={"name": person.name, "officer": directory.get(officer["nip"]).name,
                                 "facts": _date_lines(moved)},
                        attachments=lambda: invitation_attachment(*events))


# --------------------------------------------------------------------------- 6. the day


def _approved_duties(session: Session, day: date) -> list[PiketDuty]:
    return list(session.scalars(
        select(PiketDuty).join(PiketRoster, PiketRoster.id == PiketDuty.roster_id)
        .where(PiketRoster.status == "disetujui", PiketDuty.day == day, PiketDuty.nip.is_not(None))
        .order_by(PiketDuty.slot)))


def today_for(params: Mapping[str, Any], logical_date: datetime | None) -> str:
    if params.get("tanggal"):
        return date.fromisoformat(str(params["tanggal"])).isoformat()
    return (to_wib(logical_date).date() if logical_date else now_wib().date()).isoformat()


def _team_facts(duty: PiketDuty, team: Sequence[PiketDuty], names: Mapping[str, str]) -> list[list[str]]:
    return [["Tanggal", f"{format_date_id(duty.day)} ({duty.reason})"],
            ["Petugas piket", ", ".join(names.get(d.nip, d.nip) for d in team)],
            ["Batas pengisian kehadiran", f"pukul {checkin_clock():%H.%M} WIB"]]


def _email_team(day: date, purpose: str, template: str) -> int:
    """One email per officer on duty on ``day`` with their personal link of the day."""
    names = {p.nip: p.name for p in get_directory().people}
    directory = get_directory()
    sent = 0
    with mailing() as batch:
        team = _approved_duties(batch.session, day)
        for duty in team:
            person = directory.get(duty.nip)
            batch.email(key=f"{SOP}/tugas/{duty.id}/{purpose}/{duty.nip}", to=person.email, template=template,
                        context={"name": person.name, "facts": _team_facts(duty, team, names), "url": duty_url(duty.token)})
            if purpose == "pengingat" and duty.reminded_at is None:
                duty.reminded_at = utcnow()
            sent += 1
    return sent


def remind_day_before(today: str) -> int:
    """*Pengingat H-1*: tomorrow's officers get a reminder with their link of the day."""
    return _email_team(date.fromisoformat(today) + timedelta(days=1), "pengingat", "piket_hari_libur/pengingat")


def open_day(today: str) -> int:
    """On a duty day, each officer gets the link of the day (check-in and log)."""
    return _email_team(date.fromisoformat(today), "tautan", "piket_hari_libur/tautan_hari_ini")


def checkin_deadline(today: str) -> str | None:
    """The check-in deadline of a duty day; None on a day nobody is on duty (nothing to check)."""
    day = date.fromisoformat(today)
    with session_scope() as session:
        if not _approved_duties(session, day):
            return None
    return piket.checkin_deadline(day, checkin_clock(), WIB).isoformat()


def escalate_missing_checkins(today: str) -> list[int]:
    """*Kehadiran*: officers not checked in by the deadline: Kaur TU told, the Kabapas in copy."""
    day = date.fromisoformat(today)
    directory = get_directory()
    kaur = humantask.resolve_assignee("kaur_tu", directory)[0]
    kabapas = humantask.resolve_assignee("kabapas", directory)[0]
    names = {p.nip: p.name for p in directory.people}
    escalated = []
    with mailing() as batch:
        team = _approved_duties(batch.session, day)
        for duty in team:
            if duty.checked_in_at is not None:
                continue
            person = directory.get(duty.nip)
            batch.email(key=f"{SOP}/tugas/{duty.id}/eskalasi/{kaur.email}", to=kaur.email, cc=[kabapas.email, person.email],
                        template="piket_hari_libur/eskalasi_kehadiran",
                        context={"name": kaur.name, "officer": person.name, "phone": person.phone or "-",
                                 "facts": _team_facts(duty, team, names)})
            if duty.escalated_at is None:
                duty.escalated_at = utcnow()
                audit.record(batch.session, actor=ACTOR, action="piket_checkin_missed", subject=f"{SOP}/tugas/{duty.id}",
                             officer=duty.nip, to=kaur.person_key)
            escalated.append(duty.id)
    return escalated


# --------------------------------------------------------------------------- the duty page


class DutyError(ValueError):
    """A duty link that cannot be used now (the message is shown on the page)."""


def duty_by_token(session: Session, token: str) -> PiketDuty:
    duty = session.scalar(select(PiketDuty).where(PiketDuty.token == token)) if 8 <= len(token) <= 64 else None
    if duty is None or duty.nip is None:
        raise DutyError("Tautan piket ini tidak dikenal. Buka lagi tautan dari email jadwal piket Anda.")
    return duty


def page_state(token: str) -> dict[str, Any]:
    """What the officer's page of the day shows."""
    directory = get_directory()
    names = {p.nip: p.name for p in directory.people}
    with session_scope() as session:
        duty = duty_by_token(session, token)
        team = _approved_duties(session, duty.day)
        entries = list(session.scalars(select(PiketLog).where(PiketLog.day == duty.day).order_by(PiketLog.at)))
        today = now_wib().date()
        return {
            "duty_id": duty.id, "day": duty.day, "name": names.get(duty.nip, duty.nip),
            "facts": _team_facts(duty, team, names),
            "checked_in": format_datetime_id(duty.checked_in_at) if duty.checked_in_at else None,
            "is_today": duty.day == today, "open": duty.day <= today and duty.reported_at is None,
            "entries": [{"kind": LOG_KINDS.get(e.kind, e.kind), "at": format_datetime_id(e.at),
                         "by": names.get(e.logged_by, e.logged_by), "text": _entry_text(e)} for e in entries],
        }


def _entry_text(entry: PiketLog) -> str:
    data = entry.data or {}
    if entry.kind == "litmas":
        return f"{data.get('nama_klien', '-')} ({data.get('nama_instansi', '-')}): perkara {entry.case_number or '-'}"
    if entry.kind == "pembebasan":
        return f"{data.get('nama_klien', '-')} dari {data.get('asal', '-')}"
    return str(data.get("nama_klien", "-"))


def check_in(token: str, *, remote_addr: str | None = None) -> str:
    """The officer checks in (on the day only); returns the time recorded."""
    with session_scope() as session:
        duty = duty_by_token(session, token)
        if duty.day != now_wib().date():
            raise DutyError(f"Kehadiran hanya dapat diisi pada hari piket, {format_date_id(duty.day)}.")
        if duty.checked_in_at is None:
            duty.checked_in_at = utcnow()
            audit.record(session, actor=duty.nip, action="piket_checked_in", subject=f"{SOP}/tugas/{duty.id}",
                         remote_addr=remote_addr)
        return format_datetime_id(duty.checked_in_at)


def log_entry(token: str, kind: str, values: Mapping[str, Any], entry_key: str, *,
              case_number: str | None = None) -> tuple[PiketLog, bool]:
    """Record one thing handled on duty; the same ``entry_key`` again returns the first record."""
    if kind not in LOG_KINDS:
        raise DutyError("Jenis catatan tidak dikenal.")
    with session_scope() as session:
        duty = duty_by_token(session, token)
        existing = session.scalar(select(PiketLog).where(PiketLog.entry_key == entry_key))
        if existing is not None:
            session.expunge(existing)
            return existing, False
        if not (duty.day <= now_wib().date() and duty.reported_at is None):
            raise DutyError("Catatan piket hari ini sudah ditutup karena laporan piket sudah dikirim.")
        entry = PiketLog(duty_id=duty.id, day=duty.day, kind=kind, entry_key=entry_key, data=dict(values),
                         case_number=case_number, logged_by=duty.nip, at=utcnow())
        session.add(entry)
        session.flush()
        audit.record(session, actor=duty.nip, action="piket_logged", subject=f"{SOP}/tugas/{duty.id}", kind=kind,
                     case_number=case_number)
        session.expunge(entry)
        return entry, True


def duty_of_token(token: str) -> tuple[date, bool]:
    """The day of a duty link and whether entries may still be logged on it."""
    with session_scope() as session:
        duty = duty_by_token(session, token)
        return duty.day, duty.day <= now_wib().date() and duty.reported_at is None


# --------------------------------------------------------------------------- 7. laporan piket


def report(today: str) -> list[str]:
    """*Laporan piket*: on a working day, the duty days since the last one in a PDF to the Kabapas."""
    day = date.fromisoformat(today)
    if not is_working_day(day):
        return []
    directory = get_directory()
    names = {p.nip: p.name for p in directory.people}
    kabapas = humantask.resolve_assignee("kabapas", directory)[0]
    since = previous_working_day(day)
    with session_scope() as session:
        candidates_ = session.scalars(
            select(PiketDuty.day).join(PiketRoster, PiketRoster.id == PiketDuty.roster_id)
            .where(PiketRoster.status == "disetujui", PiketDuty.day > since, PiketDuty.day < day)).all()
    days = piket.days_to_report(day, candidates_, since)
    if not days:
        return []
    sections = []
    with mailing() as batch:
        session = batch.session
        for d in days:
            team = _approved_duties(session, d)
            ids = [t.id for t in team]
            handovers = session.scalars(select(PiketHandover).where(PiketHandover.duty_id.in_(ids))).all()
            entries = session.scalars(select(PiketLog).where(PiketLog.day == d).order_by(PiketLog.at)).all()
            sections.append({
                "day": format_date_id(d), "reason": team[0].reason if team else "-",
                "officers": [{"name": names.get(t.nip, t.nip), "role": piket.PLACE_TITLES.get(t.role, t.role),
                              "checked_in": format_datetime_id(t.checked_in_at) if t.checked_in_at else None,
                              "escalated": t.escalated_at is not None} for t in team],
                "handovers": [f"{names.get(h.from_nip, h.from_nip)} digantikan {names.get(h.to_nip, h.to_nip)}"
                              for h in handovers],
                "entries": [{"kind": LOG_KINDS.get(e.kind, e.kind), "at": format_datetime_id(e.at), "text": _entry_text(e)}
                            for e in entries],
                "counts": {k: sum(1 for e in entries if e.kind == k) for k in LOG_KINDS},
            })
        context = {"title": "Laporan Piket Hari Libur", "sections": sections, "kinds": LOG_KINDS,
                   "generated_date": format_date_id(now_wib().date(), with_day=False)}
        key = f"{SOP}/laporan/{today}/{kabapas.email}"
        label = f"{format_date_id(days[0], with_day=False)}" + (f" s.d. {format_date_id(days[-1], with_day=False)}" if len(days) > 1 else "")
        batch.email(key=key, to=kabapas.email, template="piket_hari_libur/laporan",
                    context={"name": kabapas.name, "label": label,
                             "facts": [[s["day"], f"{len(s['entries'])} catatan; {len(s['officers'])} petugas"] for s in sections]},
                    attachments=lambda: {f"laporan-piket-{days[0].isoformat()}.pdf": render_pdf("piket_hari_libur/laporan", context)})
        for d in days:
            for duty in _approved_duties(session, d):
                if duty.reported_at is None:
                    duty.reported_at = utcnow()
        audit.record(session, actor=ACTOR, action="piket_reported", subject=f"{SOP}/laporan/{today}",
                     days=[d.isoformat() for d in days])
    return [d.isoformat() for d in days]


__all__ = [
    "DutyError",
    "SubstitutionStep",
    "after_answer",
    "approve",
    "check_in",
    "checkin_deadline",
    "draft",
    "escalate_missing_checkins",
    "log_entry",
    "notify_officers",
    "open_availability",
    "open_day",
    "page_state",
    "plan_month",
    "remind_day_before",
    "report",
    "today_for",
]

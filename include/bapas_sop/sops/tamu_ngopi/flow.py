"""What each task of the Tamu Ngopi DAG does, as plain functions (the DAG file only wires them).

Records (:mod:`bapas_sop.sops.tamu_ngopi.models`): one ``tamu_ngopi_meeting`` row per run, the
``tamu_ngopi_topic`` rows proposed for it, a ``tamu_ngopi_participant`` row per person invited
(employee or stakeholder) with the RSVP and attendance, and the ``tamu_ngopi_action_item`` rows
the Kabapas decided, followed up until done.

The human steps are opened here rather than by ``human_step`` so that what they show (names of
proposers, stakeholders' addresses) stays in the project's database: Airflow's XComs carry the
meeting id, request keys and counts. Outsiders (stakeholders) are addressed the way the core
addresses anyone outside the directory: ``{"name", "email"}`` as the assignee, their own
personal link; the request's subject in Airflow is a hash of the address, never the address.

Every function is safe to run twice for the same run: a step whose columns are already filled
changes nothing, every request and email is found again by its key.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bapas_sop import audit, humantask
from bapas_sop.absences import get_absences
from bapas_sop.calendar import add_working_days, at_wib, is_working_day, now_wib, to_wib
from bapas_sop.directory import Directory, get_directory
from bapas_sop.documents import render_pdf
from bapas_sop.humantask import RequestKey
from bapas_sop.invitation import CalendarEvent, invitation_attachment
from bapas_sop.mail.outbox import mailing
from bapas_sop.policy import StepPolicy
from bapas_sop.settings import get_settings
from bapas_sop.sops.tamu_ngopi import rules
from bapas_sop.sops.tamu_ngopi.forms import MAX_ITEMS
from bapas_sop.sops.tamu_ngopi.models import (
    TamuNgopiActionItem,
    TamuNgopiMeeting,
    TamuNgopiParticipant,
    TamuNgopiTopic,
)
from bapas_sop.store.db import session_scope
from bapas_sop.store.models import FormRequest, utcnow
from bapas_sop.textid import format_date_id, format_datetime_id

log = logging.getLogger(__name__)

ACTOR = "system"
TOPIC_STEP, TOPIC_FORM = "usulan_topik", "tamu_ngopi_usulan_topik"
AGENDA_STEP, AGENDA_FORM = "kabapas_menyetujui_agenda", "tamu_ngopi_agenda"
RSVP_STEP, RSVP_FORM = "konfirmasi_kehadiran", "tamu_ngopi_kehadiran"
MINUTES_STEP, MINUTES_FORM = "notulen_forum", "tamu_ngopi_notulen"
DECISION_STEP, DECISION_FORM = "kabapas_memutuskan_tindak_lanjut", "tamu_ngopi_keputusan"
FOLLOW_UP_STEP, FOLLOW_UP_FORM = "tindak_lanjut", "tamu_ngopi_laporan_tindak_lanjut"
KABAPAS = "kabapas"
DEFAULTS: dict[str, Any] = {
    "hari": "kamis", "minggu_ke": 3, "jam": "13.00", "lama_jam": 2, "tempat": "Aula Bapas",
    "usulan_ditutup_hari": 7, "konfirmasi_ditutup_hari": 2, "topik_maksimal": 5,
    "laporan_ulang_hari": 7, "putaran_laporan": 6, "pemangku": [],
}


class PlanError(ValueError):
    """The forum cannot be planned as asked (the message is for the admin, in Indonesian)."""


def config() -> dict[str, Any]:
    return {**DEFAULTS, **get_settings().config.get("tamu_ngopi", {})}


def stakeholders() -> list[rules.Stakeholder]:
    """The configured stakeholders; a bad entry is logged (with what to fix) and left out."""
    people, errors = rules.read_stakeholders(config()["pemangku"])
    for error in errors:
        log.warning("[tamu_ngopi] pemangku: %s", error)
    return people


def subject(month: str) -> str:
    return f"tamu_ngopi/{month}"


def slug(person_key: str) -> str:
    """A person's part of a request key: the NIP of an employee, a hash of an outsider's address."""
    if person_key.isdigit():
        return person_key
    return "luar-" + hashlib.sha256(person_key.encode()).hexdigest()[:12]


def _parse_time(text: str | None) -> time:
    hours, minutes = str(text or "13.00").replace(":", ".").split(".")
    return time(int(hours), int(minutes))


def _meeting(session: Session, meeting_id: int) -> TamuNgopiMeeting:
    return session.get(TamuNgopiMeeting, meeting_id)


def _ask(*, step: str, form: str, title: str, assignee: Any, context: Mapping[str, Any], policy: StepPolicy,
         dag_id: str, run_id: str, due_at: datetime | None = None, prefill: Mapping[str, Any] | None = None,
         round_no: int = 1, invitation: humantask.InvitationEmail | None = None) -> humantask.OpenedRequest:
    """Open one human step (or find it again on a retry); its invitation is queued."""
    return humantask.open_request(
        key=humantask.request_key(dag_id, run_id, step, round_no), step=step.split("/", 1)[0], form_name=form,
        title=title, assignee=assignee, context=context, prefill=prefill, policy=policy, due_at=due_at,
        dag_id=dag_id, run_id=run_id, invitation=invitation,
    )


def _send(keys: Iterable[str]) -> None:
    """Send queued emails now (what cannot be sent stays queued for the sweep)."""
    with mailing() as batch:
        batch.include(keys)


def _closing_policy(default: Mapping[str, Any], remind: timedelta = timedelta(days=1)) -> StepPolicy:
    """A step that simply closes at its deadline: a reminder before, no escalation, the default after."""
    return StepPolicy.from_config(remind_before=remind, escalate_after=None, expire_after=timedelta(0),
                                  default_answer=dict(default))


# --------------------------------------------------------------------------- 1. plan and topics


def plan_forum(params: Mapping[str, Any], *, dag_id: str, run_id: str, data_interval_start: datetime | None = None,
               logical_date: datetime | None = None) -> dict[str, Any]:
    """The month, the forum's planned day and hour, the deadlines; the meeting row."""
    cfg = config()
    try:
        month = rules.month_for_run(params.get("bulan"), data_interval_start or logical_date)
    except ValueError as exc:
        raise PlanError(str(exc)) from None
    chosen = params.get("tanggal_forum")
    day = date.fromisoformat(chosen) if chosen else rules.forum_day(month, cfg["hari"], int(cfg["minggu_ke"]),
                                                                   is_working_day)
    start = at_wib(day, _parse_time(params.get("jam") or cfg["jam"]))
    now = now_wib()
    if start < now - timedelta(hours=int(cfg["lama_jam"])):
        raise PlanError(f"Tanggal forum {format_date_id(day)} sudah lewat; isi tanggal_forum dengan tanggal yang akan datang.")
    due = rules.deadlines(start, now, topic_days=int(cfg["usulan_ditutup_hari"]),
                          rsvp_days=int(cfg["konfirmasi_ditutup_hari"]))
    with session_scope() as session:
        meeting = session.scalar(select(TamuNgopiMeeting).where(TamuNgopiMeeting.run_id == run_id))
        if meeting is None:
            meeting = TamuNgopiMeeting(month=month, dag_id=dag_id, run_id=run_id, starts_at=start, place=cfg["tempat"])
            session.add(meeting)
            session.flush()
            audit.record(session, actor=ACTOR, action="tamu_ngopi_planned", subject=subject(month), dag_id=dag_id,
                         run_id=run_id, starts_at=start.isoformat())
        meeting_id = meeting.id
    return {
        "meeting_id": meeting_id, "month": month, "month_label": rules.month_label(month),
        "starts_at": start.isoformat(), "topics_due": due.topics.isoformat(), "approval_due": due.approval.isoformat(),
        "rsvp_due": due.rsvp.isoformat(),
        "rounds": int(params.get("putaran_laporan") or cfg["putaran_laporan"]),
    }


@dataclass(frozen=True)
class Invitee:
    """Someone asked to take part: an employee (``nip``) or a stakeholder (email only)."""

    key: str
    name: str
    email: str
    kind: str
    organisation: str = ""
    nip: str | None = None

    @property
    def assignee(self) -> Any:
        return f"nip:{self.nip}" if self.nip else {"name": self.name, "email": self.email}


def employees(directory: Directory, day: date | None = None) -> list[Invitee]:
    """Every employee at work (not on leave, not away on ``day`` per the leave register)."""
    away = get_absences() if day else None
    return [Invitee(p.nip, p.name, p.email, "pegawai", p.title or "", p.nip)
            for p in directory.by_role("pegawai") if not (away and away.is_away(p.nip, day))]


def outsiders(people: Iterable[rules.Stakeholder]) -> list[Invitee]:
    return [Invitee(s.key, s.name, s.email, s.kind, s.organisation) for s in people]


def open_topic_requests(plan: Mapping[str, Any], *, dag_id: str, run_id: str) -> list[str]:
    """*Usulan topik*: every employee and every stakeholder gets a personal link to propose one."""
    people = [*employees(get_directory()), *outsiders(stakeholders())]
    facts = [["Forum", f"Tamu Ngopi {plan['month_label']}"],
             ["Rencana waktu", format_datetime_id(plan["starts_at"])],
             ["Usulan ditutup", format_datetime_id(plan["topics_due"])]]
    keys, outbox = [], []
    for person in people:
        opened = _ask(step=f"{TOPIC_STEP}/{slug(person.key)}", form=TOPIC_FORM,
                      title=f"Usulan topik Tamu Ngopi {plan['month_label']}", assignee=person.assignee,
                      context={"facts": facts, "person_key": person.key, "kind": person.kind},
                      policy=_closing_policy({"topik": None}), due_at=datetime.fromisoformat(plan["topics_due"]),
                      dag_id=dag_id, run_id=run_id)
        keys.append(opened.key)
        outbox.extend(opened.outbox_keys)
    _send(outbox)
    return keys


def _requests(keys: Sequence[str]) -> dict[str, FormRequest]:
    with session_scope() as session:
        rows = session.scalars(select(FormRequest).where(FormRequest.key.in_(list(keys)))).all()
        session.expunge_all()
    return {r.key: r for r in rows}


def _item(row: TamuNgopiActionItem) -> rules.Item:
    return rules.Item(id=row.id, title=row.title, owner=row.owner_nip, due=row.due_date, status=row.status,
                      month=row.month)


def carried_items(month: str) -> list[TamuNgopiActionItem]:
    """The open action items of earlier months, in the order the agenda takes them."""
    with session_scope() as session:
        rows = {r.id: r for r in session.scalars(select(TamuNgopiActionItem).where(TamuNgopiActionItem.status != rules.DONE))}
        session.expunge_all()
    return [rows[i.id] for i in rules.carry_over([_item(r) for r in rows.values()], month)]


def _item_label(row: TamuNgopiActionItem, today: date) -> str:
    state = rules.classify(_item(row), today)
    late = f", lewat tenggat {rules.days_overdue(_item(row), today)} hari" if state == rules.OVERDUE else ""
    return (f"Tindak lanjut {rules.month_label(row.month)}: {row.title} (PJ {row.owner_name}, tenggat "
            f"{format_date_id(row.due_date, with_day=False)}{late})")


def build_agenda(plan: Mapping[str, Any], outcomes: Iterable[Mapping[str, Any]], *, dag_id: str, run_id: str) -> dict[str, Any]:
    """The topics proposed are recorded; the proposed agenda (open items carried over first) goes
    to the Kabapas with the guest list, to approve or change, or to name a stand-in host."""
    outcomes = [dict(o) for o in outcomes if o]
    answered = [o for o in outcomes if o.get("status") == "answered" and (o.get("answer") or {}).get("topik")]
    requests = _requests([o["key"] for o in answered])
    cfg = config()
    with session_scope() as session:
        for outcome in answered:
            request = requests[outcome["key"]]
            person_key = str(request.context.get("person_key"))
            exists = session.scalar(select(TamuNgopiTopic.id).where(TamuNgopiTopic.meeting_id == plan["meeting_id"],
                                                                   TamuNgopiTopic.person_key == person_key))
            if exists is None:
                answer = outcome["answer"]
                session.add(TamuNgopiTopic(meeting_id=plan["meeting_id"], person_key=person_key,
                                           proposer_name=request.assignee_name, title=answer["topik"],
                                           description=answer.get("uraian")))
        session.flush()
        topics = [{"id": t.id, "title": t.title, "by": t.proposer_name} for t in session.scalars(
            select(TamuNgopiTopic).where(TamuNgopiTopic.meeting_id == plan["meeting_id"]).order_by(TamuNgopiTopic.id))]
    carried = carried_items(plan["month"])
    directory = get_directory()
    names = {p.nip: p.name for p in directory}
    proposed = rules.build_agenda([_item(r) for r in carried], topics, max_topics=int(cfg["topik_maksimal"]), owners=names)
    today = now_wib().date()
    options = [{"value": f"tindak_lanjut:{r.id}", "label": _item_label(r, today)} for r in carried]
    options += [{"value": f"topik:{t['id']}", "label": f"{t['title']} — diusulkan {t['by']}"} for t in topics]
    guests = stakeholders()
    kabapas = humantask.resolve_assignee(KABAPAS, directory)[0]
    hosts = [{"value": kabapas.nip, "label": f"{kabapas.name} (Kepala Bapas sendiri)"}]
    hosts += [{"value": p.nip, "label": f"{p.name} — {p.title or '-'}"} for p in directory.by_role("pegawai")
              if p.nip != kabapas.nip]
    start = to_wib(datetime.fromisoformat(plan["starts_at"]))
    facts = [["Forum", f"Tamu Ngopi {plan['month_label']}"],
             ["Usulan topik masuk", f"{len(topics)} dari {len(outcomes)} undangan"],
             ["Tindak lanjut bulan lalu yang belum selesai", str(len(carried))]]
    opened = _ask(step=AGENDA_STEP, form=AGENDA_FORM, title=f"Persetujuan agenda Tamu Ngopi {plan['month_label']}",
                  assignee=KABAPAS,
                  context={"facts": facts, "agenda_options": options,
                           "tamu_options": [{"value": s.key, "label": s.label} for s in guests],
                           "tuan_rumah_options": hosts},
                  prefill={"agenda": [a.key for a in proposed], "tamu": [s.key for s in guests],
                           "tanggal": start.date().isoformat(), "jam": f"{start:%H.%M}", "tempat": cfg["tempat"],
                           "tuan_rumah": kabapas.nip},
                  policy=StepPolicy.from_config(remind_before=timedelta(hours=6), escalate_after=None,
                                                expire_after=timedelta(0), default_answer={"pakai_usulan": True}),
                  due_at=datetime.fromisoformat(plan["approval_due"]), dag_id=dag_id, run_id=run_id)
    _send(opened.outbox_keys)
    return {"key": opened.key, "topics": len(topics), "carried": len(carried)}


# --------------------------------------------------------------------------- 2. agenda and invitations


def record_agenda(plan: Mapping[str, Any], outcome: Mapping[str, Any], *, dag_id: str, run_id: str) -> dict[str, Any]:
    """The Kabapas's agenda, guests, time, place and host (or the proposal when unanswered)."""
    request = _requests([outcome["key"]])[outcome["key"]]
    answer = dict(outcome.get("answer") or {})
    defaulted = bool(outcome.get("defaulted")) or "tanggal" not in answer
    chosen = dict(request.prefill) if defaulted else answer
    start = at_wib(date.fromisoformat(chosen["tanggal"]), _parse_time(chosen["jam"]))
    labels = {o["value"]: o["label"] for o in request.context["agenda_options"]}
    titles = _agenda_titles(plan["meeting_id"])
    agenda = [{"key": k, "label": labels[k], "title": titles.get(k, labels[k])} for k in chosen.get("agenda") or []
              if k in labels]
    carried = [int(k.split(":", 1)[1]) for k in chosen.get("agenda") or [] if k.startswith("tindak_lanjut:")]
    host_nip = chosen.get("tuan_rumah") or None
    directory = get_directory()
    host = directory.find(host_nip) if host_nip else None
    actor = str(outcome.get("answered_by") or ACTOR)
    with session_scope() as session:
        meeting = _meeting(session, plan["meeting_id"])
        if meeting.approved_at is None:
            meeting.starts_at, meeting.place = start, chosen["tempat"]
            meeting.agenda, meeting.carried_items = agenda, carried
            meeting.host_nip, meeting.host_name = (host.nip, host.name) if host else (None, None)
            meeting.approval_note, meeting.approved_by, meeting.approved_at = answer.get("catatan"), actor, utcnow()
            topic_ids = {int(k.split(":", 1)[1]) for k in chosen.get("agenda") or [] if k.startswith("topik:")}
            for topic in session.scalars(select(TamuNgopiTopic).where(TamuNgopiTopic.meeting_id == meeting.id)):
                topic.on_agenda = topic.id in topic_ids
            for item in session.scalars(select(TamuNgopiActionItem).where(TamuNgopiActionItem.id.in_(carried))):
                item.carried_to = sorted({*(item.carried_to or []), plan["month"]})
            audit.record(session, actor=actor, action="tamu_ngopi_agenda", subject=subject(plan["month"]),
                         dag_id=dag_id, run_id=run_id, points=len(agenda), carried=carried, defaulted=defaulted,
                         guests=len(chosen.get("tamu") or []), stand_in_host=bool(host and not host.has_role(KABAPAS)))
        start = to_wib(meeting.starts_at)
    cfg = config()
    due = rules.deadlines(start, now_wib(), topic_days=int(cfg["usulan_ditutup_hari"]),
                          rsvp_days=int(cfg["konfirmasi_ditutup_hari"]))
    return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=int(cfg["lama_jam"]))).isoformat(),
            "rsvp_due": due.rsvp.isoformat(),
            "forum_morning": due.forum_morning.isoformat(),
            "forum_opens": rules.opens_at(start, now_wib()).isoformat(),
            "guests": list(chosen.get("tamu") or []), "points": len(agenda)}


def _agenda_titles(meeting_id: int) -> dict[str, str]:
    with session_scope() as session:
        titles = {f"topik:{t.id}": t.title for t in session.scalars(
            select(TamuNgopiTopic).where(TamuNgopiTopic.meeting_id == meeting_id))}
        titles.update({f"tindak_lanjut:{i.id}": i.title for i in session.scalars(select(TamuNgopiActionItem))})
    return titles


def _forum_facts(meeting: TamuNgopiMeeting) -> list[list[str]]:
    start = to_wib(meeting.starts_at)
    facts = [["Forum", f"Tamu Ngopi {rules.month_label(meeting.month)}"],
             ["Waktu", format_datetime_id(start)], ["Tempat", meeting.place or "-"]]
    if meeting.host_name:
        facts.append(["Tuan rumah", meeting.host_name])
    facts.append(["Agenda", "; ".join(f"{n}. {a['title']}" for n, a in enumerate(meeting.agenda or [], 1)) or "-"])
    return facts


def send_invitations(plan: Mapping[str, Any], agenda: Mapping[str, Any], *, dag_id: str, run_id: str) -> list[str]:
    """*Undangan*: the employees at work on the day and the approved guests get the invitation with
    a calendar entry (.ics) and a personal link to answer: hadir, tidak hadir, or diwakili."""
    start = datetime.fromisoformat(agenda["starts_at"])
    guests = set(agenda["guests"])
    people = [*employees(get_directory(), start.date()), *[p for p in outsiders(stakeholders()) if p.key in guests]]
    cfg = config()
    with session_scope() as session:
        meeting = _meeting(session, plan["meeting_id"])
        facts, place = _forum_facts(meeting), meeting.place or ""
        points = "; ".join(a["title"] for a in meeting.agenda or [])
    sender = get_settings().office.get("name", "Bapas")

    def invitation(person: Any) -> humantask.InvitationEmail:
        # One email per person: the invitation carries the calendar entry and their own RSVP link.
        event = CalendarEvent(
            uid=f"tamu-ngopi/{plan['month']}/{plan['meeting_id']}", summary=f"Tamu Ngopi {plan['month_label']}",
            start=start, end=start + timedelta(hours=int(cfg["lama_jam"])), location=place,
            description=f"Tatap Muka Sharing Opini. Agenda: {points}", attendees=(person.email,),
        )
        return humantask.InvitationEmail(
            template="tamu_ngopi/undangan",
            context={"month_label": plan["month_label"], "rsvp_due": format_datetime_id(agenda["rsvp_due"]),
                     "sender": sender},
            attachments=lambda: invitation_attachment(event),
        )

    asked = [(person, _ask(step=f"{RSVP_STEP}/{slug(person.key)}", form=RSVP_FORM,
                           title=f"Konfirmasi kehadiran Tamu Ngopi {plan['month_label']}", assignee=person.assignee,
                           context={"facts": facts, "person_key": person.key},
                           policy=_closing_policy({"kehadiran": None}, remind=timedelta(hours=12)),
                           due_at=datetime.fromisoformat(agenda["rsvp_due"]), dag_id=dag_id, run_id=run_id,
                           invitation=invitation(person)))
             for person in people]
    with mailing() as batch:
        meeting = _meeting(batch.session, plan["meeting_id"])
        for person, opened in asked:
            batch.include(opened.outbox_keys)
            exists = batch.session.scalar(select(TamuNgopiParticipant.id).where(
                TamuNgopiParticipant.meeting_id == meeting.id, TamuNgopiParticipant.person_key == person.key))
            if exists is None:
                batch.session.add(TamuNgopiParticipant(meeting_id=meeting.id, person_key=person.key, name=person.name,
                                                       email=person.email, kind=person.kind,
                                                       organisation=person.organisation or None))
        if meeting.invited_at is None:
            meeting.invited_at = utcnow()
            audit.record(batch.session, actor=ACTOR, action="tamu_ngopi_invited", subject=subject(plan["month"]),
                         dag_id=dag_id, run_id=run_id, invited=len(people))
    return [opened.key for _person, opened in asked]


def record_rsvps(plan: Mapping[str, Any], outcomes: Iterable[Mapping[str, Any]], *, dag_id: str, run_id: str) -> dict[str, int]:
    """Each answer on its participant's row: hadir, tidak hadir, diwakili (by whom), or none."""
    outcomes = [dict(o) for o in outcomes if o]
    requests = _requests([o["key"] for o in outcomes])
    counts = {rules.ATTEND: 0, rules.DECLINE: 0, rules.REPRESENTED: 0, "belum": 0}
    with session_scope() as session:
        for outcome in outcomes:
            request = requests[outcome["key"]]
            row = session.scalar(select(TamuNgopiParticipant).where(
                TamuNgopiParticipant.meeting_id == plan["meeting_id"],
                TamuNgopiParticipant.person_key == request.context["person_key"]))
            answer = outcome.get("answer") or {}
            choice = answer.get("kehadiran")
            counts[choice or "belum"] += 1
            if row is not None and row.rsvp_at is None and choice:
                row.rsvp, row.representative = choice, answer.get("diwakili_oleh") if choice == rules.REPRESENTED else None
                row.rsvp_note, row.rsvp_at = answer.get("catatan"), utcnow()
        audit.record(session, actor=ACTOR, action="tamu_ngopi_rsvp", subject=subject(plan["month"]), dag_id=dag_id,
                     run_id=run_id, **counts)
    return counts


def _participants(meeting_id: int) -> list[TamuNgopiParticipant]:
    with session_scope() as session:
        rows = list(session.scalars(select(TamuNgopiParticipant).where(TamuNgopiParticipant.meeting_id == meeting_id)
                                    .order_by(TamuNgopiParticipant.id)))
        session.expunge_all()
    return rows


def _who(p: TamuNgopiParticipant) -> str:
    where = f", {p.organisation}" if p.kind != "pegawai" and p.organisation else ""
    proxy = f" — diwakili oleh {p.representative}" if p.rsvp == rules.REPRESENTED else ""
    return f"{p.name}{where}{proxy}"


def remind_forum(plan: Mapping[str, Any], *, dag_id: str, run_id: str) -> int:
    """*Pengingat*: on the forum's morning, everyone coming (or sending someone) is reminded."""
    coming = [p for p in _participants(plan["meeting_id"]) if p.rsvp in (rules.ATTEND, rules.REPRESENTED)]
    with mailing() as batch:
        facts = _forum_facts(_meeting(batch.session, plan["meeting_id"]))
        for p in coming:
            batch.email(key=f"{dag_id}/{run_id}/pengingat/{slug(p.person_key)}", to=p.email,
                        template="tamu_ngopi/pengingat",
                        context={"name": p.name, "month_label": plan["month_label"], "facts": facts,
                                 "representative": p.representative if p.rsvp == rules.REPRESENTED else None})
    return len(coming)


# --------------------------------------------------------------------------- 3. minutes, 4. decisions


def ask_minutes(plan: Mapping[str, Any], agenda: Mapping[str, Any], *, dag_id: str, run_id: str) -> str:
    """Staf TU gets the attendance list (those who said they come are ticked) and the minutes form."""
    people = _participants(plan["meeting_id"])
    with session_scope() as session:
        facts = _forum_facts(_meeting(session, plan["meeting_id"]))
    ends = datetime.fromisoformat(agenda["ends_at"])
    due = at_wib(add_working_days(ends, 1).date(), time(16, 0))
    opened = _ask(step=MINUTES_STEP, form=MINUTES_FORM, title=f"Daftar hadir dan notulen Tamu Ngopi {plan['month_label']}",
                  assignee="staff_tu",
                  context={"facts": facts, "peserta": [{"value": p.person_key, "label": _who(p)} for p in people]},
                  prefill={"hadir": [p.person_key for p in people if p.rsvp in (rules.ATTEND, rules.REPRESENTED)]},
                  policy=StepPolicy.from_config(remind_before=timedelta(hours=4), expire_after=timedelta(days=7)),
                  due_at=due, dag_id=dag_id, run_id=run_id)
    _send(opened.outbox_keys)
    return opened.key


def record_minutes(plan: Mapping[str, Any], outcome: Mapping[str, Any], *, dag_id: str, run_id: str) -> dict[str, Any]:
    """The attendance and minutes are recorded; the Kabapas is asked which suggestions become
    action items (the suggestions fill the form's slots), with an owner and a due date each."""
    answer = dict(outcome.get("answer") or {})
    present = set(answer.get("hadir") or [])
    suggestions = rules.parse_suggestions(answer.get("usulan"), MAX_ITEMS)
    actor = str(outcome.get("answered_by") or ACTOR)
    with session_scope() as session:
        meeting = _meeting(session, plan["meeting_id"])
        if meeting.minutes_at is None:
            rows = session.scalars(select(TamuNgopiParticipant).where(TamuNgopiParticipant.meeting_id == meeting.id))
            for row in rows:
                row.attended = row.person_key in present
            extra = [line for line in (answer.get("hadir_lain") or "").splitlines() if line.strip()]
            meeting.attended = len(present) + len(extra)
            meeting.minutes, meeting.suggestions = answer.get("notulen"), suggestions
            meeting.documentation = answer.get("tautan_dokumentasi")
            meeting.minutes_by, meeting.minutes_at = actor, utcnow()
            audit.record(session, actor=actor, action="tamu_ngopi_minutes", subject=subject(plan["month"]),
                         dag_id=dag_id, run_id=run_id, attended=meeting.attended, suggestions=len(suggestions))
        facts = [*_forum_facts(meeting), ["Peserta hadir", str(meeting.attended)],
                 ["Notulen", meeting.minutes or "-"]]
        suggestions = list(meeting.suggestions or [])
    staff = [{"value": p.nip, "label": f"{p.name} — {p.title or '-'}"} for p in get_directory().by_role("pegawai")]
    opened = _ask(step=DECISION_STEP, form=DECISION_FORM,
                  title=f"Keputusan tindak lanjut Tamu Ngopi {plan['month_label']}", assignee=KABAPAS,
                  context={"facts": facts, "pegawai_options": staff},
                  prefill={f"tindakan_{i}": text for i, text in enumerate(suggestions, start=1)},
                  policy=StepPolicy.from_config(due=timedelta(days=3), remind_before=timedelta(days=1),
                                                escalate_after=None, expire_after=timedelta(days=4),
                                                default_answer={"tanpa_keputusan": True}),
                  dag_id=dag_id, run_id=run_id)
    _send(opened.outbox_keys)
    return {"key": opened.key, "suggestions": len(suggestions)}


def record_decisions(plan: Mapping[str, Any], outcome: Mapping[str, Any], *, dag_id: str, run_id: str) -> list[dict[str, int]]:
    """The Kabapas's action items are recorded; the follow-up covers them and every carried-over
    item that no other run is following up any more."""
    answer = dict(outcome.get("answer") or {})
    directory = get_directory()
    actor = str(outcome.get("answered_by") or ACTOR)
    with session_scope() as session:
        meeting = _meeting(session, plan["meeting_id"])
        if meeting.decided_at is None:
            for i in range(1, MAX_ITEMS + 1):
                text = answer.get(f"tindakan_{i}")
                if not text or outcome.get("defaulted"):
                    continue
                owner = directory.get(answer[f"pj_{i}"])
                session.add(TamuNgopiActionItem(meeting_id=meeting.id, month=meeting.month, slot=i, title=text,
                                                owner_nip=owner.nip, owner_name=owner.name,
                                                due_date=date.fromisoformat(answer[f"tenggat_{i}"]),
                                                status=rules.OPEN, reports=0))
            meeting.decided_by, meeting.decided_at = actor, utcnow()
            session.flush()
            audit.record(session, actor=actor, action="tamu_ngopi_decided", subject=subject(plan["month"]),
                         dag_id=dag_id, run_id=run_id, defaulted=bool(outcome.get("defaulted")),
                         items=[r.id for r in session.scalars(select(TamuNgopiActionItem).where(
                             TamuNgopiActionItem.meeting_id == meeting.id))])
        own = [r.id for r in session.scalars(select(TamuNgopiActionItem).where(
            TamuNgopiActionItem.meeting_id == meeting.id).order_by(TamuNgopiActionItem.slot))]
        carried = list(meeting.carried_items or [])
    followed = _followed_elsewhere(run_id)
    still_open = {r.id for r in carried_items(plan["month"])}
    ids = own + [i for i in carried if i in still_open and i not in followed]
    return [{"item_id": i} for i in ids]


def _followed_elsewhere(run_id: str) -> set[int]:
    """Items whose follow-up report is open in another run (that run goes on asking)."""
    with session_scope() as session:
        rows = session.scalars(select(FormRequest).where(FormRequest.step == FOLLOW_UP_STEP,
                                                         FormRequest.status == humantask.OPEN,
                                                         FormRequest.run_id != run_id))
        return {int(r.context["item_id"]) for r in rows if r.context.get("item_id") is not None}


# --------------------------------------------------------------------------- 5. report and follow-up


def report(plan: Mapping[str, Any], *, dag_id: str, run_id: str) -> int:
    """*Laporan*: the summary (PDF) to everyone who took part, the Kabapas in copy."""
    people = _participants(plan["meeting_id"])
    today = now_wib().date()
    with session_scope() as session:
        meeting = _meeting(session, plan["meeting_id"])
        items = list(session.scalars(select(TamuNgopiActionItem).where(TamuNgopiActionItem.meeting_id == meeting.id)
                                     .order_by(TamuNgopiActionItem.slot)))
        carried = list(session.scalars(select(TamuNgopiActionItem).where(
            TamuNgopiActionItem.id.in_(meeting.carried_items or []))))
        session.expunge_all()

    def row(i: TamuNgopiActionItem) -> dict[str, str]:
        return {"title": i.title, "owner": i.owner_name, "due": format_date_id(i.due_date, with_day=False),
                "status": rules.ITEM_LABELS[rules.classify(_item(i), today)]}

    context = {
        "title": f"Laporan Tamu Ngopi {plan['month_label']}", "month_label": plan["month_label"],
        "facts": _forum_facts(meeting), "minutes": meeting.minutes, "documentation": meeting.documentation,
        "participants": [{"name": _who(p), "kind": rules.STAKEHOLDER_KINDS.get(p.kind, "Pegawai"),
                          "rsvp": rules.RSVP_LABELS.get(p.rsvp, p.rsvp), "attended": p.attended} for p in people],
        "attended": meeting.attended or 0, "invited": len(people),
        "items": [row(i) for i in items], "carried": [row(i) for i in carried],
        "generated_date": format_date_id(today, with_day=False),
    }
    present = [p for p in people if p.attended]
    kabapas = humantask.resolve_assignee(KABAPAS)[0]
    rendered: dict[str, bytes] = {}

    def attachment() -> dict[str, bytes]:  # rendered once, for the first email that is new
        if not rendered:
            rendered[f"laporan-tamu-ngopi-{plan['month']}.pdf"] = render_pdf("tamu_ngopi/laporan", context)
        return rendered

    with mailing() as batch:
        for p in present:
            batch.email(key=f"{dag_id}/{run_id}/laporan/{slug(p.person_key)}", to=p.email, cc=[kabapas.email],
                        template="tamu_ngopi/laporan",
                        context={"name": p.name, "month_label": plan["month_label"], "facts": context["facts"],
                                 "items": context["items"]},
                        attachments=attachment)
        meeting = _meeting(batch.session, plan["meeting_id"])
        if meeting.reported_at is None:
            meeting.reported_at = utcnow()
            audit.record(batch.session, actor=ACTOR, action="tamu_ngopi_report", subject=subject(plan["month"]),
                         dag_id=dag_id, run_id=run_id, sent=len(present))
    return len(present)


@dataclass(frozen=True)
class FollowUpStep:
    """What an item's loop does next: wait for ``key`` (emails ``outbox`` to send), or end with ``result``."""

    key: str | None = None
    outbox: tuple[str, ...] = ()
    result: dict[str, Any] | None = None


def _follow_up_subject(item_id: int) -> str:
    return f"{FOLLOW_UP_STEP}/{item_id}"


def open_follow_up(item_id: int, round_no: int, *, dag_id: str, run_id: str) -> FollowUpStep:
    """Ask the item's owner (or their stand-in) for a report; due on the due date, then each interval."""
    cfg = config()
    with session_scope() as session:
        item = session.get(TamuNgopiActionItem, item_id)
        if item.status == rules.DONE:
            return FollowUpStep(result={"item_id": item_id, "status": rules.DONE, "reports": item.reports})
        now = now_wib()
        facts = [["Tindak lanjut", item.title], ["Dari forum", f"Tamu Ngopi {rules.month_label(item.month)}"],
                 ["Tenggat", format_date_id(item.due_date)], ["Laporan ke-", str(round_no)]]
        if item.progress_note:
            facts.append(["Laporan terakhir", item.progress_note])
        owner, title, due = item.owner_nip, item.title, item.due_date
    due_at = rules.round_due(due, now, int(cfg["laporan_ulang_hari"]))
    opened = _ask(step=_follow_up_subject(item_id), round_no=round_no, form=FOLLOW_UP_FORM,
                  title=f"Laporan tindak lanjut Tamu Ngopi: {title}", assignee=f"nip:{owner}",
                  context={"facts": facts, "item_id": item_id},
                  # Late: the Kabapas hears of it; unanswered a day later: asked again next round.
                  policy=StepPolicy.from_config(remind_before=timedelta(days=1), escalate_after=timedelta(0),
                                                escalate_to_role=KABAPAS, expire_after=timedelta(days=1),
                                                default_answer={"status": rules.REPORT_MISSING}),
                  due_at=due_at, dag_id=dag_id, run_id=run_id)
    return FollowUpStep(key=opened.key, outbox=opened.outbox_keys)


def after_follow_up(outcome: Mapping[str, Any], *, max_rounds: int) -> FollowUpStep:
    """A report came in (or its round expired): done ends the loop; otherwise ask again, until
    ``max_rounds`` reports were asked (the item then stays open and on every agenda)."""
    key = RequestKey.parse(str(outcome["key"]))
    item_id = int(str(key.subject))
    answer = outcome.get("answer") or {}
    status = answer.get("status") or rules.REPORT_MISSING
    actor = str(outcome.get("answered_by") or ACTOR)
    with session_scope() as session:
        item = session.get(TamuNgopiActionItem, item_id)
        if item.last_report_key != str(key):  # a retried task replays the loop: each report counts once
            item.reports, item.last_report_key = item.reports + 1, str(key)
            if status == rules.REPORT_DONE:
                item.status, item.done_note, item.done_at = rules.DONE, answer.get("keterangan"), utcnow()
            elif status == rules.REPORT_ONGOING:
                item.progress_note = answer.get("keterangan")
            audit.record(session, actor=actor, action="tamu_ngopi_follow_up", subject=f"tamu_ngopi/tindak_lanjut/{item_id}",
                         dag_id=key.dag_id, run_id=key.run_id, round=key.round_no, status=status,
                         defaulted=bool(outcome.get("defaulted")))
        done = item.status == rules.DONE
    if done or key.round_no >= max_rounds:
        return FollowUpStep(result={"item_id": item_id, "status": rules.DONE if done else rules.OPEN,
                                    "reports": key.round_no})
    return open_follow_up(item_id, key.round_no + 1, dag_id=key.dag_id, run_id=key.run_id)


def close_follow_up(plan: Mapping[str, Any], results: Iterable[Mapping[str, Any] | None], *, dag_id: str, run_id: str) -> dict[str, int]:
    """The run's follow-up ends: how many items were reported done, how many stay open (carried over)."""
    results = [dict(r) for r in results if r]
    counts = {"selesai": sum(1 for r in results if r["status"] == rules.DONE),
              "terbuka": sum(1 for r in results if r["status"] != rules.DONE)}
    with session_scope() as session:
        audit.record(session, actor=ACTOR, action="tamu_ngopi_follow_up_closed", subject=subject(plan["month"]),
                     dag_id=dag_id, run_id=run_id, **counts)
    return counts


__all__ = [
    "FollowUpStep", "PlanError", "after_follow_up", "ask_minutes", "build_agenda", "carried_items",
    "close_follow_up", "open_follow_up", "open_topic_requests", "plan_forum", "record_agenda", "record_decisions",
    "record_minutes", "record_rsvps", "remind_forum", "report", "send_invitations", "stakeholders",
]

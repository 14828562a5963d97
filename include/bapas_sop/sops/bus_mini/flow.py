"""What each task of the Bus Mini DAG does, as plain functions (the DAG file only wires them).

Records: the staff's reports, the confirmations and the Ketua Humas's review are form
requests with their answers; the run itself is one :class:`~bapas_sop.sops.bus_mini.models.BusMiniWeek`
row (by ``run_id``): when the rundown went out and to how many, the reminder, the escalation
and **the week's outcome** (uploaded with the video's id, title, URL and publication time, or
missed: :func:`week_history`). Each step reads that row to know what it already did, so a
retried task repeats nothing. The audit trail (subject ``bus_mini/<week>``) still logs each
step, but nothing reads it back.

**The upload check** (:func:`check_upload`, one poke of a reschedule-mode sensor) asks
YouTube for the channel's uploads inside the week window:
``bapas_sop.google.youtube.YouTubeBackend.from_connection().recent_uploads(channel_id,
published_after=..., published_before=...)``, the YouTube connection being
``BAPAS_YOUTUBE_CONN_ID``, else ``BAPAS_GOOGLE_CONN_ID``, else ``google_default`` (an API key
is enough). The embedded default has no YouTube connection: then the check says so once in
the log and Tim Humas confirms the upload on a form instead (pasting the video's link).
Either way: found, the week is recorded and announced; not found at the upload deadline,
Tim Humas is reminded; still nothing when the week closes, the Ketua Humas is told and the
week is recorded missed.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Any

from sqlalchemy.orm import Session

from bapas_sop import audit, humantask
from bapas_sop.humantask import RequestKey
from bapas_sop.directory import Directory, Person, get_directory
from bapas_sop.documents import render_html, render_pdf
from bapas_sop.mail.outbox import mailing
from bapas_sop.policy import StepPolicy
from bapas_sop.settings import get_settings
from bapas_sop.sops.bus_mini import rules as bus_mini
from bapas_sop.sops.bus_mini.models import BusMiniWeek, latest_weeks
from bapas_sop.sops.bus_mini.rules import Week
from bapas_sop.store.db import insert_or_get, session_scope
from bapas_sop.store.models import utcnow
from bapas_sop.textid import format_datetime_id

log = logging.getLogger(__name__)

ACTOR = "system"
REPORT_STEP = "mengumpulkan_informasi"
REPORT_FORM = "bus_mini_kegiatan"
MANUAL_STEP = "konfirmasi_unggahan"
MANUAL_FORM = "bus_mini_konfirmasi_unggahan"
CHANNEL_ENV = "BAPAS_YOUTUBE_CHANNEL_ID"


def subject(week: Week | str) -> str:
    return f"bus_mini/{week}"


def week_record(session: Session, plan: Mapping[str, Any], *, dag_id: str, run_id: str) -> BusMiniWeek:
    """The run's row, created on first use: every step of a run writes to the same row.

    Two tries of a step at once still end up with the one row (:func:`~bapas_sop.store.db.insert_or_get`).
    """
    return insert_or_get(session, BusMiniWeek, {"run_id": run_id},
                         {"week": str(plan["week"]), "dag_id": dag_id, "created_at": utcnow()})


# --------------------------------------------------------------------------- the week


def plan_week(params: Mapping[str, Any], *, dag_id: str, run_id: str, logical_date: datetime | None = None,
              now: datetime | None = None) -> dict[str, Any]:
    """The week, its deadlines and who reports; an admin may choose the week and deadlines."""
    now = now or utcnow()
    week = bus_mini.week_for_run(params.get("pekan"), logical_date, now)
    due = bus_mini.deadlines(week, {
        "reports": params.get("batas_laporan"), "upload": params.get("batas_unggah"),
        "escalation": params.get("batas_eskalasi"),
    })
    facts = [
        ["Pekan", week.label],
        ["Batas laporan kegiatan", format_datetime_id(due.reports)],
        ["Batas unggah video", format_datetime_id(due.upload)],
    ]
    return {
        "week": week.key, "label": week.label, "window_start": week.start.isoformat(), "window_end": week.end.isoformat(),
        "deadlines": due.as_dict(), "reports_due": due.reports.isoformat(), "facts": facts,
        "channel_id": params.get("youtube_channel_id") or None,
    }


def _week(plan: Mapping[str, Any]) -> Week:
    return Week.parse(plan["week"])


def _due(plan: Mapping[str, Any]) -> bus_mini.Deadlines:
    d = plan["deadlines"]
    return bus_mini.Deadlines(**{k: datetime.fromisoformat(v) for k, v in d.items()})


def report_policy() -> StepPolicy:
    """Activity reports: a reminder four hours before; unanswered = nothing to report."""
    return StepPolicy.from_config(remind_before=timedelta(hours=4), escalate_after=None, expire_after=timedelta(0),
                                  default_answer={"ada_kegiatan": False})


# --------------------------------------------------------------------------- 1. reports and rundown


def reporters(directory: Directory) -> list[Person]:
    """Who is asked for the week's activities: every active employee not on leave."""
    return [p for p in directory.active_employees() if not p.on_leave]


def open_report_requests(plan: Mapping[str, Any], *, dag_id: str, run_id: str) -> list[str]:
    """*Mengumpulkan informasi dan kegiatan Bapas dalam sepekan*: one form per employee."""
    directory = get_directory()
    due = datetime.fromisoformat(plan["reports_due"])
    with session_scope() as session:  # the run's row, from its first step on
        week_record(session, plan, dag_id=dag_id, run_id=run_id)
    keys = []
    # open_request commits each request in its own transaction; the batch sends the invitations.
    with mailing() as batch:
        for person in reporters(directory):
            opened = humantask.open_request(
                key=humantask.request_key(dag_id, run_id, f"{REPORT_STEP}/{person.nip}"),
                step=REPORT_STEP, form_name=REPORT_FORM,
                title=f"Laporan kegiatan untuk Bus Mini {plan['label']}",
                assignee=f"nip:{person.nip}",
                context={"facts": plan["facts"][:2], "pekan": plan["week"]},
                policy=report_policy(), due_at=max(due, utcnow() + timedelta(minutes=30)),
                dag_id=dag_id, run_id=run_id,
            )
            keys.append(opened.key)
            batch.include(opened.outbox_keys)
    return keys


def compile_rundown(plan: Mapping[str, Any], outcomes: Iterable[Mapping[str, Any]], *, dag_id: str, run_id: str) -> dict[str, Any]:
    """The week's rundown (HTML and PDF) to Tim Humas as the script base."""
    week = _week(plan)
    directory = get_directory()
    reports, silent, nothing = [], [], []
    for outcome in outcomes:
        nip = RequestKey.parse(str(outcome["key"])).subject
        person = directory.find(outcome.get("answered_by") or nip) or directory.find(nip)
        name = person.name if person else nip
        answer = outcome.get("answer") or {}
        if outcome.get("defaulted"):
            silent.append(name)
        elif not answer.get("ada_kegiatan"):
            nothing.append(name)
        else:
            reports.append({"name": name, "nip": nip, "answer": answer})
    items = bus_mini.rundown_items(reports, week)
    context = {
        "title": f"Rundown Bus Mini {week.key}", "week_label": week.label, "items": items,
        "nothing": nothing, "silent": silent, "history": week_history(limit=8),
        "generated": format_datetime_id(utcnow()),
    }
    html = render_html("bus_mini/rundown", context)
    in_week = sum(1 for i in items if i["in_week"])
    facts = [*plan["facts"][:1], ["Kegiatan dilaporkan", f"{len(items)} ({in_week} pada pekan ini)"],
             ["Pelapor", f"{len(reports)} pegawai"]]

    @cache
    def attachments() -> dict[str, bytes]:
        # Printed once for the whole team, and only when some member's email is new.
        return {f"rundown-bus-mini-{week.key}.pdf": render_pdf("bus_mini/rundown", context),
                f"rundown-bus-mini-{week.key}.html": html.encode()}

    team = _team(directory, "humas")
    with mailing() as batch:
        for member in team:
            batch.email(key=f"{dag_id}/{run_id}/rundown/{member.email}", to=member.email, template="bus_mini/rundown",
                        context={"name": member.name, "week_label": week.label, "facts": facts, "items": items[:10]},
                        attachments=attachments)
        row = week_record(batch.session, plan, dag_id=dag_id, run_id=run_id)
        if row.rundown_sent_at is None:
            row.rundown_sent_at, row.rundown_recipients = utcnow(), len(team)
            row.rundown_items, row.rundown_reporters = len(items), len(reports)
            audit.record(batch.session, actor=ACTOR, action="bus_mini_rundown", subject=subject(week), dag_id=dag_id,
                         run_id=run_id, items=len(items), reporters=len(reports), silent=len(silent))
    return {"facts": facts, "base_facts": plan["facts"][:1], "items": len(items)}


def draft_facts(plan: Mapping[str, Any], voice: Mapping[str, Any]) -> dict[str, Any]:
    """What the Ketua Humas sees: the week and the voice-over confirmation with the draft."""
    from bapas_sop.forms.registry import get_form

    rows = get_form("bus_mini_perekaman_suara").display(voice.get("answer") or {})
    return {"facts": [*plan["facts"][:1], *rows], "base_facts": plan["facts"][:1]}


# --------------------------------------------------------------------------- 2. the upload check


def channel_id(plan: Mapping[str, Any]) -> str | None:
    """The office channel: the run's parameter, else ``BAPAS_YOUTUBE_CHANNEL_ID``, else
    ``[bus_mini] youtube_channel_id`` in the office configuration."""
    return (plan.get("channel_id") or os.environ.get(CHANNEL_ENV)
            or get_settings().config.get("bus_mini", {}).get("youtube_channel_id") or None)


def youtube_uploads(channel: str | None, week: Week) -> tuple[list[Any] | None, str | None]:
    """The channel's uploads in the week window, or ``(None, why)`` when YouTube cannot be
    asked in this installation (no channel, no Google client installed, no connection).

    Asked through :class:`bapas_sop.google.youtube.YouTubeBackend` built from the YouTube
    connection (``BAPAS_YOUTUBE_CONN_ID``, else ``BAPAS_GOOGLE_CONN_ID``, else
    ``google_default``), a new client per poke. A temporary failure (quota, 5xx after the
    client's retries) is ``(None, None)``: nothing to report, the next poke looks again;
    wrong credentials or an unknown channel raise (an admin must fix them). The module is
    imported here, not at the top: DAG files must not import googleapiclient when parsed.
    """
    if not channel:
        return None, f"ID kanal YouTube belum diatur ({CHANNEL_ENV} atau parameter youtube_channel_id)"
    try:
        youtube = importlib.import_module("bapas_sop.google.youtube")
    except ImportError as exc:
        return None, f"klien YouTube tidak tersedia ({exc})"
    try:
        backend = youtube.YouTubeBackend.from_connection()
        return list(backend.recent_uploads(channel, published_after=week.start, published_before=week.end)), None
    except Exception as exc:
        kind = type(exc).__name__
        if kind == "GoogleConfigError":
            return None, f"koneksi YouTube belum diatur: {getattr(exc, 'hint', exc)}"
        if getattr(exc, "retryable", False):
            log.warning("YouTube tidak dapat ditanya sekarang, dicoba lagi nanti: %s", exc)
            return None, None
        raise


def _manual_request(plan: Mapping[str, Any], *, dag_id: str, run_id: str) -> humantask.OpenedRequest:
    """The form on which Tim Humas pastes the video link when YouTube cannot be asked."""
    due = _due(plan)
    now = utcnow()
    policy = StepPolicy.from_config(remind_before=None, escalate_after=None,
                                    expire_after=max(due.escalation - due.upload, timedelta(0)))
    return humantask.open_request(
        key=humantask.request_key(dag_id, run_id, MANUAL_STEP), step=MANUAL_STEP, form_name=MANUAL_FORM,
        title=f"Konfirmasi unggahan video Bus Mini {plan['label']}", assignee="humas",
        context={"facts": plan["facts"][:1] + plan["facts"][2:]}, policy=policy,
        due_at=max(due.upload, now + timedelta(minutes=5)), dag_id=dag_id, run_id=run_id,
    )


def check_upload(plan: Mapping[str, Any], *, dag_id: str, run_id: str, now: datetime | None = None) -> dict[str, Any] | None:
    """One look for the week's video: a result when the week is settled, None to look again.

    Found: ``{"status": "uploaded", "video": {...}, "source": "youtube"|"konfirmasi"}``.
    Past the upload deadline, Tim Humas is reminded (once); at the escalation time the Ketua
    Humas is told (once) and the result is ``{"status": "missed"}``.
    """
    now = now or utcnow()
    week = _week(plan)
    due = _due(plan)
    uploads, why_not = youtube_uploads(channel_id(plan), week)
    manual_url = None
    if uploads is not None:
        found = bus_mini.pick_upload(uploads, week)
        log.info("YouTube: %d unggahan pada jendela pekan %s; %s", len(uploads), week.key,
                 f"video pekan ini: {found['url']}" if found else "belum ada yang masuk jendela pekan")
        if found:
            return {"status": bus_mini.UPLOADED, "video": found, "source": "youtube"}
    elif why_not:
        log.info("Pemeriksaan YouTube otomatis dilewati: %s. Tim Humas mengonfirmasi unggahan melalui formulir.", why_not)
    if uploads is None and why_not:
        with mailing() as batch:
            opened = _manual_request(plan, dag_id=dag_id, run_id=run_id)
            batch.include(opened.outbox_keys)
        manual_url = opened.url
        outcome = humantask.poll(opened.key)
        if outcome["status"] == "answered":
            answer = outcome["answer"]
            video = {
                "video_id": bus_mini.video_id_from_url(answer["tautan_video"]), "title": answer.get("judul") or "",
                "url": answer["tautan_video"], "published_at": None, "confirmed_at": outcome.get("answered_at"),
                "confirmed_by": outcome.get("answered_by"),
            }
            return {"status": bus_mini.UPLOADED, "video": video, "source": "konfirmasi"}
    if now >= due.escalation:
        _escalate(plan, why_not, now, dag_id=dag_id, run_id=run_id)
        return {"status": bus_mini.MISSED, "video": None, "source": "youtube" if uploads is not None else "konfirmasi"}
    if now >= due.upload:
        _remind(plan, manual_url, now, dag_id=dag_id, run_id=run_id)
    return None


def _remind(plan: Mapping[str, Any], manual_url: str | None, now: datetime, *, dag_id: str, run_id: str) -> None:
    """Tim Humas, once per run (the row's ``reminder_sent_at``), however often the check pokes."""
    directory = get_directory()
    with mailing() as batch:
        row = week_record(batch.session, plan, dag_id=dag_id, run_id=run_id)
        if row.reminder_sent_at is not None:
            return
        team = _team(directory, "humas")
        for member in team:
            batch.email(key=f"{dag_id}/{run_id}/pengingat_unggah/{member.email}", to=member.email,
                        template="bus_mini/pengingat_unggah", context={
                            "name": member.name, "week_label": plan["label"], "facts": plan["facts"],
                            "escalation": format_datetime_id(_due(plan).escalation), "manual_url": manual_url,
                        })
        row.reminder_sent_at = now
        audit.record(batch.session, actor=ACTOR, action="bus_mini_upload_reminder", subject=subject(plan["week"]),
                     dag_id=dag_id, run_id=run_id, to=[m.email for m in team])


def _escalate(plan: Mapping[str, Any], why_not: str | None, now: datetime, *, dag_id: str, run_id: str) -> None:
    """The Ketua Humas (Tim Humas in copy), once per run (the row's ``escalated_at``)."""
    directory = get_directory()
    with mailing() as batch:
        row = week_record(batch.session, plan, dag_id=dag_id, run_id=run_id)
        if row.escalated_at is not None:
            return
        head = humantask.resolve_assignee("ketua_humas", directory)[0]
        team = [m.email for m in _team(directory, "humas")]
        batch.email(key=f"{dag_id}/{run_id}/eskalasi_unggah/{head.email}", to=head.email, cc=team,
                    template="bus_mini/eskalasi_unggah", context={
                        "name": head.name, "week_label": plan["label"], "facts": plan["facts"], "why_not": why_not,
                        "history": _history(batch.session, limit=8),
                    })
        row.escalated_at = now
        audit.record(batch.session, actor=ACTOR, action="bus_mini_upload_escalated", subject=subject(plan["week"]),
                     dag_id=dag_id, run_id=run_id, to=head.person_key)


# --------------------------------------------------------------------------- 3. record and announce


def record_week(plan: Mapping[str, Any], result: Mapping[str, Any], *, dag_id: str, run_id: str) -> dict[str, Any] | None:
    """The week in the history (uploaded or missed); the video, or None when missed."""
    video = result.get("video") or {}
    with session_scope() as session:
        row = week_record(session, plan, dag_id=dag_id, run_id=run_id)
        if row.status is None:
            row.status, row.source, row.recorded_at = result["status"], result.get("source"), utcnow()
            row.video_id, row.video_url, row.video_title = video.get("video_id"), video.get("url"), video.get("title")
            row.published_at, row.confirmed_at = _time(video.get("published_at")), _time(video.get("confirmed_at"))
            row.confirmed_by = video.get("confirmed_by")
            audit.record(session, actor=str(video.get("confirmed_by") or ACTOR), action="bus_mini_week",
                         subject=subject(plan["week"]), dag_id=dag_id, run_id=run_id, week=plan["week"],
                         status=result["status"], source=result.get("source"), video_id=video.get("video_id"),
                         title=video.get("title"), url=video.get("url"), published_at=video.get("published_at"))
    return dict(video) if result["status"] == bus_mini.UPLOADED else None


def announce_video(plan: Mapping[str, Any], video: Mapping[str, Any], *, dag_id: str, run_id: str) -> int:
    """Every employee gets the link to the week's video."""
    directory = get_directory()
    facts = [["Pekan", plan["label"]]]
    if video.get("title"):
        facts.append(["Judul", video["title"]])
    if video.get("published_at"):
        facts.append(["Tayang", format_datetime_id(video["published_at"])])
    employees = directory.active_employees()
    with mailing() as batch:
        for person in employees:
            batch.email(key=f"{dag_id}/{run_id}/video_tayang/{person.email}", to=person.email,
                        template="bus_mini/video_tayang", context={
                            "name": person.name, "week_label": plan["label"], "url": video["url"], "facts": facts,
                        })
        row = week_record(batch.session, plan, dag_id=dag_id, run_id=run_id)
        if row.announced_at is None:
            row.announced_at, row.announced_to = utcnow(), len(employees)
    return batch.result.sent if batch.result else 0


def week_history(limit: int = 12) -> list[dict[str, Any]]:
    """The latest weeks, newest first: ``{"week", "status", "title", "url", "published_at", "source"}``."""
    with session_scope() as session:
        return _history(session, limit)


def _history(session: Session, limit: int) -> list[dict[str, Any]]:
    """:func:`week_history` inside the caller's transaction."""
    rows = [{"week": r.week, "status": r.status, "title": r.video_title, "url": r.video_url,
             "published_at": r.published_at, "source": r.source} for r in latest_weeks(session, limit)]
    for row in rows:
        row["status_label"] = "diunggah" if row["status"] == bus_mini.UPLOADED else "tidak ada unggahan"
        try:
            row["label"] = Week.parse(row["week"]).label
        except ValueError:
            row["label"] = row["week"]
    return rows


# --------------------------------------------------------------------------- helpers


def _team(directory: Directory, role: str) -> list[Person]:
    return [a.person for a in directory.assignees_for_role(role)]


def _time(value: datetime | str | None) -> datetime | None:
    """A time from a task's result (ISO text after XCom); a naive one is UTC."""
    if not value:
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


__all__ = [
    "announce_video",
    "channel_id",
    "check_upload",
    "compile_rundown",
    "draft_facts",
    "open_report_requests",
    "plan_week",
    "record_week",
    "report_policy",
    "reporters",
    "week_history",
    "week_record",
    "youtube_uploads",
]

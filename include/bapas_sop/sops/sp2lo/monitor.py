"""SP2LO monitor: deadline reminders, overdue escalation, daily digest, monthly report, monitor page.

The SOP's "overdue checks" (catalogue section 6): every open Litmas runs against the deadline
of its rule; at 50 % and 80 % of the allowed time whoever the case is waiting on (the PK, or
the stand-in holding the PK's step) is reminded; once the deadline passes the section's
Kasubsi and the Kabapas are told, once; every morning they get the list of what is overdue;
each month the Kabapas gets the on-time rates per section and per PK as a PDF.

Plain Python over the project's database (no Airflow): the monitor DAGs in
``dags/sp2lo_pemantauan.py`` only call these functions and flush the outbox, and the admin
monitoring page reads :func:`monitor_rows`. The deadline arithmetic itself is the vectorised
:func:`bapas_sop.sops.sp2lo.rules.overdue_frame`.

Idempotence: every email is keyed in the outbox (``litmas/<case>/reminder/50``,
``litmas/<case>/overdue/<nip>``, ``sp2lo/ringkasan_harian/<WIB date>/<nip>``,
``sp2lo/laporan_bulanan/<yyyy-mm>/kabapas``) and every reminder or escalation is stamped on
the case in the same transaction, so a retried or repeated run sends nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bapas_sop import audit
from bapas_sop.calendar import WIB, to_wib, wib_date
from bapas_sop.directory import Directory, Person, get_directory
from bapas_sop.documents import percent_id, png_data_uri, render_pdf
from bapas_sop.mail.outbox import Mailing, mailing
from bapas_sop.settings import get_settings
from bapas_sop.sops.sp2lo import rules as sp2lo
from bapas_sop.sops.sp2lo.rules import (
    CATEGORIES,
    LITMAS_TYPES,
    OPEN_STAGES,
    SECTION_NAMES,
    SECTION_ROLES,
    STAGE_LABELS,
    DeadlineRule,
    NoMatchingRuleError,
    format_duration_id,
    highest_reminder_sent,
    overdue_frame,
)
from bapas_sop.sops.sp2lo.service import facts
from bapas_sop.store.db import session_scope
from bapas_sop.sops.sp2lo.models import LitmasCase
from bapas_sop.store.models import AuditEvent, FormRequest, utcnow
from bapas_sop.textid import MONTHS, format_date_id, format_datetime_id

log = logging.getLogger(__name__)

ACTOR = "sp2lo_monitor"
DEFAULT_FRACTIONS: tuple[float, ...] = (0.5, 0.8)
PK_WORK_STEP = "pk_melakukan_litmas"

#: Status of a row on the monitoring page: order (most urgent first), label, CSS tag class.
STATUS_OVERDUE, STATUS_WARNING, STATUS_OK, STATUS_NO_DEADLINE = "overdue", "warning", "ok", "no_deadline"
_STATUS_RANK = {STATUS_OVERDUE: 0, STATUS_WARNING: 1, STATUS_OK: 2, STATUS_NO_DEADLINE: 3}
_STATUS_TAG = {STATUS_OVERDUE: "bad", STATUS_WARNING: "warn", STATUS_OK: "good", STATUS_NO_DEADLINE: ""}


@dataclass
class MonitorResult:
    """What one deadline check did: case numbers reminded and escalated, outbox keys queued,
    and how many emails went out at once (the rest wait in the outbox for the sweep)."""

    reminded: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)
    outbox_keys: list[str] = field(default_factory=list)
    sent: int = 0
    #: Cases left out because a stored date cannot be computed with (see :func:`invalid_cases`).
    invalid: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe, for XCom: case numbers and counts, no names or addresses."""
        return {"reminded": self.reminded, "escalated": self.escalated, "emails": len(self.outbox_keys),
                "sent": self.sent, "invalid": self.invalid}


@dataclass(frozen=True)
class Addressee:
    """Who gets an email, and whom they stand in for (Plh) when the holder is away."""

    nip: str | None
    name: str
    email: str
    replaced_name: str | None = None

    @classmethod
    def acting_for(cls, directory: Directory, person: Person) -> Addressee:
        assignment = directory.assignment_for(person)
        acting = assignment.person
        original = assignment.original
        return cls(acting.nip, acting.name, acting.email, original.name if original else None)


# --------------------------------------------------------------------------- configuration


def reminder_fractions(config: Mapping[str, Any] | None = None) -> tuple[float, ...]:
    """``[sp2lo] reminder_fractions`` (default 0.5 and 0.8), sorted."""
    section = (config if config is not None else get_settings().config).get("sp2lo", {})
    raw = section.get("reminder_fractions", DEFAULT_FRACTIONS)
    return tuple(sorted(float(f) for f in raw))


def monitor_url() -> str:
    """The admin monitoring page, linked from the digest and the escalation emails."""
    return get_settings().public_url + "/admin/litmas"


# --------------------------------------------------------------------------- the open cases


#: Text columns of the frame, named as the case attributes they come from.
_TEXT_COLUMNS = (
    "case_number", "dag_id", "run_id", "client_name", "client_category", "litmas_type",
    "section", "pk_nip", "stage", "deadline_rule",
)  # fmt: skip


def _rule_for(case: LitmasCase, rules: Sequence[DeadlineRule]) -> DeadlineRule | None:
    """The rule the case was timed by (its stored name), else the one matching it now."""
    for rule in rules:
        if rule.name == case.deadline_rule:
            return rule
    try:
        return sp2lo.match_rule(rules, case.client_category, case.litmas_type)
    except NoMatchingRuleError:
        return None


def _clock_start(case: LitmasCase, rules: Sequence[DeadlineRule]) -> datetime | None:
    rule = _rule_for(case, rules)
    if rule is None:  # no rule any more: the deadline was stored, count from receipt
        return case.received_at
    return sp2lo.clock_start(rule, case.received_at, case.appointed_at)


def _aware_column(values: Sequence[datetime | None]) -> pd.Series:
    """Aware datetimes (or None) as a ``datetime64[ns, Asia/Jakarta]`` column (None -> NaT)."""
    index = pd.to_datetime(pd.Series(list(values), dtype=object), utc=True)
    return index.dt.tz_convert(WIB).astype("datetime64[ns, Asia/Jakarta]")


#: What a ``datetime64[ns]`` column can hold (pandas' Timestamp.min/max, to the microsecond).
_TIMESTAMP_RANGE = (datetime(1677, 9, 21, 0, 12, 44, tzinfo=UTC), datetime(2262, 4, 11, 23, 47, 16, tzinfo=UTC))


def _invalid_reason(case: LitmasCase, rules: Sequence[DeadlineRule]) -> str | None:
    """Why this case cannot be checked (a date pandas cannot hold, a clock that overflows), or None.

    Such a case came in before the forms bounded their dates (``0001-01-02``) or was written
    to the database directly; it is left out of every check instead of stopping the check for
    all the others.
    """
    try:
        moments = {
            "received_at": case.received_at, "appointed_at": case.appointed_at,
            "deadline_at": case.deadline_at, "overdue_escalated_at": case.overdue_escalated_at,
            "start_at": _clock_start(case, rules),
        }
        for name, value in moments.items():
            if value is not None and not _TIMESTAMP_RANGE[0] < to_wib(value) < _TIMESTAMP_RANGE[1]:
                return f"{name} {value.isoformat()} di luar rentang tanggal yang dapat dihitung"
    except (OverflowError, ValueError, TypeError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _open_cases(now: datetime) -> tuple[list[LitmasCase], list[tuple[str, str]], list[DeadlineRule]]:
    """The open cases at ``now``: those that can be checked, and (case number, reason) for the rest."""
    rules = sp2lo.load_rules(require_complete=False)
    with session_scope() as session:
        cases = session.scalars(
            select(LitmasCase)
            .where(LitmasCase.stage.in_(sorted(OPEN_STAGES)), LitmasCase.received_at <= now)
            .order_by(LitmasCase.id)
        ).all()
        session.expunge_all()
    usable: list[LitmasCase] = []
    invalid: list[tuple[str, str]] = []
    for case in cases:
        reason = _invalid_reason(case, rules)
        if reason is None:
            usable.append(case)
        else:
            invalid.append((case.case_number, reason))
    return usable, invalid, rules


def invalid_cases(now: datetime | None = None) -> list[dict[str, str]]:
    """Open cases left out of the checks because of invalid data ("perkara dengan data tidak
    sah"), for the monitoring page: case number and reason."""
    _usable, invalid, _rules = _open_cases(to_wib(now or utcnow()))
    return [{"case_number": number, "reason": reason} for number, reason in invalid]


def _report_invalid(invalid: Sequence[tuple[str, str]]) -> None:
    """Tell the admin about skipped cases: a log error every check, one audit row per case."""
    if not invalid:
        return
    log.error("SP2LO monitor: %d perkara dengan data tidak sah dilewati: %s", len(invalid),
              "; ".join(f"{n} ({r})" for n, r in invalid))
    with session_scope() as session:
        for number, reason in invalid:
            subject = f"litmas/{number}"
            seen = session.scalar(select(AuditEvent.id).where(
                AuditEvent.subject == subject, AuditEvent.action == "monitor_invalid_data").limit(1))
            if seen is None:
                audit.record(session, actor=ACTOR, action="monitor_invalid_data", subject=subject, reason=reason)


def open_cases_frame(now: datetime | None = None) -> pd.DataFrame:
    """Every Litmas still being worked on at ``now``, one row each, ready for ``overdue_frame``.

    ``start_at`` is when the case's deadline clock started (receipt, or the PK's appointment
    for appointment-clock rules); ``reminders_sent`` is the highest fraction already reminded
    (0.0 for none), a float column so the overdue check stays vectorised. Cases received
    after ``now`` are left out, so that a check "as of" a past moment sees what existed then.
    """
    now = to_wib(now or utcnow())
    cases, _invalid, rules = _open_cases(now)
    texts = {
        name: pd.Series([getattr(c, name) for c in cases], dtype=object)  # None stays None
        for name in _TEXT_COLUMNS
    }
    return pd.DataFrame(
        {
            "id": pd.Series([c.id for c in cases], dtype=np.int64),
            **texts,
            "reminders_sent": pd.Series([highest_reminder_sent(c.reminders_sent) for c in cases], dtype=np.float64),
            "received_at": _aware_column([c.received_at for c in cases]),
            "appointed_at": _aware_column([c.appointed_at for c in cases]),
            "start_at": _aware_column([_clock_start(c, rules) for c in cases]),
            "deadline_at": _aware_column([c.deadline_at for c in cases]),
            "overdue_escalated_at": _aware_column([c.overdue_escalated_at for c in cases]),
        }
    )


def _deadline_state(now: datetime) -> pd.DataFrame:
    return overdue_frame(open_cases_frame(now), now, reminder_fractions())


# --------------------------------------------------------------------------- open steps


def _open_request(session: Session, case: LitmasCase, nip: str | None) -> FormRequest | None:
    """The newest open form step of the case's run, for ``nip`` (held by them, or by a
    stand-in in their place) when given, else whoever holds it."""
    if not case.dag_id or not case.run_id:
        return None
    stmt = select(FormRequest).where(
        FormRequest.dag_id == case.dag_id, FormRequest.run_id == case.run_id, FormRequest.status == "open"
    )
    if nip:
        stmt = stmt.where(or_(FormRequest.assignee_nip == nip, FormRequest.original_assignee_nip == nip))
    return session.scalars(stmt.order_by(FormRequest.created_at.desc(), FormRequest.id.desc())).first()


def _open_requests_by_run(session: Session, runs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], FormRequest]:
    """The newest open step of each run: what the monitoring page says a case waits on."""
    wanted = {run for run in runs if run[0] and run[1]}
    found: dict[tuple[str, str], FormRequest] = {}
    run_ids = sorted({run_id for _dag, run_id in wanted})
    for start in range(0, len(run_ids), 500):  # stay far below any bind-parameter limit
        chunk = run_ids[start : start + 500]
        requests = session.scalars(
            select(FormRequest)
            .where(FormRequest.status == "open", FormRequest.run_id.in_(chunk))
            .order_by(FormRequest.created_at, FormRequest.id)
        ).all()
        for request in requests:
            key = (request.dag_id or "", request.run_id or "")
            if key in wanted:
                found[key] = request  # ordered oldest first: the newest wins
    return found


def _request_link(request: FormRequest) -> str:
    """The assignee's own signed link to an open step (the same one their invitation had)."""
    from bapas_sop.humantask import personal_url

    return personal_url(request)


def _from_request(request: FormRequest, directory: Directory) -> Addressee:
    replaced = directory.find(request.original_assignee_nip) if request.original_assignee_nip else None
    return Addressee(request.assignee_nip, request.assignee_name, request.assignee_email,
                     replaced.name if replaced else None)


# --------------------------------------------------------------------------- the hourly check


def _reminder_target(
    session: Session, case: LitmasCase, directory: Directory
) -> tuple[Addressee, FormRequest | None]:
    """Who the case is waiting on, and their open step (for the link) if there is one.

    First the PK's open step (held by the PK, or by a stand-in after leave or a hand-over);
    else any open step of the run (the Kabapas' disposition, the Kasubsi's appointment or
    review); else, for a case without form steps, by stage: the acting Kabapas before the
    disposition, the section's acting Kasubsi before the appointment and during the review,
    the PK's acting person otherwise.
    """
    request = _open_request(session, case, case.pk_nip) if case.pk_nip else None
    if request is None:
        request = _open_request(session, case, None)
    if request is not None:
        return _from_request(request, directory), request
    pk = directory.find(case.pk_nip)
    kasubsi_role = SECTION_ROLES.get(case.section or "")
    if case.stage == sp2lo.Stage.REGISTERED or (pk is None and kasubsi_role is None):
        role = "kabapas"
    elif pk is None or case.stage in (sp2lo.Stage.DISPOSED, sp2lo.Stage.IN_REVIEW):
        role = kasubsi_role or "kabapas"
    else:
        return Addressee.acting_for(directory, pk), None
    return Addressee.acting_for(directory, directory.one(role)), None


def _percent(fraction: float) -> int:
    return int(round(fraction * 100))


def _remind(
    batch: Mailing, case: LitmasCase, fraction: float, time_left: pd.Timedelta, directory: Directory, now: datetime
) -> str:
    """Queue one reminder and stamp the fraction on the case; returns the outbox key."""
    session = batch.session
    target, request = _reminder_target(session, case, directory)
    percent = _percent(fraction)
    key = f"litmas/{case.case_number}/reminder/{percent}"
    is_pk_step = request is not None and request.step.startswith(PK_WORK_STEP)
    batch.email(
        key=key,
        to=target.email,
        template="sp2lo/pengingat",
        context={
            "name": target.name,
            "case_number": case.case_number,
            "facts": facts(case),
            "percent": percent,
            "time_left": format_duration_id(time_left),
            "deadline": format_datetime_id(case.deadline_at),
            "url": _request_link(request) if request is not None else None,
            "url_label": "Laporkan penyelesaian Litmas" if is_pk_step else "Buka formulir",
            "waiting_step": request.title if request is not None else None,
            "replaced_name": target.replaced_name,
        },
    )
    case.reminders_sent = {**(case.reminders_sent or {}), f"{fraction:g}": now.isoformat()}
    audit.record(
        session, actor=ACTOR, action="litmas_reminded", subject=f"litmas/{case.case_number}",
        dag_id=case.dag_id, run_id=case.run_id, fraction=fraction, to=target.nip or target.email,
        stand_in_for=target.replaced_name, with_link=request is not None,
    )
    return key


def _escalation_targets(directory: Directory, section: str | None) -> list[Addressee]:
    """The section's Kasubsi (when the case has a section) and the Kabapas, as they act now;
    one email each even when one stands in for the other."""
    roles = [SECTION_ROLES[section]] if section in SECTION_ROLES else []
    roles.append("kabapas")
    targets: dict[str, Addressee] = {}
    for role in roles:
        target = Addressee.acting_for(directory, directory.one(role))
        targets.setdefault(target.nip or target.email, target)
    return list(targets.values())


def _escalate(
    batch: Mailing, case: LitmasCase, time_left: pd.Timedelta, directory: Directory, now: datetime
) -> list[str]:
    """Queue the overdue emails and stamp the escalation on the case; returns outbox keys."""
    session = batch.session
    pk = directory.find(case.pk_nip)
    waiting = _open_request(session, case, None)
    keys = []
    for target in _escalation_targets(directory, case.section):
        key = f"litmas/{case.case_number}/overdue/{target.nip or target.email.lower()}"
        batch.email(
            key=key,
            to=target.email,
            template="sp2lo/terlambat",
            context={
                "name": target.name,
                "case_number": case.case_number,
                "facts": facts(case),
                "late_by": format_duration_id(-time_left),
                "deadline": format_datetime_id(case.deadline_at),
                "stage": STAGE_LABELS.get(case.stage, case.stage),
                "pk_name": pk.name if pk else (case.pk_nip or None),
                "waiting_step": waiting.title if waiting else None,
                "waiting_on": waiting.assignee_name if waiting else None,
                "replaced_name": target.replaced_name,
                "monitor_url": monitor_url(),
            },
        )
        keys.append(key)
    case.overdue_escalated_at = now
    audit.record(
        session, actor=ACTOR, action="litmas_overdue_escalated", subject=f"litmas/{case.case_number}",
        dag_id=case.dag_id, run_id=case.run_id, to=[k.rsplit("/", 1)[-1] for k in keys],
        deadline_at=case.deadline_at.isoformat() if case.deadline_at else None,
    )
    return keys


def check_deadlines(now: datetime | None = None) -> MonitorResult:
    """The hourly check: remind at the configured fractions, escalate overdue cases once.

    The emails are queued in the same transaction as the stamps on the cases and sent when it
    commits (what cannot be sent stays queued for the sweep). A second call at the same moment
    finds the fractions and the escalation stamped and queues nothing.
    """
    now = to_wib(now or utcnow())
    invalid = _open_cases(now)[1]
    _report_invalid(invalid)
    state = _deadline_state(now)
    to_remind = state[state["reminder_due"].notna()]
    to_escalate = state[state["overdue"] & state["overdue_escalated_at"].isna()]
    result = MonitorResult(invalid=[number for number, _reason in invalid])
    if to_remind.empty and to_escalate.empty:
        return result
    directory = get_directory()
    with mailing() as batch:
        session = batch.session
        for row in to_remind.itertuples(index=False):
            case = session.get(LitmasCase, int(row.id), with_for_update=True)
            fraction = float(row.reminder_due)
            if case is None or highest_reminder_sent(case.reminders_sent) >= fraction:
                continue  # a concurrent check was faster
            result.outbox_keys.append(_remind(batch, case, fraction, row.time_left, directory, now))
            result.reminded.append(case.case_number)
        for row in to_escalate.itertuples(index=False):
            case = session.get(LitmasCase, int(row.id), with_for_update=True)
            if case is None or case.overdue_escalated_at is not None:
                continue
            result.outbox_keys.extend(_escalate(batch, case, row.time_left, directory, now))
            result.escalated.append(case.case_number)
    result.sent = batch.result.sent if batch.result else 0
    return result


# --------------------------------------------------------------------------- monitoring rows


def _status(overdue: bool, deadline: Any, fraction: float, warn_at: float) -> str:
    if overdue:
        return STATUS_OVERDUE
    if pd.isna(deadline):
        return STATUS_NO_DEADLINE
    if not np.isnan(fraction) and fraction >= warn_at:
        return STATUS_WARNING
    return STATUS_OK


def _status_label(status: str, warn_at: float) -> str:
    return {
        STATUS_OVERDUE: "Terlambat",
        STATUS_WARNING: f"Waktu terpakai ≥ {_percent(warn_at)}%",
        STATUS_OK: "Sesuai jadwal",
        STATUS_NO_DEADLINE: "Batas waktu belum berjalan",
    }[status]


def _person_name(directory: Directory, nip: str | None) -> str | None:
    if not nip:
        return None
    person = directory.find(nip)
    return person.name if person else nip


def _rows(state: pd.DataFrame, directory: Directory, waiting: Mapping[tuple[str, str], FormRequest], warn_at: float) -> list[dict[str, Any]]:
    rows = []
    for record in state.to_dict("records"):
        deadline = record["deadline_at"]
        left = record["time_left"]
        fraction = float(record["elapsed_fraction"])
        status = _status(bool(record["overdue"]), deadline, fraction, warn_at)
        request = waiting.get((record["dag_id"] or "", record["run_id"] or ""))
        has_deadline = not pd.isna(deadline)
        rows.append(
            {
                "case_number": record["case_number"],
                "client": record["client_name"],
                "category": CATEGORIES.get(record["client_category"], record["client_category"]),
                "litmas_type": LITMAS_TYPES.get(record["litmas_type"], record["litmas_type"]),
                "stage_code": record["stage"],
                "stage": STAGE_LABELS.get(record["stage"], record["stage"]),
                "waiting_step": request.title if request is not None else None,
                "waiting_on": request.assignee_name if request is not None else None,
                "pk_nip": record["pk_nip"],
                "pk": _person_name(directory, record["pk_nip"]) or "-",
                "section_code": record["section"],
                "section": SECTION_NAMES.get(record["section"] or "", record["section"] or "-"),
                "received": format_datetime_id(record["received_at"].to_pydatetime()),
                "deadline_at": deadline.to_pydatetime() if has_deadline else None,
                "deadline": format_datetime_id(deadline.to_pydatetime()) if has_deadline else "-",
                "time_left": format_duration_id(left) if has_deadline else "-",
                "late_by": format_duration_id(-left) if status == STATUS_OVERDUE else None,
                "seconds_left": float(left.total_seconds()) if has_deadline else None,
                "elapsed_percent": None if np.isnan(fraction) else _percent(fraction),
                "status": status,
                "status_label": _status_label(status, warn_at),
                "tag": _STATUS_TAG[status],
                "escalated": not pd.isna(record["overdue_escalated_at"]),
                "_received_ns": record["received_at"].value,
            }
        )
    rows.sort(key=lambda r: (
        _STATUS_RANK[r["status"]],
        r["seconds_left"] if r["seconds_left"] is not None else float("inf"),
        r["_received_ns"],
    ))
    for row in rows:
        del row["_received_ns"]
    return rows


def monitor_rows(now: datetime | None = None) -> list[dict[str, Any]]:
    """Every open Litmas for the monitoring page, most urgent first.

    Order: overdue (the longest overdue first), then those past the last reminder fraction
    (≥ 80 % by default), then the rest, by time left; cases whose clock has not started (an
    integration Litmas before its PK is appointed) come last. Texts are Indonesian, times WIB.
    """
    now = to_wib(now or utcnow())
    state = _deadline_state(now)
    if state.empty:
        return []
    fractions = reminder_fractions()
    warn_at = fractions[-1] if fractions else DEFAULT_FRACTIONS[-1]
    with session_scope() as session:
        waiting = _open_requests_by_run(session, zip(state["dag_id"].fillna(""), state["run_id"].fillna(""), strict=True))
        session.expunge_all()
    return _rows(state, get_directory(), waiting, warn_at)


def monitor_counts(rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Counts for the top of the monitoring page."""
    statuses = [r["status"] for r in rows]
    return {
        "open": len(rows),
        "overdue": statuses.count(STATUS_OVERDUE),
        "warning": statuses.count(STATUS_WARNING),
        "ok": statuses.count(STATUS_OK),
        "no_deadline": statuses.count(STATUS_NO_DEADLINE),
    }


# --------------------------------------------------------------------------- daily digest


def _leaders(directory: Directory) -> list[Addressee]:
    """The Kabapas and both Kasubsi as they act today, each person once."""
    people: dict[str, Addressee] = {}
    for role in ("kabapas", *SECTION_ROLES.values()):
        target = Addressee.acting_for(directory, directory.one(role))
        people.setdefault(target.nip or target.email, target)
    return list(people.values())


def daily_digest(now: datetime | None = None) -> list[str]:
    """Send today's digest of overdue Litmas to the Kabapas and both Kasubsi; the outbox keys.

    One email per person per WIB day (the key holds the date): a second call the same day
    returns the same keys and queues nothing new. Nothing overdue, no email.
    """
    now = to_wib(now or utcnow())
    overdue = [r for r in monitor_rows(now) if r["status"] == STATUS_OVERDUE]
    if not overdue:
        return []
    day = wib_date(now)
    directory = get_directory()
    with mailing() as batch:
        for person in _leaders(directory):
            key = f"sp2lo/ringkasan_harian/{day.isoformat()}/{person.nip or person.email.lower()}"
            batch.email(
                key=key,
                to=person.email,
                template="sp2lo/ringkasan_harian",
                context={
                    "name": person.name,
                    "date": format_date_id(day),
                    "rows": overdue,
                    "monitor_url": monitor_url(),
                    "replaced_name": person.replaced_name,
                },
            )
            if batch.is_new(key):
                audit.record(batch.session, actor=ACTOR, action="sp2lo_digest", subject=key,
                             to=person.nip, cases=[r["case_number"] for r in overdue])
    return batch.keys


# --------------------------------------------------------------------------- monthly report


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """The month in WIB as [start, end): the report counts Litmas approved in it."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, got {month}")
    start = datetime(year, month, 1, tzinfo=WIB)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=WIB)
    return start, end


def period_label(year: int, month: int) -> str:
    """``November 2026``."""
    return f"{MONTHS[month - 1]} {year}"


def previous_month(day: date | datetime) -> tuple[int, int]:
    """The month before the WIB date of ``day``: what a report run on the 1st covers."""
    current = wib_date(day) if isinstance(day, datetime) else day
    return (current.year - 1, 12) if current.month == 1 else (current.year, current.month - 1)


def finished_cases_frame(year: int, month: int) -> pd.DataFrame:
    """Litmas approved in the month (WIB), with what the on-time report and the late table need."""
    start, end = month_bounds(year, month)
    with session_scope() as session:
        cases = session.scalars(
            select(LitmasCase)
            .where(LitmasCase.approved_at >= start, LitmasCase.approved_at < end)
            .order_by(LitmasCase.approved_at, LitmasCase.id)
        ).all()
    directory = get_directory()
    return pd.DataFrame(
        {
            "case_number": pd.Series([c.case_number for c in cases], dtype=object),
            "client_name": pd.Series([c.client_name for c in cases], dtype=object),
            "litmas_type": pd.Series([c.litmas_type for c in cases], dtype=object),
            "section": pd.Series([c.section for c in cases], dtype=object),
            "pk_nip": pd.Series([c.pk_nip for c in cases], dtype=object),
            "pk_name": pd.Series([_person_name(directory, c.pk_nip) for c in cases], dtype=object),
            "deadline_at": _aware_column([c.deadline_at for c in cases]),
            "approved_at": _aware_column([c.approved_at for c in cases]),
        }
    )


def _short_wib(value: datetime) -> str:
    """``12/11/2026 13.17``: a table cell of a printed report (the column header says WIB)."""
    return f"{to_wib(value):%d/%m/%Y %H.%M}"


def _late_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    late = frame[frame["deadline_at"].notna() & (frame["approved_at"] > frame["deadline_at"])]
    late = late.assign(late_by=late["approved_at"] - late["deadline_at"]).sort_values("late_by", ascending=False)
    return [
        {
            "case_number": r["case_number"],
            "client": r["client_name"],
            "litmas_type": LITMAS_TYPES.get(r["litmas_type"], r["litmas_type"]),
            "section": SECTION_NAMES.get(r["section"] or "", r["section"] or "-"),
            "pk": r["pk_name"] or "-",
            "deadline": _short_wib(r["deadline_at"].to_pydatetime()),
            "approved": _short_wib(r["approved_at"].to_pydatetime()),
            "late_by": format_duration_id(r["late_by"]),
        }
        for r in late.to_dict("records")
    ]


def monthly_report_context(year: int, month: int, *, now: datetime | None = None) -> dict[str, Any]:
    """Everything the monthly PDF shows (and the email's summary), from the store."""
    frame = finished_cases_frame(year, month)
    report = sp2lo.on_time_report(frame)
    period = period_label(year, month)
    sections = list(report["by_section"].values())
    return {
        "title": f"Laporan Bulanan SP2LO {period}",
        "period": period,
        "total": report["total"],
        "sections": sections,
        "pks": list(report["by_pk"].values()),
        "late_rows": _late_rows(frame),
        "chart": png_data_uri(sp2lo.render_on_time_chart(report, period)),
        "rules": sp2lo.load_rules(require_complete=False),
        "generated": format_datetime_id(to_wib(now or utcnow())),
    }


def monthly_report(year: int, month: int) -> bytes:
    """The month's on-time report as PDF: rates per section and per PK, chart, late Litmas.

    A Litmas counts in the month it was approved (the deadline clock runs until the Kasubsi
    approves) and is on time when approved no later than its deadline.
    """
    return render_pdf("sp2lo/laporan_bulanan", monthly_report_context(year, month))


def send_monthly_report(year: int, month: int) -> str:
    """Queue the month's report to the (acting) Kabapas with the PDF attached; the outbox key.

    Keyed by month and role: resending the same month queues nothing, even if the Kabapas
    went on leave in between; the PDF is built only when the email is not queued yet.
    """
    key = f"sp2lo/laporan_bulanan/{year:04d}-{month:02d}/kabapas"
    context = monthly_report_context(year, month)
    directory = get_directory()
    target = Addressee.acting_for(directory, directory.one("kabapas"))
    total = context["total"]
    summary = [
        ["Periode", context["period"]],
        ["Litmas selesai (disetujui)", str(total["finished"])],
        ["Tepat waktu", str(total["on_time"])],
        ["Terlambat", str(total["late"])],
        ["Persentase tepat waktu", percent_id(total["on_time_rate"])],
    ]
    with mailing() as batch:
        batch.email(
            key=key,
            to=target.email,
            template="sp2lo/laporan_bulanan",
            context={"name": target.name, "period": context["period"], "facts": summary,
                     "replaced_name": target.replaced_name},
            attachments=lambda: {f"laporan-sp2lo-{year:04d}-{month:02d}.pdf": render_pdf("sp2lo/laporan_bulanan", context)},
        )
        if batch.is_new(key):
            audit.record(batch.session, actor=ACTOR, action="sp2lo_monthly_report", subject=key, to=target.nip,
                         period=f"{year:04d}-{month:02d}", finished=total["finished"], late=total["late"])
    return key


__all__ = [
    "Addressee",
    "MonitorResult",
    "check_deadlines",
    "daily_digest",
    "finished_cases_frame",
    "month_bounds",
    "monitor_counts",
    "monitor_rows",
    "invalid_cases",
    "monitor_url",
    "monthly_report",
    "monthly_report_context",
    "open_cases_frame",
    "period_label",
    "previous_month",
    "reminder_fractions",
    "send_monthly_report",
]

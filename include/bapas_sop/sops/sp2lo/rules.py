"""SP2LO domain rules: Sistem Pengawasan Penyelesaian Litmas secara Online.

One Litmas (Penelitian Kemasyarakatan) request runs from receipt to the PK's SPPD settlement:
registered -> disposed (disposisi by Kepala Bapas) -> assigned (Kasubsi appoints a PK) ->
in_research -> in_review (Kasubsi's recommendation, possibly revision) -> approved ->
sppd_eligible -> settled -> closed.

This module holds what the DAG, the forms and the monitor must agree on, without Airflow:

* the Litmas categories, types and sections with their Indonesian labels;
* the deadline rule table from configuration (``[sp2lo] rules`` in ``bapas.toml``) and the
  deadline it gives a case;
* the PK suggestion (least open Litmas first) and the SPPD eligibility rule;
* the vectorised overdue / reminder check over all open cases (pandas, int64 nanoseconds,
  no loop over rows: the monitor runs hourly and must stay cheap at any case count);
* the on-time report per section and per PK, with a PNG chart (matplotlib, Agg).

Times are aware datetimes; naive ones are refused (see :mod:`bapas_sop.calendar`).
Developer-facing errors are in English; every text a person reads (labels, reasons,
durations, chart) is in Bahasa Indonesia.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

import numpy as np
import pandas as pd

from bapas_sop.calendar import add_working_days, end_of_day, to_wib, wib_date
from bapas_sop.settings import get_settings

# --------------------------------------------------------------------------------------------
# Categories, types, sections

# The words live in a light module so that DAG files can read them without pandas.
from bapas_sop.sops.sp2lo.terms import (  # noqa: E402  (re-exported)
    CATEGORIES,
    LITMAS_TYPES,
    SECTION_FOR_CATEGORY,
    SECTION_LABELS,
    SECTION_NAMES,
    SECTION_ROLES,
)


def suggest_section(category: str) -> str:
    """The section Kepala Bapas is offered in the disposition: anak -> BKA, dewasa -> BKD."""
    try:
        return SECTION_FOR_CATEGORY[category]
    except KeyError:
        raise ValueError(
            f"unknown Litmas category {category!r}; expected one of {sorted(CATEGORIES)}"
        ) from None


# --------------------------------------------------------------------------------------------
# Stages


class Stage(StrEnum):
    """Where a Litmas case stands; the value is what the store's ``stage`` column holds."""

    REGISTERED = "registered"
    DISPOSED = "disposed"
    ASSIGNED = "assigned"
    IN_RESEARCH = "in_research"
    IN_REVIEW = "in_review"
    REVISION = "revision"
    APPROVED = "approved"
    SPPD_ELIGIBLE = "sppd_eligible"
    SETTLED = "settled"
    CLOSED = "closed"


STAGE_LABELS: dict[str, str] = {
    Stage.REGISTERED: "Permintaan terdaftar",
    Stage.DISPOSED: "Didisposisi Kepala Bapas",
    Stage.ASSIGNED: "PK ditunjuk",
    Stage.IN_RESEARCH: "Penelitian oleh PK",
    Stage.IN_REVIEW: "Menunggu rekomendasi Kasubsi",
    Stage.REVISION: "Dikembalikan untuk perbaikan",
    Stage.APPROVED: "Litmas disetujui",
    Stage.SPPD_ELIGIBLE: "Berhak mengajukan SPPD",
    Stage.SETTLED: "SPPD sudah dicairkan",
    Stage.CLOSED: "Selesai",
}

# The Litmas itself is finished from approval on: the deadline clock stops there.
FINISHED_STAGES: frozenset[str] = frozenset(
    {Stage.APPROVED, Stage.SPPD_ELIGIBLE, Stage.SETTLED, Stage.CLOSED}
)
OPEN_STAGES: frozenset[str] = frozenset(set(Stage) - FINISHED_STAGES)


def is_open_stage(stage: str) -> bool:
    """True while the Litmas is still being worked on and its deadline still matters."""
    return stage not in FINISHED_STAGES


# --------------------------------------------------------------------------------------------
# Deadline rules

Clock = Literal["receipt", "appointment"]
CLOCKS: tuple[str, ...] = ("receipt", "appointment")
_DURATION_KEYS = ("hours", "days", "working_days")
_RULE_KEYS = frozenset({"name", "category", "litmas_type", "clock", *_DURATION_KEYS})


class RuleTableError(ValueError):
    """The ``[sp2lo] rules`` table cannot be used; the message says which rule and why."""


class NoMatchingRuleError(LookupError):
    """No deadline rule matches a case's category and Litmas type."""


@dataclass(frozen=True)
class DeadlineRule:
    """One row of the deadline rule table.

    ``hours`` are calendar hours (3x24 jam runs through weekends and holidays). ``days`` are
    **calendar days**: the same WIB time ``days`` days later, weekends and holidays included
    (Litmas diversi 3 days, integration 7, other adult 14). ``working_days`` counts only
    working days in WIB (see :func:`bapas_sop.calendar.add_working_days`). Exactly one is set.
    """

    name: str
    category: str  # a key of CATEGORIES or "*"
    litmas_type: str | tuple[str, ...]  # "*" or the Litmas types it covers
    clock: Clock
    hours: float | None = None
    days: int | None = None
    working_days: int | None = None

    def matches(self, category: str, litmas_type: str) -> bool:
        """True when this rule covers a case of that category and type."""
        if self.category != "*" and self.category != category:
            return False
        return self.litmas_type == "*" or litmas_type in self.litmas_type

    @property
    def duration_text(self) -> str:
        """The allowed time as staff say it: "3x24 jam", "7 hari", "5 hari kerja"."""
        if self.hours is not None:
            h = self.hours
            if h % 24 == 0:
                return f"{int(h // 24)}x24 jam"
            return f"{_number_id(h)} jam"
        if self.days is not None:
            return f"{self.days} hari"
        return f"{self.working_days} hari kerja"

    @property
    def description(self) -> str:
        """A sentence for emails: how long, counted from when."""
        start = (
            "sejak surat permintaan diterima"
            if self.clock == "receipt"
            else "sejak PK ditunjuk"
        )
        return f"{self.duration_text} {start}"


def _number_id(value: float) -> str:
    """A number as written in Indonesian (decimal comma)."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:g}".replace(".", ",")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def parse_rule(raw: Mapping[str, Any], index: int = 0) -> DeadlineRule:
    """Validate one table row; ``index`` (0-based) only names the row in error messages."""
    label = f"sp2lo.rules[{index}]"
    if not isinstance(raw, Mapping):
        raise RuleTableError(f"{label}: expected a table ([[sp2lo.rules]]), got {raw!r}")
    name = raw.get("name")
    if isinstance(name, str) and name.strip():
        label = f"{label} ({name!r})"
    else:
        raise RuleTableError(f"{label}: 'name' must be a non-empty text")
    unknown = sorted(set(raw) - _RULE_KEYS)
    if unknown:
        raise RuleTableError(
            f"{label}: unknown key(s) {unknown}; allowed: {sorted(_RULE_KEYS)}"
        )

    category = raw.get("category", "*")
    if category != "*" and category not in CATEGORIES:
        raise RuleTableError(
            f"{label}: category must be '*' or one of {list(CATEGORIES)}, got {category!r}"
        )

    raw_type = raw.get("litmas_type", "*")
    litmas_type: str | tuple[str, ...]
    if raw_type == "*":
        litmas_type = "*"
    else:
        types = [raw_type] if isinstance(raw_type, str) else raw_type
        if not isinstance(types, (list, tuple)) or not types:
            raise RuleTableError(
                f"{label}: litmas_type must be '*', a type or a non-empty list of types"
            )
        bad = [t for t in types if t not in LITMAS_TYPES]
        if bad:
            raise RuleTableError(
                f"{label}: unknown litmas_type {bad}; known types: {list(LITMAS_TYPES)}"
            )
        litmas_type = tuple(types)

    clock = raw.get("clock")
    if clock not in CLOCKS:
        raise RuleTableError(
            f"{label}: clock must be 'receipt' or 'appointment', got {clock!r}"
        )

    given = [key for key in _DURATION_KEYS if raw.get(key) is not None]
    if len(given) != 1:
        found = ", ".join(given) if given else "none"
        raise RuleTableError(
            f"{label}: give exactly one of hours, days or working_days (found: {found})"
        )
    key = given[0]
    value = raw[key]
    if key == "hours":
        if not _is_number(value) or not math.isfinite(value) or value <= 0:
            raise RuleTableError(f"{label}: hours must be a positive number, got {value!r}")
    elif not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise RuleTableError(f"{label}: {key} must be a positive whole number, got {value!r}")

    return DeadlineRule(
        name=name.strip(),
        category=category,
        litmas_type=litmas_type,
        clock=clock,
        **{key: value},
    )


def _rules_section(config: Any) -> Any:
    """Accept the whole config, its ``sp2lo`` section, or the rule list itself."""
    if config is None:
        config = get_settings().config
    if isinstance(config, Mapping):
        if "sp2lo" in config:
            config = config["sp2lo"]
        if isinstance(config, Mapping):
            if "rules" not in config:
                raise RuleTableError("no [[sp2lo.rules]] table in the configuration")
            config = config["rules"]
    return config


def load_rules(config: Any = None, *, require_complete: bool = True) -> list[DeadlineRule]:
    """The deadline rule table, validated; a bad table fails here, not on the first case.

    ``config`` may be the whole settings config (default: ``get_settings().config``), its
    ``sp2lo`` section or the list of rule tables. With ``require_complete`` every category x
    Litmas type must be matched by some rule, so that no case is left without a deadline.
    """
    rows = _rules_section(config)
    if not isinstance(rows, (list, tuple)) or not rows:
        raise RuleTableError("sp2lo.rules must be a non-empty list of [[sp2lo.rules]] tables")
    rules = [parse_rule(row, index) for index, row in enumerate(rows)]
    if require_complete:
        uncovered = [
            f"{category}/{litmas_type}"
            for category in CATEGORIES
            for litmas_type in LITMAS_TYPES
            if not any(rule.matches(category, litmas_type) for rule in rules)
        ]
        if uncovered:
            raise RuleTableError(
                "sp2lo.rules leaves these category/litmas_type pairs without a deadline: "
                + ", ".join(uncovered)
                + " (add a rule with litmas_type = \"*\" as the last one for each category)"
            )
    return rules


def match_rule(rules: Sequence[DeadlineRule], category: str, litmas_type: str) -> DeadlineRule:
    """The first rule that covers the case (table order is priority order)."""
    for rule in rules:
        if rule.matches(category, litmas_type):
            return rule
    raise NoMatchingRuleError(
        f"no SP2LO deadline rule matches category={category!r}, litmas_type={litmas_type!r}"
    )


def clock_start(
    rule: DeadlineRule, received_at: datetime, appointed_at: datetime | None
) -> datetime | None:
    """When the rule's clock starts: receipt of the request, or the PK's appointment."""
    if rule.clock == "receipt":
        return to_wib(received_at)
    return None if appointed_at is None else to_wib(appointed_at)


def compute_deadline(
    rule: DeadlineRule, received_at: datetime, appointed_at: datetime | None = None
) -> datetime | None:
    """The case's deadline in WIB, or None while an appointment-clock case has no PK yet.

    Hours and calendar days run through weekends and holidays (a child's 3x24 jam received on
    Friday 15:00 ends on Monday 15:00); working days skip them.
    """
    received = to_wib(received_at)  # validated even when the clock starts elsewhere
    start = clock_start(rule, received, appointed_at)
    if start is None:
        return None
    if rule.hours is not None:
        return start + timedelta(hours=rule.hours)
    if rule.days is not None:
        return start + timedelta(days=rule.days)  # WIB has no DST: same wall-clock time
    assert rule.working_days is not None
    return add_working_days(start, rule.working_days)


# --------------------------------------------------------------------------------------------
# PK suggestion


def suggest_pk(
    candidates: Iterable[Mapping[str, Any]], open_loads: Mapping[str, int]
) -> list[dict[str, Any]]:
    """The PKs the Kasubsi may appoint, least open Litmas first (the first is the suggestion).

    Ties are broken by name (case-insensitive) then NIP so the same data always gives the same
    order. Each returned dict is a copy of the candidate with ``open_litmas`` added; a PK
    missing from ``open_loads`` has none open. The caller passes only PKs who can take a case
    (active, not on leave: the directory resolves stand-ins).
    """
    ranked: list[dict[str, Any]] = []
    for candidate in candidates:
        nip = candidate.get("nip")
        if not nip:
            raise ValueError(f"PK candidate without a NIP: {dict(candidate)!r}")
        entry = dict(candidate)
        entry["open_litmas"] = int(open_loads.get(str(nip), 0) or 0)
        ranked.append(entry)
    ranked.sort(
        key=lambda c: (c["open_litmas"], str(c.get("name") or "").casefold(), str(c["nip"]))
    )
    return ranked


# --------------------------------------------------------------------------------------------
# SPPD


@dataclass(frozen=True)
class Eligibility:
    """Whether the PK may apply for SPPD for this Litmas, with the reason in Indonesian."""

    eligible: bool
    reason: str


#: Trip dates the SPPD rules work with. A date outside (``9999-12-31`` typed into an older form)
#: is refused with a reason instead of overflowing the working-day arithmetic.
TRIP_DATE_RANGE = (date(2000, 1, 1), date(2100, 12, 31))


def _trip_in_range(day: date | None) -> bool:
    return day is None or TRIP_DATE_RANGE[0] <= day <= TRIP_DATE_RANGE[1]


def _trip_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return wib_date(value)
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def sppd_eligibility(
    stage: str,
    approved_at: datetime | None,
    completed_at: datetime | None,
    trip: Mapping[str, Any] | None,
) -> Eligibility:
    """Only an approved, completed Litmas with a reported trip makes the PK eligible for SPPD.

    ``trip`` is the trip part of the PK's completion report: ``destination`` (required),
    optional ``start_date`` / ``end_date`` (date or ISO text) and optional ``made`` (False
    when the PK reported no trip). A settled or closed case is no longer eligible, so that an
    SPPD is never disbursed twice.
    """
    if stage == Stage.SETTLED:
        return Eligibility(False, "SPPD untuk Litmas ini sudah dicairkan.")
    if stage == Stage.CLOSED:
        return Eligibility(False, "Perkara Litmas ini sudah ditutup.")
    if stage not in (Stage.APPROVED, Stage.SPPD_ELIGIBLE) or approved_at is None:
        label = STAGE_LABELS.get(stage, stage)
        return Eligibility(
            False,
            f"Litmas belum disetujui Kasubsi (tahap saat ini: {label}). SPPD baru dapat "
            "diajukan setelah Litmas selesai dan disetujui.",
        )
    if completed_at is None:
        return Eligibility(False, "PK belum melaporkan penyelesaian Litmas.")
    if not trip or trip.get("made") is False or not str(trip.get("destination") or "").strip():
        return Eligibility(
            False,
            "Tidak ada perjalanan dinas yang dilaporkan untuk Litmas ini, "
            "sehingga tidak ada SPPD yang dapat diajukan.",
        )
    try:
        start, end = _trip_date(trip.get("start_date")), _trip_date(trip.get("end_date"))
    except ValueError:
        return Eligibility(False, "Tanggal perjalanan dinas tidak dapat dibaca.")
    if not (_trip_in_range(start) and _trip_in_range(end)):
        first, last = TRIP_DATE_RANGE
        return Eligibility(
            False,
            f"Tanggal perjalanan dinas di luar rentang yang wajar ({first.year}-{last.year}); "
            "periksa kembali laporan penyelesaian Litmas.",
        )
    if start and end and end < start:
        return Eligibility(
            False, "Tanggal selesai perjalanan dinas lebih awal dari tanggal berangkat."
        )
    destination = str(trip["destination"]).strip()
    return Eligibility(
        True,
        f"Litmas sudah disetujui dan perjalanan dinas ke {destination} tercatat; "
        "PK dapat mengajukan SPPD.",
    )


def accountability_due(trip_end: date | datetime, working_days: int | None = None) -> datetime:
    """When the PK's SPPD accountability (pertanggungjawaban) is due.

    Rule: the ``working_days``-th working day after the trip's last day (default from
    ``[sp2lo] sppd_accountability_working_days``, 5), at the end of that day, 23:59:59 WIB.
    A trip ending Friday is therefore due the following Friday at 23:59:59 when no holiday
    intervenes. A datetime ``trip_end`` counts by its WIB date.
    """
    if not _trip_in_range(_trip_date(trip_end)):
        raise ValueError(f"trip end {trip_end!r} outside {TRIP_DATE_RANGE[0]}..{TRIP_DATE_RANGE[1]}")
    if working_days is None:
        sp2lo_config = get_settings().config.get("sp2lo", {})
        working_days = int(sp2lo_config.get("sppd_accountability_working_days", 5))
    return add_working_days(end_of_day(trip_end), working_days)


# --------------------------------------------------------------------------------------------
# Vectorised overdue check

NAT_NS = np.iinfo(np.int64).min  # pandas' integer for NaT
_REQUIRED_MONITOR_COLUMNS = ("case_number", "start_at", "deadline_at", "stage")


def _timestamp_ns(value: datetime) -> int:
    """An aware datetime as int64 nanoseconds since the epoch (UTC)."""
    return int(pd.Timestamp(to_wib(value)).as_unit("ns").value)


def _utc_ns(values: pd.Series, column: str) -> np.ndarray:
    """A datetime column as int64 UTC nanoseconds (NaT -> NAT_NS); naive columns are refused.

    An aware ``datetime64[ns, tz]`` column costs nothing (a view); other units are rescaled;
    an object column of Python datetimes is converted (slower, but still without a row loop).
    """
    dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        arr = values.array
        if arr.unit != "ns":
            arr = arr.as_unit("ns")
        return arr.asi8
    if dtype.kind == "M":
        if values.isna().all():
            return np.full(len(values), NAT_NS, dtype=np.int64)
        raise ValueError(
            f"column {column!r} holds naive datetimes; give timezone-aware ones "
            "(e.g. Series.dt.tz_localize('Asia/Jakarta'))"
        )
    if values.isna().all():
        return np.full(len(values), NAT_NS, dtype=np.int64)
    try:
        converted = pd.to_datetime(values)
    except (ValueError, TypeError):
        # Mixed time zones (or mixed aware/naive): refuse any naive value, then go via UTC.
        if any(getattr(v, "tzinfo", 1) is None for v in values.dropna()):
            raise ValueError(f"column {column!r} holds naive datetimes") from None
        converted = pd.to_datetime(values, utc=True)
    return _utc_ns(converted, column)


def _open_mask(stage: pd.Series) -> np.ndarray:
    """True for rows whose stage is not finished; a missing stage counts as open."""
    finished = [str(s) for s in FINISHED_STAGES]
    if isinstance(stage.dtype, pd.CategoricalDtype):
        # Decide per category, then gather by code: no hashing of a million strings.
        per_category = ~np.asarray(stage.cat.categories.isin(finished))
        lookup = np.append(per_category, True)  # code -1 (missing) -> last slot -> open
        return lookup[stage.cat.codes.to_numpy()]
    return ~stage.isin(finished).to_numpy()


def highest_reminder_sent(value: Any) -> float:
    """The highest reminder fraction already sent, from what a case row stores.

    Accepts a number, a list of fractions (``[0.5, 0.8]``) or the store's JSON dict, whose
    numeric keys (``{"0.5": "2026-...", ...}``) or ``fractions`` list name the fractions.
    Nothing sent gives 0.0.
    """
    if value is None:
        return 0.0
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return 0.0 if math.isnan(float(value)) else float(value)
    items: list[Any]
    if isinstance(value, Mapping):
        items = list(value.keys())
        nested = value.get("fractions")
        if isinstance(nested, (list, tuple)):
            items.extend(nested)
    elif isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        items = list(value)
    else:
        items = [value]
    best = 0.0
    for item in items:
        try:
            number = float(item)
        except (TypeError, ValueError):
            continue
        if not math.isnan(number):
            best = max(best, number)
    return best


def _sent_fractions(cases: pd.DataFrame) -> np.ndarray:
    if "reminders_sent" not in cases.columns:
        return np.zeros(len(cases))
    sent = cases["reminders_sent"]
    if sent.dtype.kind in "iuf":
        values = sent.to_numpy(dtype=np.float64, na_value=np.nan)  # a view for float64
        return np.nan_to_num(values, nan=0.0) if np.isnan(values).any() else values
    # Lists/dicts straight from the store: one conversion per element, documented slow path.
    return sent.map(highest_reminder_sent).to_numpy(dtype=np.float64)


def overdue_frame(
    cases: pd.DataFrame, now: datetime, fractions: Sequence[float] = (0.5, 0.8)
) -> pd.DataFrame:
    """Deadline state of every case at ``now``, vectorised over int64 nanoseconds.

    ``cases`` has ``case_number``, ``start_at`` (when the deadline clock started),
    ``deadline_at`` (aware datetimes; NaT while no deadline yet), ``stage`` and optionally
    ``reminders_sent`` (best as a float column: the highest fraction already sent, 0/NaN for
    none; lists or the store's dicts also work, at the price of one conversion per row).
    A categorical ``stage`` is fastest.

    Returns a copy with these columns added:

    * ``is_open``: the stage is not finished (approved, sppd_eligible, settled, closed);
    * ``elapsed_fraction``: share of the allowed time used (may exceed 1; NaN when not open or
      without a start or deadline);
    * ``time_left``: ``deadline_at - now`` as a timedelta (negative when late; NaT when not
      open or no deadline);
    * ``overdue``: open and past the deadline;
    * ``reminder_due``: the highest reminder fraction crossed that is higher than what was
      already sent (so with 0.5 sent and 85 % used, 0.8 is due; with nothing sent, only 0.8,
      not both), NaN otherwise. An overdue case gets no reminder: escalation takes over.
    """
    missing = [c for c in _REQUIRED_MONITOR_COLUMNS if c not in cases.columns]
    if missing:
        raise KeyError(f"overdue_frame needs the column(s) {missing}")
    steps = np.array(sorted({float(f) for f in fractions}), dtype=np.float64)
    if steps.size and (steps[0] <= 0 or steps[-1] >= 1):
        raise ValueError(f"reminder fractions must lie strictly between 0 and 1, got {fractions}")

    now_ns = _timestamp_ns(now)
    start = _utc_ns(cases["start_at"], "start_at")
    deadline = _utc_ns(cases["deadline_at"], "deadline_at")
    is_open = _open_mask(cases["stage"])

    # NaT rows may wrap around or divide by zero; they are masked out right after.
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        has_deadline = is_open & (deadline != NAT_NS)
        timed = has_deadline & (start != NAT_NS) & (deadline > start)
        left = deadline - now_ns
        overdue = has_deadline & (left < 0)
        np.copyto(left, NAT_NS, where=~has_deadline)
        time_left = left.view("m8[ns]")
        fraction = np.true_divide(now_ns - start, deadline - start)  # int64 in, float64 out
        np.copyto(fraction, np.nan, where=~timed)

    # The highest fraction crossed: one comparison per configured fraction (two by default),
    # cheaper than a searchsorted over a million floats. NaN never crosses anything.
    crossed = np.full(len(cases), np.nan)
    for step in steps:
        crossed = np.where(fraction >= step, step, crossed)
    due = timed & ~overdue & (crossed > _sent_fractions(cases))
    reminder_due = np.where(due, crossed, np.nan)

    out = cases.copy(deep=False)  # pandas' copy-on-write keeps the caller's frame untouched
    out["is_open"] = is_open
    out["elapsed_fraction"] = fraction
    out["time_left"] = time_left
    out["overdue"] = overdue
    out["reminder_due"] = reminder_due
    return out


# --------------------------------------------------------------------------------------------
# On-time report and chart


def _rate(on_time: int, late: int) -> float | None:
    judged = on_time + late
    return None if judged == 0 else on_time / judged


def _counts(finished: pd.Series, on_time: pd.Series, late: pd.Series) -> dict[str, Any]:
    n_on, n_late = int(on_time.sum()), int(late.sum())
    return {
        "finished": int(finished.sum()),
        "on_time": n_on,
        "late": n_late,
        "no_deadline": int(finished.sum()) - n_on - n_late,
        "on_time_rate": _rate(n_on, n_late),
    }


def on_time_report(cases: pd.DataFrame) -> dict[str, Any]:
    """How many finished Litmas met their deadline, overall, per section and per PK.

    A Litmas is finished at its approval (``finished_at`` if given, else ``approved_at``),
    because the deadline clock runs until Kasubsi approves (a revision does not stop it).
    Needed columns: ``section``, ``pk_nip``, ``deadline_at`` and ``approved_at`` or
    ``finished_at``; optional ``pk_name`` and ``stage`` (rows in an open stage are skipped).
    A finished case without a deadline is counted in ``no_deadline`` and left out of the rate.

    Returns plain JSON-safe data (fit for XCom): ``{"total": counts, "by_section": {code:
    counts + label}, "by_pk": {nip: counts + name + section}}`` where counts are
    ``finished``, ``on_time``, ``late``, ``no_deadline`` and ``on_time_rate`` (0..1 or None).
    """
    finish_column = "finished_at" if "finished_at" in cases.columns else "approved_at"
    needed = ["section", "pk_nip", "deadline_at", finish_column]
    missing = [c for c in needed if c not in cases.columns]
    if missing:
        raise KeyError(f"on_time_report needs the column(s) {missing}")

    finished_ns = _utc_ns(cases[finish_column], finish_column)
    deadline_ns = _utc_ns(cases["deadline_at"], "deadline_at")
    finished = finished_ns != NAT_NS
    if "stage" in cases.columns:
        finished &= ~_open_mask(cases["stage"])
    judged = finished & (deadline_ns != NAT_NS)
    frame = pd.DataFrame(
        {
            "section": cases["section"].astype(object).to_numpy(),
            "pk_nip": cases["pk_nip"].astype(object).to_numpy(),
            "pk_name": (
                cases["pk_name"].astype(object).to_numpy()
                if "pk_name" in cases.columns
                else cases["pk_nip"].astype(object).to_numpy()
            ),
            "finished": finished,
            "on_time": judged & (finished_ns <= deadline_ns),
            "late": judged & (finished_ns > deadline_ns),
        }
    )
    frame = frame[frame["finished"]]

    by_section: dict[str, dict[str, Any]] = {}
    section_order = [s for s in SECTION_LABELS if s in set(frame["section"])]
    section_order += sorted({str(s) for s in frame["section"].dropna()} - set(section_order))
    for code in section_order:
        part = frame[frame["section"] == code]
        by_section[code] = {
            "section": code,
            "label": SECTION_NAMES.get(code, code),
            **_counts(part["finished"], part["on_time"], part["late"]),
        }

    by_pk: dict[str, dict[str, Any]] = {}
    for nip, part in frame.groupby(frame["pk_nip"].fillna("-").astype(str), sort=False):
        names = part["pk_name"].dropna()
        sections = part["section"].dropna()
        by_pk[str(nip)] = {
            "pk_nip": str(nip),
            "pk_name": str(names.iloc[0]) if len(names) else str(nip),
            "section": str(sections.mode().iloc[0]) if len(sections) else None,
            **_counts(part["finished"], part["on_time"], part["late"]),
        }
    by_pk = dict(sorted(by_pk.items(), key=lambda kv: (kv[1]["pk_name"].casefold(), kv[0])))
    return {
        "total": _counts(frame["finished"], frame["on_time"], frame["late"]),
        "by_section": by_section,
        "by_pk": by_pk,
    }


def _percent_id(rate: float | None) -> str:
    return "-" if rate is None else f"{round(rate * 100)}%"


def render_on_time_chart(report: Mapping[str, Any], period: str | None = None) -> bytes:
    """A PNG of the on-time report: on-time and late Litmas per section and per PK.

    Uses the Agg canvas directly on a ``Figure`` (no pyplot state), so it is safe in worker
    processes and threads without a display.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    sections = list(report.get("by_section", {}).values())
    pks = list(report.get("by_pk", {}).values())
    title = "Ketepatan Waktu Penyelesaian Litmas"
    if period:
        title = f"{title} - {period}"

    rows = max(len(pks), 2)
    fig = Figure(figsize=(11, 1.8 + 0.42 * rows), dpi=100)
    FigureCanvasAgg(fig)
    fig.suptitle(title, fontsize=13, fontweight="bold")
    if not sections and not pks:
        ax = fig.add_subplot(1, 1, 1)
        ax.axis("off")
        ax.text(0.5, 0.5, "Belum ada Litmas yang selesai pada periode ini.",
                ha="center", va="center", fontsize=12)
    else:
        ax_sec, ax_pk = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.6]})
        _stacked_bars(ax_sec, [s["label"] for s in sections], sections)
        ax_sec.set_title("Per Seksi")
        ax_sec.set_ylabel("Seksi")
        _stacked_bars(ax_pk, [p["pk_name"] for p in pks], pks)
        ax_pk.set_title("Per Pembimbing Kemasyarakatan (PK)")
        ax_pk.set_ylabel("Pembimbing Kemasyarakatan")
        ax_pk.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _stacked_bars(ax: Any, labels: list[str], rows: list[Mapping[str, Any]]) -> None:
    positions = np.arange(len(rows))
    on_time = np.array([r["on_time"] for r in rows], dtype=float)
    late = np.array([r["late"] for r in rows], dtype=float)
    ax.barh(positions, on_time, color="#2e7d32", label="Tepat waktu")
    ax.barh(positions, late, left=on_time, color="#c62828", label="Terlambat")
    ax.set_yticks(positions, labels=labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("Jumlah Litmas selesai")
    ax.xaxis.get_major_locator().set_params(integer=True)
    for y, row in zip(positions, rows, strict=True):
        ax.text(row["on_time"] + row["late"], y, f"  {_percent_id(row['on_time_rate'])}",
                va="center", fontsize=8)
    ax.margins(x=0.15)


# --------------------------------------------------------------------------------------------
# Durations in Indonesian


def format_duration_id(td: timedelta | pd.Timedelta | np.timedelta64 | None) -> str:
    """A time left as staff read it: "2 hari 3 jam", "45 menit", or "terlambat 5 jam".

    Shows the largest unit and the next one when it is not zero, rounded down (a reminder
    never promises more time than there is). No value gives "-".
    """
    if td is None or pd.isna(td):
        return "-"
    value = pd.Timedelta(td)
    late = value < pd.Timedelta(0)
    minutes = int(abs(value).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        text = f"{days} hari" + (f" {hours} jam" if hours else "")
    elif hours:
        text = f"{hours} jam" + (f" {mins} menit" if mins else "")
    elif mins:
        text = f"{mins} menit"
    else:
        text = "kurang dari 1 menit"
    return f"terlambat {text}" if late else text


__all__ = [
    "CATEGORIES",
    "CLOCKS",
    "DeadlineRule",
    "Eligibility",
    "FINISHED_STAGES",
    "LITMAS_TYPES",
    "NoMatchingRuleError",
    "OPEN_STAGES",
    "RuleTableError",
    "SECTION_FOR_CATEGORY",
    "SECTION_LABELS",
    "SECTION_NAMES",
    "SECTION_ROLES",
    "STAGE_LABELS",
    "Stage",
    "accountability_due",
    "clock_start",
    "compute_deadline",
    "format_duration_id",
    "highest_reminder_sent",
    "is_open_stage",
    "load_rules",
    "match_rule",
    "on_time_report",
    "overdue_frame",
    "parse_rule",
    "render_on_time_chart",
    "suggest_pk",
    "sppd_eligibility",
]

"""How well the human steps of the SOPs are carried out: plain pandas over step records.

One row per human step (a form request), whatever the SOP: when it was opened, when it was
due, when (if ever) it was answered, and what happened on the way (a reminder, an escalation,
a stand-in, a hand-over, a default applied at expiry). From these rows come the figures the
decree's third clause asks for: answered on time, late or never; how long people take against
the time they were given; how often the system had to remind, escalate or hand over.

No Airflow, no database: :mod:`bapas_sop.kinerja.records` builds the frame from the store and
the tests build it by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd

#: The columns of a step frame (see :func:`empty_steps`).
STEP_COLUMNS: tuple[str, ...] = (
    "sop", "dag_id", "run_id", "step", "role", "assignee_nip", "section",
    "created_at", "due_at", "answered_at", "status",
    "reminded", "escalated", "substituted", "handed_over", "defaulted",
)

#: What became of a step, and how the pages name it.
OUTCOMES: dict[str, str] = {
    "tepat_waktu": "Dijawab tepat waktu",
    "terlambat": "Dijawab terlambat",
    "tidak_dijawab": "Tidak dijawab (kedaluwarsa)",
    "terbuka": "Masih menunggu",
    "terbuka_lewat": "Menunggu, lewat batas waktu",
}
#: Outcomes of a step that is over: the on-time rate is taken over these.
CLOSED_OUTCOMES: tuple[str, ...] = ("tepat_waktu", "terlambat", "tidak_dijawab")

_TIME_COLUMNS = ("created_at", "due_at", "answered_at")
_FLAG_COLUMNS = ("reminded", "escalated", "substituted", "handed_over", "defaulted")


def empty_steps() -> pd.DataFrame:
    """A step frame with no rows and the right types."""
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in STEP_COLUMNS})
    return normalise(frame)


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Give a step frame its types: aware UTC times, boolean flags, text ids."""
    missing = [c for c in STEP_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"step records lack columns: {', '.join(missing)}")
    out = frame.loc[:, list(STEP_COLUMNS)].copy()
    for column in _TIME_COLUMNS:
        out[column] = pd.to_datetime(out[column], utc=True)
    for column in _FLAG_COLUMNS:
        out[column] = out[column].fillna(False).astype(bool)
    return out


def classify(frame: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """Add ``outcome`` (a key of :data:`OUTCOMES`), ``answer_hours``, ``allowed_hours`` and
    ``answer_ratio`` (time taken over time given) to a step frame."""
    out = normalise(frame)
    now_ts = pd.Timestamp(now).tz_convert("UTC")
    answered = out["status"].eq("answered") & out["answered_at"].notna()
    expired = out["status"].eq("expired")
    late = answered & (out["answered_at"] > out["due_at"])
    overdue_open = ~answered & ~expired & (out["due_at"] < now_ts)
    out["outcome"] = np.select(
        [answered & ~late, late, expired, overdue_open],
        ["tepat_waktu", "terlambat", "tidak_dijawab", "terbuka_lewat"],
        default="terbuka",
    )
    hour = pd.Timedelta(hours=1)
    out["answer_hours"] = ((out["answered_at"] - out["created_at"]) / hour).where(answered)
    out["allowed_hours"] = (out["due_at"] - out["created_at"]) / hour
    allowed = out["allowed_hours"].where(out["allowed_hours"] > 0)
    out["answer_ratio"] = out["answer_hours"] / allowed
    return out


def add_period(frame: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Add ``period`` (``2026-11`` for ``freq="M"``, ``2026-Q4`` for ``"Q"``), in WIB, by when the step opened."""
    if freq not in ("M", "Q"):
        raise ValueError("freq is 'M' (month) or 'Q' (quarter)")
    local = frame["created_at"].dt.tz_convert("Asia/Jakarta").dt.tz_localize(None)
    out = frame.copy()
    periods = local.dt.to_period(freq).astype(str)
    out["period"] = periods.str.replace("Q", "-Q", regex=False) if freq == "Q" else periods
    return out


def summarise(classified: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """The figures of each group of a classified frame (see :func:`classify`).

    Per group: ``steps``, one count per outcome, ``on_time_rate`` (on time over closed steps),
    ``median_hours`` / ``p90_hours`` (time to answer, answered steps), ``median_allowed_hours``,
    ``median_ratio`` / ``p90_ratio`` (time taken over time given), ``reminders``,
    ``escalations``, ``substitutions``, ``handovers``, ``defaults``, ``runs`` (distinct runs
    that had a step in the group) and ``runs_open`` (of those, runs with a step still waiting).
    """
    keys = list(by)
    if classified.empty:
        columns = [*keys, "steps", *OUTCOMES, "on_time_rate", "median_hours", "p90_hours",
                   "median_allowed_hours", "median_ratio", "p90_ratio", "reminders", "escalations",
                   "substitutions", "handovers", "defaults", "runs", "runs_open"]
        return pd.DataFrame(columns=columns)
    work = classified.assign(is_open=classified["outcome"].isin(("terbuka", "terbuka_lewat")))
    # A step of someone no longer in the directory has no section: it is counted under "-".
    work[keys] = work[keys].astype(object).where(work[keys].notna(), "-")
    flag_columns = ["reminded", "escalated", "substituted", "handed_over", "defaulted"]
    work[flag_columns] = work[flag_columns].astype("int32")  # summed in C, not as Python bools
    grouped = work.groupby(keys, sort=True, dropna=False)
    counts = (work.groupby([*keys, "outcome"], sort=False).size()
              .unstack("outcome", fill_value=0).reindex(columns=list(OUTCOMES), fill_value=0))
    out = pd.DataFrame({"steps": grouped.size()})
    out = out.join(counts)
    closed = out[list(CLOSED_OUTCOMES)].sum(axis=1)
    out["on_time_rate"] = (out["tepat_waktu"] / closed).where(closed > 0)
    out["median_hours"] = grouped["answer_hours"].median()
    out["p90_hours"] = grouped["answer_hours"].quantile(0.9)
    out["median_allowed_hours"] = grouped["allowed_hours"].median()
    out["median_ratio"] = grouped["answer_ratio"].median()
    out["p90_ratio"] = grouped["answer_ratio"].quantile(0.9)
    flags = grouped[flag_columns].sum()
    out = out.join(flags.rename(columns={"reminded": "reminders", "escalated": "escalations",
                                         "substituted": "substitutions", "handed_over": "handovers",
                                         "defaulted": "defaults"}))
    # Distinct runs: one group per (keys, dag, run), counted per keys.
    out["runs"] = work.groupby([*keys, "dag_id", "run_id"]).size().groupby(level=list(range(len(keys)))).size()
    open_runs = work[work["is_open"]].groupby([*keys, "dag_id", "run_id"]).size()
    out["runs_open"] = open_runs.groupby(level=list(range(len(keys)))).size() if len(open_runs) else 0
    out["runs_open"] = out["runs_open"].fillna(0).astype(int)
    for column in ("steps", *OUTCOMES, "reminders", "escalations", "substitutions", "handovers", "defaults", "runs"):
        out[column] = out[column].astype(int)
    return out.reset_index()


def trend(classified: pd.DataFrame, *, by: str, months: Sequence[str]) -> pd.DataFrame:
    """On-time rate per ``by`` (rows) and month (columns, ``2026-06`` ...), NaN where nothing closed."""
    monthly = summarise(add_period(classified, "M"), [by, "period"])
    if monthly.empty:
        return pd.DataFrame(index=pd.Index([], name=by), columns=list(months), dtype=float)
    table = monthly.pivot(index=by, columns="period", values="on_time_rate")
    return table.reindex(columns=list(months)).astype(float)


def last_months(now: datetime, count: int = 6) -> list[str]:
    """``count`` month keys ending with the month of ``now`` (WIB), oldest first."""
    current = pd.Timestamp(now).tz_convert("Asia/Jakarta").tz_localize(None).to_period("M")
    return [str(current - offset) for offset in range(count - 1, -1, -1)]


__all__ = [
    "CLOSED_OUTCOMES",
    "OUTCOMES",
    "STEP_COLUMNS",
    "add_period",
    "classify",
    "empty_steps",
    "last_months",
    "normalise",
    "summarise",
    "trend",
]

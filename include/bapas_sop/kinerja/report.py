"""The SOP performance view: one context for the admin page and the PDF reports.

``kinerja_context(period)`` gathers, for a month or a quarter:

* per SOP: runs with a human step (started, finished, still open), the steps' outcomes, time
  to answer against the time given, reminders, escalations, stand-ins and hand-overs, and the
  SOP's own outcome figures (its descriptor's ``figures``);
* the same step figures per role and per person (optionally only one section), and the
  on-time trend of the last six months as a chart;
* the public's satisfaction (SKM) per service, with the elements that need follow-up.

The monthly PDF goes to the Kabapas, the quarterly one to the regional office
(``[kinerja]`` in ``bapas.toml``), both by :func:`send_report`.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from bapas_sop import audit
from bapas_sop.calendar import WIB, to_wib, wib_date
from bapas_sop.descriptor import Figure, discover, load
from bapas_sop.directory import ROLE_TITLES, SECTIONS, get_directory
from bapas_sop.documents import number_id, percent_id, png_data_uri, render_pdf
from bapas_sop.kinerja import skm as skm_rules
from bapas_sop.kinerja import steps as step_rules
from bapas_sop.kinerja.records import OTHER_SOP, step_records
from bapas_sop.kinerja.survey import responses_frame
from bapas_sop.mail.outbox import mailing
from bapas_sop.settings import get_settings
from bapas_sop.store.models import utcnow
from bapas_sop.textid import MONTHS, format_datetime_id

log = logging.getLogger(__name__)

ACTOR = "system:kinerja"
TREND_MONTHS = 6
QUARTER_NAMES = ("I", "II", "III", "IV")
_PERIOD = re.compile(r"^(\d{4})-(?:(0[1-9]|1[0-2])|Q([1-4]))$")


@dataclass(frozen=True)
class Period:
    """A month (``2026-11``) or a quarter (``2026-Q4``) in WIB, as ``[start, end)``."""

    key: str
    label: str
    start: datetime
    end: datetime

    @property
    def is_quarter(self) -> bool:
        return "Q" in self.key

    @property
    def last_day(self) -> date:
        return wib_date(self.end) - pd.Timedelta(days=1)


def month_period(year: int, month: int) -> Period:
    start = datetime(year, month, 1, tzinfo=WIB)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=WIB)
    return Period(f"{year:04d}-{month:02d}", f"{MONTHS[month - 1]} {year}", start, end)


def quarter_period(year: int, quarter: int) -> Period:
    first = 3 * (quarter - 1) + 1
    start = datetime(year, first, 1, tzinfo=WIB)
    end = datetime(year + (quarter == 4), (first + 2) % 12 + 1, 1, tzinfo=WIB)
    return Period(f"{year:04d}-Q{quarter}", f"Triwulan {QUARTER_NAMES[quarter - 1]} {year}", start, end)


def parse_period(text: str) -> Period:
    """``2026-11`` or ``2026-Q4``; a ValueError names the expected form in Indonesian."""
    match = _PERIOD.match(text.strip())
    if not match or not 2000 <= int(match.group(1)) <= 2100:
        raise ValueError("Periode ditulis TTTT-BB (mis. 2026-11) atau TTTT-QN (mis. 2026-Q4).")
    year = int(match.group(1))
    return month_period(year, int(match.group(2))) if match.group(2) else quarter_period(year, int(match.group(3)))


def previous_month(day: date | datetime) -> Period:
    current = wib_date(day) if isinstance(day, datetime) else day
    return month_period(current.year - 1, 12) if current.month == 1 else month_period(current.year, current.month - 1)


def previous_quarter(day: date | datetime) -> Period:
    current = wib_date(day) if isinstance(day, datetime) else day
    quarter = (current.month - 1) // 3 + 1
    return quarter_period(current.year - 1, 4) if quarter == 1 else quarter_period(current.year, quarter - 1)


def current_month(now: datetime | None = None) -> Period:
    today = wib_date(now or utcnow())
    return month_period(today.year, today.month)


# --------------------------------------------------------------------------- the context


def kinerja_context(period: Period, *, now: datetime | None = None, section: str | None = None,
                    person: str | None = None) -> dict[str, Any]:
    """Everything the page and the PDF show for ``period`` (see the module's docstring)."""
    now = now or utcnow()
    months = step_rules.last_months(period.end - pd.Timedelta(seconds=1), TREND_MONTHS)
    trend_start = datetime.strptime(months[0], "%Y-%m").replace(tzinfo=WIB)
    since = min(trend_start, period.start)
    steps = step_rules.classify(step_records(since, period.end), now)
    directory = get_directory()
    names = {p.nip: p.name for p in directory.people}
    if section:
        steps = steps[steps["section"] == section]
    if person:
        steps = steps[steps["assignee_nip"] == person]
    created = steps["created_at"]
    in_period = steps[(created >= pd.Timestamp(period.start)) & (created < pd.Timestamp(period.end))]

    descriptors = discover()
    titles = {d.id: d.title for d in descriptors}
    per_sop = step_rules.summarise(in_period, ["sop"]).set_index("sop") if not in_period.empty else None
    sops = []
    for descriptor in descriptors:
        row = per_sop.loc[descriptor.id].to_dict() if per_sop is not None and descriptor.id in per_sop.index else None
        sops.append({
            "id": descriptor.id,
            "title": descriptor.title,
            "steps": _step_view(row),
            # A section or person view shows step figures only: outcome figures are the office's.
            "outcomes": _outcomes(descriptor, period) if not (section or person) else None,
        })
    if per_sop is not None and OTHER_SOP in per_sop.index:
        sops.append({"id": OTHER_SOP, "title": "Lainnya", "steps": _step_view(per_sop.loc[OTHER_SOP].to_dict()),
                     "outcomes": None})

    by_role = [
        {"key": r["role"], "title": ROLE_TITLES.get(r["role"], r["role"]), **_step_view(r)}
        for r in step_rules.summarise(in_period, ["role"]).to_dict("records")
    ]
    by_person = sorted(
        (
            {"key": r["assignee_nip"], "title": names.get(r["assignee_nip"], r["assignee_nip"] or "-"),
             "section": SECTIONS.get(r["section"], r["section"] or "-"), **_step_view(r)}
            for r in step_rules.summarise(in_period, ["assignee_nip", "section"]).to_dict("records")
        ),
        key=lambda r: (r["rate"] is None, r["rate"] if r["rate"] is not None else 0, r["title"]),
    )
    trend = step_rules.trend(steps, by="sop", months=months)
    trend_rows = [
        {"title": titles.get(sop_id, sop_id), "rates": [percent_id(None if pd.isna(v) else float(v)) for v in values]}
        for sop_id, values in trend.iterrows()
    ]
    total = _step_view(step_rules.summarise(in_period.assign(all="all"), ["all"]).iloc[0].to_dict()
                       if not in_period.empty else None)
    return {
        "title": f"Laporan Kinerja SOP Inovasi {period.label}",
        "period": period,
        "section": section,
        "section_title": SECTIONS.get(section or "", None),
        "person": person,
        "person_title": names.get(person or "", None),
        "total": total,
        "sops": sops,
        "by_role": by_role,
        "by_person": by_person,
        "months": [_month_label(m) for m in months],
        "trend_rows": trend_rows,
        "trend_chart": png_data_uri(trend_chart(trend, titles, months)),
        "skm": skm_context(period),
        "generated": format_datetime_id(to_wib(now)),
        "outcome_labels": step_rules.OUTCOMES,
    }


def _step_view(row: dict[str, Any] | None) -> dict[str, Any]:
    """One summary row as the page prints it (Indonesian numbers, hours, percentages)."""
    if row is None:
        return {"steps": 0, "rate": None, "rate_text": "-", "empty": True}
    runs, runs_open = int(row["runs"]), int(row["runs_open"])
    return {
        "empty": False,
        "steps": int(row["steps"]),
        "runs": runs,
        "runs_finished": runs - runs_open,
        "runs_open": runs_open,
        **{key: int(row[key]) for key in step_rules.OUTCOMES},
        "rate": None if pd.isna(row["on_time_rate"]) else float(row["on_time_rate"]),
        "rate_text": percent_id(None if pd.isna(row["on_time_rate"]) else float(row["on_time_rate"])),
        "median_hours": _hours(row["median_hours"]),
        "p90_hours": _hours(row["p90_hours"]),
        "allowed_hours": _hours(row["median_allowed_hours"]),
        "median_ratio": percent_id(None if pd.isna(row["median_ratio"]) else float(row["median_ratio"]), 0),
        "p90_ratio": percent_id(None if pd.isna(row["p90_ratio"]) else float(row["p90_ratio"]), 0),
        "reminders": int(row["reminders"]),
        "escalations": int(row["escalations"]),
        "substitutions": int(row["substitutions"]),
        "handovers": int(row["handovers"]),
        "defaults": int(row["defaults"]),
    }


def _hours(value: Any) -> str:
    if value is None or pd.isna(value):
        return "-"
    return f"{number_id(round(float(value), 1))} jam"


def _month_label(key: str) -> str:
    year, month = key.split("-")
    return f"{MONTHS[int(month) - 1][:3]} {year}"


def _outcomes(descriptor: Any, period: Period) -> list[Figure] | None:
    """The SOP's own figures; one SOP whose figures fail never hides the others'."""
    if not descriptor.figures:
        return None
    try:
        return list(load(descriptor.figures)(period.start, period.end))
    except Exception:  # noqa: BLE001 - shown as "tidak tersedia" and logged
        log.exception("outcome figures of %s failed", descriptor.id)
        return [Figure("Angka capaian", "tidak tersedia (lihat log)")]


def skm_context(period: Period) -> dict[str, Any]:
    """The SKM of the period per service and for the office, with the comments."""
    answers = responses_frame(wib_date(period.start).isoformat(), period.last_day.isoformat())
    titles = {d.id: d.title for d in discover()}
    services = []
    for service, part in answers.groupby("service", sort=True):
        services.append({"title": titles.get(service, service), "result": skm_rules.skm_index(part)})
    comments = [c for c in answers["comment"].dropna().tolist() if str(c).strip()]
    return {
        "elements": skm_rules.ELEMENTS,
        "office": skm_rules.skm_index(answers) if not answers.empty else None,
        "services": services,
        "comments": comments,
        "respondents": int(len(answers)),
    }


# --------------------------------------------------------------------------- the chart


def trend_chart(trend: pd.DataFrame, titles: dict[str, str], months: Sequence[str]) -> bytes:
    """A PNG line chart: the on-time rate of each SOP's human steps over the last months."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as PlotFigure

    fig = PlotFigure(figsize=(9, 3.6), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    labels = [_month_label(m) for m in months]
    plotted = 0
    for sop_id, values in trend.iterrows():
        series = values.astype(float) * 100
        if series.notna().any():
            ax.plot(labels, series.to_numpy(), marker="o", label=titles.get(sop_id, sop_id))
            plotted += 1
    if not plotted:
        ax.text(0.5, 0.5, "Belum ada langkah yang selesai pada enam bulan terakhir.", ha="center", va="center",
                transform=ax.transAxes)
    ax.set_ylim(0, 105)
    ax.set_ylabel("Dijawab tepat waktu (%)")
    ax.set_title("Ketepatan waktu langkah manusia per SOP, enam bulan terakhir")
    ax.grid(True, alpha=0.3)
    if plotted:
        ax.legend(fontsize=8, loc="lower left", ncol=3)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


# --------------------------------------------------------------------------- the reports


def report_pdf(period: Period, *, now: datetime | None = None) -> bytes:
    return render_pdf("laporan_kinerja", kinerja_context(period, now=now))


def regional_office() -> dict[str, str]:
    """Who receives the quarterly report: ``[kinerja]`` in bapas.toml (title, address, email)."""
    config = get_settings().config.get("kinerja", {})
    office = get_settings().office
    return {
        "title": str(config.get("kanwil_kepada") or f"Kepala {office.get('regional_office', 'Kantor Wilayah')}"),
        "address": str(config.get("kanwil_alamat") or ""),
        "email": str(config.get("kanwil_email") or ""),
    }


def send_report(period: Period, *, now: datetime | None = None) -> str | None:
    """Queue the report of ``period`` with its PDF: a month to the (acting) Kabapas, a quarter to
    the regional office. Keyed by period and recipient: a retry queues nothing twice.
    Returns the outbox key, or None when the quarterly recipient has no address configured."""
    context = kinerja_context(period, now=now)
    if period.is_quarter:
        recipient = regional_office()
        if not recipient["email"]:
            log.warning("[kinerja] kanwil_email is empty: the quarterly report is not sent")
            return None
        to, name, replaced, who = recipient["email"], recipient["title"], None, "kanwil"
    else:
        directory = get_directory()
        assignment = directory.assignment_for(directory.one("kabapas"))
        to, name = assignment.person.email, assignment.person.name
        replaced = assignment.original.name if assignment.original else None
        who = assignment.person.nip
    key = f"kinerja/laporan/{period.key}/{'kanwil' if period.is_quarter else 'kabapas'}"
    total = context["total"]
    summary = [
        ["Periode", period.label],
        ["Langkah manusia", str(total["steps"])],
        ["Dijawab tepat waktu", total["rate_text"]],
        ["Responden survei kepuasan", str(context["skm"]["respondents"])],
    ]
    if context["skm"]["office"] is not None and context["skm"]["office"].index is not None:
        office_skm = context["skm"]["office"]
        summary.append(["Indeks Kepuasan Masyarakat", f"{number_id(round(office_skm.index, 2))} ({office_skm.grade})"])
    with mailing() as batch:
        batch.email(
            key=key,
            to=to,
            template="laporan_kinerja",
            context={"name": name, "period": period.label, "facts": summary, "replaced_name": replaced,
                     "quarterly": period.is_quarter},
            attachments=lambda: {f"laporan-kinerja-sop-{period.key}.pdf": render_pdf("laporan_kinerja", context)},
        )
        if batch.is_new(key):
            audit.record(batch.session, actor=ACTOR, action="kinerja_report", subject=key, to=who,
                         period=period.key, steps=total["steps"])
    return key


__all__ = [
    "Period",
    "current_month",
    "kinerja_context",
    "month_period",
    "parse_period",
    "previous_month",
    "previous_quarter",
    "quarter_period",
    "regional_office",
    "report_pdf",
    "send_report",
    "skm_context",
    "trend_chart",
]

"""Watching Yanpatmas's deadlines: the admin list, reminders before a deadline, escalation to
the Kepala Bapas after it, and the monthly report.

Each open complaint has up to three pending deadlines (completeness check, first answer,
resolution). The hourly ``yanpatmas_pemantauan`` reminds whoever the complaint waits on
``[yanpatmas] pengingat_jam_sebelum`` hours before a deadline and tells the Kepala Bapas once
it has passed; each reminder and escalation is stamped on the complaint and keyed in the
outbox, so a second pass sends nothing twice. Every email names the ticket and the deadline,
never the contents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bapas_sop.calendar import WIB, to_wib
from bapas_sop.directory import get_directory
from bapas_sop.documents import png_data_uri, render_pdf
from bapas_sop.humantask import team_lead
from bapas_sop.mail.outbox import mailing
from bapas_sop.settings import get_settings
from bapas_sop.sops.yanpatmas import rules, service
from bapas_sop.sops.yanpatmas.models import Complaint
from bapas_sop.store.models import utcnow
from bapas_sop.textid import format_datetime_id

#: Who a pending deadline waits on (a role), by deadline key.
WAITS_ON = {"kelengkapan": "ulp", "tanggapan_pertama": "kabapas", "penyelesaian": "kabapas"}
LABELS = {"kelengkapan": "Pemeriksaan kelengkapan", "tanggapan_pertama": "Tanggapan pertama kepada pelapor",
          "penyelesaian": "Penyelesaian pengaduan"}


def pending(c: Complaint) -> list[tuple[str, datetime]]:
    """The deadlines of ``c`` still to be met, soonest first."""
    found = []
    if c.checked_at is None:
        found.append(("kelengkapan", c.completeness_due))
    if c.first_answer_at is None:
        found.append(("tanggapan_pertama", c.first_answer_due))
    if c.resolution_due is not None and c.result_sent_at is None:
        found.append(("penyelesaian", c.resolution_due))
    return sorted(found, key=lambda item: item[1])


def _left(due: datetime, now: datetime) -> str:
    seconds = (due - now).total_seconds()
    days, rest = divmod(abs(int(seconds)), 86400)
    text = f"{days} hari {rest // 3600} jam" if days else f"{rest // 3600} jam"
    return f"lewat {text}" if seconds < 0 else text


def open_rows(now: datetime) -> list[dict[str, Any]]:
    """The admin list: ticket, channel, stage, next deadline, time left, overdue first."""
    rows = []
    for c in service.open_complaints():
        due = pending(c)
        key, when = due[0] if due else (None, None)
        rows.append({
            "ticket": c.ticket, "channel": rules.CHANNELS.get(c.channel, c.channel),
            "stage": c.stage.replace("_", " "), "received": format_datetime_id(c.received_at),
            "deadline_label": LABELS.get(key or "", "-"), "deadline": format_datetime_id(when) if when else "-",
            "left": _left(when, now) if when else "-", "overdue": bool(when and when < now),
            "sort": (0 if when and when < now else 1, when or datetime.max.replace(tzinfo=WIB)),
        })
    return sorted(rows, key=lambda r: r["sort"])


@dataclass
class CheckResult:
    reminded: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"reminded": self.reminded, "escalated": self.escalated}


def check_deadlines(now: datetime | None = None) -> CheckResult:
    """Remind before each pending deadline, escalate to the Kepala Bapas after it; once each."""
    now = now or utcnow()
    before = timedelta(hours=float(get_settings().config.get("yanpatmas", {}).get("pengingat_jam_sebelum", 24)))
    directory = get_directory()
    kabapas = directory.acting_for(directory.one("kabapas"))
    result = CheckResult()
    for c in service.open_complaints():
        for key, due in pending(c):
            stamps = dict(c.reminders or {})
            if now >= due and f"{key}:eskalasi" not in stamps:
                _notify(c, key, due, kabapas, "eskalasi", f"Terlambat: {LABELS[key].lower()} pengaduan {c.ticket}", [
                    f"Batas waktu {LABELS[key].lower()} pengaduan {c.ticket} sudah lewat ({format_datetime_id(due)}).",
                    "Mohon pastikan pengaduan ini segera ditindaklanjuti.",
                ])
                result.escalated.append(f"{c.ticket}:{key}")
            elif due - before <= now < due and f"{key}:pengingat" not in stamps:
                person = directory.acting_for(team_lead(directory, WAITS_ON[key]))
                _notify(c, key, due, person, "pengingat", f"Pengingat: {LABELS[key].lower()} pengaduan {c.ticket}", [
                    f"Batas waktu {LABELS[key].lower()} pengaduan {c.ticket} jatuh pada {format_datetime_id(due)}.",
                    "Mohon selesaikan langkah Anda melalui tautan pribadi pada email permintaan sebelumnya.",
                ])
                result.reminded.append(f"{c.ticket}:{key}")
    return result


def _notify(c: Complaint, key: str, due: datetime, person: Any, kind: str, subject: str, paragraphs: list[str]) -> None:
    with mailing() as batch:
        batch.email(key=f"yanpatmas/{c.ticket}/{kind}/{key}/{person.nip}", to=person.email, template="generic",
                    context={"subject": subject, "greeting": f"Yth. {person.name},", "paragraphs": paragraphs,
                             "facts": [["Nomor tiket", c.ticket], [LABELS[key], format_datetime_id(due)]]})
        complaint = service.locked(batch.session, c.ticket)
        complaint.reminders = {**(complaint.reminders or {}), f"{key}:{kind}": utcnow().isoformat()}


# --------------------------------------------------------------------------------------------
# Monthly report


def previous_month(moment: datetime) -> tuple[int, int]:
    first = to_wib(moment).date().replace(day=1)
    last = first - timedelta(days=1)
    return last.year, last.month


def handled_on_time(c: Complaint) -> bool | None:
    """Met every deadline it had (None while open)."""
    if c.stage not in rules.FINAL_STAGES and c.result_sent_at is None:
        return None
    checks = [rules.on_time(c.first_answer_at or c.closed_at, c.first_answer_due)]
    if c.resolution_due is not None:
        checks.append(rules.on_time(c.result_sent_at or c.closed_at, c.resolution_due))
    return all(bool(x) for x in checks)


def monthly_report(year: int, month: int) -> tuple[dict[str, Any], bytes]:
    """The month's figures and its PDF (complaints received in the month, WIB)."""
    start = datetime(year, month, 1, tzinfo=WIB)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=WIB)
    complaints = service.received_between(start, end)
    figures = rules.monthly_figures(
        ({"ticket": c.ticket, "category": c.category, "channel": c.channel, "stage": c.stage, "on_time": handled_on_time(c)}
         for c in complaints), rules.categories())
    chart = _chart(figures["by_channel"]) if figures["total"] else None
    month_name = date(year, month, 1)
    pdf = render_pdf("yanpatmas/laporan_bulanan", {
        "title": f"Laporan Bulanan Yanpatmas {year:04d}-{month:02d}", "month": month_name, "figures": figures,
        "chart": png_data_uri(chart) if chart else None,
        "rows": [{"ticket": c.ticket, "channel": rules.CHANNELS.get(c.channel, c.channel),
                  "category": rules.categories().get(c.category or "", "-"), "stage": c.stage.replace("_", " "),
                  "on_time": handled_on_time(c)} for c in complaints],
    })
    return figures, pdf


def _chart(by_channel: list[tuple[str, int]]) -> bytes:
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 2.6), dpi=110)
    labels, counts = zip(*by_channel, strict=True)
    ax.barh(labels, counts, color="#15803d")
    ax.set_xlabel("Jumlah pengaduan")
    ax.set_title("Pengaduan menurut saluran")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def send_monthly_report(year: int, month: int) -> dict[str, Any]:
    figures, pdf = monthly_report(year, month)
    directory = get_directory()
    kabapas = directory.acting_for(directory.one("kabapas"))
    rate = figures["on_time_rate"]
    with mailing() as batch:
        batch.email(key=f"yanpatmas/laporan_bulanan/{year:04d}-{month:02d}/{kabapas.nip}", to=kabapas.email,
                    template="generic", attachments={f"Laporan-Yanpatmas-{year:04d}-{month:02d}.pdf": pdf},
                    context={"subject": f"Laporan bulanan Yanpatmas {month:02d}/{year:04d}",
                             "greeting": f"Yth. {kabapas.name},",
                             "paragraphs": ["Terlampir laporan bulanan layanan pengaduan masyarakat: jumlah menurut "
                                            "kategori dan saluran, serta ketepatan waktu penanganan."],
                             "facts": [["Pengaduan diterima", str(figures["total"])],
                                       ["Selesai", str(figures["resolved"])],
                                       ["Tepat waktu", "-" if rate is None else f"{rate * 100:.0f}%".replace(".", ",")]]})
    return {"total": figures["total"], "resolved": figures["resolved"]}

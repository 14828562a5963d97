"""Yanpatmas's outcome figures for the SOP performance view: tickets and stages only.

Complaints received in the period, by channel and by category, and how many of those already
ended met every deadline they had (completeness, first answer, resolution). No name, contact or
complaint text leaves this module.
"""

from __future__ import annotations

from datetime import datetime

from bapas_sop.descriptor import Figure
from bapas_sop.sops.yanpatmas import rules, service
from bapas_sop.sops.yanpatmas.monitor import handled_on_time


def figures(start: datetime, end: datetime) -> list[Figure]:
    complaints = service.received_between(start, end)
    summary = rules.monthly_figures(
        ({"ticket": c.ticket, "category": c.category, "channel": c.channel, "stage": c.stage,
          "on_time": handled_on_time(c)} for c in complaints),
        rules.categories(),
    )
    return [
        Figure.count("Pengaduan diterima (per saluran)", summary["total"],
                     tuple((label, str(n)) for label, n in summary["by_channel"])),
        Figure.count("Pengaduan per kategori", summary["total"],
                     tuple((label, str(n)) for label, n in summary["by_category"])),
        Figure.share("Pengaduan selesai dalam batas waktu", summary["on_time"], summary["resolved"]),
        Figure.count("Pengaduan masih ditangani", summary["open"]),
    ]

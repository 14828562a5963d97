"""Benchmark of the SP2LO monthly report PDF (``bapas_sop.sops.sp2lo.monitor.monthly_report``).

The report runs once a month in a worker, so it need not be fast, but it must stay well
inside a task's patience and memory as the office grows. This script fills a throw-away
SQLite store with approved Litmas in one month (500 by default, about a third of them
late, spread over the demo PKs), then times the whole report and its parts: the database
read and on-time report (pandas), the chart (matplotlib), the HTML (Jinja2) and the PDF
(WeasyPrint). The first run (font loading, imports) is shown apart from the median.

    .venv/bin/python bench/report_pdf.py [--cases 500] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

YEAR, MONTH = 2026, 11
TARGET_S = 10.0


def _setup(directory: Path) -> None:
    os.environ["BAPAS_VAR_DIR"] = str(directory)
    os.environ["BAPAS_DB_URL"] = f"sqlite:///{directory / 'bapas.db'}"


def fill(cases: int, seed: int = 2026) -> None:
    """Approved Litmas in the month, on time or late, over every PK of the demo directory."""
    from bapas_sop.calendar import WIB
    from bapas_sop.directory import get_directory
    from bapas_sop.sops.sp2lo.models import LitmasCase
    from bapas_sop.store import migrate, session_scope

    migrate()
    rng = random.Random(seed)
    directory = get_directory()
    pks = {section: [p.nip for p in directory.pks_in_section(section, include_on_leave=True)] for section in ("bka", "bkd")}
    start = datetime(YEAR, MONTH, 1, tzinfo=WIB)
    with session_scope() as session:
        for i in range(cases):
            section = rng.choice(("bka", "bkd"))
            approved = start + timedelta(minutes=rng.randrange(0, 29 * 24 * 60))
            late = rng.random() < 0.3
            deadline = approved + timedelta(hours=rng.uniform(1, 72)) * (-1 if late else 1)
            session.add(
                LitmasCase(
                    case_number=f"LITMAS-{YEAR}-{i + 1:05d}",
                    channel="surat",
                    letter_number=f"B-{i + 1}/{YEAR}",
                    letter_date=f"{YEAR}-{MONTH:02d}-01",
                    requester_agency="Polresta Jambi",
                    client_name=f"Klien Uji {i + 1}",
                    client_category="anak" if section == "bka" else "dewasa",
                    litmas_type="sidang_anak" if section == "bka" else "lainnya",
                    received_at=deadline - timedelta(days=3),
                    section=section,
                    pk_nip=rng.choice(pks[section]),
                    deadline_at=deadline,
                    stage="approved",
                    approved_at=approved,
                )
            )


def timed(function: Callable[[], Any], runs: int) -> tuple[float, float, Any]:
    """(first run s, median of the next ``runs`` s, last result)."""
    started = time.perf_counter()
    result = function()
    first = time.perf_counter() - started
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return first, statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bapas-bench-") as tmp:
        _setup(Path(tmp))
        from bapas_sop import documents
        from bapas_sop.sops.sp2lo import rules as sp2lo
        from bapas_sop.sops.sp2lo.monitor import finished_cases_frame, monthly_report, monthly_report_context

        fill(args.cases)
        from io import BytesIO

        from pypdf import PdfReader

        whole = timed(lambda: monthly_report(YEAR, MONTH), args.runs)
        frame = timed(lambda: sp2lo.on_time_report(finished_cases_frame(YEAR, MONTH)), args.runs)
        report = frame[2]
        chart = timed(lambda: sp2lo.render_on_time_chart(report, "November 2026"), args.runs)
        context = monthly_report_context(YEAR, MONTH)
        html = timed(lambda: documents.render_html("sp2lo/laporan_bulanan", context), args.runs)
        pdf = timed(lambda: documents.html_to_pdf(html[2]), args.runs)
        pages = len(PdfReader(BytesIO(whole[2])).pages)

    print(f"SP2LO monthly report, {args.cases} approved Litmas ({report['total']['late']} late), "
          f"{pages} pages, {len(whole[2]) / 1024:.0f} KiB; median of {args.runs} runs after a first one")
    print(f"{'part':<34}{'first (s)':>11}{'median (s)':>12}")
    for label, (first, median, _result) in (
        ("store read + on-time report", frame),
        ("chart (matplotlib PNG)", chart),
        ("HTML (Jinja2)", html),
        ("PDF (WeasyPrint)", pdf),
        ("monthly_report() end to end", whole),
    ):
        print(f"{label:<34}{first:>11.3f}{median:>12.3f}")
    ok = whole[1] < TARGET_S
    print(f"target: end to end under {TARGET_S:.0f} s -> {'OK' if ok else 'TOO SLOW'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""SP2LO monitor against a real database and a real SMTP server: what each person receives.

The store is a throw-away SQLite database, the staff directory a copy of the demo one (so a
test can put someone on leave), and every email goes through the dev SMTP server and is
read back from its Maildir.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from bapas_sop.calendar import WIB
from bapas_sop.mail.devserver import DevSmtp, InboxMessage, find_messages, start_dev_smtp
from bapas_sop.mail.connection import SmtpSettings
from bapas_sop.mail.outbox import FlushResult, flush
from bapas_sop.settings import PROJECT_DIR
from bapas_sop.sops.sp2lo import monitor
from bapas_sop.store.db import session_scope
from bapas_sop.sops.sp2lo.models import LitmasCase
from bapas_sop.store.models import AuditEvent, OutboxMessage

from tests.support.people import BAMBANG, DEDI, KABAPAS, KASUBSI_BKA, KASUBSI_BKD, RINA, YULIANA

PUBLIC_URL = "http://bapas.test/bapas"
NOW = datetime(2026, 11, 16, 10, 0, tzinfo=WIB)  # Monday 10:00 WIB

# The demo staff (tests/support/people.py): BKA PKs Rina and Dedi, BKD PK Bambang, the stand-in of
# Yuliana (on leave); the Kabapas and both Kasubsi get the escalations and reports.

_numbers = count(1)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A copy of the demo data, so that a test may edit the staff list."""
    target = tmp_path / "data"
    shutil.copytree(PROJECT_DIR / "include" / "data", target)
    return target


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[DevSmtp]:
    server = start_dev_smtp("127.0.0.1", 0, tmp_path / "maildir")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def env(tmp_path: Path, data_dir: Path, smtp_server: DevSmtp, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Everything under tmp_path: database, key, data; mail through the dev SMTP server."""
    var = tmp_path / "var"
    monkeypatch.setenv("BAPAS_VAR_DIR", str(var))
    monkeypatch.setenv("BAPAS_DB_URL", f"sqlite:///{var / 'bapas.db'}")
    monkeypatch.setenv("BAPAS_MAILDIR", str(smtp_server.maildir))
    monkeypatch.setenv("BAPAS_DATA_DIR", str(data_dir))
    monkeypatch.setenv("BAPAS_PUBLIC_URL", PUBLIC_URL)
    monkeypatch.setenv("BAPAS_SECRET_KEY", "uji-" + "k" * 60)
    monkeypatch.setenv("BAPAS_MAIL_SENDER", "SOP Bapas Jambi <sop@bapas-jambi.example>")
    monkeypatch.setenv("AIRFLOW_CONN_BAPAS_SMTP", smtp_server.uri + "&timeout=5")
    from bapas_sop.store import migrate

    migrate()
    return var


def set_on_leave(data_dir: Path, nip: str, stand_in_nip: str) -> None:
    """Mark someone on leave (cuti) with a stand-in in the copied staff CSV."""
    path = data_dir / "staff.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    for row in rows:
        if row["nip"] == nip:
            row["cuti"], row["pengganti_nip"] = "ya", stand_in_nip
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


# --------------------------------------------------------------------------- helpers


def add_case(
    *,
    received_at: datetime,
    deadline_at: datetime | None,
    category: str = "dewasa",
    litmas_type: str = "lainnya",
    section: str | None = "bkd",
    pk_nip: str | None = BAMBANG.nip,
    stage: str = "in_research",
    appointed_at: datetime | None = None,
    approved_at: datetime | None = None,
    run_id: str | None = None,
    client: str | None = None,
) -> str:
    """Insert a Litmas case as the SP2LO DAG would have left it; returns its case number."""
    number = f"LITMAS-2026-{next(_numbers):04d}"
    with session_scope() as session:
        session.add(
            LitmasCase(
                case_number=number,
                dag_id="sp2lo" if run_id else None,
                run_id=run_id,
                channel="surat",
                letter_number=f"B-{number}/2026",
                letter_date="2026-11-01",
                requester_agency="Polresta Jambi",
                client_name=client or f"Klien {number[-4:]}",
                client_category=category,
                litmas_type=litmas_type,
                received_at=received_at,
                section=section,
                pk_nip=pk_nip,
                appointed_at=appointed_at,
                deadline_at=deadline_at,
                stage=stage,
                approved_at=approved_at,
            )
        )
    return number


def case_at(fraction: float, *, days: int = 14, now: datetime = NOW, **kwargs: Any) -> str:
    """A receipt-clock case that has used ``fraction`` of its ``days`` at ``now``."""
    span = timedelta(days=days)
    received = now - span * fraction
    return add_case(received_at=received, deadline_at=received + span, **kwargs)


def send(keys: list[str]) -> FlushResult:
    """Flush like the DAG's ``kirim_email`` task, through the ``bapas_smtp`` connection URI.

    The URI is parsed here rather than by ``smtp_settings()``, which would import Airflow
    first (seconds, and it would fix AIRFLOW_HOME for every later test in the process).
    """
    return flush(SmtpSettings.from_uri(os.environ["AIRFLOW_CONN_BAPAS_SMTP"]), keys=keys)


def check(now: datetime) -> monitor.MonitorResult:
    """One run of the hourly DAG: the check, then the flush of what it queued."""
    result = monitor.check_deadlines(now)
    if result.outbox_keys:
        assert send(result.outbox_keys).ok
    return result


def inbox(server: DevSmtp, to: str | None = None, subject: str | None = None) -> list[InboxMessage]:
    return find_messages(server.maildir, to=to, subject_contains=subject)


def load(number: str) -> LitmasCase:
    with session_scope() as session:
        return session.scalar(select(LitmasCase).where(LitmasCase.case_number == number))


def audit_actions(number: str) -> list[str]:
    with session_scope() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.subject == f"litmas/{number}")).all()
        return [e.action for e in events]


# --------------------------------------------------------------------------- reminders


def test_half_time_reminds_the_pk_once(smtp_server: DevSmtp) -> None:
    number = case_at(0.51)

    first = check(NOW)

    assert first.reminded == [number]
    assert first.escalated == []
    assert first.outbox_keys == [f"litmas/{number}/reminder/50"]
    mails = inbox(smtp_server, to=BAMBANG.email)
    assert len(mails) == 1
    assert mails[0].subject.startswith(f"[Pengingat 50%] Litmas {number}")
    assert "Bambang Setiawan" in mails[0].text
    assert "6 hari 20 jam" in mails[0].text  # 49 % of 14 days left, rounded down
    assert "WIB" in mails[0].text
    assert monitor.highest_reminder_sent(load(number).reminders_sent) == 0.5
    assert "litmas_reminded" in audit_actions(number)

    second = check(NOW)
    assert second == monitor.MonitorResult()
    assert len(inbox(smtp_server, to=BAMBANG.email)) == 1
    assert smtp_server.messages_received == 1


def test_eighty_percent_reminder_follows_the_half_time_one(smtp_server: DevSmtp) -> None:
    number = case_at(0.5)
    check(NOW)
    later = NOW + timedelta(days=14) * 0.35  # 85 % used

    result = check(later)

    assert result.outbox_keys == [f"litmas/{number}/reminder/80"]
    subjects = sorted(m.subject for m in inbox(smtp_server, to=BAMBANG.email))
    assert [s[:15] for s in subjects] == ["[Pengingat 50%]", "[Pengingat 80%]"]
    assert set(load(number).reminders_sent) == {"0.5", "0.8"}
    assert check(later + timedelta(hours=1)).outbox_keys == []


def test_reminder_carries_the_pks_own_form_link(smtp_server: DevSmtp) -> None:
    from bapas_sop import humantask

    run_id = "manual__2026-11-09T09:00:00+07:00"
    number = case_at(0.6, run_id=run_id)
    opened = humantask.open_request(
        key=humantask.request_key("sp2lo", run_id, "pk_melakukan_litmas"),
        step="pk_melakukan_litmas",
        form_name="sp2lo_laporan_litmas",
        title=f"Laporan penyelesaian Litmas {number}",
        assignee=f"nip:{BAMBANG.nip}",
        dag_id="sp2lo",
        run_id=run_id,
        now=NOW - timedelta(days=5),
    )

    result = check(NOW)

    assert result.reminded == [number]
    [mail] = inbox(smtp_server, to=BAMBANG.email, subject="Pengingat")
    assert opened.url.startswith(PUBLIC_URL + "/f/")
    assert opened.url in mail.links
    assert "Laporkan penyelesaian Litmas" in mail.text


def test_reminder_of_a_pk_on_leave_goes_to_the_stand_in(smtp_server: DevSmtp) -> None:
    number = case_at(0.55, pk_nip=YULIANA.nip)

    check(NOW)

    [mail] = inbox(smtp_server, subject=number)
    assert mail.to == [BAMBANG.email]
    assert "sebagai pengganti Yuliana Harahap" in mail.text


def test_reminder_before_disposition_goes_to_the_kabapas(smtp_server: DevSmtp) -> None:
    number = case_at(0.6, days=3, category="anak", litmas_type="sidang_anak", section=None, pk_nip=None,
                     stage="registered")

    check(NOW)

    [mail] = inbox(smtp_server, subject=number)
    assert mail.to == [KABAPAS.email]


# --------------------------------------------------------------------------- escalation


def test_overdue_escalates_once_to_kasubsi_and_kabapas(smtp_server: DevSmtp) -> None:
    number = case_at(1.1)  # bkd, 1 day 9.6 hours late
    calm = case_at(0.2)

    result = check(NOW)

    assert result.escalated == [number]
    assert result.reminded == []  # an overdue case gets no reminder, and 20 % needs none
    assert sorted(result.outbox_keys) == sorted(
        [f"litmas/{number}/overdue/197811032003121002", f"litmas/{number}/overdue/197408121999031002"]
    )
    for address in (KASUBSI_BKD.email, KABAPAS.email):
        [mail] = inbox(smtp_server, to=address)
        assert mail.subject == f"[Terlambat] Litmas {number} melewati batas waktu"
        assert "Bambang Setiawan" in mail.text
        assert "terlambat 1 hari 9 jam" in mail.text
        assert PUBLIC_URL + "/admin/litmas" in mail.links
    assert inbox(smtp_server, to=BAMBANG.email) == []
    assert load(number).overdue_escalated_at == NOW
    assert load(calm).overdue_escalated_at is None
    assert "litmas_overdue_escalated" in audit_actions(number)

    again = check(NOW + timedelta(hours=1))
    assert again.escalated == [] and again.outbox_keys == []
    assert smtp_server.messages_received == 2


def test_kasubsi_on_leave_is_replaced_by_the_stand_in(smtp_server: DevSmtp, data_dir: Path) -> None:
    set_on_leave(data_dir, KASUBSI_BKA.nip, stand_in_nip=RINA.nip)  # Sri -> Rina
    number = case_at(1.05, days=3, category="anak", litmas_type="sidang_anak", section="bka",
                     pk_nip=DEDI.nip)

    result = check(NOW)

    assert result.escalated == [number]
    assert inbox(smtp_server, to=KASUBSI_BKA.email) == []
    [stand_in] = inbox(smtp_server, to=RINA.email)
    assert "sebagai pengganti Sri Wahyuni" in stand_in.text
    assert len(inbox(smtp_server, to=KABAPAS.email)) == 1
    assert f"litmas/{number}/overdue/{RINA.nip}" in result.outbox_keys


# --------------------------------------------------------------------------- daily digest


def test_digest_lists_only_overdue_litmas_once_a_day(smtp_server: DevSmtp) -> None:
    late_long = case_at(1.5, client="Andi Saputra")
    late_short = case_at(1.01, days=3, category="anak", litmas_type="diversi", section="bka",
                         pk_nip=RINA.nip, client="Budi Hartono")
    running = case_at(0.6, client="Citra Lestari")
    not_started = add_case(received_at=NOW - timedelta(days=2), deadline_at=None, litmas_type="asimilasi",
                           stage="assigned", pk_nip=None, client="Dodi Firmansyah")

    keys = monitor.daily_digest(NOW)

    assert sorted(keys) == sorted(
        f"sp2lo/ringkasan_harian/2026-11-16/{nip}"
        for nip in (KABAPAS.nip, KASUBSI_BKA.nip, KASUBSI_BKD.nip)
    )
    assert send(keys).ok
    for address in (KABAPAS.email, KASUBSI_BKA.email, KASUBSI_BKD.email):
        [mail] = inbox(smtp_server, to=address)
        assert mail.subject == "Ringkasan harian SP2LO Senin, 16 November 2026: 2 Litmas terlambat"
        assert late_long in mail.text and late_short in mail.text
        assert mail.text.index(late_long) < mail.text.index(late_short)  # longest overdue first
        assert running not in mail.text and not_started not in mail.text
        assert PUBLIC_URL + "/admin/litmas" in mail.links

    assert monitor.daily_digest(NOW + timedelta(hours=5)) == keys  # same WIB day: same emails
    send(keys)
    assert smtp_server.messages_received == 3

    tomorrow = monitor.daily_digest(NOW + timedelta(days=1))
    assert all("/2026-11-17/" in key for key in tomorrow)


def test_no_digest_when_nothing_is_overdue(smtp_server: DevSmtp) -> None:
    case_at(0.9)
    assert monitor.daily_digest(NOW) == []
    with session_scope() as session:
        assert session.scalars(select(OutboxMessage)).all() == []


# --------------------------------------------------------------------------- monthly report


def approved_case(section: str, pk: str, *, late: bool, approved_at: datetime) -> str:
    deadline = approved_at + (timedelta(hours=-5) if late else timedelta(hours=5))
    return add_case(received_at=deadline - timedelta(days=3), deadline_at=deadline, section=section, pk_nip=pk,
                    stage="approved", approved_at=approved_at,
                    category="anak" if section == "bka" else "dewasa",
                    litmas_type="sidang_anak" if section == "bka" else "lainnya")


def test_monthly_report_is_a_pdf_with_rates_per_section(smtp_server: DevSmtp) -> None:
    day = datetime(2026, 11, 10, 9, 0, tzinfo=WIB)
    approved_case("bka", RINA.nip, late=False, approved_at=day)
    approved_case("bka", RINA.nip, late=False, approved_at=day + timedelta(days=3))
    bka_late = approved_case("bka", DEDI.nip, late=True, approved_at=day + timedelta(days=5))
    approved_case("bkd", BAMBANG.nip, late=False, approved_at=day)
    bkd_late = approved_case("bkd", BAMBANG.nip, late=True, approved_at=datetime(2026, 11, 30, 23, 0, tzinfo=WIB))
    october = approved_case("bkd", BAMBANG.nip, late=True, approved_at=datetime(2026, 10, 31, 23, 59, tzinfo=WIB))
    december = approved_case("bka", RINA.nip, late=True, approved_at=datetime(2026, 12, 1, 0, 0, tzinfo=WIB))

    pdf = monitor.monthly_report(2026, 11)

    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "November 2026" in text
    assert "Bimbingan Klien Anak (BKA)" in text
    assert "Bimbingan Klien Dewasa (BKD)" in text
    assert "66,7%" in text  # BKA: 2 of 3 on time
    assert "60%" in text  # overall: 3 of 5
    assert "Rina Marlina" in text and "Dedi Kurniawan" in text and "Bambang Setiawan" in text
    assert bka_late in text and bkd_late in text  # the table of late Litmas
    assert october not in text and december not in text
    assert "Halaman 1 dari" in text
    assert reader.metadata.title == "Laporan Bulanan SP2LO November 2026"

    key = monitor.send_monthly_report(2026, 11)
    assert key == "sp2lo/laporan_bulanan/2026-11/kabapas"
    assert send([key]).ok
    [mail] = inbox(smtp_server, to=KABAPAS.email)
    assert mail.subject == "Laporan bulanan SP2LO November 2026"
    assert mail.attachments == ["laporan-sp2lo-2026-11.pdf"]
    assert "60%" in mail.text
    assert monitor.send_monthly_report(2026, 11) == key
    send([key])
    assert smtp_server.messages_received == 1


def test_monthly_report_of_an_empty_month_still_renders() -> None:
    pdf = monitor.monthly_report(2026, 2)
    text = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert "Februari 2026" in text
    assert "Belum ada Litmas yang selesai pada periode ini." in text


def test_previous_month_of_a_run_on_the_first() -> None:
    assert monitor.previous_month(datetime(2026, 12, 1, 8, 0, tzinfo=WIB)) == (2026, 11)
    assert monitor.previous_month(datetime(2027, 1, 1, 1, 0, tzinfo=WIB)) == (2026, 12)
    # 1 December 01:00 UTC is already 08:00 WIB on 1 December.
    from datetime import timezone

    assert monitor.previous_month(datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)) == (2026, 11)
    assert monitor.month_bounds(2026, 12) == (
        datetime(2026, 12, 1, tzinfo=WIB), datetime(2027, 1, 1, tzinfo=WIB)
    )


# --------------------------------------------------------------------------- monitoring page


def test_monitor_rows_most_urgent_first() -> None:
    from bapas_sop import humantask

    ok = case_at(0.3, client="Sesuai Jadwal")
    late_short = case_at(1.01, client="Terlambat Sebentar")
    near = case_at(0.9, client="Hampir Habis")
    no_clock = add_case(received_at=NOW - timedelta(days=1), deadline_at=None, litmas_type="cuti_bersyarat",
                        stage="disposed", pk_nip=None, client="Belum Berjalan", run_id="manual__tunjuk")
    late_long = case_at(1.4, client="Terlambat Lama")
    add_case(received_at=NOW - timedelta(days=20), deadline_at=NOW - timedelta(days=6), stage="approved",
             approved_at=NOW - timedelta(days=7), client="Sudah Selesai")
    humantask.open_request(
        key=humantask.request_key("sp2lo", "manual__tunjuk", "kasubsi_menunjuk_pk"),
        step="kasubsi_menunjuk_pk", form_name="sp2lo_tunjuk_pk", title=f"Penunjukan PK untuk Litmas {no_clock}",
        assignee="kasubsi_bkd", dag_id="sp2lo", run_id="manual__tunjuk", now=NOW - timedelta(hours=3),
        context={"pk_options": [{"value": BAMBANG.nip, "label": "Bambang Setiawan"}]},
    )

    rows = monitor.monitor_rows(NOW)

    assert [r["case_number"] for r in rows] == [late_long, late_short, near, ok, no_clock]
    assert [r["status"] for r in rows] == ["overdue", "overdue", "warning", "ok", "no_deadline"]
    assert [r["tag"] for r in rows] == ["bad", "bad", "warn", "good", ""]
    first = rows[0]
    assert first["client"] == "Terlambat Lama"
    assert first["time_left"] == "terlambat 5 hari 14 jam"
    assert first["late_by"] == "5 hari 14 jam"
    assert first["deadline"].endswith("WIB")
    assert first["stage"] == "Penelitian oleh PK"
    assert first["pk"] == "Bambang Setiawan"
    assert first["section"] == "Bimbingan Klien Dewasa (BKD)"
    assert first["litmas_type"] == "Lainnya" and first["category"] == "Dewasa"
    assert rows[2]["elapsed_percent"] == 90
    last = rows[-1]
    assert last["deadline"] == "-" and last["time_left"] == "-"
    assert last["waiting_step"] == f"Penunjukan PK untuk Litmas {no_clock}"
    assert last["waiting_on"] == "Ahmad Fauzi Nasution"
    assert last["status_label"] == "Batas waktu belum berjalan"


def test_litmas_page_shows_counts_and_rows_in_order() -> None:
    from bapas_sop.sops.sp2lo.pages import litmas_page

    late = case_at(1.2, client="Klien Terlambat")
    near = case_at(0.85, client="Klien Hampir")
    fine = case_at(0.1, client="Klien Aman")

    response = litmas_page(NOW)

    assert response.status_code == 200
    html = response.body.decode()
    assert '<main class="wide">' in html
    assert "3</strong> Litmas berjalan" in html
    assert "1 terlambat" in html and "1 waktu terpakai ≥ 80%" in html
    assert html.index(late) < html.index(near) < html.index(fine)
    assert 'class="scroll"' in html and "Sisa waktu" in html


def test_open_cases_frame_starts_integration_clocks_at_appointment() -> None:
    appointed = NOW - timedelta(days=2)
    number = add_case(received_at=NOW - timedelta(days=10), appointed_at=appointed,
                      deadline_at=appointed + timedelta(days=7), litmas_type="pembebasan_bersyarat")
    add_case(received_at=NOW + timedelta(hours=1), deadline_at=NOW + timedelta(days=14))  # after "now"

    frame = monitor.open_cases_frame(NOW)

    assert list(frame["case_number"]) == [number]
    assert frame.loc[0, "start_at"] == appointed
    assert str(frame["start_at"].dt.tz) == "Asia/Jakarta"
    assert frame.loc[0, "reminders_sent"] == 0.0

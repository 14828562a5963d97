"""The Yanpatmas monitor: one reminder before a deadline to whoever the complaint waits on, one
escalation to the Kepala Bapas after it, tickets only; the admin list; the monthly report."""

from __future__ import annotations

import io
from datetime import timedelta

from pypdf import PdfReader

from tests.sops.yanpatmas.conftest import COMPLAINANT, COMPLAINT
from tests.support import people
from tests.support.scenario import messages


def _stored(**changes):
    from bapas_sop.sops.yanpatmas import service

    complaint, _code, _created = service.register({"anonim": False, **COMPLAINANT, **COMPLAINT, **changes},
                                                  channel="web", actor="pelapor")
    return complaint


def test_reminders_before_and_one_escalation_after_each_deadline(smtp_server):
    from bapas_sop.sops.yanpatmas.monitor import check_deadlines

    complaint = _stored()
    due = complaint.completeness_due
    assert check_deadlines(due - timedelta(days=2)).as_dict() == {"reminded": [], "escalated": []}
    first = check_deadlines(due - timedelta(hours=3))
    assert first.reminded == [f"{complaint.ticket}:kelengkapan"]
    assert check_deadlines(due - timedelta(hours=2)).reminded == []  # once
    late = check_deadlines(due + timedelta(hours=1))
    assert late.escalated == [f"{complaint.ticket}:kelengkapan"]
    assert check_deadlines(due + timedelta(hours=2)).escalated == []
    [reminder] = messages(smtp_server.maildir, subject="Pengingat: pemeriksaan kelengkapan")
    assert reminder.to == [people.FAJAR.email] and complaint.ticket in reminder.subject
    [escalation] = messages(smtp_server.maildir, subject="Terlambat: pemeriksaan kelengkapan")
    assert escalation.to == [people.KABAPAS.email]
    for message in (reminder, escalation):
        assert COMPLAINANT["nama"] not in message.text and "lima puluh ribu" not in message.text


def test_the_admin_list_puts_the_overdue_first(smtp_server):
    from bapas_sop.sops.yanpatmas import service
    from bapas_sop.sops.yanpatmas.monitor import open_rows

    late, fresh = _stored(), _stored()
    service.update(fresh.ticket, by="test", action="test", checked_at=fresh.received_at)
    rows = open_rows(late.completeness_due + timedelta(hours=1))
    assert [r["ticket"] for r in rows] == [late.ticket, fresh.ticket]
    assert rows[0]["overdue"] and rows[0]["left"].startswith("lewat") and not rows[1]["overdue"]
    assert rows[1]["deadline_label"] == "Tanggapan pertama kepada pelapor"


def test_the_monthly_report_counts_by_category_and_channel(smtp_server, clock):
    from bapas_sop.sops.yanpatmas import service
    from bapas_sop.sops.yanpatmas.monitor import monthly_report, send_monthly_report

    done, _open = _stored(), _stored()
    service.update(done.ticket, by="test", action="test", stage="selesai", category="pelayanan",
                   first_answer_at=done.received_at, closed_at=done.received_at)
    summary = send_monthly_report(clock.year, clock.month)
    assert summary == {"total": 2, "resolved": 1}
    [mail] = messages(smtp_server.maildir, to=people.KABAPAS.email)
    assert mail.attachments == [f"Laporan-Yanpatmas-{clock.year:04d}-{clock.month:02d}.pdf"]
    assert "100%" in mail.text
    _figures, pdf = monthly_report(clock.year, clock.month)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Kualitas pelayanan" in text and "Belum ditelaah" in text and done.ticket in text
    assert COMPLAINANT["nama"] not in text


def test_the_monitor_starts_a_run_for_a_complaint_stored_without_one(smtp_server, clock):
    """The page could not start the run (scheduler down): the hourly monitor asks for it, under the
    run id the page uses and with the ticket as its only parameter; runs are never queued."""
    import time_machine
    from airflow.dag_processing.dagbag import DagBag

    from tests.sops.conftest import DAGS_FOLDER

    complaint = _stored()
    bag = DagBag(str(DAGS_FOLDER / "yanpatmas_pemantauan.py"))
    monitor = bag.dags["yanpatmas_pemantauan"]
    with time_machine.travel(clock + timedelta(minutes=10)):
        found = monitor.get_task("pengaduan_belum_diproses").python_callable()
    assert found == [{"conf": {"nomor_tiket": complaint.ticket}, "trigger_run_id": f"aduan__{complaint.ticket}"}]
    trigger = monitor.get_task("mulai_run_yanpatmas")
    assert trigger.partial_kwargs["trigger_dag_id"] == "yanpatmas" and trigger.partial_kwargs["skip_when_already_exists"]
    dag = DagBag(str(DAGS_FOLDER / "yanpatmas.py")).dags["yanpatmas"]
    assert dag.max_active_runs >= 1000 and list(dag.params) == ["nomor_tiket"]

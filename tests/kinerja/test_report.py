"""The Kinerja context, page and PDF from form-request rows of the real store."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest
from pypdf import PdfReader

from bapas_sop.calendar import WIB
from bapas_sop.kinerja.records import step_records
from bapas_sop.kinerja.report import kinerja_context, month_period, parse_period, previous_quarter, quarter_period, send_report
from bapas_sop.store.db import session_scope
from bapas_sop.store.models import FormRequest
from tests.support.people import DEDI, KABAPAS, KASUBSI_BKA, RINA

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)
OPENED = datetime(2026, 11, 10, 2, 0, tzinfo=timezone.utc)


def add_step(n: int, *, dag_id="sp2lo", role="pk", nip=RINA.nip, answered_after=None, status=None, opened=OPENED,
             original=None, link_version=1, reminded=False, escalated=False, context=None) -> None:
    due = opened + timedelta(hours=24)
    with session_scope() as session:
        session.add(FormRequest(
            key=f"{dag_id}/run{n}/langkah", dag_id=dag_id, run_id=f"run{n}", step="langkah", form_name="x", title="t",
            role=role, assignee_nip=nip, assignee_name="-", assignee_email="x@bapas.example",
            original_assignee_nip=original, link_version=link_version, context=context or {},
            status=status or ("answered" if answered_after is not None else "open"), created_at=opened,
            due_at=due, remind_at=None, escalate_at=None, expires_at=due + timedelta(days=7),
            reminded_at=opened if reminded else None, escalated_at=due if escalated else None,
            answered_at=opened + timedelta(hours=answered_after) if answered_after is not None else None,
        ))


@pytest.fixture
def office(project):
    add_step(1, answered_after=3)
    add_step(2, answered_after=30, reminded=True, escalated=True)
    add_step(3, nip=DEDI.nip, status="expired", original=RINA.nip, context={"_default_answer": {"x": 1}})
    add_step(4, dag_id="peterpan", role="pegawai", nip=KASUBSI_BKA.nip, answered_after=1, link_version=2,
             original=RINA.nip)
    add_step(5, dag_id="bus_mini", role="humas", nip=KABAPAS.nip, opened=datetime(2026, 9, 8, 2, tzinfo=timezone.utc),
             answered_after=2)
    return project


def test_records_read_flags_from_the_step_rows(office):
    frame = step_records(datetime(2026, 1, 1, tzinfo=WIB), datetime(2027, 1, 1, tzinfo=WIB)).set_index("run_id")
    assert frame.loc["run3", ["substituted", "handed_over", "defaulted"]].tolist() == [True, False, True]
    assert frame.loc["run4", ["substituted", "handed_over"]].tolist() == [False, True]
    assert frame.loc["run2", ["reminded", "escalated"]].tolist() == [True, True]
    assert frame.loc["run1", "sop"] == "sp2lo" and frame.loc["run1", "section"] == "bka"


def test_context_per_sop_role_person_and_section(office):
    context = kinerja_context(month_period(2026, 11), now=NOW)
    sops = {s["id"]: s for s in context["sops"]}
    sp2lo = sops["sp2lo"]["steps"]
    assert (sp2lo["steps"], sp2lo["tepat_waktu"], sp2lo["terlambat"], sp2lo["tidak_dijawab"]) == (3, 1, 1, 1)
    assert sp2lo["rate_text"] == "33,3%" and sp2lo["defaults"] == 1 and sp2lo["substitutions"] == 1
    assert sops["peterpan"]["steps"]["handovers"] == 1
    assert sops["bus_mini"]["steps"]["empty"]  # its step was in September
    assert [f.label for f in sops["sp2lo"]["outcomes"]][0] == "Permintaan Litmas diterima"
    assert {r["key"] for r in context["by_role"]} == {"pk", "pegawai"}
    assert context["by_person"][0]["title"] == "Dedi Kurniawan"  # worst first
    assert context["months"][-1] == "Nov 2026" and len(context["months"]) == 6
    bus = next(r for r in context["trend_rows"] if r["title"] == "Bus Mini")
    assert bus["rates"][3] == "100%"  # September

    bka = kinerja_context(month_period(2026, 11), now=NOW, section="bka")
    assert {s["id"]: s["steps"]["steps"] for s in bka["sops"]}["sp2lo"] == 3
    assert all(s["outcomes"] is None for s in bka["sops"])  # the office's outcomes are not a section's
    one = kinerja_context(month_period(2026, 11), now=NOW, person=DEDI.nip)
    assert one["total"]["steps"] == 1 and one["total"]["tidak_dijawab"] == 1


def test_periods():
    assert parse_period("2026-Q4") == quarter_period(2026, 4)
    assert quarter_period(2026, 4).end == datetime(2027, 1, 1, tzinfo=WIB)
    assert previous_quarter(datetime(2027, 1, 1, 1, tzinfo=WIB)).key == "2026-Q4"
    with pytest.raises(ValueError, match="TTTT-BB"):
        parse_period("2026-13")


def test_page_pdf_and_reports(office, web, smtp_server):
    page = web.get("/bapas/admin/kinerja?periode=2026-11", headers={"x-test-admin": "yes"})
    assert page.status_code == 200 and "Kinerja SOP Inovasi — November 2026" in page.text
    assert web.get("/bapas/admin/kinerja").status_code != 200  # behind the admin login
    assert web.get("/bapas/admin/kinerja?periode=2026-99", headers={"x-test-admin": "yes"}).status_code == 422

    pdf = web.get("/bapas/admin/kinerja.pdf?periode=2026-Q4", headers={"x-test-admin": "yes"})
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "LAPORAN KINERJA SOP INOVASI" in text and "Triwulan IV 2026" in text and "Dedi Kurniawan" in text

    from bapas_sop.mail.devserver import read_inbox

    monthly = send_report(month_period(2026, 11), now=NOW)
    quarterly = send_report(quarter_period(2026, 4), now=NOW)
    assert send_report(month_period(2026, 11), now=NOW) == monthly  # a retry queues nothing new
    inbox = read_inbox(smtp_server.maildir)
    assert sorted((m.to[0], m.subject) for m in inbox) == [
        (KABAPAS.email, "Laporan Kinerja SOP Inovasi November 2026"),
        ("kanwil.jambi@ditjenpas.example", "Laporan Kinerja SOP Inovasi Triwulan IV 2026"),
    ]
    assert quarterly and all(m.attachments for m in inbox)

"""The duty officer's page of the day through the real app: check-in, the log, and THE SEAM:
a Litmas request logged on a holiday starts an SP2LO case at once with the holiday's time."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from bapas_sop.calendar import WIB, is_working_day
from tests.support import people
from tests.support.clock import pinned_clock
from tests.support.forms import csrf
from tests.sops.piket_hari_libur.test_flow import approved_roster, duties

CHRISTMAS = date(2026, 12, 25)  # Hari Raya Natal, a Friday
LITMAS = {
    "nomor_surat": "B/77/XII/2026/Reskrim", "tanggal_surat": "2026-12-24", "instansi": "penyidik",
    "nama_instansi": "Polsek Telanaipura", "nama_pemohon": "Aiptu Rahmat", "email_pemohon": "rahmat@polsek.example",
    "nama_klien": "Dimas Prakoso", "kategori": "anak", "jenis_litmas": "sidang_anak",
}


def _entry_form(web, token: str, kind: str) -> tuple[str, dict[str, str]]:
    page = web.get(f"/bapas/piket/{token}/catat/{kind}")
    assert page.status_code == 200, page.text
    entry = re.search(r'name="_entry" value="([^"]+)"', page.text).group(1)
    return page.text, {"_csrf": csrf(page.text), "_entry": entry}


def test_a_litmas_logged_on_a_holiday_starts_sp2lo_with_the_holidays_time(project, smtp_server, web) -> None:
    from bapas_sop.sops.sp2lo import service as sp2lo_service

    assert not is_working_day(CHRISTMAS)
    approved_roster()
    officer = duties(CHRISTMAS)[0]
    received = datetime(2026, 12, 25, 10, 15, tzinfo=WIB)
    with pinned_clock(datetime(2026, 12, 25, 10, 20, tzinfo=WIB)):
        page = web.get(f"/bapas/piket/{officer.token}")
        assert page.status_code == 200 and "Hari Raya Natal" in page.text
        form_html, hidden = _entry_form(web, officer.token, "litmas")
        assert 'value="2026-12-25T10:20"' in form_html  # receipt time filled in with now
        posted = web.post(f"/bapas/piket/{officer.token}/catat/litmas",
                          data={**LITMAS, **hidden, "diterima_pada": "2026-12-25T10:15"})
        assert posted.status_code == 303, posted.text
        again = web.post(f"/bapas/piket/{officer.token}/catat/litmas",
                         data={**LITMAS, **hidden, "diterima_pada": "2026-12-25T10:15"})  # a double click
        assert again.status_code == 303
        page = web.get(posted.headers["location"])
        assert "Catatan tersimpan" in page.text and "Dimas Prakoso" in page.text

    [case_number] = web.started_runs  # the SP2LO run was started at once, once
    case = sp2lo_service.get_case(case_number)
    assert case.channel == "piket"
    assert case.received_at == received  # the holiday's time, not the next working day
    assert case.deadline_at == received + timedelta(hours=72)  # 3x24 jam for a child, from that time
    assert case.run_id is None  # the run attaches itself when it starts; the monitor is the backstop
    assert case_number in page.text


def test_the_litmas_run_picks_up_the_case_with_the_logged_receipt(project, smtp_server, web) -> None:
    """What the started run's first task does with the case: the requester's receipt, with the holiday time."""
    from bapas_sop.sops.sp2lo import flow as sp2lo_flow
    from bapas_sop.sops.sp2lo import intake

    approved_roster()
    officer = duties(CHRISTMAS)[0]
    with pinned_clock(datetime(2026, 12, 25, 11, 0, tzinfo=WIB)):
        _html, hidden = _entry_form(web, officer.token, "litmas")
        web.post(f"/bapas/piket/{officer.token}/catat/litmas", data={**LITMAS, **hidden, "diterima_pada": "2026-12-25T10:15"})
        [case_number] = web.started_runs
        dag_id, run_id, conf = intake.run_for(case_number)
        summary = sp2lo_flow.start_case(conf, dag_id=dag_id, run_id=run_id)
    assert ["Diterima", "Jumat, 25 Desember 2026 pukul 10.15 WIB"] in summary["facts"]
    from tests.support.scenario import messages

    [receipt] = messages(smtp_server.maildir, subject=f"Tanda terima permintaan Litmas {case_number}")
    assert receipt.to == ["rahmat@polsek.example"] and "10.15 WIB" in receipt.text


def test_checkin_log_and_refusals_on_the_page(project, smtp_server, web) -> None:
    approved_roster()
    officer = duties(CHRISTMAS)[0]
    with pinned_clock(datetime(2026, 12, 24, 9, 0, tzinfo=WIB)):  # the day before
        page = web.get(f"/bapas/piket/{officer.token}")
        assert "Kehadiran diisi pada hari piket" in page.text
        assert web.get(f"/bapas/piket/{officer.token}/catat/wajib_lapor").status_code == 409
    with pinned_clock(datetime(2026, 12, 25, 7, 45, tzinfo=WIB)):
        page = web.get(f"/bapas/piket/{officer.token}")
        refused = web.post(f"/bapas/piket/{officer.token}/hadir", data={"_csrf": "palsu"})
        assert refused.status_code == 403
        done = web.post(f"/bapas/piket/{officer.token}/hadir", data={"_csrf": csrf(page.text)})
        assert done.status_code == 303
        assert "Kehadiran Anda tercatat" in web.get(done.headers["location"]).text
        _html, hidden = _entry_form(web, officer.token, "pembebasan")
        bad = web.post(f"/bapas/piket/{officer.token}/catat/pembebasan", data={**hidden, "nama_klien": "Yusuf"})
        assert bad.status_code == 422 and "Asal Lapas/Rutan wajib diisi" in bad.text and 'value="Yusuf"' in bad.text
        ok = web.post(f"/bapas/piket/{officer.token}/catat/pembebasan",
                      data={**hidden, "nama_klien": "Yusuf", "asal": "Lapas Kelas IIA Jambi"})
        assert ok.status_code == 303
    assert web.get("/bapas/piket/tidak-ada-tautan-seperti-ini").status_code == 404
    assert web.get(f"/bapas/piket/{officer.token}/catat/lain").status_code == 404
    assert duties(CHRISTMAS)[0].checked_in_at is not None

    admin = web.get("/bapas/admin/piket?bulan=2026-12", headers={"x-test-admin": "yes"})
    assert admin.status_code == 200 and "Desember 2026" in admin.text and "Hari Raya Natal" in admin.text
    assert web.get("/bapas/admin/piket").status_code == 401
    history = web.get("/bapas/admin/riwayat?sop=piket_hari_libur", headers={"x-test-admin": "yes"})
    assert history.status_code == 200 and people.person(officer.nip).name in history.text

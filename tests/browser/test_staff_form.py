"""A member of staff answers a step on a phone: email link, a mistake, the fix, the thanks.

The PK (Pembimbing Kemasyarakatan) reports a finished Litmas with the SP2LO report form. She
says she travelled (perjalanan dinas "ya") but forgets the destination: the page must answer in
Indonesian, keep what she typed, and accept the corrected answer. All of it on a 390x844
phone screen, with nothing loaded from outside the server.
"""

from __future__ import annotations

import pytest

from bapas_sop import humantask
from bapas_sop.mail.devserver import read_inbox
from bapas_sop.mail.outbox import flush

from .conftest import PHONE, no_horizontal_scroll

pytestmark = pytest.mark.browser

PK_NIP = "198607212010122003"  # Rina Marlina, PK of the BKA section (include/data/staff.csv)
KEY = "sp2lo/browser-run/pk_melakukan_litmas"
TYPED = {
    "nomor_laporan": "LIT/BKA/2026/042",
    "tanggal_selesai": "2026-11-27",
    "ringkasan": "Klien tinggal bersama orang tua, bersekolah, direkomendasikan diversi dengan pembimbingan.",
    "tanggal_berangkat": "2026-11-24",
    "tanggal_kembali": "2026-11-25",
}


def _fits_the_phone(page) -> None:
    widths = no_horizontal_scroll(page)
    # innerWidth 390 also proves the page has a mobile viewport meta tag: without one a mobile
    # browser lays the page out 980 px wide and shrinks it.
    assert widths["innerWidth"] == PHONE["width"], widths
    assert widths["scrollWidth"] <= widths["innerWidth"], f"horizontal scroll on a phone: {widths}"


def _submit(page) -> int:
    with page.expect_response(lambda r: r.request.method == "POST" and "/bapas/f/" in r.url) as posted:
        page.get_by_role("button", name="Kirim laporan").click()
    page.wait_for_load_state("domcontentloaded")
    return posted.value.status


def test_pk_answers_the_report_form_on_a_phone(forms_server, smtp_server, chromium, shot, request_log):
    opened = humantask.open_request(
        key=KEY, step="pk_melakukan_litmas", form_name="sp2lo_laporan_litmas",
        title="Laporan penyelesaian Litmas LITMAS-2026-0042", assignee=f"nip:{PK_NIP}",
        context={"facts": [["Nomor perkara", "LITMAS-2026-0042"], ["Nama klien", "Andi Pratama"],
                           ["Jenis Litmas", "Diversi"]]},
        dag_id="sp2lo", run_id="browser-run",
    )
    flush(keys=list(opened.outbox_keys))
    [mail] = read_inbox(smtp_server.maildir)
    assert mail.to == ["rina.marlina@bapas-jambi.example"]
    link = next(link for link in mail.links if "/bapas/f/" in link)
    assert link == opened.url and link.startswith(f"{forms_server}/bapas/f/")

    context = chromium.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
        locale="id-ID", timezone_id="Asia/Jakarta",
    )
    page = context.new_page()
    request_log.attach(page)
    try:
        # 1. The link from the email opens the form, with the case's facts.
        response = page.goto(link, wait_until="load")
        assert response.status == 200
        assert page.get_by_role("heading", name="Laporan penyelesaian Litmas LITMAS-2026-0042").is_visible()
        assert "Andi Pratama" in page.inner_text("body")
        _fits_the_phone(page)
        submit = page.get_by_role("button", name="Kirim laporan").bounding_box()
        assert submit["height"] >= 40 and submit["x"] + submit["width"] <= PHONE["width"], submit
        shot(page, "staff-phone-01-form")

        # 2. A mistake: travelled, but no destination.
        page.fill("#i-nomor_laporan", TYPED["nomor_laporan"])
        page.fill("#i-tanggal_selesai", TYPED["tanggal_selesai"])
        page.fill("#i-ringkasan", TYPED["ringkasan"])
        page.check("input[name=perjalanan_dinas][value=ya]")
        page.fill("#i-tanggal_berangkat", TYPED["tanggal_berangkat"])
        page.fill("#i-tanggal_kembali", TYPED["tanggal_kembali"])
        assert _submit(page) == 422
        alert = page.locator("#kesalahan")
        assert alert.is_visible()
        assert "Formulir belum bisa dikirim" in alert.inner_text()
        assert "Tujuan perjalanan dinas wajib diisi." in alert.inner_text()
        assert "Tujuan perjalanan dinas wajib diisi." in page.locator("#f-tujuan .error").inner_text()
        # ... and everything she typed is still there.
        for name, value in TYPED.items():
            assert page.input_value(f"#i-{name}") == value, name
        assert page.is_checked("input[name=perjalanan_dinas][value=ya]")
        assert humantask.poll(KEY)["status"] == "open"
        _fits_the_phone(page)
        shot(page, "staff-phone-02-error")

        # 3. The fix: the destination; the answer is taken and thanked for.
        page.fill("#i-tujuan", "Lapas Kelas IIA Jambi")
        assert _submit(page) == 303
        assert "?tersimpan=1" in page.url
        body = page.inner_text("body")
        assert "Terima kasih" in body
        assert "Lapas Kelas IIA Jambi" in body
        _fits_the_phone(page)
        shot(page, "staff-phone-03-thanks")
    finally:
        context.close()

    outcome = humantask.poll(KEY)
    assert outcome["status"] == "answered"
    assert outcome["answer"]["tujuan"] == "Lapas Kelas IIA Jambi"
    assert outcome["answer"]["nomor_laporan"] == TYPED["nomor_laporan"]
    assert request_log.urls, "no request was recorded"
    assert not request_log.outside(), f"the form page loaded something from outside: {request_log.outside()}"

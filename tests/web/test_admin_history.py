"""The "Riwayat SOP" admin page: Peterpan, Bus Mini and Gaji UMR history read from each SOP's own tables.

The records are seeded by the flows' own functions where they need no email (the tally, the
winner, the quarter's closing, a week's record, the month's activity) and written into the
SOPs' tables directly for the rest.
"""

from __future__ import annotations

import re

import pytest

from bapas_sop import audit
from bapas_sop.store.db import session_scope

ADMIN = {"x-test-admin": "yes"}
PAGE = "/bapas/admin/riwayat"

KABAPAS = "197408121999031002"
RINA = "198607212010122003"  # Rina Marlina
DEDI = "198903052014031001"  # Dedi Kurniawan
PUTRI = "199209182017122004"

EMPTY_PETERPAN = "Belum ada riwayat Peterpan"
EMPTY_BUS_MINI = "Belum ada riwayat Bus Mini"
EMPTY_GAJI_UMR = "Belum ada riwayat Gaji UMR"


def _survey(quarter: str, label: str) -> dict:
    return {
        "quarter": quarter, "quarter_label": label,
        "candidates": [{"value": nip, "label": nip} for nip in (RINA, DEDI, PUTRI)],
        "voters": [KABAPAS, RINA, DEDI, PUTRI],
        "facts": [["Triwulan", label]],
    }


def _ballot(run_id: str, voter: str, choice: str, minute: int) -> dict:
    return {"key": f"peterpan/{run_id}/pengisian_survei/{voter}", "status": "answered", "answer": {"pilihan": choice},
            "answered_by": voter, "answered_at": f"2026-10-05T09:{minute:02d}:00+07:00"}


def _seed_peterpan() -> None:
    from bapas_sop.sops.peterpan import flow as peterpan_flow

    # Triwulan III 2026: Rina wins on the votes, the certificate is issued, photo and gift recorded.
    run = "scheduled__2026-10-01"
    survey = _survey("2026-Q3", "Triwulan III 2026")
    result = peterpan_flow.tally_votes(survey, [
        _ballot(run, KABAPAS, RINA, 1), _ballot(run, DEDI, RINA, 2), _ballot(run, PUTRI, DEDI, 3),
    ], dag_id="peterpan", run_id=run)
    assert result["status"] == "winner" and result["winner"] == RINA
    winner = peterpan_flow.decide_winner(survey, result, None, dag_id="peterpan", run_id=run)
    _record_certificate(run, status="issued", number="SERT-PETERPAN/2026/III", citation="Atas dedikasinya")
    peterpan_flow.close(survey, winner, {"answer": {"tautan_foto": "https://drive.example/foto-rina"}},
                        {"answer": {"bingkisan": "Parsel dan plakat", "tanggal_penyerahan": "2026-10-20"}},
                        dag_id="peterpan", run_id=run)

    # Triwulan II 2026: a tie the Kabapas decides; the certificate is refused.
    run = "scheduled__2026-07-01"
    survey = _survey("2026-Q2", "Triwulan II 2026")
    result = peterpan_flow.tally_votes(survey, [
        _ballot(run, KABAPAS, RINA, 1), _ballot(run, PUTRI, DEDI, 2),
    ], dag_id="peterpan", run_id=run)
    assert result["status"] == "tie"
    decision = {"answer": {"pemenang": DEDI, "alasan": "Disiplin paling baik"}, "answered_by": KABAPAS}
    peterpan_flow.decide_winner(survey, result, decision, dag_id="peterpan", run_id=run)
    _record_certificate(run, status="refused", note="Tunda sampai evaluasi")


def _record_certificate(run_id: str, *, status: str, number: str | None = None, citation: str | None = None,
                        note: str | None = None) -> None:
    """The Kabapas's certificate decision on the run's Peterpan row (issuing through the flow
    would render and email the PDF, which this page does not show)."""
    from sqlalchemy import select

    from bapas_sop.sops.peterpan.models import PeterpanSurvey
    from bapas_sop.store.models import utcnow

    with session_scope() as session:
        row = session.scalars(select(PeterpanSurvey).where(PeterpanSurvey.run_id == run_id)).one()
        row.certificate_status, row.certificate_number, row.certificate_citation = status, number, citation
        row.certificate_note, row.certificate_actor, row.certificate_decided_at = note, KABAPAS, utcnow()


def _seed_bus_mini() -> None:
    from bapas_sop.sops.bus_mini import flow as bus_mini_flow

    bus_mini_flow.record_week({"week": "2026-W47"}, {"status": "missed", "video": None, "source": "youtube"},
                              dag_id="bus_mini", run_id="scheduled__2026-11-16")
    bus_mini_flow.record_week(
        {"week": "2026-W48"},
        {"status": "uploaded", "source": "youtube", "video": {
            "video_id": "abcDEF12345", "title": "Bus Mini Pekan 48", "url": "https://www.youtube.com/watch?v=abcDEF12345",
            "published_at": "2026-11-27T16:30:00+07:00"}},
        dag_id="bus_mini", run_id="scheduled__2026-11-23",
    )
    bus_mini_flow.record_week(
        {"week": "2026-W49"},
        {"status": "uploaded", "source": "konfirmasi", "video": {
            "video_id": "zzzYYY00000", "title": "", "url": "https://youtu.be/zzzYYY00000", "published_at": None,
            "confirmed_by": "humas"}},
        dag_id="bus_mini", run_id="scheduled__2026-11-30",
    )


def _seed_gaji_umr() -> None:
    from sqlalchemy import select

    from bapas_sop.sops.gaji_umr import flow as gaji_umr_flow
    from bapas_sop.sops.gaji_umr.models import GajiUmrClient, GajiUmrMonth
    from bapas_sop.store.models import utcnow

    run = "scheduled__2026-11-02"
    plan = {"month": "2026-11", "month_label": "November 2026", "suggestion": {}}
    gaji_umr_flow.record_activity(plan, {"status": "answered", "answered_by": KABAPAS, "answer": {
        "kegiatan": "Kerja bakti membersihkan masjid", "tempat": "Masjid Al-Ikhlas", "tanggal": "2026-11-20",
        "jam": "07.30"}}, dag_id="gaji_umr", run_id=run)
    with session_scope() as session:
        # The contacts as the PKs answered them, then the day's attendance over the confirmed ones.
        attended = {"KL-BKD-001": "hadir", "KL-BKD-003": "tidak_hadir"}
        for slot, (client, status) in enumerate(
            [("KL-BKD-001", "dikonfirmasi"), ("KL-BKD-002", "menolak"), ("KL-BKD-003", "dikonfirmasi"),
             ("KL-BKD-004", "tidak_terhubung")], start=1,
        ):
            session.add(GajiUmrClient(month="2026-11", client_id=client, dag_id="gaji_umr", run_id=run, slot=slot,
                                      status=attended.get(client, status), contact_status=status, contacted_by="system",
                                      contacted_at=utcnow(), updated_at=utcnow()))
        november = session.scalar(select(GajiUmrMonth).where(GajiUmrMonth.run_id == run))
        november.attended, november.invited, november.staff = 1, 2, 4
        november.reported_by, november.reported_at = KABAPAS, utcnow()
        # December: the clients are contacted, the day has not come yet (no report).
        session.add(GajiUmrClient(month="2026-12", client_id="KL-BKD-002", dag_id="gaji_umr",
                                  run_id="scheduled__2026-12-01", slot=1, status="dikonfirmasi",
                                  contact_status="dikonfirmasi", contacted_by="system", contacted_at=utcnow(),
                                  updated_at=utcnow()))


def _section(html: str, element_id: str) -> str:
    match = re.search(rf'<section class="card" id="{element_id}">(.*?)</section>', html, re.S)
    assert match, f"section {element_id} missing"
    return match.group(1)


def _rows(section: str) -> list[str]:
    return re.findall(r"<tr>(.*?)</tr>", section.split("<tbody>", 1)[1], re.S)


def test_history_page_shows_winners_weeks_and_months(web) -> None:
    _seed_peterpan()
    _seed_bus_mini()
    _seed_gaji_umr()

    page = web.get(PAGE, headers=ADMIN)

    assert page.status_code == 200
    html = page.text
    assert '<main class="wide">' in html and 'href="/bapas/admin/riwayat">Riwayat</a>' in html  # the nav link

    peterpan = _section(html, "peterpan")
    q3, q2 = _rows(peterpan)
    assert "Triwulan III 2026" in q3 and "Rina Marlina" in q3 and "2 suara" in q3
    assert "Perolehan suara terbanyak" in q3
    assert "3 dari 4 pegawai (75%)" in q3
    assert "Diterbitkan" in q3 and "SERT-PETERPAN/2026/III" in q3
    assert 'href="https://drive.example/foto-rina"' in q3 and "Parsel dan plakat" in q3 and "20 Oktober 2026" in q3
    assert "Triwulan II 2026" in q2 and "Dedi Kurniawan" in q2 and "1 suara" in q2
    assert "Kepala Bapas (perolehan suara sama)" in q2 and "Disiplin paling baik" in q2
    assert "Tidak disetujui" in q2 and "Tunda sampai evaluasi" in q2 and "Tidak ada foto" in q2

    bus = _section(html, "bus-mini")
    assert "2 dari 3 pekan terakhir terunggah" in bus
    w49, w48, w47 = _rows(bus)
    assert "Pekan 48 (23–29 Nov 2026)" in w48 and "Terunggah" in w48
    assert 'href="https://www.youtube.com/watch?v=abcDEF12345"' in w48 and "Bus Mini Pekan 48" in w48
    assert "Jumat, 27 November 2026 pukul 16.30 WIB" in w48
    assert "Pekan 47 (16–22 Nov 2026)" in w47 and "Tidak terunggah" in w47 and "href=" not in w47
    assert "Pekan 49 (30 Nov – 6 Des 2026)" in w49 and 'href="https://youtu.be/zzzYYY00000"' in w49
    assert "Waktu tayang tidak tercatat" in w49 and "dikonfirmasi Tim Humas" in w49

    gaji = _section(html, "gaji-umr")
    december, november = _rows(gaji)
    assert "November 2026" in november and "Kerja bakti membersihkan masjid" in november
    assert "Masjid Al-Ikhlas" in november and "Jumat, 20 November 2026" in november and "07.30 WIB" in november
    for name, status in [("Ahmad Rifai", "hadir"), ("Candra Wijaya", "tidak hadir"),
                         ("Budi Santoso Lubis", "menolak/berhalangan"), ("Darmawan Saputra", "tidak dapat dihubungi")]:
        assert re.search(rf"{name} <span class=\"tag[^\"]*\">{status}</span>", november), name
    assert november.index("Ahmad Rifai") < november.index("Candra Wijaya") < november.index("Budi Santoso Lubis")
    assert "<strong>1</strong> dari 2 klien" in november
    assert "Desember 2026" in december and "Kegiatan belum ditetapkan" in december
    assert "Budi Santoso Lubis" in december and "bersedia hadir" in december and "laporan belum dibuat" in december

    for empty in (EMPTY_PETERPAN, EMPTY_BUS_MINI, EMPTY_GAJI_UMR):
        assert empty not in html
    # On a phone the tables stack into labelled cards (and scroll should a cell still be too wide).
    assert html.count('<div class="scroll">\n  <table class="list stack">') == 3
    assert 'data-label="Pegawai terbaik"' in html and 'data-label="Video"' in html and 'data-label="Klien"' in html


def test_one_section_is_shown_when_asked(web) -> None:
    _seed_bus_mini()

    html = web.get(PAGE, params={"sop": "bus_mini"}, headers=ADMIN).text

    assert 'id="bus-mini"' in html and "Pekan 48 (23–29 Nov 2026)" in html
    assert 'id="peterpan"' not in html and 'id="gaji-umr"' not in html
    assert f'<a href="{PAGE}">Semua</a>' in html and "<strong>Bus Mini</strong>" in html
    # An unknown section shows them all.
    everything = web.get(PAGE, params={"sop": "lainnya"}, headers=ADMIN).text
    assert all(f'id="{s}"' in everything for s in ("peterpan", "bus-mini", "gaji-umr"))


def test_empty_database_shows_the_empty_states(web) -> None:
    page = web.get(PAGE, headers=ADMIN)

    assert page.status_code == 200
    for empty in (EMPTY_PETERPAN, EMPTY_BUS_MINI, EMPTY_GAJI_UMR):
        assert empty in page.text
    assert "<table" not in page.text


def test_history_page_needs_a_login(web) -> None:
    _seed_bus_mini()

    refused = web.get(PAGE)

    assert refused.status_code == 401
    assert "Perlu masuk" in refused.text and "/auth/login/?next=" in refused.text
    assert "Pekan 48" not in refused.text
    assert web.get(PAGE, params={"sop": "peterpan"}).status_code == 401


@pytest.mark.parametrize(("value", "expected"), [
    ("https://drive.example/foto", "https://drive.example/foto"),
    ("javascript:alert(1)", None),
    ("", None),
    (None, None),
])
def test_only_web_links_are_linked(value, expected) -> None:
    from bapas_sop.web.admin_history import safe_url

    assert safe_url(value) == expected


def test_week_labels_in_indonesian() -> None:
    from bapas_sop.sops.bus_mini.history import week_label

    assert week_label("2026-W48") == "Pekan 48 (23–29 Nov 2026)"
    assert week_label("2026-W53") == "Pekan 53 (28 Des 2026 – 3 Jan 2027)"
    assert week_label("bukan-pekan") == "bukan-pekan"

"""Hardening of input validation (issue 9): what a careless or hostile person types is answered
at the door in Indonesian, and what is already stored never stops a check over all the others.

* Dates: ``diterima_pada`` of ``9999-12-31T23:59`` or ``0001-01-01T00:00`` gave a 500 and
  ``0001-01-02T00:00`` was accepted; a trip ending ``9999-12-31`` was accepted and then
  ``kelayakan_sppd`` overflowed.
* One case with a date pandas cannot hold stopped ``/bapas/admin/litmas`` and the hourly
  deadline check for every Litmas.
* Numbers: ``1.500.000`` was refused, ``nan``/``inf`` were accepted as the SPPD amount.
* Email addresses the run cannot use were accepted (``a,b@c.example``, ``x"<evil@...>``,
  ``pémohon@contoh.example``, the last one queued forever).
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select

from bapas_sop.calendar import WIB
from bapas_sop.mail.connection import SmtpSettings
from bapas_sop.mail.outbox import FAILED, enqueue, flush
from bapas_sop.sops.sp2lo import rules as sp2lo_rules
from bapas_sop.sops.sp2lo.forms import LAPORAN_LITMAS, PENGAJUAN_SPPD, PERMOHONAN
from bapas_sop.sops.sp2lo.models import LitmasCase
from bapas_sop.store.db import session_scope
from bapas_sop.store.models import AuditEvent, OutboxMessage

from tests.support.people import BAMBANG

ADMIN = {"x-test-admin": "yes"}
LETTER = {
    "nomor_surat": "B/7/XII/2026/Reskrim", "tanggal_surat": "2026-11-27", "instansi": "penyidik",
    "nama_instansi": "Polresta Jambi", "nama_pemohon": "Iptu Budi", "email_pemohon": "budi@polresta-jambi.example",
    "nama_klien": "Andi Saputra", "kategori": "dewasa", "jenis_litmas": "sidang_anak",
}


def _post_letter(web, data: dict) -> Any:
    """Post the staff's letter form as a browser would: with the page's own admin CSRF token."""
    page = web.get("/bapas/litmas/surat-masuk", headers=ADMIN).text
    token = re.search(r'name="_csrf" value="([^"]+)"', page)
    return web.post("/bapas/litmas/surat-masuk", data={**data, **({"_csrf": token.group(1)} if token else {})},
                    headers=ADMIN)


def _cases() -> list[LitmasCase]:
    with session_scope() as session:
        return list(session.scalars(select(LitmasCase).order_by(LitmasCase.id)))


# --------------------------------------------------------------------------- dates at the door


@pytest.mark.parametrize("typed, message", [
    ("9999-12-31T23:59", "tidak boleh di masa depan"),
    ("0001-01-01T00:00", "tidak boleh sebelum 1 Januari 2000"),
    ("0001-01-02T00:00", "tidak boleh sebelum 1 Januari 2000"),
    ("1999-12-31T23:59", "tidak boleh sebelum 1 Januari 2000"),
])
def test_a_letter_received_out_of_bounds_is_refused_with_the_input_kept(web, smtp_server, typed, message):
    answer = _post_letter(web, {**LETTER, "diterima_pada": typed})
    assert answer.status_code == 422, answer.text[:300]
    assert f"Waktu surat diterima (WIB): {message}" in answer.text
    assert f'value="{typed}"' in answer.text
    assert _cases() == []


def test_a_letter_received_a_minute_ago_is_recorded(web, smtp_server):
    typed = (datetime.now(WIB) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    answer = _post_letter(web, {**LETTER, "diterima_pada": typed})
    assert answer.status_code == 200, answer.text[:300]
    assert len(_cases()) == 1


def test_a_trip_far_in_the_future_is_refused_at_the_form_and_never_overflows_the_rule():
    report = {"nomor_laporan": "L/1", "tanggal_selesai": "2026-11-30", "ringkasan": "Selesai",
              "perjalanan_dinas": "ya", "tujuan": "Muara Bulian", "tanggal_berangkat": "2026-11-20",
              "tanggal_kembali": "9999-12-31"}
    result = LAPORAN_LITMAS.validate(report)
    assert result.errors["tanggal_kembali"].startswith("Tanggal kembali: tidak boleh setelah ")
    assert result.kept["tanggal_kembali"] == "9999-12-31"
    # A trip stored before the form was bounded: the SPPD gate says why, it does not overflow.
    verdict = sp2lo_rules.sppd_eligibility(
        sp2lo_rules.Stage.APPROVED, datetime(2026, 11, 30, tzinfo=WIB), datetime(2026, 11, 30, tzinfo=WIB),
        {"destination": "Muara Bulian", "start_date": "2026-11-20", "end_date": "9999-12-31"})
    assert not verdict.eligible and "di luar rentang yang wajar" in verdict.reason
    with pytest.raises(ValueError, match="outside"):
        sp2lo_rules.accountability_due(date(9999, 12, 31), 5)


# --------------------------------------------------------------------------- one bad record


def _add_case(number: str, received_at: datetime, deadline_at: datetime) -> None:
    with session_scope() as session:
        session.add(LitmasCase(
            case_number=number, channel="surat", letter_number=f"B-{number}", letter_date="2026-11-01",
            requester_agency="Polresta Jambi", client_name=f"Klien {number}", client_category="dewasa",
            litmas_type="lainnya", received_at=received_at, section="bkd", pk_nip=BAMBANG.nip,
            deadline_at=deadline_at, stage="in_research"))


def test_one_case_with_an_impossible_date_does_not_stop_the_others(web, smtp_server):
    now = datetime.now(WIB).replace(microsecond=0)
    _add_case("LITMAS-1-0001", datetime(1, 1, 2, tzinfo=timezone.utc), datetime(1, 1, 16, tzinfo=timezone.utc))
    received = now - timedelta(days=7, minutes=5)  # half of its 14 days used
    _add_case("LITMAS-2026-0002", received, received + timedelta(days=14))

    result = sp2lo_rules_check(now)
    assert result.invalid == ["LITMAS-1-0001"]
    assert result.reminded == ["LITMAS-2026-0002"]  # the good case is still reminded

    page = web.get("/bapas/admin/litmas", headers=ADMIN)
    assert page.status_code == 200
    assert "1 perkara dengan data tidak sah" in page.text and "LITMAS-1-0001" in page.text
    assert "LITMAS-2026-0002" in page.text

    sp2lo_rules_check(now + timedelta(minutes=1))  # reported to the admin once, not every hour
    with session_scope() as session:
        reports = session.scalars(select(AuditEvent).where(AuditEvent.action == "monitor_invalid_data")).all()
        assert [e.subject for e in reports] == ["litmas/LITMAS-1-0001"]


def sp2lo_rules_check(now: datetime):
    from bapas_sop.sops.sp2lo import monitor

    return monitor.check_deadlines(now)


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize("typed, value", [
    ("1.500.000", 1500000), ("1.500.000,50", 1500000.5), ("Rp 1.500.000", 1500000), ("Rp1.500.000", 1500000),
    ("750000", 750000), ("3,5", 3.5),
])
def test_an_sppd_amount_as_indonesians_write_it_is_understood(typed, value):
    result = PENGAJUAN_SPPD.validate({"nomor_spt": "SPT/1", "jumlah_diajukan": typed, "rincian": "Transport"})
    assert result.ok, result.errors
    assert result.values["jumlah_diajukan"] == value


@pytest.mark.parametrize("typed, message", [
    ("nan", "harus berupa angka."), ("inf", "harus berupa angka."), ("-inf", "harus berupa angka."),
    ("1e400", "harus berupa angka."), ("0", "tidak boleh kurang dari 1."),
    ("Rp 100.000.001", "tidak boleh lebih dari 100000000."),
])
def test_an_sppd_amount_that_is_not_a_finite_number_in_bounds_is_refused(typed, message):
    result = PENGAJUAN_SPPD.validate({"nomor_spt": "SPT/1", "jumlah_diajukan": typed, "rincian": "Transport"})
    assert result.errors == {"jumlah_diajukan": f"Jumlah yang diajukan (Rp): {message}"}
    assert result.kept["jumlah_diajukan"] == typed


# --------------------------------------------------------------------------- email addresses

BAD_ADDRESSES = ["a,b@c.example", 'x"<evil@attacker.example>', "pémohon@contoh.example"]


@pytest.mark.parametrize("address", BAD_ADDRESSES)
def test_the_public_intake_refuses_an_address_the_run_cannot_use(web, smtp_server, address):
    page = web.get("/bapas/litmas/permohonan").text
    key = re.search(r'name="_submission_key" value="([^"]+)"', page).group(1)
    data = {**LETTER, "kategori": "anak", "email_pemohon": address, "_submission_key": key}
    answer = web.post("/bapas/litmas/permohonan", data=data)
    assert answer.status_code == 422
    assert "Email pemohon: alamat email tidak valid" in answer.text
    assert _cases() == [] and web.started_runs == []
    assert "alamat email tidak valid" in PERMOHONAN.validate({**LETTER, "email_pemohon": address}).errors["email_pemohon"]


def test_the_directory_email_column_uses_the_same_check():
    from bapas_sop.directory import STAFF_COLUMNS
    from bapas_sop.tables import Column, load_table

    assert next(c for c in STAFF_COLUMNS if c.name == "email").kind == "email"  # the directory's column
    columns = (Column("nama", required=True), Column("email", required=True, kind="email"))
    result = load_table(io.StringIO("nama,email\nRina,a.@bapas.example\nDedi,Dedi@Bapas.Example\n"), columns,
                        table_label="daftar uji")
    assert [str(e) for e in result.errors] == ["Baris 2, kolom email: alamat email tidak valid: 'a.@bapas.example'"]


def test_the_outbox_fails_an_unsendable_address_for_good_instead_of_retrying(project, smtp_server):
    with session_scope() as session:
        message = enqueue(session, key="uji/pemohon", to="pémohon@contoh.example", subject="Tanda terima",
                          html="<p>x</p>", text="x")
        assert message.status == FAILED
        # A row queued before the check existed is failed by the first flush.
        session.add(OutboxMessage(key="uji/lama", to_addr="pémohon@contoh.example", subject="Lama", html="x",
                                  text="x", attachments={}, status="queued", attempts=0, message_id="<lama@x>"))
    settings = SmtpSettings.from_uri(f"smtp://127.0.0.1:{smtp_server.port}")
    first = flush(settings)
    assert first.remaining == 0 and first.sent == 0
    assert flush(settings).failed == 0  # never claimed again
    with session_scope() as session:
        rows = {m.key: m for m in session.scalars(select(OutboxMessage))}
        assert {k: m.status for k, m in rows.items()} == {"uji/pemohon": FAILED, "uji/lama": FAILED}
        assert all("alamat tidak dapat dikirim (permanen)" in m.last_error for m in rows.values())
        actions = [e.action for e in session.scalars(select(AuditEvent))]
        assert actions.count("email_undeliverable") == 2

"""The public pages take abuse: Indonesian messages with what was typed kept, the honeypot,
the per-address limit, a repeated post, escaping, the status page's code check, ULP's login."""

from __future__ import annotations

import html

from sqlalchemy import func, select

from tests.sops.yanpatmas.conftest import ADMIN, COMPLAINANT, file_complaint, hidden_fields, status, ticket_and_code


def _count() -> int:
    from bapas_sop.sops.yanpatmas.models import Complaint
    from bapas_sop.store.db import session_scope

    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(Complaint))


def test_bad_input_gets_indonesian_messages_and_keeps_what_was_typed(web, smtp_server):
    response = file_complaint(web, email="", telepon="12ab", uraian="", tautan_bukti="drive.example/x",
                              perihal="Antrean <b>lama</b> & petugas \"galak\"")
    assert response.status_code == 422
    page = html.unescape(response.text)
    assert "Uraian pengaduan wajib diisi." in page
    assert "tulis nomor telepon dengan angka saja" in page
    assert "tautan harus diawali http:// atau https://" in page
    assert 'Antrean <b>lama</b> & petugas "galak"' in page  # kept as typed
    assert "<b>lama</b>" not in response.text  # and escaped
    assert COMPLAINANT["nama"] in page
    assert _count() == 0 and web.started_runs == []


def test_a_named_complainant_leaves_a_contact_an_anonymous_one_need_not(web, smtp_server):
    refused = file_complaint(web, email="", telepon="")
    assert refused.status_code == 422 and "Isi email atau nomor telepon/WhatsApp" in html.unescape(refused.text)
    accepted = file_complaint(web, anonim="ya", nama="", email="", telepon="")
    assert accepted.status_code == 200
    ticket, code = ticket_and_code(accepted.text)
    assert "tanda terima juga dikirim" not in accepted.text.lower()
    assert status(web, ticket, code).status_code == 200


def test_the_honeypot_is_thanked_and_nothing_is_stored(web, smtp_server):
    response = file_complaint(web, situs_web="http://spam.example")
    assert response.status_code == 200 and "Terima kasih" in response.text
    assert "YP-" not in response.text and _count() == 0 and web.started_runs == []


def test_one_address_may_post_only_so_often(web, smtp_server):
    from bapas_sop.settings import get_settings

    limit = int(get_settings().config["yanpatmas"]["kiriman_per_jam"])
    for _ in range(limit):
        assert file_complaint(web, uraian="").status_code == 422
    blocked = file_complaint(web, perihal="Kiriman kesekian")
    assert blocked.status_code == 429
    page = html.unescape(blocked.text)
    assert "Terlalu banyak kiriman" in page and "Kiriman kesekian" in page
    assert _count() == 0
    # The status page is counted apart, and guessing codes there meets the same limit.
    for _ in range(limit):
        assert status(web, "YP-2026-0001", "AAAA-AAAA").status_code == 404
    assert status(web, "YP-2026-0001", "AAAA-AAAA").status_code == 429


def test_a_repeated_post_of_the_same_page_keeps_one_ticket(web, smtp_server):
    page = web.get("/bapas/yanpatmas/pengaduan")
    data = {**hidden_fields(page.text), "anonim": "tidak", **COMPLAINANT, "perihal": "Antrean", "waktu_tempat": "Senin",
            "uraian": "Antrean lama sekali."}
    first = web.post("/bapas/yanpatmas/pengaduan", data=data)
    second = web.post("/bapas/yanpatmas/pengaduan", data=data)
    ticket, _code = ticket_and_code(first.text)
    assert "sudah tercatat" in second.text and ticket in second.text
    assert _count() == 1 and len(web.started_runs) == 1


def test_a_forged_submission_key_is_refused_with_the_input_kept(web, smtp_server):
    page = web.get("/bapas/yanpatmas/pengaduan")
    data = {**hidden_fields(page.text), "_submission_key": "palsu", "anonim": "ya", "perihal": "Antrean",
            "waktu_tempat": "Senin", "uraian": "Antrean lama sekali."}
    response = web.post("/bapas/yanpatmas/pengaduan", data=data)
    assert response.status_code == 422 and "Kode pengiriman halaman ini tidak sah" in response.text
    assert "Antrean lama sekali." in response.text and _count() == 0


def test_the_status_page_needs_the_right_code(web, smtp_server):
    ticket, code = ticket_and_code(file_complaint(web).text)
    wrong = status(web, ticket, "ZZZZ-ZZZZ")
    assert wrong.status_code == 404 and "tidak cocok" in wrong.text and ticket in wrong.text
    assert status(web, "YP-9999-0001", code).status_code == 404
    bad = status(web, "nomor saya", code)
    assert bad.status_code == 422 and "mis. YP-2026-0001" in bad.text
    right = status(web, ticket.lower(), code.lower().replace("-", ""))
    assert right.status_code == 200 and "sedang diperiksa kelengkapannya" in right.text
    assert COMPLAINANT["nama"] not in right.text and COMPLAINANT["email"] not in right.text


def test_ulp_intake_needs_a_login_and_the_admin_list_shows_tickets_only(web, smtp_server):
    assert web.get("/bapas/yanpatmas/pengaduan-masuk").status_code == 401
    assert web.post("/bapas/yanpatmas/pengaduan-masuk", data={"saluran": "telepon"}).status_code == 401
    forged = web.post("/bapas/yanpatmas/pengaduan-masuk", data={"saluran": "telepon"}, headers=ADMIN)
    assert forged.status_code == 403
    ticket, _code = ticket_and_code(file_complaint(web).text)
    listing = web.get("/bapas/admin/yanpatmas", headers=ADMIN)
    assert listing.status_code == 200 and ticket in listing.text
    assert COMPLAINANT["nama"] not in listing.text and "lima puluh ribu" not in listing.text
    assert web.get("/bapas/admin/yanpatmas").status_code == 401

"""The public PPID request page (``/bapas/publik/ppid``), declared in ``include/config/sops/ppid.yaml``."""

from __future__ import annotations

from tests.sops.ppid.conftest import PUBLIC_PATH, REQUEST, REQUESTER, ask, hidden_fields, number_in
from tests.support.scenario import messages


def test_a_request_gets_a_number_an_acknowledgement_and_a_run_with_the_number_only(web, smtp_server):
    posted = ask(web)
    assert posted.status_code == 200, posted.text[:1000]
    number = number_in(posted.text)
    assert number.startswith("PPID-2026-") and "Permohonan diterima" in posted.text
    # The run knows the number only: no name, email or request text in its id or conf.
    assert web.started_runs == [("ppid", f"permohonan__{number}", {"nomor": number})]
    [ack] = messages(smtp_server.maildir, to=REQUESTER["email"])
    assert number in ack.subject and "10 hari kerja" in ack.text and REQUEST["tujuan"] in ack.text


def test_a_mistake_is_explained_in_indonesian_and_what_was_typed_is_kept(web, smtp_server):
    posted = ask(web, email="bukan-email", rincian_informasi="Data klien anak tahun 2024")
    assert posted.status_code == 422
    assert "email" in posted.text.lower() and "Data klien anak tahun 2024" in posted.text
    assert web.started_runs == [] and messages(smtp_server.maildir) == []


def test_a_repeated_post_of_one_page_makes_one_request(web, smtp_server):
    page = web.get(PUBLIC_PATH)
    data = {**hidden_fields(page.text), **REQUESTER, **REQUEST}
    first = web.post(PUBLIC_PATH, data=data)
    again = web.post(PUBLIC_PATH, data=data)
    assert number_in(first.text) == number_in(again.text) and "sudah tercatat" in again.text
    assert len(web.started_runs) == 1


def test_a_robot_filling_the_hidden_field_stores_nothing(web, smtp_server):
    posted = ask(web, situs_web="http://spam.example")
    assert posted.status_code == 200 and "Terima kasih" in posted.text
    assert web.started_runs == [] and messages(smtp_server.maildir) == []


def test_the_page_is_listed_among_the_public_pages(web):
    from tests.sops.ppid.conftest import ADMIN

    index = web.get("/bapas/admin/", headers=ADMIN)
    assert "/publik/ppid" in index.text


def test_too_many_posts_from_one_address_are_held_back_with_the_input_kept(web, smtp_server):
    for _ in range(10):  # the file's intake.posts_per_hour
        assert ask(web, email="salah").status_code == 422
    held = ask(web, rincian_informasi="Anggaran bimbingan klien 2026")
    assert held.status_code == 429 and "Terlalu banyak kiriman" in held.text
    assert "Anggaran bimbingan klien 2026" in held.text and web.started_runs == []

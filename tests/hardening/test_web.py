"""The forms app against a hostile or careless sender: every bad input gets an Indonesian page,
nothing is stored from it, and no answer is silently lost.

Each test reproduces one finding of issue 9 (it failed on the code before the fix).
"""

from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bapas_sop import humantask
from bapas_sop.store.db import session_scope
from bapas_sop.store.models import FormResponse

ADMIN = {"x-test-admin": "yes"}
LETTER = {
    "nomor_surat": "B/7/XII/2026", "tanggal_surat": "2026-11-27", "instansi": "penyidik",
    "nama_instansi": "Polresta Jambi", "nama_pemohon": "Iptu Budi", "email_pemohon": "budi@polresta-jambi.example",
    "nama_klien": "Andi", "kategori": "anak", "jenis_litmas": "sidang_anak",
}


def _open(step: str = "kabapas_disposisi") -> humantask.OpenedRequest:
    return humantask.open_request(
        key=f"sp2lo/run1/{step}", step=step, form_name="sp2lo_disposisi",
        title="Disposisi permintaan Litmas LITMAS-2026-0001", assignee="kabapas",
        context={"facts": [["Nomor perkara", "LITMAS-2026-0001"]]}, dag_id="sp2lo", run_id="run1",
    )


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def _csrf(page_html: str) -> str:
    return re.search(r'name="_csrf" value="([^"]+)"', page_html).group(1)


def _is_indonesian_page(response, status: int, *phrases: str) -> None:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="id"' in response.text
    for phrase in phrases:
        assert phrase in response.text


def _responses() -> int:
    with session_scope() as session:
        return session.query(FormResponse).count()


# --- 1. a CSRF value that is not ASCII, or a file ---------------------------------------


@pytest.mark.parametrize("suffix", ["", "/alihkan"])
def test_non_ascii_csrf_is_refused_with_the_indonesian_page(web, suffix):
    path = _path(_open().url) + suffix
    response = web.post(path, content=b"_csrf=%C3%A9&seksi=bka", headers={"content-type": "application/x-www-form-urlencoded"})
    _is_indonesian_page(response, 403, "Formulir tidak sah")
    file_csrf = web.post(path, data={"seksi": "bka"}, files={"_csrf": ("csrf.txt", b"x", "text/plain")})
    _is_indonesian_page(file_csrf, 403, "Formulir tidak sah")
    assert _responses() == 0


# --- 2. query parameters out of bounds --------------------------------------------------


@pytest.mark.parametrize("query", ["batas=-99999999999999999999", "batas=99999999999999999999", "batas=-1", "batas=abc"])
def test_audit_page_refuses_a_limit_out_of_bounds_in_indonesian(web, query):
    response = web.get(f"/bapas/admin/audit?{query}", headers=ADMIN)
    _is_indonesian_page(response, 422, "Alamat halaman tidak sah", "batas")
    assert web.get("/bapas/admin/audit?batas=5", headers=ADMIN).status_code == 200


# --- 3. a signed link naming an id no database can hold ---------------------------------


def test_link_with_a_huge_request_id_is_an_invalid_link(web):
    from bapas_sop.forms.links import LinkClaims, csrf_token, sign_link

    token = sign_link(LinkClaims(request_id=10**30, person="197408121999031002", version=1))
    _is_indonesian_page(web.get(f"/bapas/f/{token}"), 403, "Tautan tidak sah")
    posted = web.post(f"/bapas/f/{token}", data={"_csrf": csrf_token(token), "seksi": "bka"})
    _is_indonesian_page(posted, 403, "Tautan tidak sah")


# --- 4. whatever still breaks: an Indonesian 500 page ---------------------------------


def test_an_unexpected_error_is_an_indonesian_page(project):
    from bapas_sop.web.app import create_app

    app = create_app(admin_dependency=lambda: "admin", start_run=lambda *a: None)

    @app.get("/rusak")
    def broken() -> None:
        raise RuntimeError("simulated bug")

    root = FastAPI()
    root.mount("/bapas", app)
    client = TestClient(root, raise_server_exceptions=False)
    _is_indonesian_page(client.get("/bapas/rusak"), 500, "Terjadi kesalahan", "hubungi admin SOP")
    # The framework's own errors are Indonesian pages too, not English JSON.
    _is_indonesian_page(client.get("/bapas/tidak-ada"), 404, "Halaman tidak ditemukan")
    _is_indonesian_page(client.put("/bapas/health"), 405)


# --- 6. a file where text is asked, a field of 5 MB -----------------------------------


def test_a_file_part_named_like_a_field_is_refused_by_name(web):
    opened = _open()
    page = web.get(_path(opened.url))
    response = web.post(
        _path(opened.url), data={"_csrf": _csrf(page.text), "seksi": "bka"},
        files={"catatan": ("catatan.txt", b"isi berkas", "text/plain")},
    )
    _is_indonesian_page(response, 422, "Catatan disposisi: berkas tidak dapat dikirim di isian ini")
    assert "UploadFile" not in response.text
    assert _responses() == 0
    intake = web.post("/bapas/litmas/permohonan", data={k: v for k, v in LETTER.items() if k != "nama_klien"},
                      files={"nama_klien": ("klien.txt", b"Andi", "text/plain")})
    _is_indonesian_page(intake, 422, "Nama klien: berkas tidak dapat dikirim di isian ini")
    assert web.started_runs == []


def test_a_five_megabyte_field_keeps_the_input_and_states_the_limit(web):
    opened = _open()
    page = web.get(_path(opened.url))
    assert 'maxlength="2000"' in page.text and "Paling banyak 2000 karakter." in page.text
    typed = "Klien dewasa, " + "x" * (5 * 1024 * 1024)
    response = web.post(
        _path(opened.url), data={"_csrf": _csrf(page.text), "seksi": "bkd"},
        files={"catatan": (None, typed.encode())},  # a plain multipart field, 5 MB
    )
    _is_indonesian_page(response, 422, "Catatan disposisi: terlalu panjang", "paling banyak 2000")
    assert typed[:2000] in response.text  # kept, cut to the limit
    assert re.search(r'value="bkd"\s+checked', response.text)  # the choice made is kept too
    assert _responses() == 0
    # Far beyond what is read at all: still a page in Indonesian, the form shown again.
    huge = web.post(_path(opened.url), data={"_csrf": _csrf(page.text)},
                    files={"catatan": (None, b"y" * (9 * 1024 * 1024))})
    _is_indonesian_page(huge, 413, "Kiriman terlalu besar")


# --- 7. the second answer to one link -------------------------------------------------


def test_a_second_different_answer_is_told_it_was_not_saved(web):
    opened = _open()
    page = web.get(_path(opened.url))
    first = web.post(_path(opened.url), data={"_csrf": _csrf(page.text), "seksi": "bkd"})
    assert "Terima kasih, jawaban Anda sudah tersimpan" in web.get(first.headers["location"]).text
    repeat = web.post(_path(opened.url), data={"_csrf": _csrf(page.text), "seksi": "bkd"})
    assert "Terima kasih, jawaban Anda sudah tersimpan" in web.get(repeat.headers["location"]).text
    other = web.post(_path(opened.url), data={"_csrf": _csrf(page.text), "seksi": "bka"})
    assert other.status_code == 303
    shown = web.get(other.headers["location"])
    assert "Terima kasih" not in shown.text
    assert "sudah tercatat lebih dulu" in shown.text and "tidak disimpan" in shown.text
    assert "Kasubsi Bimbingan Klien Dewasa" in shown.text  # the recorded (first) answer is shown
    assert humantask.poll(opened.key)["answer"]["seksi"] == "bkd"


def test_of_concurrent_answers_one_is_kept_and_the_others_are_told(web):
    opened = _open()
    page = web.get(_path(opened.url))
    token = _csrf(page.text)
    answers = ["bka", "bkd", "bka", "bkd", "bka", "bkd"]
    pages: list[str] = [""] * len(answers)
    start = threading.Barrier(len(answers))

    def answer(i: int) -> None:
        start.wait()
        posted = web.post(_path(opened.url), data={"_csrf": token, "seksi": answers[i], "catatan": f"jawaban {i}"})
        pages[i] = web.get(posted.headers["location"]).text

    threads = [threading.Thread(target=answer, args=(i,)) for i in range(len(answers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    saved = [i for i, text in enumerate(pages) if "Terima kasih, jawaban Anda sudah tersimpan" in text]
    told = [i for i, text in enumerate(pages) if "sudah tercatat lebih dulu" in text]
    assert len(saved) == 1 and sorted(saved + told) == list(range(len(answers)))
    assert humantask.poll(opened.key)["answer"]["catatan"] == f"jawaban {saved[0]}"
    assert _responses() == 1


# --- 8. a forged Host header ----------------------------------------------------------


def test_a_forged_host_is_refused_and_never_reflected(web):
    forged = web.get("/bapas/admin/inbox", headers={"host": "evil.example"})
    _is_indonesian_page(forged, 400, "Alamat server tidak dikenal")
    assert "evil.example" not in forged.text
    redirect = web.get("/bapas/admin", headers={"host": "evil.example"})
    assert "evil.example" not in redirect.headers.get("location", "")
    # A trusted name other than the public one (this machine's): the login link still uses the public URL.
    login = web.get("/bapas/admin/inbox?kepada=x", headers={"host": "localhost"})
    assert login.status_code == 401
    assert "next=http%3A//testserver/bapas/admin/inbox%3Fkepada%3Dx" in login.text


def test_the_trusted_hosts_come_from_the_public_url(monkeypatch):
    from bapas_sop.web.app import trusted_hosts

    monkeypatch.setenv("BAPAS_PUBLIC_URL", "http://192.168.1.10:8080/bapas")
    monkeypatch.setenv("BAPAS_ALLOWED_HOSTS", "pc-bapas.lan")
    hosts = trusted_hosts()
    assert {"192.168.1.10", "localhost", "127.0.0.1", "pc-bapas.lan"} <= set(hosts)
    assert "evil.example" not in hosts


# --- 9. admin forms need their own token ------------------------------------------------


def _letter() -> dict[str, str]:
    received = (datetime.now() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    return {**LETTER, "diterima_pada": received}


def test_a_cross_origin_admin_post_with_the_cookie_is_refused(web):
    # The browser sends the admin's cookie (here: the stand-in header), but no token of our page.
    forged = web.post("/bapas/litmas/surat-masuk", data=_letter(), headers=ADMIN)
    _is_indonesian_page(forged, 403, "Formulir tidak sah")
    wrong = web.post("/bapas/litmas/surat-masuk", data={**_letter(), "_csrf": "bukan-token"}, headers=ADMIN)
    assert wrong.status_code == 403
    from bapas_sop.web.csrf import admin_csrf_token

    someone_else = web.post("/bapas/litmas/surat-masuk", data={**_letter(), "_csrf": admin_csrf_token("admin-lain")},
                            headers=ADMIN)
    assert someone_else.status_code == 403
    assert web.started_runs == []
    # From our own page: registered.
    page = web.get("/bapas/litmas/surat-masuk", headers=ADMIN)
    token = _csrf(page.text)
    bad = web.post("/bapas/litmas/surat-masuk", data={**_letter(), "_csrf": token, "nama_klien": ""}, headers=ADMIN)
    assert bad.status_code == 422 and _csrf(bad.text)  # the page shown again still carries a token
    assert 'method="post" action="/bapas/litmas/surat-masuk"' in bad.text  # ... and posts to the same page
    done = web.post("/bapas/litmas/surat-masuk", data={**_letter(), "_csrf": _csrf(bad.text)}, headers=ADMIN)
    assert done.status_code == 200, done.text[:800]
    assert "Permintaan diterima" in done.text
    assert len(web.started_runs) == 1


def test_admin_token_is_bound_to_the_admin_and_expires(project, monkeypatch):
    import bapas_sop.web.csrf as csrf

    token = csrf.admin_csrf_token("admin")
    assert csrf.admin_token_ok("admin", token)
    assert not csrf.admin_token_ok("admin-lain", token)
    assert not csrf.admin_token_ok("admin", "é")
    monkeypatch.setattr(csrf, "ADMIN_CSRF_MAX_AGE", -1)
    assert not csrf.admin_token_ok("admin", token)

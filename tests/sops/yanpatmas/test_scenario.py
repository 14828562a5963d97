"""Yanpatmas end to end under ``dag.test()``: a complaint filed on the public page, every step
answered through the real form pages from the emails the SMTP server received.

Paths: complete -> examined -> proven -> sanction (with the conflict-of-interest refusal on the
Kepala Bapas's form); incomplete -> completed -> not proven -> rehabilitation; incomplete ->
withdrawn; out of scope; anonymous, typed in by ULP, answered without an examination. The first
two also search all of Airflow (metadata database, log files, the process's output) for the
complainant's name, email, phone and words, and find none.
"""

from __future__ import annotations

import re

from sqlalchemy import text, update

from tests.sops.yanpatmas.airflow_view import leaks
from tests.sops.yanpatmas.conftest import (
    ADMIN, COMPLAINANT, COMPLAINT, file_complaint, status, ticket_and_code,
)
from tests.support import people
from tests.support.forms import open_form
from tests.support.scenario import messages, task_states, today_wib

SECRETS = [COMPLAINANT["nama"], COMPLAINANT["email"], COMPLAINANT["telepon"], "08137777", COMPLAINT["uraian"][:40],
           COMPLAINT["terlapor"], "lima puluh ribu"]


def _complaint(ticket: str):
    from bapas_sop.sops.yanpatmas import service

    return service.get(ticket)


def _to_complainant(maildir) -> list:
    return messages(maildir, to=COMPLAINANT["email"])


def _staff_mail_is_ticket_only(maildir) -> None:
    """Emails to anyone but the complainant carry the ticket, never the contents or the identity."""
    for m in messages(maildir):
        if COMPLAINANT["email"] in m.to:
            continue
        body = m.subject + m.text + m.html
        for secret in (COMPLAINANT["nama"], COMPLAINANT["email"], COMPLAINANT["telepon"], "lima puluh ribu"):
            assert secret not in body, f"{m.subject!r} to {m.to} carries {secret!r}"


def _analysis(web, examiner, reported, *, refuse_first=None):
    """The Kepala Bapas's analysis; with ``refuse_first`` an examiner the form must refuse first."""

    def answer(message, page_html):
        page = open_form(web, message)
        assert COMPLAINANT["nama"] in page.text and "lima puluh ribu" in page.text  # Kabapas reads it all
        base = {"kategori": "pungutan_liar", "berdasar": "ya", "perlu_pemeriksaan": "ya", "terlapor_nip": reported.nip,
                "catatan": "Perlu diperiksa."}
        if refuse_first is not None:
            refused = page.answer({**base, "pemeriksa_nip": refuse_first.nip})
            assert refused.status_code == 422
            assert "bawahan" in refused.text and "Pilih pemeriksa" in refused.text
            assert "Perlu diperiksa." in refused.text  # what was typed is kept
        return {**base, "pemeriksa_nip": examiner.nip}

    return answer


def _examination(web, conclusion):
    def answer(message, page_html):
        # The examiner reads the complaint without the complainant's identity.
        assert "lima puluh ribu" in page_html
        assert COMPLAINANT["nama"] not in page_html and COMPLAINANT["email"] not in page_html
        return {"tanggal_pemeriksaan": today_wib().isoformat(), "keterangan_terlapor": "Terlapor mengakui menerima uang.",
                "keterangan_saksi": "Saksi melihat penyerahan uang.", "bukti": "Kuitansi",
                "kesimpulan": conclusion, "uraian_kesimpulan": "Keterangan dan bukti saling menguatkan."}

    return answer


COMMON = {
    "periksa kelengkapan": {"keputusan": "lengkap"},
    "teruskan kepada Kepala Bapas": {"ringkasan": "Dugaan pungutan di loket pendaftaran."},
    "sahkan laporan": {"pengesahan": "setuju", "pesan_pelapor": "Terima kasih atas laporan Anda."},
}


def test_complete_examined_proven_sanction(web, smtp_server, run_dag, yanpatmas_dag, capfd):
    posted = file_complaint(web)
    assert posted.status_code == 200, posted.text[:1000]
    ticket, code = ticket_and_code(posted.text)
    assert web.started_runs == [("yanpatmas", f"aduan__{ticket}", {"nomor_tiket": ticket})]
    [ack] = _to_complainant(smtp_server.maildir)
    assert ticket in ack.subject and code in ack.text

    answers = {
        **COMMON,
        "telaah Kepala Bapas": _analysis(web, people.KASUBSI_BKD, people.KASUBSI_BKA, refuse_first=people.RINA),
        "pemeriksaan terhadap terlapor": _examination(web, "terbukti"),
        "catat sanksi": {"tingkat": "sedang", "jenis": "Penundaan kenaikan gaji berkala", "nomor_keputusan": "W3.PAS.11-KP.04-17",
                         "tanggal_keputusan": today_wib().isoformat()},
    }
    dagrun, responder = run_dag(yanpatmas_dag, {"nomor_tiket": ticket}, answers)
    states = task_states(dagrun)
    assert getattr(dagrun.state, "value", dagrun.state) == "success", states
    assert states["catat_sanksi"] == "success" and states["melakukan_rehabilitasi"] == "skipped"
    assert states["tutup_di_luar_kewenangan"] == "skipped" and states["menyampaikan_tanggapan"] == "skipped"

    complaint = _complaint(ticket)
    assert complaint.stage == "selesai" and complaint.outcome == "terbukti"
    assert complaint.sanction_level == "sedang" and "W3.PAS.11-KP.04-17" in complaint.sanction_ref
    assert complaint.report_pdf.startswith(b"%PDF") and complaint.report_approved_at is not None
    assert complaint.first_answer_at <= complaint.first_answer_due
    assert complaint.examiner_nip == people.KASUBSI_BKD.nip and complaint.reported_nip == people.KASUBSI_BKA.nip

    maildir = smtp_server.maildir
    [kanwil] = messages(maildir, to="kakanwil@kanwil-ditjenpas-jambi.example")
    assert kanwil.attachments == [f"LHP-{ticket}.pdf"] and "Jl. Jend. Sudirman No. 2, Jambi" in kanwil.text
    [result] = messages(maildir, to=COMPLAINANT["email"], subject="Hasil penanganan")
    assert "terbukti" in result.text and not result.attachments
    assert people.KASUBSI_BKD.name not in result.text and people.KASUBSI_BKA.name not in result.text
    _staff_mail_is_ticket_only(maildir)

    page = status(web, ticket, code)
    assert page.status_code == 200 and "sudah selesai ditangani" in page.text
    assert COMPLAINANT["nama"] not in page.text and "lima puluh ribu" not in page.text
    rated = web.post("/bapas/yanpatmas/status/nilai", data={"tiket": ticket, "kode": code, "nilai": "4", "situs_web": ""})
    assert "Terima kasih atas penilaian" in rated.text and _complaint(ticket).rating == 4
    # The satisfaction survey (SKM) reaches the complainant; the Kinerja page counts the complaint.
    [survey_mail] = messages(maildir, to=COMPLAINANT["email"], subject="Survei kepuasan Pengaduan masyarakat")
    assert any("/bapas/skm/" in link for link in survey_mail.links) and "lima puluh ribu" not in survey_mail.text
    kinerja = web.get("/bapas/admin/kinerja", headers=ADMIN).text
    assert "Pengaduan selesai dalam batas waktu" in kinerja and "1 dari 1 (100%)" in kinerja
    assert COMPLAINANT["nama"] not in kinerja and "lima puluh ribu" not in kinerja
    history = web.get("/bapas/admin/riwayat?sop=yanpatmas", headers=ADMIN)
    assert ticket in history.text and "Terbukti; hukuman disiplin sedang" in history.text
    assert COMPLAINANT["nama"] not in history.text and "lima puluh ribu" not in history.text

    output = capfd.readouterr()
    assert leaks(SECRETS, output.out + output.err) == []
    # The search can find: Airflow does hold the ticket (run conf, XCom, the steps' keys).
    seen = leaks([ticket], output.out)
    assert any("table:xcom" in s for s in seen) and any("table:dag_run" in s for s in seen), seen


def test_identity_is_encrypted_at_rest(web, smtp_server):
    from bapas_sop.sops.yanpatmas import service
    from bapas_sop.store.db import session_scope

    ticket, _code = ticket_and_code(file_complaint(web).text)
    with session_scope() as session:
        raw = " ".join(str(v) for v in session.execute(text("SELECT * FROM yanpatmas_complaint")).one())
    for secret in (COMPLAINANT["nama"], COMPLAINANT["email"], COMPLAINANT["telepon"]):
        assert secret not in raw
    assert service.identity_of(service.get(ticket)) == COMPLAINANT


def test_incomplete_then_completed_not_proven_rehabilitation(web, smtp_server, run_dag, yanpatmas_dag, capfd):
    ticket, code = ticket_and_code(file_complaint(web).text)

    def supplement(message, page_html):
        assert message.to == [COMPLAINANT["email"]]
        assert "Sebutkan hari dan jam kejadian" in page_html
        # The status page offers the same link to whoever holds the ticket and its code.
        shown = status(web, ticket, code)
        assert "perlu dilengkapi" in shown.text and "Lengkapi pengaduan" in shown.text
        return {"tambahan": "Kejadian hari Senin pukul 10.00 di loket 2."}

    answers = {
        **COMMON,
        "periksa kelengkapan": {"keputusan": "tidak_lengkap", "kekurangan": "Sebutkan hari dan jam kejadian."},
        "Lengkapi pengaduan": supplement,
        "telaah Kepala Bapas": _analysis(web, people.SITI, people.RINA),
        "pemeriksaan terhadap terlapor": _examination(web, "tidak_terbukti"),
    }
    dagrun, _ = run_dag(yanpatmas_dag, {"nomor_tiket": ticket}, answers)
    states = task_states(dagrun)
    assert getattr(dagrun.state, "value", dagrun.state) == "success", states
    assert states["melakukan_rehabilitasi"] == "success" and states["catat_sanksi"] == "skipped"
    complaint = _complaint(ticket)
    assert complaint.stage == "selesai" and complaint.outcome == "tidak_terbukti"
    assert "loket 2" in complaint.supplement and complaint.complete_at > complaint.received_at
    assert complaint.rehabilitation_pdf.startswith(b"%PDF")
    [letter] = messages(smtp_server.maildir, to=people.RINA.email)
    assert letter.attachments == [f"Rehabilitasi-{ticket}.pdf"] and "lima puluh ribu" not in letter.text
    assert [m.subject for m in _to_complainant(smtp_server.maildir)][:2] == [
        f"Tanda terima pengaduan {ticket}", f"Pengaduan {ticket} perlu dilengkapi"]
    _staff_mail_is_ticket_only(smtp_server.maildir)
    output = capfd.readouterr()
    assert leaks(SECRETS, output.out + output.err) == []


def test_incomplete_then_withdrawn(web, smtp_server, run_dag, yanpatmas_dag):
    from bapas_sop.store.db import session_scope
    from bapas_sop.store.models import FormRequest, utcnow

    ticket, code = ticket_and_code(file_complaint(web).text)

    def silence(message, page_html):
        """The complainant never answers: the 30 days pass."""
        with session_scope() as session:
            session.execute(update(FormRequest).where(FormRequest.step == "melengkapi_laporan").values(expires_at=utcnow()))
        return None

    answers = {"periksa kelengkapan": {"keputusan": "tidak_lengkap", "kekurangan": "Lampirkan bukti."},
               "Lengkapi pengaduan": silence}
    dagrun, _ = run_dag(yanpatmas_dag, {"nomor_tiket": ticket}, answers)
    states = task_states(dagrun)
    assert states["tutup_ditarik"] == "success" and states["menyampaikan_kepada_kabapas.kirim_formulir"] == "skipped"
    assert _complaint(ticket).stage == "ditarik"
    assert messages(smtp_server.maildir, to=COMPLAINANT["email"], subject=f"Pengaduan {ticket} ditutup")
    assert "tidak dilengkapi" in status(web, ticket, code).text


def test_out_of_scope(web, smtp_server, run_dag, yanpatmas_dag):
    ticket, code = ticket_and_code(file_complaint(web).text)
    answers = {"periksa kelengkapan": {"keputusan": "di_luar_kewenangan", "alasan": "Menyangkut putusan pengadilan.",
                                       "rujukan": "Pengadilan Negeri Jambi"}}
    dagrun, _ = run_dag(yanpatmas_dag, {"nomor_tiket": ticket}, answers)
    states = task_states(dagrun)
    assert states["tutup_di_luar_kewenangan"] == "success" and states["tutup_pengaduan"] == "skipped"
    complaint = _complaint(ticket)
    assert complaint.stage == "di_luar_kewenangan" and complaint.first_answer_at is not None
    [closed] = messages(smtp_server.maildir, to=COMPLAINANT["email"], subject="di luar kewenangan")
    assert "Pengadilan Negeri Jambi" in closed.text and "Menyangkut putusan pengadilan." in closed.text
    assert "di luar kewenangan Bapas" in status(web, ticket, code).text


def test_anonymous_typed_in_by_ulp_answered_without_examination(web, smtp_server, run_dag, yanpatmas_dag):
    posted = file_complaint(web, path="/bapas/yanpatmas/pengaduan-masuk", headers=ADMIN, anonim="ya", nama="",
                            email="", telepon="", saluran="kotak", diterima_pada=f"{today_wib().isoformat()}T08:00",
                            **{"_csrf": re.search(r'name="_csrf" value="([^"]+)"',
                                                  web.get("/bapas/yanpatmas/pengaduan-masuk", headers=ADMIN).text).group(1)})
    assert posted.status_code == 200, posted.text[:1500]
    ticket, code = ticket_and_code(posted.text)

    def analysis(message, page_html):
        assert "Anonim" in page_html
        return {"kategori": "pelayanan", "berdasar": "ya", "perlu_pemeriksaan": "tidak",
                "tanggapan": "Loket pendaftaran kini dijaga dua petugas dan tarif resmi dipasang."}

    answers = {**COMMON, "telaah Kepala Bapas": analysis}
    dagrun, _ = run_dag(yanpatmas_dag, {"nomor_tiket": ticket}, answers)
    states = task_states(dagrun)
    assert getattr(dagrun.state, "value", dagrun.state) == "success", states
    assert states["menyampaikan_tanggapan"] == "success" and states["pemeriksaan_terhadap_terlapor.kirim_formulir"] == "skipped"
    complaint = _complaint(ticket)
    assert complaint.anonymous and complaint.channel == "kotak" and complaint.stage == "selesai"
    assert complaint.resolution_due.date() > today_wib()
    from bapas_sop.sops.yanpatmas import service

    assert service.identity_of(complaint) == {"nama": None, "email": None, "telepon": None}
    assert "sudah selesai ditangani" in status(web, ticket, code).text

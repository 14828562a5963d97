"""PPID end to end under ``dag.test()``: a request on the public page, every step answered through
the real form pages from the emails the SMTP server received.

Paths: the officer extends once (the requester is told; the extended round cannot extend again),
answers, the requester objects through their own link and the Kepala Bapas answers the objection;
and: refused with a legal reason, the requester does not object, the run ends. The first also
searches Airflow's metadata database and the run's output for the requester's name, email and
request text, and finds none.
"""

from __future__ import annotations

from datetime import timedelta

from tests.sops.ppid.conftest import ADMIN, REQUEST, REQUESTER, ask, number_in
from tests.sops.yanpatmas.airflow_view import leaks
from tests.support.forms import choices
from tests.support.scenario import form_requests, messages, task_states

SECRETS = [REQUESTER["nama"], REQUESTER["email"], REQUEST["rincian_informasi"][:40], REQUEST["tujuan"][:30]]


def _record(number: str):
    from bapas_sop.declared import flow

    return flow.get(number)


def _extended_round(message, page_html):
    # The extension is granted once: the extended round's form no longer offers it.
    offered = choices(page_html, "keputusan")
    assert "diberikan" in offered and "diperpanjang" not in offered
    return {"keputusan": "diberikan", "jawaban": "Terlampir rekapitulasi klien dewasa 2025 per kabupaten.",
            "tautan_informasi": "https://drive.example/ppid/rekap-2025"}


def test_extension_answer_objection_and_the_head_of_office_answer(web, smtp_server, run_dag, ppid_dag, capfd):
    from bapas_sop.calendar import add_working_days

    posted = ask(web)
    number = number_in(posted.text)
    answers = {
        "(diperpanjang)": _extended_round,
        "Jawab permohonan informasi publik": {"keputusan": "diperpanjang",
                                              "jawaban": "Data masih dihimpun dari seksi Bimbingan Klien Dewasa."},
        "Jawaban atas permohonan informasi": {"mengajukan_keberatan": "ya", "alasan_keberatan": "d",
                                              "uraian_keberatan": "Data per kabupaten tidak dipisah menurut jenis kelamin."},
        "Tanggapi keberatan": {"keputusan": "diterima", "tanggapan": "Data terpilah menurut jenis kelamin dilampirkan.",
                               "tautan_informasi": "https://drive.example/ppid/rekap-2025-terpilah"},
    }
    dagrun, _responder = run_dag(ppid_dag, {"nomor": number}, answers)
    states = task_states(dagrun)
    assert getattr(dagrun.state, "value", dagrun.state) == "success", states
    assert states["menjawab_permohonan_diperpanjang.tunggu_jawaban"] == "success"
    assert states["menjawab_keberatan.tunggu_jawaban"] == "success" and states["selesai"] == "success"

    record = _record(number)
    assert record.status == "selesai" and record.outcome == "diberikan"
    assert record.answers["mengajukan_keberatan"]["alasan_keberatan"] == "d"

    # Deadlines in working days: 10 from the request, then 7 more from that first deadline.
    steps = form_requests(dagrun.run_id)
    first, extended = steps["menjawab_permohonan"], steps["menjawab_permohonan_diperpanjang"]
    assert first.due_at == add_working_days(first.created_at, 10)
    assert extended.due_at == add_working_days(first.due_at, 7)
    assert steps["mengajukan_keberatan"].due_at == add_working_days(steps["mengajukan_keberatan"].created_at, 30)
    assert steps["menjawab_keberatan"].due_at == add_working_days(steps["menjawab_keberatan"].created_at, 30)
    assert first.assignee_email == "maya.putri@bapas-jambi.example"  # the directory's ppid role

    maildir = smtp_server.maildir
    [notice] = messages(maildir, to=REQUESTER["email"], subject="perpanjangan waktu")
    assert "7 hari kerja" in notice.text and "Bimbingan Klien Dewasa" in notice.text
    [answer] = messages(maildir, to=REQUESTER["email"], subject="Jawaban atas permohonan")
    assert answer.attachments == [f"Pemberitahuan-Tertulis-{number}.pdf"]
    assert "https://drive.example/ppid/rekap-2025" in answer.html and "Ajukan keberatan" in answer.html
    [decision] = messages(maildir, to=REQUESTER["email"], subject="Tanggapan atas keberatan")
    assert decision.attachments == [f"Tanggapan-Keberatan-{number}.pdf"] and "Komisi Informasi" in decision.text
    [to_officer] = messages(maildir, to="maya.putri@bapas-jambi.example", subject="telah ditanggapi")
    assert "Keberatan diterima" in to_officer.text

    kinerja = web.get("/bapas/admin/kinerja", headers=ADMIN).text
    assert "Permohonan diterima" in kinerja and "Informasi diberikan seluruhnya" in kinerja
    assert REQUESTER["nama"] not in kinerja
    history = web.get("/bapas/admin/riwayat?sop=ppid", headers=ADMIN).text
    assert number in history and "Informasi diberikan seluruhnya" in history and "Tanggapi keberatan" in history
    assert REQUESTER["nama"] not in history and REQUEST["tujuan"] not in history

    output = capfd.readouterr()
    assert leaks(SECRETS, output.out + output.err) == []
    assert any("table:dag_run" in s for s in leaks([number], output.out))


def test_refused_with_a_legal_reason_and_no_objection_ends_the_run(web, smtp_server, run_dag, ppid_dag):
    number = number_in(ask(web).text)
    answers = {
        "Jawab permohonan informasi publik": {"keputusan": "ditolak", "jawaban": "Informasi memuat data pribadi klien.",
                                              "alasan_pengecualian": "h", "pertimbangan": "Membuka identitas klien merugikan klien."},
        "Jawaban atas permohonan informasi": {"mengajukan_keberatan": "tidak"},
    }
    dagrun, _responder = run_dag(ppid_dag, {"nomor": number}, answers)
    states = task_states(dagrun)
    assert getattr(dagrun.state, "value", dagrun.state) == "success", states
    assert states["menjawab_permohonan_diperpanjang.kirim_formulir"] == "skipped"
    assert states["menjawab_keberatan.kirim_formulir"] == "skipped" and states["selesai"] == "success"
    record = _record(number)
    assert record.status == "selesai" and record.outcome == "ditolak"
    [answer] = messages(smtp_server.maildir, to=REQUESTER["email"], subject="Jawaban atas permohonan")
    assert "dikecualikan" in answer.text and answer.attachments == [f"Pemberitahuan-Tertulis-{number}.pdf"]
    assert messages(smtp_server.maildir, to=REQUESTER["email"], subject="Tanggapan atas keberatan") == []


def test_a_refusal_without_its_legal_reason_is_refused_on_the_form(web, smtp_server, run_dag, ppid_dag):
    number = number_in(ask(web).text)
    seen = {}

    def refuse_first(message, page_html):
        from tests.support.forms import open_form

        page = open_form(web, message)
        refused = page.answer({"keputusan": "ditolak", "jawaban": "Tidak dapat diberikan."})
        seen["status"], seen["text"] = refused.status_code, refused.text
        return {"keputusan": "tidak_dikuasai", "jawaban": "Data tersebut dikuasai Kanwil; silakan ajukan ke sana."}

    answers = {"Jawab permohonan informasi publik": refuse_first,
               "Jawaban atas permohonan informasi": {"mengajukan_keberatan": "tidak"}}
    dagrun, _responder = run_dag(ppid_dag, {"nomor": number}, answers)
    assert getattr(dagrun.state, "value", dagrun.state) == "success"
    assert seen["status"] == 422 and "Pasal 17" in seen["text"] and "Tidak dapat diberikan." in seen["text"]
    assert _record(number).outcome == "tidak_dikuasai"
    assert timedelta(0) <= _record(number).closed_at - _record(number).received_at


def test_an_officer_who_never_answers_leaves_the_requester_free_to_object(web, smtp_server, run_dag, ppid_dag):
    """Past the step's expiry the file's default answer applies: "tidak ditanggapi" (Pasal 35 ayat 1 huruf c)."""
    from sqlalchemy import update

    from bapas_sop.store.db import session_scope
    from bapas_sop.store.models import FormRequest, utcnow

    number = number_in(ask(web).text)

    def let_it_expire(message, page_html):
        # The officer reads the email and does nothing; the office calendar's 15 working days pass.
        with session_scope() as session:
            session.execute(update(FormRequest).where(FormRequest.step == "menjawab_permohonan")
                            .values(expires_at=utcnow()))
        return None

    answers = {"Jawab permohonan informasi publik": let_it_expire,
               "Jawaban atas permohonan informasi": {"mengajukan_keberatan": "ya", "alasan_keberatan": "c",
                                                     "uraian_keberatan": "Tidak ada jawaban sama sekali."},
               "Tanggapi keberatan": {"keputusan": "diterima", "tanggapan": "PPID diminta segera memberikan data."}}
    dagrun, _responder = run_dag(ppid_dag, {"nomor": number}, answers)
    assert getattr(dagrun.state, "value", dagrun.state) == "success", task_states(dagrun)
    assert _record(number).outcome == "tidak_ditanggapi"
    [answer] = messages(smtp_server.maildir, to=REQUESTER["email"], subject="Jawaban atas permohonan")
    assert "belum ditanggapi dalam jangka waktu" in answer.text and "Ajukan keberatan" in answer.html

"""Pasjam School end to end: a term's school visit under ``dag.test()``, answered by email.

SP2LO holds juvenile cases of two districts; PK/APK observe the candidate schools; the Kasubsi
BKA confirms the top of the ranking; that school declines and the next one of the ranking
agrees for today; the schedule letter and the invitation reach it; students answer the quiz
through the public page (before and after, one page posted twice); the teacher gives feedback
and the Kabapas gets the PDF report. The visit then lowers the school's next risk score.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bapas_sop.mail.devserver import InboxMessage

from tests.sops.peterpan.test_scenario import attachments_of, pdf_text
from tests.support.scenario import EMAIL, KABAPAS, KASUBSI_BKA, DEDI, RINA, messages, task_states, today_wib

RUN_TIMEOUT = 400
ADMIN = {"x-test-admin": "yes"}
#: Incidents each candidate's observer reports (by NPSN); schools not listed report none.
INCIDENTS = {"10990105": 4, "10990101": 3, "10990109": 1}


@pytest.fixture
def pasjam_dag(dags: dict[str, Any]):
    """The DAG (its waiting steps park between answers: nothing to speed up)."""
    return dags["pasjam_school"]


def seed_juvenile_cases() -> None:
    """SP2LO's records: juvenile cases from Muaro Jambi (3) and Kota Jambi (1), an adult one, an old one."""
    from bapas_sop.sops.sp2lo.models import LitmasCase
    from bapas_sop.store.db import session_scope

    now = datetime.now().astimezone()
    cases = [("Polres Muaro Jambi", "anak", 10), ("Polres Muaro Jambi", "anak", 40), ("Polres Muaro Jambi", "anak", 90),
             ("Polresta Jambi", "anak", 20), ("Polresta Jambi", "dewasa", 5), ("Polresta Jambi", "anak", 500)]
    with session_scope() as session:
        for i, (agency, category, days_ago) in enumerate(cases, start=1):
            session.add(LitmasCase(
                case_number=f"LITMAS-2026-{i:04d}", channel="formulir", letter_number=f"B/{i}/2026", letter_date="2026-01-01",
                requester_agency=agency, client_name=f"Klien {i}", client_category=category, litmas_type="diversi",
                received_at=now - timedelta(days=days_ago),
            ))


def quiz_answers(right: int) -> dict[str, str]:
    from bapas_sop.sops.pasjam_school.rules import QUIZ

    return {q.name: (q.correct if i < right else next(v for v, _ in q.choices if v != q.correct))
            for i, q in enumerate(QUIZ)}


def post_quiz(web, path: str, stage: str, right: int, *, twice: bool = False) -> list[Any]:
    page = web.get(path)
    assert page.status_code == 200, page.text
    key = re.search(r'name="_submission_key" value="([^"]+)"', page.text).group(1)
    data = {"_submission_key": key, "tahap": stage, **quiz_answers(right)}
    return [web.post(path, data=data) for _ in range(2 if twice else 1)]


@pytest.mark.timeout(RUN_TIMEOUT)
def test_a_term_with_a_school_that_declines_and_the_next_that_agrees(pasjam_dag, run_dag, smtp_server, web):
    from bapas_sop.sops.pasjam_school import flow
    from bapas_sop.sops.pasjam_school.models import (
        PasjamSchoolCoordination, PasjamSchoolQuizAnswer, PasjamSchoolRanking, PasjamSchoolVisit)
    from bapas_sop.store.db import session_scope

    maildir = smtp_server.maildir
    today = today_wib()
    seed_juvenile_cases()
    register = flow.load_register()
    seen: dict[str, Any] = {"observed": [], "asked": []}

    def observe(message: InboxMessage, html: str) -> dict[str, Any]:
        npsn = re.search(r"NPSN (\d{8})", html).group(1)
        seen["observed"].append((npsn, message.to[0]))
        return {"tanggal_observasi": today.isoformat(), "insiden": str(INCIDENTS.get(npsn, 0)),
                "jenis_insiden": ["perundungan"] if INCIDENTS.get(npsn) else [], "catatan": "Observasi bersama guru BK."}

    def pick(message: InboxMessage, html: str) -> dict[str, Any]:
        seen["pick_page"] = html
        return {"sekolah": re.search(r'value="(\d{8})"\s+checked', html).group(1)}

    def coordinate(message: InboxMessage, html: str) -> dict[str, Any]:
        npsn = re.search(r"NPSN (\d{8})", html).group(1)
        seen["asked"].append((npsn, message.to[0]))
        if len(seen["asked"]) == 1:
            return {"bersedia": "tidak", "catatan": "Sedang ujian tengah semester."}
        return {"bersedia": "ya", "tanggal_1": today.isoformat(), "jam": "08.30", "jumlah_siswa": "120",
                "narahubung": "Ibu Kesiswaan", "telepon": "0812-3456-7890"}

    def session_day(message: InboxMessage, html: str) -> dict[str, Any]:
        # On the day: the students scan the QR code and answer, before and after the talk.
        [team_mail] = messages(maildir, subject="Jadwal Pasjam School")
        url = re.search(r"https?://\S+/pasjam-school/kuis/[A-Za-z0-9_-]+", team_mail.text).group(0)
        path = "/bapas" + url.split("/bapas", 1)[1]
        seen["quiz_path"] = path
        seen["qr"] = web.get(path + "/qr")
        for right in (2, 3):
            post_quiz(web, path, "sebelum", right)
        seen["double"] = post_quiz(web, path, "sebelum", 2, twice=True)
        for right in (4, 5, 5):
            post_quiz(web, path, "sesudah", right)
        seen["bad"] = web.post(path, data={"_submission_key": "palsu", "tahap": "sesudah", **quiz_answers(5)})
        seen["missing"] = web.post(path, data={"tahap": "sesudah"})
        return {"tim": [RINA, DEDI], "jumlah_siswa_hadir": "112", "materi": "Perundungan dan SPPA",
                "catatan": "Siswa antusias bertanya."}

    dagrun, responder = run_dag(pasjam_dag, {"periode": None, "kandidat": 4}, {
        "Observasi sekolah Pasjam School": observe,
        "Penetapan sekolah Pasjam School": pick,
        "Umpan balik penyuluhan": {"penilaian": "5", "bermanfaat": "ya", "saran": "Tambah contoh kasus media sosial."},
        "Penyuluhan hukum Bapas Jambi di": coordinate,
        "Pelaksanaan penyuluhan Pasjam School": session_day,
    })
    states = task_states(dagrun)
    assert dagrun.state == "success", states
    assert set(states.values()) == {"success"}, states

    # Four candidates observed by the BKA's PK/APK in turn.
    assert len(seen["observed"]) == 4 and len({to for _, to in seen["observed"]}) > 1
    with session_scope() as session:
        ranking = list(session.scalars(select(PasjamSchoolRanking).where(PasjamSchoolRanking.run_id == dagrun.run_id)
                                       .order_by(PasjamSchoolRanking.rank)))
        coordination = list(session.scalars(select(PasjamSchoolCoordination).order_by(PasjamSchoolCoordination.attempt)))
        visit = session.scalars(select(PasjamSchoolVisit)).one()
        quiz = list(session.scalars(select(PasjamSchoolQuizAnswer)))
        session.expunge_all()
    order = [r.npsn for r in ranking]
    assert sorted(order) == sorted(n for n, _ in seen["observed"])
    # The Muaro Jambi SMP: most incidents and the district with the most juvenile cases.
    assert order[0] == "10990105"
    top = ranking[0]
    assert top.contributions["insiden"] == 32.0 and top.contributions["kasus_anak"] == 30.0
    assert top.factors["kasus_anak"] == 3
    # The Kasubsi saw each factor's contribution on the form.
    assert "insiden teramati 32,0 + kasus anak di kabupaten 30,0" in seen["pick_page"]

    # The first school declined; the next of the ranking agreed; each contact by their own email.
    assert [n for n, _ in seen["asked"]] == order[:2]
    assert [to for _, to in seen["asked"]] == [register.loc[n, "kontak_email"] for n in order[:2]]
    assert [(c.npsn, c.status) for c in coordination] == [(order[0], "tidak_bersedia"), (order[1], "bersedia")]
    school = register.loc[order[1]]
    assert (visit.npsn, visit.tanggal, visit.jam, visit.students_planned) == (order[1], today, "08.30", 120)

    # The schedule letter (PDF, letterhead) and the invitation went to the school.
    [letter_mail] = messages(maildir, subject="Jadwal penyuluhan hukum Bapas Jambi")
    assert letter_mail.to == [school["kontak_email"]] and letter_mail.cc == [EMAIL[KASUBSI_BKA]]
    files = attachments_of(maildir, letter_mail)
    assert set(files) == {f"surat-jadwal-pasjam-school-{visit.term}-{order[1]}.pdf", "undangan.ics"}
    letter = pdf_text(files[f"surat-jadwal-pasjam-school-{visit.term}-{order[1]}.pdf"])
    for expected in ("BALAI PEMASYARAKATAN KELAS II JAMBI", visit.letter_number, school["nama"], "pukul 08.30 WIB",
                     "120 siswa/siswi", "Ibu Kesiswaan"):
        assert expected.lower() in letter.lower(), expected
    raw = files["undangan.ics"]
    ics = (raw.decode() if isinstance(raw, bytes) else str(raw)).replace("\r\n ", "")  # unfolded lines
    assert f"DTSTART;TZID=Asia/Jakarta:{today:%Y%m%d}T083000" in ics and school["kontak_email"] in ics
    [team_mail] = messages(maildir, subject="Jadwal Pasjam School")
    assert set(attachments_of(maildir, team_mail)) == {"kuis-qr.png", "undangan.ics"}

    # The quiz: the QR page, answers kept once per page, refused posts stored nothing.
    assert seen["qr"].status_code == 200 and "data:image/svg+xml" in seen["qr"].text
    first, again = seen["double"]
    assert first.status_code == 200 and "Nilai Anda 40 dari 100" in first.text
    assert again.status_code == 200 and "tidak disimpan dua kali" in again.text
    assert seen["bad"].status_code == 422 and "tidak sah" in seen["bad"].text
    assert seen["missing"].status_code == 422
    assert sorted((q.stage, q.score) for q in quiz) == [
        ("sebelum", 40.0), ("sebelum", 40.0), ("sebelum", 60.0), ("sesudah", 80.0), ("sesudah", 100.0), ("sesudah", 100.0)]
    assert not any("nama" in q.answers for q in quiz)
    # Closed after the evaluation.
    assert web.get(seen["quiz_path"]).status_code == 410

    # The day, the feedback, the evaluation.
    assert (visit.team, visit.students_present) == ([RINA, DEDI], 112)
    assert visit.feedback["penilaian"] == 5 and visit.feedback["bermanfaat"] is True
    assert (visit.evaluation["before_mean"], visit.evaluation["after_mean"], visit.evaluation["improvement"]) == (
        46.7, 93.3, 46.7)

    # The report to the Kabapas, with the chart and the ranking.
    [report] = messages(maildir, subject="Laporan Pasjam School")
    assert report.to == [EMAIL[KABAPAS]] and report.cc == [EMAIL[KASUBSI_BKA]]
    [(name, pdf)] = attachments_of(maildir, report).items()
    assert name == f"laporan-pasjam-school-{visit.term}-{order[1]}.pdf"
    text = pdf_text(pdf)
    for expected in ("Laporan Hasil Kegiatan Pasjam School", school["nama"], "46,7 → 93,3", "tidak bersedia",
                     "Tambah contoh kasus media sosial", "Siswa antusias bertanya"):
        assert expected in text, expected

    # The school's contact is asked to rate the service (SKM), once, with a personal survey link.
    [survey_mail] = messages(maildir, subject="Survei kepuasan Pasjam School")
    assert survey_mail.to == [school["kontak_email"]]
    assert any("/bapas/skm/" in link for link in survey_mail.links)
    kinerja = web.get("/bapas/admin/kinerja", headers=ADMIN).text
    assert "Kunjungan sekolah terlaksana" in kinerja and "Siswa yang mengikuti penyuluhan" in kinerja

    # Admin page and history page show the ranking and the visit.
    assert web.get("/bapas/admin/pasjam-school").status_code == 401  # admins only
    admin = web.get("/bapas/admin/pasjam-school", headers=ADMIN)
    assert admin.status_code == 200 and "dipilih Kasubsi" in admin.text and "32,0" in admin.text
    history = web.get("/bapas/admin/riwayat", headers=ADMIN)
    assert history.status_code == 200 and school["nama"] in history.text and "46,7 → 93,3" in history.text

    # Airflow kept NPSNs, NIPs and counts: no contact's name, email or phone in the run's XComs.
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as airflow_session:
        kept = " ".join(str(x.value) for x in airflow_session.query(XComModel).filter(XComModel.run_id == dagrun.run_id))
    assert order[1] in kept
    for private in ("Ibu Kesiswaan", "0812-3456-7890", *(register.loc[n, "kontak_email"] for n in order[:2]),
                    *(register.loc[n, "kontak_nama"] for n in order[:2])):
        assert private not in kept, private

    # The visit feeds the next ranking: the visited school's time-since-visit factor is now zero.
    ranked = flow.rank(register, {}, today).set_index("npsn")
    assert ranked.loc[order[1], "kontribusi_kunjungan"] == 0.0
    assert ranked.loc[order[0], "kontribusi_kunjungan"] == 20.0

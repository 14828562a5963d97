"""SP2LO end to end: whole DAG runs under ``dag.test()``, every human step answered by email.

Each scenario is what the office would live through: who gets which email, what the forms
show, what the case record and the audit trail say afterwards, and how the run's tasks end.
A :class:`~tests.scenarios.responder.Responder` plays the people: it reads the dev SMTP inbox
and answers the emailed links through the real form pages.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bapas_sop.mail.devserver import InboxMessage

from tests.support.scenario import (
    BAMBANG,
    DEDI,
    EMAIL,
    KABAPAS,
    KASUBSI_BKA,
    KASUBSI_BKD,
    PUTRI,
    RINA,
    SPPD_TASKS,
    YULIANA,
    actions,
    audit_events,
    case_number_from,
    csrf,
    form_link,
    form_requests,
    get_case,
    inbox,
    mail_list,
    messages,
    path_of,
    report,
    request_conf,
    sppd_answers,
    task_states,
)

RUN_TIMEOUT = 300  # seconds for one scenario; the run's own watchdog fires well before

ALL_STEPS = (
    "kabapas_disposisi", "kasubsi_menunjuk_pk", "pk_melakukan_litmas", "kasubsi_rekomendasi",
    "pk_mengajukan_sppd", "keuangan_mencairkan_sppd", "pk_pertanggungjawaban_sppd",
)


def _register_other_case(pk_nip: str) -> str:
    """A case already being researched by ``pk_nip``: it shows as that PK's load."""
    from bapas_sop.sops.sp2lo import service as sp2lo_service

    case = sp2lo_service.register_request(request_conf(nama_klien="Budi Hartono", nomor_surat="B/99/XI/2026"),
                                          channel="surat", actor="petugas")
    sp2lo_service.record_disposition(case.case_number, "bka", by=KABAPAS)
    sp2lo_service.record_appointment(case.case_number, pk_nip, by=KASUBSI_BKA)
    return case.case_number


# --------------------------------------------------------------------------- a. happy path


@pytest.mark.timeout(RUN_TIMEOUT)
def test_child_case_from_admin_params_runs_from_request_to_closed_case(sp2lo_dag, run_dag, smtp_server, web):
    other = _register_other_case(RINA)  # Rina already has one Litmas open
    seen: dict[str, Any] = {}

    def appoint(message: InboxMessage, html: str) -> dict[str, str]:
        seen["appointment_page"] = html
        return {"pk_nip": PUTRI, "catatan": "Segera hubungi keluarga klien."}

    conf = request_conf()
    dagrun, responder = run_dag(sp2lo_dag, conf, {
        "Disposisi": {"seksi": "bka"},
        "Penunjukan PK": appoint,
        "Laporan penyelesaian": report(trip=True),
        "Rekomendasi": {"keputusan": "setuju"},
        **sppd_answers(),
    })

    assert dagrun.state == "success"
    assert set(task_states(dagrun).values()) == {"success"}, task_states(dagrun)

    maildir = smtp_server.maildir
    number = case_number_from(maildir)
    assert number != other
    requester = conf["email_pemohon"]
    assert mail_list(maildir) == Counter({
        (requester, f"Tanda terima permintaan Litmas {number}"): 1,
        (EMAIL[KABAPAS], f"[Perlu tindakan] Disposisi permintaan Litmas {number}"): 1,
        (EMAIL[KASUBSI_BKA], f"[Perlu tindakan] Penunjukan PK untuk Litmas {number}"): 1,
        (EMAIL[PUTRI], f"[Perlu tindakan] Laporan penyelesaian Litmas {number}"): 1,
        (EMAIL[KASUBSI_BKA], f"[Perlu tindakan] Rekomendasi hasil Litmas {number}"): 1,
        (requester, f"Litmas {number} telah selesai"): 1,
        (requester, "Bagaimana pelayanan kami? Survei kepuasan Penelitian Kemasyarakatan (Litmas)"): 1,
        (EMAIL[PUTRI], f"[Perlu tindakan] Pengajuan SPPD Litmas {number}"): 1,
        (EMAIL["keuangan"], f"[Perlu tindakan] Pencairan SPPD Litmas {number}"): 1,
        (EMAIL[PUTRI], f"[Perlu tindakan] Pertanggungjawaban perjalanan dinas Litmas {number}"): 1,
    })
    [ack] = messages(maildir, subject="Tanda terima")
    assert number in ack.text and "Andi Saputra" in ack.text
    # The requester hears first, and only hears of completion after the Kasubsi approved.
    subjects = [m.subject for m in inbox(maildir)]
    assert subjects[0].startswith("Tanda terima")
    assert subjects.index(f"Litmas {number} telah selesai") > subjects.index(f"[Perlu tindakan] Rekomendasi hasil Litmas {number}")

    # The Kasubsi saw every BKA PK with their open Litmas, the least loaded suggested.
    page = seen["appointment_page"]
    assert "Rina Marlina (1 Litmas berjalan)" in page
    assert "Dedi Kurniawan (0 Litmas berjalan) — disarankan" in page
    assert "Putri Ayu Lestari (0 Litmas berjalan)" in page
    assert re.search(rf'value="{DEDI}"\s+checked', page)
    assert "Yuliana" not in page  # a BKD PK is not offered for a BKA case
    [litmas_mail] = messages(maildir, subject="Laporan penyelesaian")
    assert "Segera hubungi keluarga klien." in litmas_mail.text  # the Kasubsi's note reaches the PK

    case = get_case(number)
    assert (case.stage, case.section, case.pk_nip, case.channel) == ("closed", "bka", PUTRI, "airflow")
    assert case.deadline_rule == "Litmas anak (3x24 jam)"
    assert case.deadline_at == case.received_at + timedelta(hours=72)
    assert case.trip == {"made": True, "destination": "Muara Bulian, Kab. Batanghari",
                         "start_date": report(trip=True)["tanggal_berangkat"],
                         "end_date": report(trip=True)["tanggal_kembali"]}
    assert case.revision_count == 0
    assert case.report_ref == report(trip=True)["nomor_laporan"]
    for stamp in ("appointed_at", "completed_at", "approved_at", "sppd_eligible_at", "accountability_due_at",
                  "accountability_done_at", "closed_at"):
        assert getattr(case, stamp) is not None, stamp
    assert case.run_id == dagrun.run_id

    trail = actions(audit_events(subject_prefix=f"litmas/{number}"))
    # The approved report is recorded again with the number of rounds when the Kasubsi approves.
    assert trail == [
        "litmas_registered", "disposition", "pk_appointed", "litmas_reported", "stage_in_review",
        "litmas_reported", "stage_approved", "sppd_checked", "stage_settled", "sppd_accountability", "stage_closed",
    ]
    requests = form_requests(dagrun.run_id)
    assert sorted(requests) == sorted(ALL_STEPS)
    assert all(r.status == "answered" for r in requests.values())
    assert requests["pk_melakukan_litmas"].assignee_nip == PUTRI
    assert requests["pk_melakukan_litmas"].due_at == case.deadline_at  # the PK's step runs on the case deadline
    assert requests["keuangan_mencairkan_sppd"].assignee_name == "Dewi Anggraini"
    step_trail = Counter(e.action for e in audit_events(run_id=dagrun.run_id) if not e.subject.startswith("litmas/"))
    assert step_trail["requested"] == len(ALL_STEPS) and step_trail["answered"] == len(ALL_STEPS)
    assert [subject for subject, _to, _data in responder.answered][0].startswith("[Perlu tindakan] Disposisi")

    # The requester rates the service on the survey page; the Kinerja page shows it and the case.
    [invitation] = messages(maildir, subject="Survei kepuasan")
    [survey_link] = [link for link in invitation.links if "/bapas/skm/" in link]
    page = web.get(path_of(survey_link))
    assert page.status_code == 200 and "Survei Kepuasan Masyarakat" in page.text
    scores = {f"u{i}": "4" for i in range(1, 10)} | {"u3": "3", "komentar": "Cepat & ramah <b>sekali</b>"}
    answered = web.post(path_of(survey_link), data={**scores, "_csrf": csrf(page.text)})
    assert answered.status_code == 200 and "Terima kasih" in answered.text
    assert "sudah diisi" in web.get(path_of(survey_link)).text  # one answer per link
    kinerja = web.get("/bapas/admin/kinerja", headers={"x-test-admin": "yes"}).text
    assert "Litmas selesai tepat waktu (per PK)" in kinerja and "1 dari 1 (100%)" in kinerja
    assert "Putri Ayu Lestari" in kinerja
    index = (8 * 4 + 3) / 9 * 25  # 97.22: grade A
    assert f"{index:.2f}".replace(".", ",") in kinerja and "Sangat Baik" in kinerja
    assert "Cepat &amp; ramah &lt;b&gt;sekali&lt;/b&gt;" in kinerja  # shown, escaped, without a name


# --------------------------------------------------------------------------- b. revision loop


@pytest.mark.timeout(RUN_TIMEOUT)
def test_kasubsi_returns_the_report_for_revision_and_sppd_waits_for_approval(sp2lo_dag, run_dag, smtp_server):
    from bapas_sop.sops.sp2lo import service as sp2lo_service

    notes = "Lengkapi hasil wawancara dengan orang tua klien dan pihak sekolah."
    first = report(trip=True, number="LIT/BKA/2026/11/017", summary="Draf pertama.")
    revised = {**first, "nomor_laporan": "LIT/BKA/2026/11/017-R1", "ringkasan": "Dilengkapi wawancara orang tua dan sekolah."}
    maildir = smtp_server.maildir
    during_revision: dict[str, Any] = {}

    def review(message: InboxMessage, html: str) -> dict[str, str]:
        if "revisi ke-2" in message.subject:
            assert "Dilengkapi wawancara orang tua dan sekolah." in html  # the reviewer sees the revised report
            return {"keputusan": "setuju", "catatan": "Sudah lengkap."}
        return {"keputusan": "revisi", "catatan": notes}

    def revise(message: InboxMessage, html: str) -> dict[str, str]:
        number = re.search(r"LITMAS-\d{4}-\d{4}", message.subject).group(0)
        during_revision.update(
            mail=message, page=html, stage=sp2lo_service.get_case(number).stage,
            subjects=[m.subject for m in inbox(maildir)],
            sppd=sp2lo_service.check_sppd(number),  # the PK asks for SPPD before approval
        )
        return revised

    dagrun, responder = run_dag(sp2lo_dag, request_conf(), {
        "Disposisi": {"seksi": "bka"},
        "Penunjukan PK": {"pk_nip": RINA},
        "Laporan penyelesaian": first,
        "Revisi ke-2": revise,
        "Rekomendasi": review,
        **sppd_answers(),
    })

    assert dagrun.state == "success"
    assert set(task_states(dagrun).values()) == {"success"}
    number = case_number_from(maildir)

    # The PK's second round: a new email with the notes, a form prefilled with the first report.
    mail = during_revision["mail"]
    assert mail.subject == f"[Perlu tindakan] Revisi ke-2: laporan Litmas {number}"
    assert mail.to == [EMAIL[RINA]]
    assert "Catatan revisi dari Sri Wahyuni" in mail.text and notes in mail.text
    page = during_revision["page"]
    assert notes in page
    assert 'value="LIT/BKA/2026/11/017"' in page and "Draf pertama." in page
    assert 'value="Muara Bulian, Kab. Batanghari"' in page
    assert re.search(r'name="perjalanan_dinas" value="ya"\s+checked', page)

    # Before approval: no SPPD email, and the SPPD gate says why in Indonesian.
    assert during_revision["stage"] == "in_review"
    assert not any("SPPD" in s for s in during_revision["subjects"])
    verdict = during_revision["sppd"]
    assert not verdict.eligible
    assert "belum disetujui" in verdict.reason and "SPPD baru dapat diajukan setelah Litmas selesai dan disetujui" in verdict.reason

    assert mail_list(maildir)[(EMAIL[KASUBSI_BKA], f"[Perlu tindakan] Rekomendasi revisi ke-2: Litmas {number}")] == 1
    assert mail_list(maildir)[(EMAIL[RINA], f"[Perlu tindakan] Pengajuan SPPD Litmas {number}")] == 1
    subjects = [m.subject for m in inbox(maildir)]
    assert subjects.index(f"[Perlu tindakan] Pengajuan SPPD Litmas {number}") > subjects.index(
        f"[Perlu tindakan] Rekomendasi revisi ke-2: Litmas {number}")

    case = get_case(number)
    assert case.revision_count == 1
    assert case.report_ref == "LIT/BKA/2026/11/017-R1"  # the approved, revised report
    assert case.stage == "closed"

    # Both rounds are in the audit trail, each step with its own request and answer.
    requests = form_requests(dagrun.run_id)
    for key in ("pk_melakukan_litmas", "pk_melakukan_litmas/r2", "kasubsi_rekomendasi", "kasubsi_rekomendasi/r2"):
        assert requests[key].status == "answered", key
    assert requests["kasubsi_rekomendasi"].latest_response.data == {"keputusan": "revisi", "catatan": notes}
    assert requests["pk_melakukan_litmas/r2"].assignee_nip == RINA
    run_trail = audit_events(run_id=dagrun.run_id)
    for key in ("pk_melakukan_litmas", "pk_melakukan_litmas/r2", "kasubsi_rekomendasi", "kasubsi_rekomendasi/r2"):
        subject = f"sp2lo/{dagrun.run_id}/{key}"
        assert [e.action for e in run_trail if e.subject == subject] == ["requested", "answered"], key
    approved = [e for e in run_trail if e.action == "stage_approved"]
    assert len(approved) == 1 and approved[0].detail["rounds"] == 2
    checks = [e.detail["eligible"] for e in run_trail if e.action == "sppd_checked"]
    assert checks == [False, True]
    assert [s for s, _to, _d in responder.answered if "Rekomendasi" in s] == [
        f"[Perlu tindakan] Rekomendasi hasil Litmas {number}", f"[Perlu tindakan] Rekomendasi revisi ke-2: Litmas {number}"]


# --------------------------------------------------------------------------- c. stand-ins


@pytest.mark.timeout(RUN_TIMEOUT)
def test_stand_ins_take_over_on_leave_and_by_hand_over(sp2lo_dag, run_dag, web, smtp_server, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch):
    """The Kabapas hands the disposition to Sri Wahyuni from the form; Yuliana, appointed by
    the Kasubsi BKD, starts her leave before her step opens, so Bambang (her Plh) does it."""
    data_dir = tmp_path / "data"
    shutil.copytree(Path(__file__).resolve().parents[3] / "include" / "data", data_dir)
    staff = data_dir / "staff.csv"
    with_leave = staff.read_text()
    yuliana_row = next(line for line in with_leave.splitlines() if line.startswith(YULIANA))
    assert ",ya,ya,198409092009121001," in yuliana_row  # on leave, Bambang stands in
    staff.write_text(with_leave.replace(yuliana_row, yuliana_row.replace(",ya,ya,", ",ya,tidak,")))
    monkeypatch.setenv("BAPAS_DATA_DIR", str(data_dir))
    seen: dict[str, Any] = {}

    def disposition(message: InboxMessage, html: str) -> dict[str, str] | None:
        if message.to == [EMAIL[KABAPAS]]:
            # "Tidak dapat mengerjakan? Alihkan kepada pengganti" on the Kabapas' own form.
            assert f'<option value="{KASUBSI_BKA}"' in html
            link = path_of(form_link(message))
            moved = web.post(link + "/alihkan", data={
                "_csrf": csrf(html), "pengganti_nip": KASUBSI_BKA, "alasan": "Dinas luar kota ke Kanwil"})
            seen["handover"] = (moved.status_code, moved.text)
            seen["old_link"] = link
            return None
        seen["plh_mail"] = message
        seen["old_link_after"] = web.get(seen["old_link"])
        return {"seksi": "bkd", "catatan": "Klien dewasa, PB."}

    def appoint(message: InboxMessage, html: str) -> dict[str, str]:
        seen["appointment_page"] = html
        staff.write_text(with_leave)  # Yuliana's leave is entered before her step opens
        return {"pk_nip": YULIANA}

    conf = request_conf(kategori="dewasa", jenis_litmas="pembebasan_bersyarat", instansi="lapas",
                        nama_instansi="Lapas Kelas IIA Jambi", nama_pemohon="Kasi Binadik",
                        email_pemohon="binadik@lapas-jambi.example", nama_klien="Rahmat Hidayat")
    dagrun, responder = run_dag(sp2lo_dag, conf, {
        "Disposisi": disposition,
        "Penunjukan PK": appoint,
        "Laporan penyelesaian": report(trip=False),
        "Rekomendasi": {"keputusan": "setuju"},
    })

    assert dagrun.state == "success"
    maildir = smtp_server.maildir
    number = case_number_from(maildir)

    # Hand-over: confirmation page, old link closed, the Plh gets her own link, the run goes on.
    status, text = seen["handover"]
    assert status == 200 and "sudah dialihkan kepada Sri Wahyuni" in text
    assert seen["old_link_after"].status_code == 410 and "sudah dialihkan" in seen["old_link_after"].text
    plh_mail = seen["plh_mail"]
    assert plh_mail.to == [EMAIL[KASUBSI_BKA]]
    assert plh_mail.subject == f"[Perlu tindakan] Disposisi permintaan Litmas {number}"
    assert "Tugas ini dialihkan kepada Anda oleh Hendra Gunawan Siregar." in plh_mail.text
    assert responder.handled == [(f"[Perlu tindakan] Disposisi permintaan Litmas {number}", EMAIL[KABAPAS])]

    # Leave: Yuliana was offered and appointed; her Litmas email went to Bambang as Plh.
    assert "Yuliana Harahap (0 Litmas berjalan)" in seen["appointment_page"]
    [litmas_mail] = messages(maildir, subject="Laporan penyelesaian")
    assert litmas_mail.to == [EMAIL[BAMBANG]]
    assert "pengganti (Plh) Yuliana Harahap" in litmas_mail.text
    assert not messages(maildir, to=EMAIL[YULIANA])
    assert mail_list(maildir)[(EMAIL[KASUBSI_BKD], f"[Perlu tindakan] Penunjukan PK untuk Litmas {number}")] == 1

    case = get_case(number)
    assert (case.section, case.pk_nip, case.stage) == ("bkd", YULIANA, "approved")
    assert case.deadline_rule == "Litmas integrasi (PB, CB, CMB, asimilasi)"
    assert case.deadline_at > case.appointed_at  # the integration clock starts at the appointment

    requests = form_requests(dagrun.run_id)
    disposisi = requests["kabapas_disposisi"]
    assert (disposisi.assignee_nip, disposisi.original_assignee_nip, disposisi.link_version) == (KASUBSI_BKA, KABAPAS, 2)
    assert disposisi.latest_response.submitted_by_nip == KASUBSI_BKA
    litmas = requests["pk_melakukan_litmas"]
    assert (litmas.assignee_nip, litmas.original_assignee_nip) == (BAMBANG, YULIANA)
    assert litmas.latest_response.submitted_by_nip == BAMBANG

    trail = audit_events(run_id=dagrun.run_id)
    [handed] = [e for e in trail if e.action == "handed_over"]
    assert (handed.actor, handed.detail["to"], handed.detail["reason"]) == (KABAPAS, KASUBSI_BKA, "Dinas luar kota ke Kanwil")
    [substituted] = [e for e in trail if e.action == "substituted"]
    assert substituted.detail == {**substituted.detail, "replaced": YULIANA, "stand_in": BAMBANG}
    assert [e.actor for e in trail if e.action == "disposition"] == [KASUBSI_BKA]
    assert [e.actor for e in trail if e.action == "litmas_reported"][0] == BAMBANG


# --------------------------------------------------------------------------- d. overdue


@pytest.mark.timeout(RUN_TIMEOUT)
def test_overdue_litmas_is_escalated_once_while_the_run_waits_for_the_pk(sp2lo_dag, run_dag, smtp_server):
    """Time is moved forward by calling the hourly check and the step sweep "as of" later
    moments, while the run really waits for the PK; then the PK answers late."""
    from bapas_sop import humantask
    from bapas_sop.mail.outbox import flush
    from bapas_sop.sops.sp2lo import monitor as sp2lo_monitor
    from bapas_sop.sops.sp2lo import service as sp2lo_service
    from bapas_sop.store.db import session_scope
    from bapas_sop.store.models import FormRequest

    maildir = smtp_server.maildir
    late: dict[str, Any] = {}

    def number_of(message: InboxMessage) -> str:
        return re.search(r"LITMAS-\d{4}-\d{4}", message.subject).group(0)

    def appoint_late(message: InboxMessage, html: str) -> dict[str, str]:
        # The Kasubsi lets her 24-hour step pass: reminder to her, escalation to her supervisor.
        with session_scope() as session:
            step = session.query(FormRequest).filter(FormRequest.status == "open").one()
            due = step.due_at
        late["sweep_before_due"] = humantask.sweep(now=due - timedelta(hours=1))
        late["sweep_after_due"] = humantask.sweep(now=due + timedelta(minutes=1))
        late["sweep_again"] = humantask.sweep(now=due + timedelta(minutes=2))
        flush()
        return {"pk_nip": RINA}

    def report_late(message: InboxMessage, html: str) -> dict[str, str]:
        # The responder holds the PK's answer: the run waits in pk_melakukan_litmas meanwhile.
        number = number_of(message)
        deadline = sp2lo_service.get_case(number).deadline_at
        after = deadline + timedelta(minutes=1)
        late["check"] = sp2lo_monitor.check_deadlines(now=after)
        late["sweep"] = humantask.sweep(now=after)
        flush()
        late["check_again"] = sp2lo_monitor.check_deadlines(now=after + timedelta(hours=1))
        late["sweep_again"] = humantask.sweep(now=after + timedelta(hours=1))
        flush()
        late["inbox"] = mail_list(maildir)
        late["case"] = sp2lo_service.get_case(number)
        return report(trip=False)

    dagrun, _responder = run_dag(sp2lo_dag, request_conf(), {
        "Disposisi": {"seksi": "bka"},
        "Penunjukan PK": appoint_late,
        "Laporan penyelesaian": report_late,
        "Rekomendasi": {"keputusan": "setuju"},
    })

    assert dagrun.state == "success"
    number = case_number_from(maildir)
    appointment_key = f"sp2lo/{dagrun.run_id}/kasubsi_menunjuk_pk"
    litmas_key = f"sp2lo/{dagrun.run_id}/pk_melakukan_litmas"

    # The appointment step: one reminder before its due time, one escalation after it.
    assert late["sweep_before_due"].reminded == [appointment_key]
    assert late["sweep_after_due"].escalated == [appointment_key]
    assert not late["sweep_again"].reminded and not late["sweep_again"].escalated
    inbox_now = mail_list(maildir)
    assert inbox_now[(EMAIL[KASUBSI_BKA], f"[Pengingat] Penunjukan PK untuk Litmas {number}")] == 1
    assert inbox_now[(EMAIL[KABAPAS], f"[Terlambat] Penunjukan PK untuk Litmas {number}")] == 1

    # The case deadline passed while the PK still worked: the Kasubsi BKA and the Kabapas are told once.
    assert late["check"].escalated == [number]
    assert not late["check_again"].escalated and not late["check_again"].reminded
    assert litmas_key not in late["sweep"].escalated + late["sweep"].expired  # the monitor owns this step's deadline
    overdue_subject = f"[Terlambat] Litmas {number} melewati batas waktu"
    assert late["inbox"][(EMAIL[KASUBSI_BKA], overdue_subject)] == 1
    assert late["inbox"][(EMAIL[KABAPAS], overdue_subject)] == 1
    assert sum(n for (to, subject), n in late["inbox"].items() if subject == overdue_subject) == 2
    assert late["case"].overdue_escalated_at is not None and late["case"].stage == "in_research"
    [escalation] = messages(maildir, to=EMAIL[KASUBSI_BKA], subject=overdue_subject)
    assert "Rina Marlina" in escalation.text and "Laporan penyelesaian Litmas" in escalation.text

    # Then the PK answered; the run finished normally and nothing was escalated again.
    assert set(task_states(dagrun).values()) <= {"success", "skipped"}
    final = mail_list(maildir)
    assert final[(EMAIL[KASUBSI_BKA], overdue_subject)] == 1 and final[(EMAIL[KABAPAS], overdue_subject)] == 1
    case = get_case(number)
    assert case.stage == "approved" and case.approved_at > case.received_at
    trail = audit_events(subject_prefix=f"litmas/{number}")
    assert actions(trail).count("litmas_overdue_escalated") == 1
    step_trail = [e for e in audit_events(run_id=dagrun.run_id) if e.subject == appointment_key]
    assert [e.action for e in step_trail] == ["requested", "reminded", "escalated", "answered"]


# --------------------------------------------------------------------------- e. no trip


@pytest.mark.timeout(RUN_TIMEOUT)
def test_without_a_trip_the_sppd_steps_are_skipped(sp2lo_dag, run_dag, smtp_server):
    conf = request_conf(jenis_litmas="diversi", nama_klien="Dimas Pratama")
    dagrun, _responder = run_dag(sp2lo_dag, conf, {
        "Disposisi": {"seksi": "bka"},
        "Penunjukan PK": {"pk_nip": DEDI},
        "Laporan penyelesaian": report(trip=False),
        "Rekomendasi": {"keputusan": "setuju"},
        **sppd_answers(),  # offered, never asked for
    })

    assert dagrun.state == "success"
    states = task_states(dagrun)
    assert {task: states[task] for task in SPPD_TASKS} == dict.fromkeys(SPPD_TASKS, "skipped")
    assert {state for task, state in states.items() if task not in SPPD_TASKS} == {"success"}

    maildir = smtp_server.maildir
    number = case_number_from(maildir)
    assert not [m.subject for m in inbox(maildir) if "SPPD" in m.subject or "Pertanggungjawaban" in m.subject]
    assert mail_list(maildir)[(conf["email_pemohon"], f"Litmas {number} telah selesai")] == 1

    case = get_case(number)
    assert (case.stage, case.pk_nip, case.trip) == ("approved", DEDI, {"made": False})
    assert case.deadline_rule == "Litmas diversi"
    assert case.approved_at is not None and case.sppd_eligible_at is None and case.closed_at is None
    [check] = [e for e in audit_events(subject_prefix=f"litmas/{number}") if e.action == "sppd_checked"]
    assert check.detail["eligible"] is False
    assert check.detail["reason"].startswith("Tidak ada perjalanan dinas yang dilaporkan")
    assert sorted(form_requests(dagrun.run_id)) == sorted(ALL_STEPS[:4])


# --------------------------------------------------------------------------- f. intake form


@pytest.mark.timeout(RUN_TIMEOUT)
def test_request_from_the_public_intake_form_is_picked_up_by_its_run(sp2lo_dag, run_dag, web, smtp_server):
    page = web.get("/bapas/litmas/permohonan")
    assert page.status_code == 200
    posted = web.post("/bapas/litmas/permohonan", data={
        "nomor_surat": "B/77/XI/2026/Satreskrim", "tanggal_surat": report(trip=False)["tanggal_selesai"],
        "instansi": "penyidik", "nama_instansi": "Polres Muaro Jambi", "nama_pemohon": "Aipda Sinaga",
        "email_pemohon": "sinaga@polres-muarojambi.example", "nama_klien": "Reza Fahlevi",
        "kategori": "anak", "jenis_litmas": "sidang_anak",
        "_submission_key": re.search(r'name="_submission_key" value="([^"]+)"', page.text).group(1),  # from the page
    })
    assert posted.status_code == 200
    number = re.search(r"LITMAS-\d{4}-\d{4}", posted.text).group(0)
    assert web.started_runs == [number]  # the web app asked Airflow for a run of this case
    registered = get_case(number)
    assert (registered.channel, registered.stage, registered.run_id) == ("formulir", "registered", None)
    assert registered.deadline_at == registered.received_at + timedelta(hours=72)  # the clock runs from the intake

    dagrun, _responder = run_dag(sp2lo_dag, {"case_number": number}, {
        "Disposisi": {"seksi": "bka"},
        "Penunjukan PK": {"pk_nip": PUTRI},
        "Laporan penyelesaian": report(trip=False),
        "Rekomendasi": {"keputusan": "setuju"},
    })

    assert dagrun.state == "success"
    maildir = smtp_server.maildir
    acks = messages(maildir, subject="Tanda terima permintaan Litmas")
    assert [(m.to, m.subject) for m in acks] == [(["sinaga@polres-muarojambi.example"], f"Tanda terima permintaan Litmas {number}")]
    assert case_number_from(maildir) == number
    case = get_case(number)
    assert (case.run_id, case.dag_id, case.stage) == (dagrun.run_id, "sp2lo", "approved")
    assert case.received_at == registered.received_at and case.deadline_rule == registered.deadline_rule
    assert actions(audit_events(subject_prefix=f"litmas/{number}")).count("litmas_registered") == 1
    from bapas_sop.store.db import session_scope
    from bapas_sop.sops.sp2lo.models import LitmasCase

    with session_scope() as session:
        assert session.query(LitmasCase).count() == 1  # the run did not register the request again


# --------------------------------------------------------------------------- g. retries


@pytest.mark.timeout(60)
def test_a_retried_form_task_asks_once_and_sends_once(sp2lo_dag, smtp_server):
    """``kirim_formulir`` of the DAG, run three times for the same step (the SMTP server
    refuses the first try): one request, one email, one "requested" audit row."""
    from bapas_sop.airflow.operators import FormRequestOperator
    from bapas_sop.store.db import session_scope
    from bapas_sop.store.models import AuditEvent, FormRequest, OutboxMessage

    declared = sp2lo_dag.get_task("kabapas_disposisi.kirim_formulir")
    task = FormRequestOperator(
        task_id="kirim_formulir_uji", step=declared.step, form=declared.form, policy=declared.policy,
        title="Disposisi permintaan Litmas LITMAS-2026-0042", assignee="kabapas",
        form_context={"facts": [["Nomor perkara", "LITMAS-2026-0042"], ["Nama klien", "Andi"]]},
        prefill={"seksi": "bka"},
    )
    context = {"ti": SimpleNamespace(dag_id="sp2lo", run_id="manual__uji_ulang", try_number=1)}

    smtp_server.fail = True  # the first try cannot send: the email stays queued
    first = task.execute(context)
    assert inbox(smtp_server.maildir) == []
    smtp_server.fail = False
    second = task.execute(context)  # the retry
    third = task.execute(context)   # and a manual re-run of the task
    assert first == second == third
    assert first["key"] == "sp2lo/manual__uji_ulang/kabapas_disposisi"

    [mail] = inbox(smtp_server.maildir)
    assert (mail.to, mail.subject) == ([EMAIL[KABAPAS]], "[Perlu tindakan] Disposisi permintaan Litmas LITMAS-2026-0042")
    with session_scope() as session:
        assert session.query(FormRequest).count() == 1
        [outbox] = session.query(OutboxMessage).all()
        assert (outbox.status, outbox.attempts) == ("sent", 2)
        requested = session.query(AuditEvent).filter(AuditEvent.action == "requested").count()
    assert requested == 1


def test_a_retried_intake_task_acknowledges_once(project, smtp_server):
    """``permintaan_litmas`` run twice in the same DAG run: one case, one acknowledgement."""
    from bapas_sop.sops.sp2lo import flow as sp2lo_flow

    params = request_conf()
    first = sp2lo_flow.start_case(params, dag_id="sp2lo", run_id="manual__uji_ulang")
    second = sp2lo_flow.start_case(params, dag_id="sp2lo", run_id="manual__uji_ulang")
    assert first["case_number"] == second["case_number"]
    acks = messages(smtp_server.maildir, subject="Tanda terima")
    assert [(m.to, m.subject) for m in acks] == [([params["email_pemohon"]], f"Tanda terima permintaan Litmas {first['case_number']}")]

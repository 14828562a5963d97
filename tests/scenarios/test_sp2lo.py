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

from .support import (
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
    from bapas_sop.sop import sp2lo_service

    case = sp2lo_service.register_request(request_conf(nama_klien="Budi Hartono", nomor_surat="B/99/XI/2026"),
                                          channel="surat", actor="petugas")
    sp2lo_service.record_disposition(case.case_number, "bka", by=KABAPAS)
    sp2lo_service.record_appointment(case.case_number, pk_nip, by=KASUBSI_BKA)
    return case.case_number


# --------------------------------------------------------------------------- a. happy path


@pytest.mark.timeout(RUN_TIMEOUT)
def test_child_case_from_admin_params_runs_from_request_to_closed_case(sp2lo_dag, run_dag, smtp_server):
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
        "litmas_reported", "stage_approved", "sppd_checked", "sppd_accountability", "stage_settled", "stage_closed",
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


# --------------------------------------------------------------------------- b. revision loop


@pytest.mark.timeout(RUN_TIMEOUT)
def test_kasubsi_returns_the_report_for_revision_and_sppd_waits_for_approval(sp2lo_dag, run_dag, smtp_server):
    from bapas_sop.sop import sp2lo_service

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

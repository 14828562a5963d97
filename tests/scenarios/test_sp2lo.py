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

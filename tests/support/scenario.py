"""Small readers for the scenario tests: the inbox, the case, the audit trail, task states."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bapas_sop.mail.devserver import InboxMessage, read_inbox

from tests.support import people
from tests.support.forms import csrf, form_link, path_of  # noqa: F401 - the scenarios import them from here

# NIPs of the demo staff under the names the scenarios use (``EMAIL[nip]`` is their address).
# They come from tests/support/people.py, where each person is written once; a new test
# imports the person from there and says ``.nip`` or ``.email``.
KABAPAS = people.KABAPAS.nip
KASUBSI_BKA = people.KASUBSI_BKA.nip
KASUBSI_BKD = people.KASUBSI_BKD.nip
RINA = people.RINA.nip
DEDI = people.DEDI.nip
PUTRI = people.PUTRI.nip
RIZKI = people.RIZKI.nip
YULIANA = people.YULIANA.nip  # BKD PK, on leave in the demo staff table
BAMBANG = people.BAMBANG.nip  # her stand-in
SITI = people.SITI.nip

EMAIL = {
    **{p.nip: p.email for p in (people.KABAPAS, people.KASUBSI_BKA, people.KASUBSI_BKD, people.RINA, people.DEDI,
                                people.PUTRI, people.YULIANA, people.BAMBANG)},
    "keuangan": people.DEWI.email,
}

#: Tasks after the SPPD gate: skipped when the PK reported no trip.
SPPD_TASKS = (
    "pk_mengajukan_sppd.kirim_formulir",
    "pk_mengajukan_sppd.tunggu_jawaban",
    "keuangan_mencairkan_sppd.kirim_formulir",
    "keuangan_mencairkan_sppd.tunggu_jawaban",
    "pk_pertanggungjawaban_sppd.kirim_formulir",
    "pk_pertanggungjawaban_sppd.tunggu_jawaban",
    "catat_pencairan",
    "tutup_perkara",
)


def today_wib() -> date:
    from bapas_sop.calendar import wib_date
    from bapas_sop.store.models import utcnow

    return wib_date(utcnow())


def report(*, trip: bool, number: str = "W3.PAS.PAS.11-PK.01.05.02-101", summary: str = "Klien kooperatif; keluarga siap membimbing.") -> dict[str, str]:
    """A PK's completion report as form fields; a trip of the last two days when ``trip``."""
    today = today_wib()
    answer = {"nomor_laporan": number, "tanggal_selesai": today.isoformat(), "ringkasan": summary,
              "perjalanan_dinas": "ya" if trip else "tidak"}
    if trip:
        answer.update(tujuan="Muara Bulian, Kab. Batanghari",
                      tanggal_berangkat=(today - timedelta(days=2)).isoformat(),
                      tanggal_kembali=(today - timedelta(days=1)).isoformat())
    return answer


def sppd_answers() -> dict[str, dict[str, str]]:
    today = today_wib().isoformat()
    return {
        "Pengajuan SPPD": {"nomor_spt": "SPT/045/XI/2026", "jumlah_diajukan": "750000", "rincian": "Transport dan uang harian 2 hari"},
        "Pencairan SPPD": {"tanggal_pencairan": today, "jumlah_dicairkan": "750000", "nomor_bukti": "BKU/2026/311"},
        "Pertanggungjawaban": {"tanggal_serah": today, "tautan_bukti": "https://drive.example/sppd/045"},
    }


def request_conf(**overrides: Any) -> dict[str, Any]:
    """Params of a run an admin triggers for a letter received now."""
    conf = {
        "nomor_surat": "B/123/XI/2026/Reskrim",
        "tanggal_surat": today_wib().isoformat(),
        "instansi": "penyidik",
        "nama_instansi": "Polresta Jambi",
        "nama_pemohon": "Iptu Budi Santoso",
        "email_pemohon": "budi.santoso@polresta-jambi.example",
        "nama_klien": "Andi Saputra",
        "kategori": "anak",
        "jenis_litmas": "sidang_anak",
    }
    conf.update(overrides)
    return conf


def inbox(maildir: Path) -> list[InboxMessage]:
    """Every email received, oldest first."""
    return list(reversed(read_inbox(maildir)))


def mail_list(maildir: Path) -> Counter[tuple[str, str]]:
    """(recipient, subject) of every email, counted."""
    return Counter((m.to[0], m.subject) for m in inbox(maildir))


def messages(maildir: Path, *, to: str | None = None, subject: str | None = None) -> list[InboxMessage]:
    return [m for m in inbox(maildir)
            if (to is None or to in m.to) and (subject is None or subject in m.subject)]


def case_number_from(maildir: Path) -> str:
    [ack] = messages(maildir, subject="Tanda terima permintaan Litmas")
    return re.search(r"LITMAS-\d{4}-\d{4}", ack.subject).group(0)


def get_case(case_number: str):
    from bapas_sop.sops.sp2lo import service as sp2lo_service

    return sp2lo_service.get_case(case_number)


def audit_events(*, subject_prefix: str | None = None, run_id: str | None = None) -> list[Any]:
    from sqlalchemy import select

    from bapas_sop.store.db import session_scope
    from bapas_sop.store.models import AuditEvent

    with session_scope() as session:
        stmt = select(AuditEvent).order_by(AuditEvent.id)
        if subject_prefix is not None:
            stmt = stmt.where(AuditEvent.subject.startswith(subject_prefix))
        if run_id is not None:
            stmt = stmt.where(AuditEvent.run_id == run_id)
        events = session.scalars(stmt).all()
        session.expunge_all()
    return list(events)


def actions(events: list[Any]) -> list[str]:
    return [e.action for e in events]


def form_requests(run_id: str) -> dict[str, Any]:
    """The run's form requests by key suffix (``kabapas_disposisi``, ``pk_melakukan_litmas/r2``)."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from bapas_sop.store.db import session_scope
    from bapas_sop.store.models import FormRequest

    with session_scope() as session:
        rows = session.scalars(
            select(FormRequest).where(FormRequest.run_id == run_id).options(selectinload(FormRequest.responses))
        ).all()
        session.expunge_all()
    return {r.key.split(f"/{run_id}/", 1)[1]: r for r in rows}


def task_states(dagrun: Any) -> dict[str, str]:
    """Task id -> state (``success``, ``skipped``, ...) of every task of a finished run."""
    return {ti.task_id: getattr(ti.state, "value", ti.state) for ti in dagrun.get_task_instances()}

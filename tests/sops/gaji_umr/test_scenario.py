"""Gaji UMR end to end: a month's social activity under ``dag.test()``, answered by email.

The Kabapas sets the activity for today, the Kasubsi BKD swaps one proposed client, one
client declines on the phone (the next client of the rotation is asked at once), the
attendance is taken and the Kabapas gets the PDF report; next month's proposal follows.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from bapas_sop.mail.devserver import InboxMessage

from tests.support.scenario import (
    BAMBANG,
    EMAIL,
    KABAPAS,
    KASUBSI_BKD,
    SITI,
    audit_events,
    form_requests,
    messages,
    task_states,
    today_wib,
)
from tests.support.forms import choices
from tests.sops.peterpan.test_scenario import attachments_of, pdf_text

RUN_TIMEOUT = 400
FAJAR = "199602112020011002"


@pytest.fixture
def gaji_umr_dag(dags: dict[str, Any]):
    """The DAG (its contact loop parks between answers: nothing to speed up)."""
    return dags["gaji_umr"]


def _ranking(month: str) -> list[str]:
    from bapas_sop.sops.gaji_umr import flow as gaji_umr_flow

    return list(gaji_umr_flow.ranking({"month": month, "section": "bkd"})["id_klien"])


def _name(client_id: str) -> str:
    from bapas_sop.sops.gaji_umr import flow as gaji_umr_flow

    return str(gaji_umr_flow.load_register().loc[client_id, "nama"])


@pytest.mark.timeout(RUN_TIMEOUT)
def test_a_month_with_a_swap_and_a_decline_that_pulls_the_next_client(gaji_umr_dag, run_dag, smtp_server):
    from bapas_sop.sops.gaji_umr import flow as gaji_umr_flow

    maildir = smtp_server.maildir
    today = today_wib()
    month = f"{today.year:04d}-{today.month:02d}"
    ranked = _ranking(month)
    proposed = ranked[:5]
    # The Kasubsi swaps the fifth proposal for the sixth client of the rotation.
    approved = [*proposed[:4], ranked[5]]
    declines = proposed[1]  # this client declines on the phone
    replacement = ranked[6]  # the best-ranked client not yet chosen or asked
    absent = proposed[2]  # confirmed, but does not come on the day
    seen: dict[str, Any] = {"contacts": []}

    def approve(message: InboxMessage, html: str) -> dict[str, Any]:
        seen["approval_page"] = html
        return {"klien": approved, "catatan": "Utamakan klien yang tinggal dekat lokasi."}

    def contact(message: InboxMessage, html: str) -> dict[str, str]:
        client_id = re.search(r"\((KL-[A-Z]+-\d{3})\)", html).group(1)
        seen["contacts"].append((client_id, message.to[0]))
        if client_id == declines:
            return {"status": "menolak", "catatan": "Klien bekerja di luar kota pada tanggal itu."}
        return {"status": "dikonfirmasi"}

    def attendance(message: InboxMessage, html: str) -> dict[str, Any]:
        seen["attendance_page"] = html
        present = [cid for cid in [*approved, replacement] if cid not in (declines, absent)]
        return {"hadir": present, "jumlah_petugas": "6", "uraian": "Kerja bakti berjalan lancar dan tertib.",
                "tautan_dokumentasi": "https://drive.example/gaji-umr/foto"}

    dagrun, _responder = run_dag(gaji_umr_dag, {"bulan": month, "seksi": "bkd", "jumlah_klien": 5}, {
        "Penetapan kegiatan sosial Gaji UMR": {
            "kegiatan": "Kerja bakti membersihkan Masjid Al-Ikhlas", "tempat": "Masjid Al-Ikhlas, Kotabaru",
            "tanggal": today.isoformat(), "jam": "08.00",
        },
        "Persetujuan klien peserta": approve,
        "Konfirmasi klien Gaji UMR": contact,
        "Daftar hadir kegiatan Gaji UMR": attendance,
    })

    states = task_states(dagrun)
    assert dagrun.state == "success", states
    assert set(states.values()) == {"success"}, states

    # The Kasubsi saw the rotation's proposal checked, with each client's history.
    page = seen["approval_page"]
    for client_id in proposed:
        assert re.search(rf'value="{client_id}"\s+checked', page), client_id
    assert not re.search(rf'value="{ranked[5]}"\s+checked', page)
    assert "belum pernah ikut" in page and "— diusulkan" in page
    assert "KL-BKD-013" not in page  # no guidance received yet
    assert "KL-BKD-015" not in page  # no longer active

    # Every approved client's PK was asked; the decline brought the next client of the rotation.
    asked = [cid for cid, _to in seen["contacts"]]
    assert Counter(asked) == Counter([*approved, replacement])
    requests = form_requests(dagrun.run_id)
    contacts = {k.split("/", 1)[1]: r for k, r in requests.items() if k.startswith("menghubungi_klien/")}
    assert contacts[replacement].context["slot"] == contacts[declines].context["slot"]
    assert "Pengganti klien yang menolak" in str(contacts[replacement].context["facts"])
    # Clients of the PK on leave are contacted by her stand-in.
    register = gaji_umr_flow.load_register()
    for client_id, request in contacts.items():
        pk = register.loc[client_id, "pk_nip"]
        assert request.assignee_nip == (BAMBANG if pk == "198706142011012002" else pk), client_id

    # The participants' list, then the attendance of the confirmed five.
    [listing] = messages(maildir, subject="Daftar peserta Gaji UMR")
    assert listing.to == [EMAIL[KASUBSI_BKD]] and listing.cc == [EMAIL[KABAPAS]]
    assert _name(replacement) in listing.text and _name(declines) not in listing.text
    # Matched as whole choices of the attendance field, not as text of the page: the page's
    # hand-over list names staff too (a client "Gunawan Siregar" is inside the Kabapas's name).
    attendance_choices = choices(seen["attendance_page"], "hadir")
    attended_names = {label.rsplit(" (PK ", 1)[0] for label in attendance_choices.values()}
    assert _name(replacement) in attended_names and _name(declines) not in attended_names
    assert replacement in attendance_choices and declines not in attendance_choices

    # The report: a PDF to the Kabapas with who came, who declined.
    [mail] = messages(maildir, subject="Laporan kegiatan Gaji UMR")
    assert mail.to == [EMAIL[KABAPAS]] and mail.cc == [EMAIL[KASUBSI_BKD]]
    [(filename, pdf)] = attachments_of(maildir, mail).items()
    assert filename == f"laporan-gaji-umr-{month}.pdf"
    text = pdf_text(pdf)
    for expected in ("Laporan Hasil Kegiatan Gaji UMR", "Kerja bakti membersihkan Masjid Al-Ikhlas",
                     _name(replacement), "menolak/berhalangan", "tidak hadir", "Kerja bakti berjalan lancar"):
        assert expected in text, expected

    # The participation history: four attended, one absent, one declined.
    history = gaji_umr_flow.participation_history()
    statuses = dict(zip(history["client_id"], history["status"], strict=True))
    assert statuses[declines] == "menolak" and statuses[absent] == "tidak_hadir"
    assert sorted(cid for cid, s in statuses.items() if s == "hadir") == sorted(
        cid for cid in [*approved, replacement] if cid not in (declines, absent))
    [selected] = [e for e in audit_events(run_id=dagrun.run_id) if e.action == "gaji_umr_selected"]
    assert selected.detail["swapped_in"] == [ranked[5]] and selected.detail["swapped_out"] == [proposed[4]]
    assert selected.actor == KASUBSI_BKD
    from sqlalchemy import select

    from bapas_sop.sops.gaji_umr.models import GajiUmrMonth
    from bapas_sop.store.db import session_scope

    with session_scope() as session:
        record = session.scalars(select(GajiUmrMonth).where(GajiUmrMonth.run_id == dagrun.run_id)).one()
    assert record.swapped_in == [ranked[5]] and record.swapped_out == [proposed[4]] and record.selected_by == KASUBSI_BKD
    assert (record.kegiatan, record.suggested, record.attended, record.invited, record.staff) == (
        "Kerja bakti membersihkan Masjid Al-Ikhlas", False, 4, 5, 6)

    # Next month: those who took part wait their turn; the one who declined is proposed again.
    next_month = gaji_umr_flow.gaji_umr.add_months(month, 1)
    proposal = _ranking(next_month)[:5]
    took_part = {cid for cid, s in statuses.items() if s in ("hadir", "tidak_hadir")}
    assert declines in proposal and not took_part & set(proposal)
    assert {SITI, FAJAR}  # PKs of the section exist in the directory (smoke)

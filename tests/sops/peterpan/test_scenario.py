"""Peterpan end to end: a quarter's survey under ``dag.test()``, every ballot answered by email.

The office votes through the real form pages: most employees vote, one first tries to vote
for herself (refused), four never answer (their ballots expire as abstentions), two
candidates end level and the Kabapas decides. Then the certificate, the photo, the caption,
the gift and the announcement with its chart.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from email import policy
from email.parser import BytesParser
from typing import Any

import pytest
from sqlalchemy import select

from bapas_sop.mail.devserver import InboxMessage, open_maildir
from bapas_sop.sops.peterpan.history import rows as history_rows
from bapas_sop.sops.peterpan.models import PeterpanSurvey
from bapas_sop.store.db import session_scope

from tests.support.scenario import (
    BAMBANG,
    DEDI,
    EMAIL,
    KABAPAS,
    KASUBSI_BKA,
    KASUBSI_BKD,
    PUTRI,
    RINA,
    RIZKI,
    SITI,
    YULIANA,
    audit_events,
    csrf,
    form_link,
    form_requests,
    inbox,
    messages,
    path_of,
    task_states,
    today_wib,
)

RUN_TIMEOUT = 400

FAJAR = "199602112020011002"
DEWI = "198203302006042001"
AGUS = "198808202012121003"
INDRA = "198301172008011004"  # Ketua Humas
MAYA = "199407062018122002"  # Humas
HASAN = "197912252005011003"  # Staf TU and Pokja 3
LESTARI = "199304042017122006"  # Staf TU and Humas

ACTIVE = [KABAPAS, KASUBSI_BKA, KASUBSI_BKD, RINA, DEDI, PUTRI, RIZKI, YULIANA, BAMBANG, SITI, FAJAR, DEWI, AGUS,
          INDRA, MAYA, HASAN, LESTARI]
VOTERS = [nip for nip in ACTIVE if nip != YULIANA]  # on leave: no ballot
CANDIDATES = [nip for nip in ACTIVE if nip != KABAPAS]

#: Who votes for whom: Rina and Dedi end level at five votes; four never answer.
PLAN: dict[str, str | None] = {
    KABAPAS: RINA, KASUBSI_BKA: RINA, DEDI: RINA, PUTRI: RINA, RIZKI: RINA,
    RINA: DEDI, KASUBSI_BKD: DEDI, BAMBANG: DEDI, SITI: DEDI, FAJAR: DEDI,
    DEWI: MAYA, AGUS: MAYA,
    INDRA: None, MAYA: None, HASAN: None, LESTARI: None,
}


def _email_of(nip: str) -> str:
    from bapas_sop.directory import get_directory

    return get_directory().get(nip).email


def _nip_of(email: str) -> str:
    from bapas_sop.directory import get_directory

    return get_directory().by_email(email).nip


def _expire_ballot_of(email: str) -> None:
    """The person ignores the email: their ballot reaches its closing time unanswered."""
    from sqlalchemy import update

    from bapas_sop.store.db import session_scope
    from bapas_sop.store.models import FormRequest, utcnow

    with session_scope() as session:
        session.execute(
            update(FormRequest)
            .where(FormRequest.step == "pengisian_survei", FormRequest.assignee_email == email,
                   FormRequest.status == "open")
            .values(expires_at=utcnow())
        )


def attachments_of(maildir, message: InboxMessage) -> dict[str, bytes]:
    raw = open_maildir(maildir).get_bytes(message.id)
    mime = BytesParser(policy=policy.default).parsebytes(raw)
    return {part.get_filename(): part.get_content() for part in mime.iter_attachments()}


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def peterpan_dag(dags: dict[str, Any]):
    """The DAG, each ballot's wait polling every half second instead of every half minute."""
    return dags["peterpan"]


@pytest.mark.timeout(RUN_TIMEOUT)
def test_a_quarter_with_a_tie_decided_by_the_kabapas(peterpan_dag, run_dag, smtp_server, web):
    maildir = smtp_server.maildir
    seen: dict[str, Any] = {"ballot_pages": {}}

    def vote(message: InboxMessage, html: str) -> dict[str, str] | None:
        voter = _nip_of(message.to[0])
        seen["ballot_pages"][voter] = html
        choice = PLAN[voter]
        if choice is None:
            _expire_ballot_of(message.to[0])
            return None
        if voter == PUTRI:
            # Putri tries to vote for herself first: the server refuses it and keeps her reason.
            path = path_of(form_link(message))
            refused = web.post(path, data={"_csrf": csrf(html), "pilihan": PUTRI, "alasan": "Saya rajin."})
            seen["self_vote"] = refused
        return {"pilihan": choice, "alasan": f"Teladan dalam pelayanan ({voter[-3:]})."}

    def decide(message: InboxMessage, html: str) -> dict[str, str]:
        seen["tie_page"] = html
        return {"pemenang": DEDI, "alasan": "Kedisiplinan dan ketepatan waktu laporan Litmas."}

    citation = "Atas keteladanan, kedisiplinan dan pelayanan prima selama Triwulan III 2026."
    dagrun, responder = run_dag(peterpan_dag, {"triwulan": "2026-Q3"}, {
        "Survei Peterpan": vote,
        "perolehan suara sama": decide,
        "Persetujuan sertifikat": {"keputusan": "setuju", "kutipan": citation},
        "Kirim foto": {"tautan_foto": "https://drive.example/peterpan/dedi.jpg", "catatan": "Foto berseragam."},
        "Cetak sertifikat": {"sertifikat_dicetak": "ya", "bingkisan": "Parsel dan plakat",
                             "tanggal_penyerahan": today_wib().isoformat()},
    })

    states = task_states(dagrun)
    assert dagrun.state == "success", states
    assert set(states.values()) == {"success"}, states

    # Pokja 3 is told, with the candidates and the voters.
    [told] = messages(maildir, subject="Survei Peterpan Triwulan III 2026 telah dibuat")
    assert told.to == [EMAIL.get(HASAN, _email_of(HASAN))]
    assert "Yuliana Harahap" in told.text and "Hendra Gunawan Siregar" not in told.text.split("Pemilih (")[0]

    # One personal ballot per available employee; the voter is never on their own ballot.
    ballots = messages(maildir, subject="[Perlu tindakan] Survei Peterpan Triwulan III 2026")
    assert sorted(m.to[0] for m in ballots) == sorted(_email_of(n) for n in VOTERS)
    for voter, page in seen["ballot_pages"].items():
        offered = set(re.findall(r'<option value="(\d{18})"', page))
        assert offered == set(CANDIDATES) - {voter}, voter
    # A self-vote posted anyway is refused on the server, in Indonesian, the reason kept.
    refused = seen["self_vote"]
    assert refused.status_code == 422
    assert "pilihan tidak dikenal" in refused.text and "Saya rajin." in refused.text

    # The tie goes to the Kabapas, who sees only the two leaders.
    tie_page = seen["tie_page"]
    assert "Rina Marlina (5 suara)" in tie_page and "Dedi Kurniawan (5 suara)" in tie_page
    assert "Maya Sari Putri" not in tie_page.split("<form")[1]

    requests = form_requests(dagrun.run_id)
    ballot_requests = {k: r for k, r in requests.items() if k.startswith("pengisian_survei/")}
    assert len(ballot_requests) == len(VOTERS)
    assert Counter(r.status for r in ballot_requests.values()) == Counter(answered=12, expired=4)
    assert requests["kabapas_memutuskan_seri"].status == "answered"

    [tally] = [e for e in audit_events(run_id=dagrun.run_id) if e.action == "peterpan_tally"]
    assert tally.detail["status"] == "tie" and tally.detail["top"] == [RINA, DEDI]
    assert (tally.detail["voted"], tally.detail["voters"]) == (12, 16)
    counts = {c["nip"]: c["votes"] for c in tally.detail["counts"]}
    assert counts[RINA] == counts[DEDI] == 5 and counts[MAYA] == 2 and sum(counts.values()) == 12
    [winner] = [e for e in audit_events(run_id=dagrun.run_id) if e.action == "peterpan_winner"]
    assert winner.detail["nip"] == DEDI and winner.detail["decided_by"] == "kabapas"
    assert winner.actor == KABAPAS

    # The draft certificate reaches the Kabapas; the approved one, with his citation, Staf TU.
    [draft] = messages(maildir, subject="Draf sertifikat Pegawai Terbaik (Peterpan) Triwulan III 2026")
    assert draft.to == [EMAIL[KABAPAS]]
    [(name, pdf)] = attachments_of(maildir, draft).items()
    assert name == "draf-sertifikat-peterpan-2026-Q3.pdf"
    assert "DRAF" in pdf_text(pdf) and "Dedi Kurniawan" in pdf_text(pdf)
    [final] = messages(maildir, subject="Sertifikat Pegawai Terbaik (Peterpan) Triwulan III 2026 siap dicetak")
    assert final.to == [_email_of(HASAN)] and final.cc == [_email_of(LESTARI)]
    text = pdf_text(attachments_of(maildir, final)["sertifikat-peterpan-2026-Q3.pdf"])
    assert "DRAF" not in text
    for expected in ("Dedi Kurniawan", "NIP 198903052014031001", "PETERPAN/III/2026", "Triwulan III 2026",
                     "Hendra Gunawan Siregar", citation):
        assert expected in text, expected

    # Rewards: the winner's photo is asked of him in person; Tim Humas gets the caption.
    assert requests["pemenang_mengirim_foto"].assignee_email == _email_of(DEDI)
    humas = messages(maildir, subject="Bahan media sosial: Pegawai Terbaik (Peterpan) Triwulan III 2026")
    assert sorted(m.to[0] for m in humas) == sorted([_email_of(MAYA), _email_of(LESTARI)])
    assert "https://drive.example/peterpan/dedi.jpg" in humas[0].text
    assert "Selamat kepada Dedi Kurniawan" in humas[0].text and "#Peterpan" in humas[0].text
    assert requests["staf_tu_bingkisan"].assignee_nip == HASAN

    # Every active employee gets the announcement with the chart.
    news = messages(maildir, subject="Pengumuman Pegawai Terbaik (Peterpan) Triwulan III 2026")
    assert sorted(m.to[0] for m in news) == sorted(_email_of(n) for n in ACTIVE)
    assert "Dedi Kurniawan" in news[0].text and "12 dari 16 pegawai (75%)" in news[0].text
    assert "penetapan Kepala Bapas" in news[0].text
    chart = attachments_of(maildir, news[0])["hasil-peterpan-2026-Q3.png"]
    assert chart.startswith(b"\x89PNG")

    # A second answer on the same ballot is not taken: the page shows the recorded vote.
    rina_ballot = next(m for m in ballots if m.to == [_email_of(RINA)])
    again = web.get(path_of(form_link(rina_ballot)))
    assert "sudah dijawab" in again.text
    [closed] = [e for e in audit_events(run_id=dagrun.run_id) if e.action == "peterpan_closed"]
    assert closed.detail["photo_url"] == "https://drive.example/peterpan/dedi.jpg"
    assert closed.detail["gift"] == "Parsel dan plakat"
    # The run's record: one row, filled in by every step.
    with session_scope() as session:
        [record] = session.scalars(select(PeterpanSurvey).where(PeterpanSurvey.run_id == dagrun.run_id)).all()
    assert (record.quarter, record.tally_status, record.voted, record.voter_count) == ("2026-Q3", "tie", 12, 16)
    assert (record.winner_nip, record.winner_decided_by, record.winner_actor) == (DEDI, "kabapas", KABAPAS)
    assert (record.certificate_status, record.certificate_number) == ("issued", "PETERPAN/III/2026")
    assert record.certificate_citation == citation and record.announced_at is not None
    assert (record.photo_url, record.gift) == ("https://drive.example/peterpan/dedi.jpg", "Parsel dan plakat")
    assert record.closed_at is not None
    [quarter] = history_rows()
    assert (quarter["name"], quarter["participation"]) == ("Dedi Kurniawan", "12 dari 16 pegawai (75%)")
    assert all(m.subject for m in inbox(maildir))

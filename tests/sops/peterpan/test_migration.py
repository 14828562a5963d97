"""Revision peterpan_0001: a database kept by the code before it (Peterpan's records as audit
rows) is upgraded, and the history shows the same quarters, now read from ``peterpan_survey``.

The audit rows are written as that code wrote them (``audit.record`` with its actions,
subjects ``peterpan/<quarter>`` and detail keys: ``git show HEAD~1:include/bapas_sop/sop/peterpan_flow.py``).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, select

from bapas_sop import audit
from bapas_sop.calendar import WIB
from bapas_sop.store.db import alembic_config, get_engine, session_scope
from bapas_sop.store.models import AuditEvent
from tests.support.migrations import database_at

KABAPAS = "197408121999031002"
RINA = "198607212010122003"  # Rina Marlina
DEDI = "198903052014031001"  # Dedi Kurniawan
PUTRI = "199209182017122004"  # Putri Ayu Lestari
VOTERS = [KABAPAS, RINA, DEDI, PUTRI]
CANDIDATES = [RINA, DEDI, PUTRI]
ADMIN = {"x-test-admin": "yes"}


def _at(day: str, hour: int) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=WIB).astimezone(timezone.utc)


def _record(action: str, subject_quarter: str, run_id: str, at: datetime, actor: str = "system", **detail) -> None:
    with session_scope() as session:
        event = audit.record(session, actor=actor, action=action, subject=f"peterpan/{subject_quarter}",
                             dag_id="peterpan", run_id=run_id, **detail)
        event.at = at


def _survey(quarter: str, run_id: str, at: datetime) -> None:
    _record("peterpan_survey_created", quarter, run_id, at, quarter=quarter,
            closes_at="2026-10-09T15:00:00+07:00", candidates=CANDIDATES, voters=VOTERS)


def _tally(quarter: str, run_id: str, at: datetime, *, status: str, top: list[str], counts: dict[str, int],
           voted: int) -> None:
    _record("peterpan_tally", quarter, run_id, at, status=status, top=top,
            counts=[{"nip": nip, "votes": votes} for nip, votes in counts.items()],
            voters=len(VOTERS), voted=voted, participation=round(voted / len(VOTERS), 6), rejected=[])


def _winner(quarter: str, run_id: str, at: datetime, *, nip: str, name: str, votes: int,
            decided_by: str = "suara", note: str | None = None, actor: str = "system") -> None:
    _record("peterpan_winner", quarter, run_id, at, actor=actor, nip=nip, name=name, votes=votes,
            decided_by=decided_by, note=note)


def _seed_old_trail() -> None:
    # Triwulan III 2026: Rina wins on the votes, certificate issued, photo and gift recorded.
    run = "scheduled__2026-10-01"
    _survey("2026-Q3", run, _at("2026-10-01", 8))
    _tally("2026-Q3", run, _at("2026-10-09", 15), status="winner", top=[RINA], counts={RINA: 2, DEDI: 1, PUTRI: 0},
           voted=3)
    _winner("2026-Q3", run, _at("2026-10-09", 15), nip=RINA, name="Rina Marlina", votes=2)
    _record("peterpan_certificate_issued", "2026-Q3", run, _at("2026-10-12", 9), actor=KABAPAS, nip=RINA,
            number="PETERPAN/III/2026", citation="Atas dedikasinya")
    _record("peterpan_closed", "2026-Q3", run, _at("2026-10-20", 11), nip=RINA, name="Rina Marlina", votes=2,
            decided_by="suara", photo_url="https://drive.example/foto-rina", gift="Parsel dan plakat",
            handed_over_on="2026-10-20")

    # Triwulan II 2026: a tie the Kabapas decides; the certificate is refused; nothing closed.
    run = "scheduled__2026-07-01"
    _survey("2026-Q2", run, _at("2026-07-01", 8))
    _tally("2026-Q2", run, _at("2026-07-09", 15), status="tie", top=[RINA, DEDI], counts={RINA: 1, DEDI: 1, PUTRI: 0},
           voted=2)
    _winner("2026-Q2", run, _at("2026-07-10", 10), nip=DEDI, name="Dedi Kurniawan", votes=1, decided_by="kabapas",
            note="Disiplin paling baik", actor=KABAPAS)
    _record("peterpan_certificate_refused", "2026-Q2", run, _at("2026-07-13", 9), actor=KABAPAS, nip=DEDI,
            note="Tunda sampai evaluasi")

    # Triwulan I 2026, run twice ("ulangi"): the second survey's winner stands, with its own record.
    first, second = "manual__2026-04-01", "manual__2026-04-15"
    _survey("2026-Q1", first, _at("2026-04-01", 8))
    _tally("2026-Q1", first, _at("2026-04-09", 15), status="winner", top=[PUTRI], counts={PUTRI: 2, RINA: 1},
           voted=3)
    _winner("2026-Q1", first, _at("2026-04-09", 15), nip=PUTRI, name="Putri Ayu Lestari", votes=2)
    _survey("2026-Q1", second, _at("2026-04-15", 8))
    _tally("2026-Q1", second, _at("2026-04-23", 15), status="winner", top=[DEDI], counts={DEDI: 4},
           voted=4)
    _winner("2026-Q1", second, _at("2026-04-23", 15), nip=DEDI, name="Dedi Kurniawan", votes=4)
    _record("peterpan_certificate_issued", "2026-Q1", second, _at("2026-04-24", 9), actor=KABAPAS, nip=DEDI,
            number="PETERPAN/I/2026", citation="Teladan")


@pytest.fixture
def old_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A database at the shared revision 0001 only, as it was before Peterpan had tables,
    holding the audit rows the earlier code wrote. Same place as the ``project`` fixture's,
    so that fixture (and ``web``) use it afterwards."""
    url = database_at(tmp_path, monkeypatch, "0001")
    assert "peterpan_survey" not in inspect(get_engine()).get_table_names()
    _seed_old_trail()
    return url


def _section_rows(html: str) -> list[str]:
    section = re.search(r'<section class="card" id="peterpan">(.*?)</section>', html, re.S).group(1)
    return re.findall(r"<tr>(.*?)</tr>", section.split("<tbody>", 1)[1], re.S)


def test_the_upgrade_moves_each_run_into_a_row_and_the_history_is_unchanged(old_database, request) -> None:
    from bapas_sop.sops.peterpan import flow as peterpan_flow
    from bapas_sop.sops.peterpan.history import rows
    from bapas_sop.sops.peterpan.models import PeterpanSurvey
    from bapas_sop.store import migrate

    with session_scope() as session:
        audit_rows = session.query(AuditEvent).count()
    migrate(old_database)

    with session_scope() as session:
        surveys = {s.run_id: s for s in session.scalars(select(PeterpanSurvey))}
        assert session.query(AuditEvent).count() == audit_rows  # the trail stays as it was
    assert len(surveys) == 4
    q3 = surveys["scheduled__2026-10-01"]
    assert (q3.quarter, q3.voters, q3.candidates, q3.forms_backend) == ("2026-Q3", VOTERS, CANDIDATES, "bawaan")
    assert q3.closes_at == _at("2026-10-09", 15) and q3.created_at == _at("2026-10-01", 8)
    assert (q3.tally_status, q3.voted, q3.voter_count, q3.participation) == ("winner", 3, 4, 0.75)
    assert {c["nip"]: c["votes"] for c in q3.tally} == {RINA: 2, DEDI: 1, PUTRI: 0} and q3.total_votes == 3
    assert (q3.winner_nip, q3.winner_votes, q3.winner_decided_by, q3.winner_decided_at) == (
        RINA, 2, "suara", _at("2026-10-09", 15))
    assert (q3.certificate_status, q3.certificate_number, q3.certificate_citation, q3.certificate_actor) == (
        "issued", "PETERPAN/III/2026", "Atas dedikasinya", KABAPAS)
    assert (q3.photo_url, q3.gift, str(q3.handed_over_on)) == (
        "https://drive.example/foto-rina", "Parsel dan plakat", "2026-10-20")
    assert q3.closed_at == _at("2026-10-20", 11)
    q2 = surveys["scheduled__2026-07-01"]
    assert (q2.winner_nip, q2.winner_decided_by, q2.winner_note, q2.winner_actor) == (
        DEDI, "kabapas", "Disiplin paling baik", KABAPAS)
    assert (q2.certificate_status, q2.certificate_note, q2.closed_at) == ("refused", "Tunda sampai evaluasi", None)

    # The history: the same quarters, winners, votes, participation, certificate, photo and gift.
    history = rows()
    assert [(r["quarter"], r["name"], r["votes"]) for r in history] == [
        ("2026-Q3", "Rina Marlina", 2), ("2026-Q2", "Dedi Kurniawan", 1), ("2026-Q1", "Dedi Kurniawan", 4)]
    assert [r["participation"] for r in history] == [
        "3 dari 4 pegawai (75%)", "2 dari 4 pegawai (50%)", "4 dari 4 pegawai (100%)"]
    assert [(r["certificate"], r["certificate_note"]) for r in history] == [
        ("issued", "PETERPAN/III/2026"), ("refused", "Tunda sampai evaluasi"), ("issued", "PETERPAN/I/2026")]
    assert [(r["photo_url"], r["gift"], r["handed_over_on"]) for r in history] == [
        ("https://drive.example/foto-rina", "Parsel dan plakat", "20 Oktober 2026"), (None, None, None),
        (None, None, None)]
    assert history[1]["by_kabapas"] and history[1]["decision_note"] == "Disiplin paling baik"
    assert history[0]["decided_at"] == "Jumat, 9 Oktober 2026 pukul 15.00 WIB"

    web = request.getfixturevalue("web")  # its migrate() finds nothing left to do
    q3_html, q2_html, q1_html = _section_rows(web.get("/bapas/admin/riwayat", headers=ADMIN).text)
    assert "Triwulan III 2026" in q3_html and "Rina Marlina" in q3_html and "2 suara" in q3_html
    assert "3 dari 4 pegawai (75%)" in q3_html and "Diterbitkan" in q3_html and "PETERPAN/III/2026" in q3_html
    assert 'href="https://drive.example/foto-rina"' in q3_html and "Parsel dan plakat" in q3_html
    assert "Kepala Bapas (perolehan suara sama)" in q2_html and "Tidak disetujui" in q2_html
    assert "Tidak ada foto" in q2_html
    assert "Triwulan I 2026" in q1_html and "Dedi Kurniawan" in q1_html and "Putri" not in q1_html

    # The moved rows carry on: another run for a quarter already surveyed is refused, as before.
    with pytest.raises(peterpan_flow.SurveyError, match="sudah dibuat oleh run scheduled__2026-10-01"):
        peterpan_flow.create_survey({"triwulan": "2026-Q3"}, dag_id="peterpan", run_id="manual__later")


def test_an_empty_trail_upgrades_to_an_empty_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bapas_sop.sops.peterpan import flow as peterpan_flow
    from bapas_sop.store import migrate

    url = f"sqlite:///{tmp_path / 'bapas.db'}"
    monkeypatch.setenv("BAPAS_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("BAPAS_DB_URL", url)
    command.upgrade(alembic_config(url), "0001")
    migrate(url)
    migrate(url)  # twice: nothing left to do

    assert "peterpan_survey" in inspect(get_engine()).get_table_names()
    assert peterpan_flow.winners_history() == []

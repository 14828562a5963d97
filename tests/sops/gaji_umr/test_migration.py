"""Gaji UMR's records move from the audit trail into their tables when the database is migrated.

The database is taken to the shared schema only (revision ``0001``), filled with audit rows
exactly as the flow wrote them before Gaji UMR had tables (same actions, subjects and detail
keys), then migrated to the newest schema: the history page and the rotation's participation
history must show the same months, clients and statuses, and the flow must go on from there.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.support.migrations import database_at

KABAPAS = "197408121999031002"
KASUBSI_BKD = "197811032003121002"  # Ahmad Fauzi Nasution
DAG = "gaji_umr"
OCTOBER, NOVEMBER = "scheduled__2026-10-01", "manual__2026-11-03"


@pytest.fixture
def old_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A project database at revision 0001 (no Gaji UMR tables yet)."""
    url = database_at(tmp_path, monkeypatch, "0001")
    return url


def _record(session, actor: str, action: str, subject: str, run_id: str, **detail) -> None:
    from bapas_sop import audit

    audit.record(session, actor=actor, action=action, subject=subject, dag_id=DAG, run_id=run_id, **detail)


def _contact(session, month: str, run_id: str, slot: int, client_id: str, status: str, note: str | None = None) -> None:
    """What ``_record_contact`` wrote: the contact, and a participation row for a decline."""
    _record(session, "system", "gaji_umr_contact", f"gaji_umr/{month}/klien/{client_id}", run_id,
            slot=slot, status=status, defaulted=False, note=note)
    if status in ("menolak", "tidak_terhubung"):
        _participation(session, month, run_id, client_id, status)


def _participation(session, month: str, run_id: str, client_id: str, status: str) -> None:
    _record(session, "system", "gaji_umr_participation", f"gaji_umr/klien/{client_id}", run_id, month=month, status=status)


def _seed_old_trail() -> list[tuple[str, str, str]]:
    """October reported, November contacted (its day still to come); returns the participation rows."""
    from bapas_sop.store.db import session_scope

    with session_scope() as session:
        # October: the Kabapas's own activity, a swap, a decline, the report.
        _record(session, KABAPAS, "gaji_umr_activity", "gaji_umr/2026-10", OCTOBER,
                kegiatan="Kerja bakti membersihkan masjid", tempat="Masjid Al-Ikhlas", tanggal="2026-10-16",
                jam="07.30", catatan=None, source="kabapas", day_label="Jumat, 16 Oktober 2026",
                day_starts="2026-10-16T06:00:00+07:00")
        _record(session, "system", "gaji_umr_proposed", "gaji_umr/2026-10", OCTOBER,
                proposed=["KL-BKD-002", "KL-BKD-004", "KL-BKD-005"], eligible=12)
        _record(session, KASUBSI_BKD, "gaji_umr_selected", "gaji_umr/2026-10", OCTOBER,
                chosen=["KL-BKD-002", "KL-BKD-004", "KL-BKD-007"], swapped_in=["KL-BKD-007"],
                swapped_out=["KL-BKD-005"], note="Yang dekat lokasi")
        _contact(session, "2026-10", OCTOBER, 1, "KL-BKD-002", "dikonfirmasi")
        _contact(session, "2026-10", OCTOBER, 2, "KL-BKD-004", "menolak", "Bekerja di luar kota")
        _contact(session, "2026-10", OCTOBER, 3, "KL-BKD-007", "dikonfirmasi")
        _contact(session, "2026-10", OCTOBER, 2, "KL-BKD-008", "dikonfirmasi")
        _record(session, "system", "gaji_umr_participants", "gaji_umr/2026-10", OCTOBER,
                confirmed=["KL-BKD-002", "KL-BKD-008", "KL-BKD-007"], unfilled=0)
        for client_id, status in [("KL-BKD-002", "hadir"), ("KL-BKD-008", "hadir"), ("KL-BKD-007", "tidak_hadir")]:
            _participation(session, "2026-10", OCTOBER, client_id, status)
        _record(session, KASUBSI_BKD, "gaji_umr_report", "gaji_umr/2026-10", OCTOBER, attended=2, invited=3, staff=5)
        # November: the suggestion stood, the proposal stood, two calls made.
        _record(session, "system", "gaji_umr_activity", "gaji_umr/2026-11", NOVEMBER,
                kegiatan="Penanaman pohon dan penghijauan lingkungan", tempat="Ruang terbuka hijau Kota Jambi",
                tanggal="2026-11-13", jam="08.00", catatan=None, source="saran", day_label="Jumat, 13 November 2026",
                day_starts="2026-11-13T06:00:00+07:00")
        _record(session, "system", "gaji_umr_proposed", "gaji_umr/2026-11", NOVEMBER,
                proposed=["KL-BKD-004", "KL-BKD-005"], eligible=12)
        _record(session, "system", "gaji_umr_selected", "gaji_umr/2026-11", NOVEMBER,
                chosen=["KL-BKD-004", "KL-BKD-005"], swapped_in=[], swapped_out=[], note=None)
        _contact(session, "2026-11", NOVEMBER, 1, "KL-BKD-004", "dikonfirmasi")
        _contact(session, "2026-11", NOVEMBER, 2, "KL-BKD-005", "tidak_terhubung")
    return [("KL-BKD-004", "2026-10", "menolak"), ("KL-BKD-002", "2026-10", "hadir"),
            ("KL-BKD-008", "2026-10", "hadir"), ("KL-BKD-007", "2026-10", "tidak_hadir"),
            ("KL-BKD-005", "2026-11", "tidak_terhubung")]


def test_migrating_moves_the_months_and_clients_out_of_the_audit_trail(old_database) -> None:
    from bapas_sop.sops.gaji_umr import flow as gaji_umr_flow
    from bapas_sop.sops.gaji_umr import history
    from bapas_sop.sops.gaji_umr import rules as gaji_umr
    from bapas_sop.sops.gaji_umr.models import GajiUmrClient, GajiUmrMonth
    from bapas_sop.store import migrate
    from bapas_sop.store.db import session_scope
    from bapas_sop.store.models import AuditEvent

    participation = _seed_old_trail()
    with session_scope() as session:
        trail = session.scalar(select(func.count(AuditEvent.id)))

    migrate(old_database)

    # The rotation's input: the same clients, months and statuses the audit rows held.
    frame = gaji_umr_flow.participation_history()
    assert list(frame.columns) == ["client_id", "month", "status"]
    assert sorted(map(tuple, frame.to_numpy().tolist())) == sorted(participation)
    register = gaji_umr_flow.load_register()
    stats = gaji_umr.participation_stats(register, frame)
    assert stats.loc["KL-BKD-002", "times"] == register.loc["KL-BKD-002", "jumlah_dipilih"] + 1
    assert stats.loc["KL-BKD-002", "last"] == "2026-10"
    assert stats.loc["KL-BKD-004", "times"] == register.loc["KL-BKD-004", "jumlah_dipilih"]  # declined: not chosen

    # The history page: both months, newest first, with their activity, clients and report.
    november, october = history.rows()
    assert october["month"] == "2026-10" and october["label"] == "Oktober 2026"
    assert october["activity"] == {"kegiatan": "Kerja bakti membersihkan masjid", "tempat": "Masjid Al-Ikhlas",
                                   "tanggal": "Jumat, 16 Oktober 2026", "jam": "07.30", "suggested": False}
    assert {c["client_id"]: c["status"] for c in october["clients"]} == {
        "KL-BKD-002": "hadir", "KL-BKD-008": "hadir", "KL-BKD-007": "tidak_hadir", "KL-BKD-004": "menolak"}
    assert [c["name"] for c in october["clients"]][:2] == ["Budi Santoso Lubis", "Hendri Kurniawan"]
    assert october["report"]["attended"] == 2 and october["report"]["invited"] == 3 and october["report"]["staff"] == 5
    assert november["month"] == "2026-11" and november["activity"]["suggested"] is True
    assert {c["client_id"]: c["status"] for c in november["clients"]} == {
        "KL-BKD-004": "dikonfirmasi", "KL-BKD-005": "tidak_terhubung"}
    assert november["report"] is None

    # The runs themselves: what each step recorded.
    with session_scope() as session:
        runs = {r.run_id: r for r in session.scalars(select(GajiUmrMonth))}
        declined = session.scalars(select(GajiUmrClient).where(GajiUmrClient.client_id == "KL-BKD-004",
                                                               GajiUmrClient.month == "2026-10")).one()
        assert session.scalar(select(func.count(AuditEvent.id))) == trail  # the trail stays
    assert set(runs) == {OCTOBER, NOVEMBER}
    assert runs[OCTOBER].proposed == ["KL-BKD-002", "KL-BKD-004", "KL-BKD-005"]
    assert runs[OCTOBER].swapped_in == ["KL-BKD-007"] and runs[OCTOBER].swapped_out == ["KL-BKD-005"]
    assert runs[OCTOBER].selected_by == KASUBSI_BKD and runs[OCTOBER].participants_sent_at is not None
    assert runs[OCTOBER].reported_by == KASUBSI_BKD and runs[NOVEMBER].reported_at is None
    assert declined.contact_status == "menolak" and declined.contact_note == "Bekerja di luar kota" and declined.slot == 2

    # The flow goes on from the moved records: November's activity is not recorded twice.
    plan = {"month": "2026-11", "month_label": "November 2026", "section": "bkd", "suggestion": {}}
    gaji_umr_flow.record_activity(plan, {"status": "answered", "answered_by": KABAPAS, "answer": {
        "kegiatan": "Lain", "tempat": "Lain", "tanggal": "2026-11-20", "jam": "08.00"}}, dag_id=DAG, run_id=NOVEMBER)
    with session_scope() as session:
        again = session.scalars(select(GajiUmrMonth).where(GajiUmrMonth.run_id == NOVEMBER)).one()
        logged = session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "gaji_umr_activity"))
    assert again.kegiatan == "Penanaman pohon dan penghijauan lingkungan" and logged == 2


def test_migrating_an_empty_trail_gives_empty_tables(old_database) -> None:
    from bapas_sop.sops.gaji_umr import flow as gaji_umr_flow
    from bapas_sop.sops.gaji_umr import history
    from bapas_sop.store import migrate

    migrate(old_database)
    migrate(old_database)  # idempotent

    assert gaji_umr_flow.participation_history().empty
    assert history.rows() == []

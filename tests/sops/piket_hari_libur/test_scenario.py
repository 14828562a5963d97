"""Piket Hari Libur end to end under ``dag.test()``, answered by email through the real pages.

The December roster: Staf TU swaps one officer, the Kabapas returns it with notes, Staf TU sends
it again (the swap still filled in), the Kabapas approves; every officer gets their dates with a
calendar invitation; one officer cannot serve and names a substitute who declines, the officer
names another who confirms (the hand-over recorded). Then the days: the reminder the day
before, a check-in missed on a holiday (Kaur TU told, Kabapas in copy), and the report.
"""

from __future__ import annotations

import html
import re
from datetime import date, datetime
from typing import Any

import pytest

from bapas_sop.calendar import WIB
from bapas_sop.mail.devserver import InboxMessage
from tests.support import people
from tests.support.clock import pinned_clock
from tests.support.forms import choices
from tests.support.scenario import messages, task_states
from tests.sops.peterpan.test_scenario import attachments_of
from tests.sops.piket_hari_libur.test_flow import duties

RUN_TIMEOUT = 400


def options(page: str, field: str) -> dict[str, str]:
    """The options of a select field: value -> label."""
    select = re.search(rf'<select[^>]*name="{field}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return {html.unescape(v): html.unescape(label) for v, label in re.findall(r'<option value="([^"]+)"[^>]*>([^<]*)</option>', select)}


def selected(page: str, field: str) -> str | None:
    select = re.search(rf'<select[^>]*name="{field}"[^>]*>(.*?)</select>', page, re.S).group(1)
    found = re.search(r'<option value="([^"]+)" selected>', select)
    return html.unescape(found.group(1)) if found else None


@pytest.fixture
def piket_dag(dags: dict[str, Any]):
    """The monthly DAG (each officer's substitution loop parks between answers)."""
    return dags["piket_hari_libur"]


@pytest.mark.timeout(RUN_TIMEOUT)
def test_december_roster_with_a_swap_a_return_and_a_substitution(piket_dag, run_dag, smtp_server) -> None:
    from sqlalchemy import select

    from bapas_sop.sops.piket_hari_libur.models import PiketHandover, PiketRoster
    from bapas_sop.store.db import session_scope

    maildir = smtp_server.maildir
    seen: dict[str, Any] = {"kabapas": 0, "confirm": 0, "availability": []}

    def review(message: InboxMessage, page: str) -> dict[str, str]:
        jadwal, pegawai = options(page, "keluar_1"), options(page, "masuk_1")
        out = next(v for v in jadwal if v.startswith("2026-12-05|"))
        on_saturday = {v.split("|")[1] for v in jadwal if v.startswith("2026-12-05|")}
        into = next(v for v in pegawai if v not in on_saturday and v != people.HASAN.nip)
        seen["swap"] = (out, into)
        return {"keluar_1": out, "masuk_1": into, "catatan": "Penukaran atas permintaan Kasubsi."}

    def revision(message: InboxMessage, page: str) -> dict[str, str]:
        seen["revision_page"] = page
        out, into = seen["swap"]
        assert selected(page, "keluar_1") == out and selected(page, "masuk_1") == into  # the swap is kept
        return {"keluar_1": out, "masuk_1": into, "catatan": "Sudah diperiksa ulang."}

    def kabapas(message: InboxMessage, page: str) -> dict[str, str]:
        seen["kabapas"] += 1
        if seen["kabapas"] == 1:
            return {"keputusan": "revisi", "catatan": "Pastikan petugas Natal bukan yang bertugas Malam Natal."}
        return {"keputusan": "setuju"}

    def availability(message: InboxMessage, page: str) -> dict[str, Any]:
        dates = choices(page, "tanggal")
        seen["availability"].append(message.to[0])
        if "officer" not in seen:
            seen["officer"] = message.to[0]
        if message.to[0] != seen["officer"]:
            return {"kesediaan": "bersedia"}
        day = sorted(dates)[0]
        busy = {d.nip for d in duties(date.fromisoformat(day))}
        free = [v for v in options(page, "pengganti") if v not in busy and v not in seen.get("named", [])
                and v not in (people.DEDI.nip, people.SITI.nip)]
        seen.setdefault("named", []).append(free[0])
        seen["day"] = day
        return {"kesediaan": "berhalangan", "tanggal": [day], "pengganti": free[0], "alasan": "Acara keluarga di Kerinci."}

    def confirm(message: InboxMessage, page: str) -> dict[str, str]:
        seen["confirm"] += 1
        if seen["confirm"] == 1:
            return {"keputusan": "menolak", "catatan": "Saya sedang di luar kota."}
        return {"keputusan": "bersedia"}

    dagrun, _responder = run_dag(piket_dag, {"bulan": "2026-12"}, {
        "Perbaikan ke-2": revision,
        "Pemeriksaan jadwal piket hari libur": review,
        "Persetujuan jadwal piket hari libur": kabapas,
        "Kesediaan piket hari libur": availability,
        "Menggantikan piket": confirm,
    })
    states = task_states(dagrun)
    assert dagrun.state == "success", states

    # The review loop: returned once, approved in the second round, the swap made.
    assert seen["kabapas"] == 2 and "Pastikan petugas Natal" in seen["revision_page"]
    with session_scope() as session:
        [roster] = session.scalars(select(PiketRoster)).all()
        assert roster.status == "disetujui" and roster.rounds == 2 and roster.approved_by == people.KABAPAS.nip
        out_day, out_nip = seen["swap"][0].split("|")
        assert roster.swaps == [[out_day, out_nip, seen["swap"][1]]]
        [handover] = session.scalars(select(PiketHandover)).all()
    saturday = {d.scheduled_nip for d in duties(date(2026, 12, 5))}  # as approved, before any hand-over
    assert seen["swap"][1] in saturday and out_nip not in saturday

    # Every officer told once, with the invitation; asked once, the substituted one twice.
    told = messages(maildir, subject="Jadwal piket hari libur Desember 2026")
    officers = {d.scheduled_nip for d in duties()}
    assert len(told) == len(officers)
    for mail in told:
        ics = attachments_of(maildir, mail)["undangan.ics"]
        assert b"BEGIN:VEVENT" in (ics if isinstance(ics, bytes) else ics.encode())
    assert seen["availability"].count(seen["officer"]) == 2

    # The first substitute declined; the second confirmed: the hand-over is recorded and announced.
    first, second = seen["named"]
    officer_nip = next(p.nip for p in map(people.person, officers) if p.email == seen["officer"])
    assert (handover.from_nip, handover.to_nip, handover.decided_by) == (officer_nip, second, second)
    [moved] = [d for d in duties(date.fromisoformat(seen["day"])) if d.scheduled_nip == officer_nip]
    assert moved.nip == second
    [announced] = messages(maildir, subject="Anda menggantikan piket hari libur")
    assert announced.to == [people.person(second).email] and "undangan.ics" in attachments_of(maildir, announced)
    assert first != second


@pytest.mark.timeout(RUN_TIMEOUT)
def test_a_holiday_missed_checkin_and_the_report(dags, run_dag, smtp_server, web) -> None:
    from tests.sops.piket_hari_libur.test_flow import approved_roster

    daily = dags["piket_hari_libur_harian"]
    approved_roster()
    christmas_eve = duties(date(2026, 12, 24))
    maildir = smtp_server.maildir

    with pinned_clock(datetime(2026, 12, 23, 6, 0, tzinfo=WIB)):
        dagrun, _ = run_dag(daily, {}, {})
        assert dagrun.state == "success", task_states(dagrun)
    reminders = messages(maildir, subject="Pengingat: besok Anda piket hari libur")
    assert sorted(m.to[0] for m in reminders) == sorted(people.person(d.nip).email for d in christmas_eve)

    # On the day: the first officer checks in from the reminder's link, the second does not.
    first, second = christmas_eve
    link = next(url for url in next(m for m in reminders if m.to == [people.person(first.nip).email]).links if "/piket/" in url)
    with pinned_clock(datetime(2026, 12, 24, 7, 40, tzinfo=WIB)):
        page = web.get("/bapas" + link.split("/bapas", 1)[1])
        assert web.post(f"/bapas/piket/{first.token}/hadir",
                        data={"_csrf": re.search(r'name="_csrf" value="([^"]+)"', page.text).group(1)}).status_code == 303
    with pinned_clock(datetime(2026, 12, 24, 8, 30, tzinfo=WIB)):
        dagrun, _ = run_dag(daily, {}, {})
        assert dagrun.state == "success", task_states(dagrun)
    [escalation] = messages(maildir, subject="Petugas piket belum hadir")
    assert escalation.to == [people.DEWI.email]
    assert set(escalation.cc) == {people.KABAPAS.email, people.person(second.nip).email}
    assert people.person(second.nip).name in escalation.subject

    # Monday 28 December, the first working day after: one report of 24-27 December to the Kabapas.
    with pinned_clock(datetime(2026, 12, 28, 6, 0, tzinfo=WIB)):
        dagrun, _ = run_dag(daily, {}, {})
        assert dagrun.state == "success", task_states(dagrun)
    [report] = messages(maildir, subject="Laporan piket hari libur")
    assert report.to == [people.KABAPAS.email]
    assert list(attachments_of(maildir, report)) == ["laporan-piket-2026-12-24.pdf"]
    assert "24 Desember 2026 s.d. 27 Desember 2026" in report.subject

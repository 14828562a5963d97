"""Tamu Ngopi end to end: a month's forum under ``dag.test()``, answered by email.

October's forum left an action item open past its due date: November's agenda takes it over by
itself. Employees and stakeholders propose topics; the Kabapas approves the agenda, drops one
guest and names a stand-in host; everyone gets the invitation with a calendar entry and answers
(one partner agency is represented by someone else, one employee cannot come); Staf TU records
the attendance and minutes; the Kabapas turns two suggestions into action items; the report
(PDF) goes to those who came; the owners report (one done, one still going): the open one is
next month's carried-over item, and the admin page shows them all.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import icalendar
import pytest
from sqlalchemy import select

from bapas_sop.mail.devserver import InboxMessage

from tests.sops.peterpan.test_scenario import attachments_of, pdf_text
from tests.support import people
from tests.support.forms import checked, choices, form_link
from tests.support.scenario import messages, task_states, today_wib

RUN_TIMEOUT = 400
RUDI = "rudi.hartono@polresta-jambi.example"  # partner agency: represented
KARIM = "abdul.karim@warga-kotabaru.example"  # community figure: not on the approved guest list
RATNA = "ratna.dewi@keluarga-klien.example"  # a client's mother: proposes a topic


@pytest.fixture
def tamu_ngopi_dag(dags: dict[str, Any]):
    """The DAG (its mapped waits park until answered)."""
    return dags["tamu_ngopi"]


def seed_october(today: date) -> int:
    """October's forum, with one action item (Rina's) still open and past its due date."""
    from bapas_sop.sops.tamu_ngopi.models import TamuNgopiActionItem, TamuNgopiMeeting
    from bapas_sop.store.db import session_scope

    with session_scope() as session:
        meeting = TamuNgopiMeeting(month="2026-10", dag_id="tamu_ngopi", run_id="scheduled__2026-10-01",
                                   place="Aula", agenda=[])
        session.add(meeting)
        session.flush()
        item = TamuNgopiActionItem(meeting_id=meeting.id, month="2026-10", slot=1,
                                   title="Perbaikan papan informasi layanan", owner_nip=people.RINA.nip,
                                   owner_name=people.RINA.name, due_date=today - timedelta(days=12),
                                   status="terbuka", reports=2)
        session.add(item)
        session.flush()
        return item.id


@pytest.mark.timeout(RUN_TIMEOUT)
def test_a_month_with_a_carried_item_a_represented_guest_and_an_item_left_open(tamu_ngopi_dag, run_dag, smtp_server, web):
    from bapas_sop.sops.tamu_ngopi import flow
    from bapas_sop.sops.tamu_ngopi.models import TamuNgopiActionItem, TamuNgopiMeeting, TamuNgopiParticipant
    from bapas_sop.store.db import session_scope

    maildir = smtp_server.maildir
    today = today_wib()
    month = f"{today.year:04d}-{today.month:02d}"
    october_item = seed_october(today)
    seen: dict[str, Any] = {}

    def topic(message: InboxMessage, html: str) -> dict[str, str]:
        to = message.to[0]
        if to == RATNA:
            return {"topik": "Pendampingan keluarga klien anak", "uraian": "Keluarga butuh jadwal konsultasi."}
        if to == people.SITI.email:
            return {"topik": "Ruang tunggu ramah anak"}
        # Everyone else has the same concern (proposed many times: one agenda point).
        return {"topik": "Jam layanan wajib lapor pada hari Sabtu"}

    def agenda(message: InboxMessage, html: str) -> dict[str, Any]:
        seen["agenda_page"] = html
        guests = [g for g in choices(html, "tamu") if g != KARIM]
        return {"agenda": checked(html, "agenda"), "tamu": guests, "tanggal": today.isoformat(), "jam": "13.00",
                "tempat": "Aula Bapas Kelas II Jambi", "tuan_rumah": people.KASUBSI_BKD.nip,
                "catatan": "Saya dinas ke Kanwil; Kasubsi BKD memimpin forum."}

    def rsvp(message: InboxMessage, html: str) -> dict[str, str]:
        to = message.to[0]
        if to == RUDI:
            return {"kehadiran": "diwakili", "diwakili_oleh": "Bripka Andi Saputra, penyidik Unit PPA"}
        if to == people.DEDI.email:
            return {"kehadiran": "tidak_hadir", "catatan": "Sidang anak di PN Jambi."}
        return {"kehadiran": "hadir"}

    def minutes(message: InboxMessage, html: str) -> dict[str, Any]:
        seen["minutes_page"] = html
        return {"hadir": checked(html, "hadir"), "hadir_lain": "Bu Nur, kader PKK Kotabaru",
                "notulen": "Forum dibuka Kasubsi BKD. Peserta membahas layanan wajib lapor dan ruang tunggu.",
                "usulan": "1. Buka layanan wajib lapor Sabtu pagi\n2. Sediakan ruang tunggu ramah anak\n"
                          "3. Sosialisasi layanan ke kelurahan"}

    def decide(message: InboxMessage, html: str) -> dict[str, str]:
        seen["decision_page"] = html
        return {"tindakan_1": "Buka layanan wajib lapor Sabtu pagi", "pj_1": people.BAMBANG.nip,
                "tenggat_1": (today + timedelta(days=14)).isoformat(),
                "tindakan_2": "Sediakan ruang tunggu ramah anak", "pj_2": people.SITI.nip,
                "tenggat_2": (today + timedelta(days=7)).isoformat(),
                "tindakan_3": "", "catatan": "Usulan sosialisasi dibahas bulan depan."}

    def follow_up(message: InboxMessage, html: str) -> dict[str, str]:
        if message.to[0] == people.BAMBANG.email:
            return {"status": "berjalan", "keterangan": "Menunggu jadwal piket Sabtu dari Kaur TU."}
        return {"status": "selesai", "keterangan": "Sudah dikerjakan."}

    dagrun, responder = run_dag(tamu_ngopi_dag, {"bulan": month, "tanggal_forum": today.isoformat(), "jam": "13.00",
                                                 "putaran_laporan": 1}, {
        "Usulan topik Tamu Ngopi": topic,
        "Persetujuan agenda Tamu Ngopi": agenda,
        "Undangan Tamu Ngopi": rsvp,
        "Daftar hadir dan notulen Tamu Ngopi": minutes,
        "Keputusan tindak lanjut Tamu Ngopi": decide,
        "Laporan tindak lanjut Tamu Ngopi": follow_up,
    })
    states = task_states(dagrun)
    assert dagrun.state == "success", states
    assert set(states.values()) == {"success"}, states

    # Topics came from employees and from stakeholders (outsiders, by their own links).
    topic_asks = messages(maildir, subject="Usulan topik Tamu Ngopi")
    assert {RUDI, KARIM, RATNA} <= {m.to[0] for m in topic_asks}
    assert people.YULIANA.email not in {m.to[0] for m in topic_asks}  # on leave

    # The agenda: October's open item carried over by itself, first and ticked; repeats merged.
    page = seen["agenda_page"]
    agenda_choices = choices(page, "agenda")
    carried_key = f"tindak_lanjut:{october_item}"
    assert list(agenda_choices)[0] == carried_key and carried_key in checked(page, "agenda")
    assert "Tindak lanjut Oktober 2026: Perbaikan papan informasi layanan (PJ Rina Marlina" in agenda_choices[carried_key]
    assert "lewat tenggat 12 hari" in agenda_choices[carried_key]
    titles = [label.split(" — ")[0] for label in agenda_choices.values()]
    assert titles.count("Jam layanan wajib lapor pada hari Sabtu") >= 1
    assert len(checked(page, "agenda")) == 4  # the carried item and three distinct topics

    # Invitations: employees at work and the approved guests, each with the calendar entry.
    invitations = messages(maildir, subject="Undangan Tamu Ngopi")
    invited = {m.to[0] for m in invitations}
    assert RUDI in invited and RATNA in invited and KARIM not in invited
    assert people.KABAPAS.email in invited and people.YULIANA.email not in invited
    ics = attachments_of(maildir, invitations[0])["undangan.ics"]
    [event] = icalendar.Calendar.from_ical(ics).walk("VEVENT")
    assert str(event["summary"]).startswith("Tamu Ngopi")
    assert event.decoded("dtstart").hour == 13 and event.decoded("dtstart").date() == today
    assert "Perbaikan papan informasi layanan" in str(event["description"])
    assert "Ahmad Fauzi Nasution" in invitations[0].text  # the stand-in host
    # One email per invitee: the invitation is the RSVP step's own first email, with the personal link.
    assert all(form_link(m) for m in invitations)
    assert messages(maildir, subject="[Perlu tindakan] Konfirmasi kehadiran") == []

    with session_scope() as session:
        meeting = session.scalars(select(TamuNgopiMeeting).where(TamuNgopiMeeting.run_id == dagrun.run_id)).one()
        participants = {p.email: p for p in session.scalars(
            select(TamuNgopiParticipant).where(TamuNgopiParticipant.meeting_id == meeting.id))}
        items = {i.title: i for i in session.scalars(select(TamuNgopiActionItem))}
        session.expunge_all()
    assert meeting.host_nip == people.KASUBSI_BKD.nip and meeting.approved_by == people.KABAPAS.nip
    assert meeting.carried_items == [october_item]
    rudi = participants[RUDI]
    assert (rudi.rsvp, rudi.representative, rudi.kind) == ("diwakili", "Bripka Andi Saputra, penyidik Unit PPA", "mitra")
    assert participants[people.DEDI.email].rsvp == "tidak_hadir" and participants[people.DEDI.email].attended is False
    assert rudi.attended is True and meeting.attended == len(invited) - 1 + 1  # Dedi away, Bu Nur came

    # The forum's morning reminder went to those coming; the representative is named.
    reminders = messages(maildir, subject="Pengingat: Tamu Ngopi")
    assert {m.to[0] for m in reminders} == invited - {people.DEDI.email}
    [to_rudi] = [m for m in reminders if m.to[0] == RUDI]
    assert "Bripka Andi Saputra" in to_rudi.text

    # Staf TU saw the representative on the attendance list; the Kabapas saw the suggestions.
    assert "diwakili oleh Bripka Andi Saputra" in seen["minutes_page"]
    assert 'value="Buka layanan wajib lapor Sabtu pagi"' in seen["decision_page"]
    assert 'value="Sosialisasi layanan ke kelurahan"' in seen["decision_page"]

    # Action items: Siti's done; Bambang's still going (left open); October's reported done.
    saturday, waiting_room = items["Buka layanan wajib lapor Sabtu pagi"], items["Sediakan ruang tunggu ramah anak"]
    assert (saturday.owner_nip, saturday.status, saturday.reports) == (people.BAMBANG.nip, "terbuka", 1)
    assert saturday.progress_note == "Menunggu jadwal piket Sabtu dari Kaur TU."
    assert (waiting_room.status, waiting_room.due_date) == ("selesai", today + timedelta(days=7))
    october = items["Perbaikan papan informasi layanan"]
    assert october.status == "selesai" and october.carried_to == [month] and october.reports == 3
    assert "Sosialisasi layanan ke kelurahan" not in items
    follow_ups = messages(maildir, subject="Laporan tindak lanjut Tamu Ngopi")
    assert sorted(m.to[0] for m in follow_ups) == sorted([people.BAMBANG.email, people.SITI.email, people.RINA.email])

    # Next month's agenda takes over what is still open.
    next_month = flow.rules.add_months(month, 1)
    assert [i.title for i in flow.carried_items(next_month)] == ["Buka layanan wajib lapor Sabtu pagi"]

    # The report: a PDF to everyone who came, the Kabapas in copy.
    reports = messages(maildir, subject="Laporan Tamu Ngopi")
    assert {m.to[0] for m in reports} == invited - {people.DEDI.email}
    assert all(m.cc == [people.KABAPAS.email] for m in reports)
    [(filename, pdf)] = attachments_of(maildir, reports[0]).items()
    assert filename == f"laporan-tamu-ngopi-{month}.pdf"
    text = pdf_text(pdf)
    for expected in ("Laporan Tamu Ngopi", "Perbaikan papan informasi layanan", "Buka layanan wajib lapor Sabtu pagi",
                     "Bambang Setiawan", "diwakili oleh Bripka Andi Saputra", "Forum dibuka Kasubsi BKD"):
        assert expected in text, expected

    # The admin page: open, overdue and done items across forums, and the forum history.
    admin = web.get("/bapas/admin/tamu-ngopi", headers={"x-test-admin": "yes"})
    assert admin.status_code == 200
    open_part = admin.text.split('id="terbuka"', 1)[1].split('id="selesai"', 1)[0]
    assert "Buka layanan wajib lapor Sabtu pagi" in open_part
    done_part = admin.text.split('id="selesai"', 1)[1].split('id="riwayat"', 1)[0]
    assert "Perbaikan papan informasi layanan" in done_part and "Sediakan ruang tunggu ramah anak" in done_part
    assert re.search(r"1 terbuka", admin.text) and "0 lewat tenggat" in admin.text
    riwayat = web.get("/bapas/admin/riwayat?sop=tamu_ngopi", headers={"x-test-admin": "yes"})
    assert riwayat.status_code == 200 and "Jam layanan wajib lapor pada hari Sabtu" in riwayat.text
    assert responder.answered

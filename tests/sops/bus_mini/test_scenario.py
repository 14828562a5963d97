"""Bus Mini end to end: a week under ``dag.test()``, the forms answered by email, YouTube on
the local fake of Google.

The upload check is the real one: ``YouTubeBackend.from_connection()`` with the office's
``google_default`` connection (an API key, enough for a public channel, and the fake as
endpoint), the real google-api-python-client speaking HTTP to ``tests/google/fake_google.py``.
The channel has this week's video in the first scenario; in the second only last week's, and
the week ends without an upload (reminder, then escalation to the Ketua Humas), YouTube
answering 503 at the first look. In the third there is no YouTube connection at all: Tim
Humas confirms the upload on a form. The reschedule-mode check looks every half second here.
"""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest

from bapas_sop.mail.devserver import InboxMessage

from tests.support.scenario import (
    DEDI,
    KABAPAS,
    RINA,
    audit_events,
    form_requests,
    messages,
    task_states,
    today_wib,
)
from tests.sops.peterpan.test_scenario import ACTIVE, VOTERS, _email_of, _nip_of, attachments_of, pdf_text

from tests.support.fake_google import API_KEY, FakeGoogle, Recorded, connection_json  # noqa: E402

RUN_TIMEOUT = 400
INDRA = "198301172008011004"  # Ketua Humas
MAYA = "199407062018122002"  # Tim Humas (team head for the steps)
LESTARI = "199304042017122006"  # Tim Humas
CHANNEL = "UCbapasJambiTest000000000"
UPLOADS = "UU" + CHANNEL[2:]  # the channel's uploads playlist on the fake
#: The 1-unit YouTube calls; ``search.list`` (100 units) must never be used.
CHEAP = {"youtube.channels.list", "youtube.playlistItems.list"}
#: Where a YouTube connection could come from (credentials.default_conn_id).
CONNECTION_ENV = ("AIRFLOW_CONN_GOOGLE_DEFAULT", "BAPAS_GOOGLE_CONN_ID", "BAPAS_YOUTUBE_CONN_ID")


@pytest.fixture
def bus_mini_dag(dags: dict[str, Any]):
    """The DAG with its upload check looking every half second instead of every half hour,
    and the wait for each report polling every half second instead of every minute."""
    dag = dags["bus_mini"]
    check = dag.get_task("mengunggah_video.cek_unggahan")
    before = check.poke_interval
    check.poke_interval = 0.5
    yield dag
    check.poke_interval = before


@pytest.fixture
def no_youtube_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """No Google connection in the environment (the embedded default)."""
    for name in CONNECTION_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def youtube(monkeypatch: pytest.MonkeyPatch, no_youtube_connection: None):
    """The fake of Google with the office channel on it (``add_video`` publishes), and the
    office's ``google_default`` connection pointing at it with an API key.

    ``num_retries`` 0: a 503 ends that poke at once and the next poke looks again (the
    client's own retries with backoff are tested in ``tests/google``)."""
    with FakeGoogle(api_keys=[API_KEY]) as server:
        assert server.add_channel(CHANNEL, handle="@bapasjambi") == UPLOADS
        monkeypatch.setenv("AIRFLOW_CONN_GOOGLE_DEFAULT", connection_json(
            {"api_key": API_KEY, "endpoint": server.url, "num_retries": 0}))
        yield server


def _week_key() -> str:
    iso = today_wib().isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def _week_record(run_id: str):
    """The run's row in ``bus_mini_week`` (what the flow recorded, and the history shows)."""
    from sqlalchemy import select

    from bapas_sop.sops.bus_mini.models import BusMiniWeek
    from bapas_sop.store.db import session_scope

    with session_scope() as session:
        [row] = session.scalars(select(BusMiniWeek).where(BusMiniWeek.run_id == run_id)).all()
        return row


def _reports(message: InboxMessage, html: str) -> dict[str, Any] | None:
    """Rina and Dedi report activities; the Kabapas has nothing; the others never answer."""
    from sqlalchemy import update

    from bapas_sop.store.db import session_scope
    from bapas_sop.store.models import FormRequest, utcnow

    nip = _nip_of(message.to[0])
    today = today_wib().isoformat()
    if nip == RINA:
        return {"ada_kegiatan": "ya", "judul_1": "Penyuluhan hukum di SMP Negeri 7 Jambi", "tanggal_1": today,
                "uraian_1": "Penyuluhan bahaya narkoba bagi 120 siswa.", "tautan_1": "https://drive.example/smp7"}
    if nip == DEDI:
        return {"ada_kegiatan": "ya", "judul_1": "Pendampingan sidang anak", "tanggal_1": today,
                "uraian_1": "Pendampingan klien anak di PN Jambi.",
                "judul_2": "Kunjungan rumah klien", "tanggal_2": today, "uraian_2": "Home visit di Kota Baru."}
    if nip == KABAPAS:
        return {"ada_kegiatan": "tidak"}
    with session_scope() as session:  # no answer until the deadline
        session.execute(update(FormRequest).where(FormRequest.step == "mengumpulkan_informasi",
                                                  FormRequest.assignee_email == message.to[0],
                                                  FormRequest.status == "open").values(expires_at=utcnow()))
    return None


def FILMING(message: InboxMessage, html: str) -> dict[str, str]:
    """The filming confirmation, dated on the test's (pinned) day, not the day of import."""
    return {"tanggal_pengambilan": today_wib().isoformat(), "lokasi": "SMP Negeri 7 Jambi dan PN Jambi"}


def _voice(message: InboxMessage, html: str) -> dict[str, str]:
    draft = "https://drive.example/busmini/draf-2" if "Revisi ke-2" in message.subject else "https://drive.example/busmini/draf-1"
    return {"tanggal_rekam": today_wib().isoformat(), "pengisi_suara": "Maya Sari Putri", "tautan_draf": draft}


@pytest.mark.timeout(RUN_TIMEOUT)
def test_a_week_whose_video_is_found_on_youtube(bus_mini_dag, run_dag, smtp_server, youtube):
    from bapas_sop.sops.bus_mini import rules as bus_mini
    from bapas_sop.sops.bus_mini import flow as bus_mini_flow
    from bapas_sop.store.models import utcnow

    maildir = smtp_server.maildir
    this_week = bus_mini.Week.parse(_week_key())
    # Sunday 23.50 WIB of last week; Monday 00.10 WIB of this week (Sunday 17.10 UTC: a window
    # taken in UTC would miss it); a short clip just now. The week's video is its first upload.
    # (Run in the first minutes of a Monday, the offsets shrink so that the order still holds.)
    into_week = timedelta(seconds=int((utcnow() - this_week.start).total_seconds()))
    first_upload = this_week.start + min(timedelta(minutes=10), into_week / 3)
    youtube.add_video(CHANNEL, "lastWeek001", "Bus Mini pekan lalu", this_week.start - timedelta(minutes=10))
    youtube.add_video(CHANNEL, "thisWeek123", "Bus Mini: penyuluhan hukum dan pendampingan sidang anak",
                      first_upload)
    youtube.add_video(CHANNEL, "clipWeek456", "Cuplikan Bus Mini", utcnow() - min(timedelta(minutes=5), into_week / 3))
    seen: dict[str, Any] = {}

    def review(message: InboxMessage, html: str) -> dict[str, str]:
        if "revisi ke-2" in message.subject:
            seen["second_review"] = html
            return {"keputusan": "setuju"}
        return {"keputusan": "revisi", "catatan": "Tambahkan teks nama kegiatan di awal video."}

    dagrun, _responder = run_dag(bus_mini_dag, {"pekan": _week_key(), "youtube_channel_id": CHANNEL}, {
        "Laporan kegiatan untuk Bus Mini": _reports,
        "Konfirmasi pengambilan gambar": FILMING,
        "Revisi ke-2": _voice,
        "Konfirmasi perekaman suara": _voice,
        "Persetujuan draf": review,
    })

    states = task_states(dagrun)
    assert dagrun.state == "success", states
    assert set(states.values()) == {"success"}, states

    # Everyone available was asked; two reported, one had nothing, the rest defaulted to nothing.
    requests = form_requests(dagrun.run_id)
    reports = {k: r for k, r in requests.items() if k.startswith("mengumpulkan_informasi/")}
    assert len(reports) == len(VOTERS)
    assert Counter(r.status for r in reports.values()) == Counter(answered=3, expired=len(VOTERS) - 3)

    # Tim Humas got the rundown as PDF and HTML, in date order, with the reporters.
    rundowns = messages(maildir, subject="Rundown Bus Mini")
    assert sorted(m.to[0] for m in rundowns) == sorted([_email_of(MAYA), _email_of(LESTARI)])
    files = attachments_of(maildir, rundowns[0])
    week = _week_key()
    assert set(files) == {f"rundown-bus-mini-{week}.pdf", f"rundown-bus-mini-{week}.html"}
    text = pdf_text(files[f"rundown-bus-mini-{week}.pdf"])
    for expected in ("Rundown Bus Mini", "Penyuluhan hukum di SMP Negeri 7 Jambi", "Kunjungan rumah klien",
                     "Rina Marlina", "Dedi Kurniawan", "Tidak ada kegiatan: Hendra Gunawan Siregar"):
        assert expected in text, expected
    assert "Pendampingan klien anak" in files[f"rundown-bus-mini-{week}.html"]

    # The Ketua Humas returned the first draft; the second round showed him the new draft.
    assert requests["persetujuan_ketua_humas"].assignee_nip == INDRA
    assert requests["perekaman_suara/r2"].assignee_nip == MAYA
    assert "https://drive.example/busmini/draf-2" in seen["second_review"]

    # The check asked YouTube once, with the office's API key, for the channel's uploads
    # playlist and one page of it (2 quota units, never search.list), and took the first
    # upload of this week's window (WIB): not last Sunday's, not the later clip.
    [channels] = youtube.calls("youtube.channels.list")
    assert (channels.status, channels.param("id"), channels.param("part")) == (200, CHANNEL, "contentDetails")
    assert channels.param("key") == API_KEY
    [page] = youtube.calls("youtube.playlistItems.list")
    assert (page.status, page.param("playlistId"), page.param("part")) == (200, UPLOADS, "snippet,contentDetails")
    assert set(youtube.operations()) == CHEAP and youtube.count("youtube.search.list") == 0
    assert youtube.youtube_units == 2
    week_row = _week_record(dagrun.run_id)
    assert week_row.status == "uploaded" and week_row.video_id == "thisWeek123"
    assert week_row.source == "youtube" and week_row.rundown_recipients == 2
    assert week_row.published_at == first_upload
    assert bus_mini_flow.week_history()[0]["url"] == "https://www.youtube.com/watch?v=thisWeek123"

    # Every active employee got the link; nobody was reminded, nothing escalated.
    news = messages(maildir, subject="sudah tayang")
    assert sorted(m.to[0] for m in news) == sorted(_email_of(n) for n in ACTIVE)
    assert "https://www.youtube.com/watch?v=thisWeek123" in news[0].links
    assert not messages(maildir, subject="Pengingat: video Bus Mini")
    assert not messages(maildir, subject="Eskalasi")


@pytest.mark.timeout(RUN_TIMEOUT)
def test_a_week_without_upload_reminds_tim_humas_then_escalates_to_the_ketua_humas(
    bus_mini_dag, run_dag, smtp_server, youtube, monkeypatch
):
    from bapas_sop.sops.bus_mini import rules as bus_mini
    from bapas_sop.sops.bus_mini import flow as bus_mini_flow
    from bapas_sop.store.models import utcnow

    maildir = smtp_server.maildir
    week = bus_mini.Week.parse(_week_key())
    youtube.add_video(CHANNEL, "lastWeek001", "Bus Mini pekan lalu", week.start - timedelta(hours=3))
    due = bus_mini.deadlines(week)
    # The check's clock: after the first look at the uploads it is past the upload deadline,
    # after the second the week is over. (Only the check reads this clock.)
    clock: dict[str, datetime | None] = {"now": None}
    monkeypatch.setattr(bus_mini_flow, "utcnow", lambda: clock["now"] or utcnow())
    looks = itertools.count(1)

    def advance(request: Recorded) -> None:
        if request.operation == "youtube.playlistItems.list" and request.status == 200:
            first = next(looks) == 1
            clock["now"] = due.upload + timedelta(hours=1) if first else due.escalation + timedelta(minutes=5)

    youtube.on_request = advance
    # YouTube is unavailable at the first look: that poke finds nothing, the next looks again.
    youtube.fail_next(1, 503, operation="youtube.channels.list")
    reminders_when_escalated: list[int] = []

    dagrun, _responder = run_dag(bus_mini_dag, {"pekan": week.key, "youtube_channel_id": CHANNEL}, {
        "Laporan kegiatan untuk Bus Mini": _reports,
        "Konfirmasi pengambilan gambar": FILMING,
        "Konfirmasi perekaman suara": _voice,
        "Persetujuan draf": {"keputusan": "setuju"},
    })

    states = task_states(dagrun)
    assert dagrun.state == "success", states
    assert states["mengunggah_video.catat_riwayat_pekan"] == "success"
    assert states["mengunggah_video.umumkan_video"] == "skipped"  # nothing to announce
    # The 503 did not fail the check; every later poke asked again (a client per poke:
    # channels.list + one page, 2 units), cheap calls only.
    channels, pages = youtube.calls("youtube.channels.list"), youtube.calls("youtube.playlistItems.list")
    assert [c.status for c in channels] == [503] + [200] * len(pages)
    assert len(pages) >= 3 and {p.status for p in pages} == {200}
    assert set(youtube.operations()) == CHEAP and youtube.count("youtube.search.list") == 0
    assert youtube.youtube_units == 2 * len(pages)

    # Reminder to Tim Humas first, then the escalation to the Ketua Humas, Tim Humas in copy.
    reminders = messages(maildir, subject="Pengingat: video Bus Mini")
    assert sorted(m.to[0] for m in reminders) == sorted([_email_of(MAYA), _email_of(LESTARI)])
    [escalation] = messages(maildir, subject="Eskalasi: tidak ada video Bus Mini")
    assert escalation.to == [_email_of(INDRA)]
    assert sorted(escalation.cc) == sorted([_email_of(MAYA), _email_of(LESTARI)])
    trail = [e.action for e in audit_events(run_id=dagrun.run_id) if e.action.startswith("bus_mini_")]
    assert trail.index("bus_mini_upload_reminder") < trail.index("bus_mini_upload_escalated") < trail.index("bus_mini_week")
    assert trail.count("bus_mini_upload_reminder") == 1 and trail.count("bus_mini_upload_escalated") == 1
    week_row = _week_record(dagrun.run_id)
    assert week_row.reminder_sent_at < week_row.escalated_at and week_row.status == "missed"
    reminders_when_escalated.append(len(reminders))

    # The week is in the history as missed; no announcement went out.
    [row] = bus_mini_flow.week_history()
    assert (row["week"], row["status"], row["status_label"]) == (week.key, "missed", "tidak ada unggahan")
    assert not messages(maildir, subject="sudah tayang")
    assert KABAPAS  # the Kabapas is not bothered by a missed week


@pytest.mark.timeout(RUN_TIMEOUT)
def test_without_a_youtube_connection_tim_humas_confirms_the_upload_on_a_form(
    bus_mini_dag, run_dag, smtp_server, no_youtube_connection
):
    from bapas_sop.sops.bus_mini import flow as bus_mini_flow

    maildir = smtp_server.maildir
    link = "https://youtu.be/abcDEF12345"
    dagrun, _responder = run_dag(bus_mini_dag, {"pekan": _week_key(), "youtube_channel_id": CHANNEL}, {
        "Laporan kegiatan untuk Bus Mini": _reports,
        "Konfirmasi pengambilan gambar": FILMING,
        "Konfirmasi perekaman suara": _voice,
        "Persetujuan draf": {"keputusan": "setuju"},
        "Konfirmasi unggahan video Bus Mini": {"tautan_video": link, "judul": "Bus Mini pekan ini"},
    })

    states = task_states(dagrun)
    assert dagrun.state == "success", states
    assert set(states.values()) == {"success"}, states

    # YouTube could not be asked: Tim Humas was asked on a form and confirmed the upload there.
    [ask] = messages(maildir, subject="Konfirmasi unggahan video Bus Mini")
    assert ask.to == [_email_of(MAYA)]
    confirmation = form_requests(dagrun.run_id)["konfirmasi_unggahan"]
    assert confirmation.status == "answered"
    week_row = _week_record(dagrun.run_id)
    assert (week_row.status, week_row.source) == ("uploaded", "konfirmasi")
    assert (week_row.video_id, week_row.video_url) == ("abcDEF12345", link)
    assert week_row.confirmed_by == MAYA
    assert bus_mini_flow.week_history()[0]["url"] == link

    # Everyone got the confirmed link; nothing escalated.
    news = messages(maildir, subject="sudah tayang")
    assert sorted(m.to[0] for m in news) == sorted(_email_of(n) for n in ACTIVE)
    assert link in news[0].links
    assert not messages(maildir, subject="Eskalasi")

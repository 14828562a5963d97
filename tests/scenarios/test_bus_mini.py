"""Bus Mini end to end: a week under ``dag.test()``, the forms answered by email, YouTube faked.

``bapas_sop.google.youtube.recent_uploads`` (the YouTube client of the Google backends) is
replaced by a function that returns what the channel would: this week's video in the first
scenario, only last week's in the second, where the week ends without an upload (reminder,
then escalation to the Ketua Humas). The reschedule-mode check looks every half second here.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections import Counter
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from bapas_sop.mail.devserver import InboxMessage

from .support import (
    DEDI,
    KABAPAS,
    RINA,
    audit_events,
    form_requests,
    messages,
    task_states,
    today_wib,
)
from .test_peterpan import ACTIVE, VOTERS, _email_of, _nip_of, attachments_of, pdf_text

RUN_TIMEOUT = 400
INDRA = "198301172008011004"  # Ketua Humas
MAYA = "199407062018122002"  # Tim Humas (team head for the steps)
LESTARI = "199304042017122006"  # Tim Humas
CHANNEL = "UCbapasJambiTest000000000"


@pytest.fixture
def bus_mini_dag(dags: dict[str, Any]):
    """The DAG with its upload check looking every half second instead of every half hour,
    and the wait for each report polling every half second instead of every minute."""
    dag = dags["bus_mini"]
    check = dag.get_task("mengunggah_video.cek_unggahan")
    reports = dag.get_task("mengumpulkan_informasi.tunggu_laporan")
    before = check.poke_interval, reports.partial_kwargs.get("poll_interval")
    check.poke_interval = 0.5
    reports.partial_kwargs["poll_interval"] = 0.5
    yield dag
    check.poke_interval = before[0]
    reports.partial_kwargs["poll_interval"] = before[1]


@pytest.fixture
def youtube(monkeypatch: pytest.MonkeyPatch):
    """A stand-in for ``bapas_sop.google.youtube``: ``youtube.videos`` is the channel."""
    state = SimpleNamespace(videos=[], calls=[], on_call=None)

    def recent_uploads(channel_id: str, *, published_after: datetime, published_before: datetime):
        state.calls.append((channel_id, published_after, published_before))
        if state.on_call:
            state.on_call(len(state.calls))
        return [v for v in state.videos if published_after <= v.published_at < published_before]

    try:
        module = importlib.import_module("bapas_sop.google.youtube")
        monkeypatch.setattr(module, "recent_uploads", recent_uploads, raising=False)
    except ImportError:  # the Google backends are not installed yet: provide the module
        module = types.ModuleType("bapas_sop.google.youtube")
        module.recent_uploads = recent_uploads
        monkeypatch.setitem(sys.modules, "bapas_sop.google.youtube", module)
    return state


def _week_key() -> str:
    iso = today_wib().isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def _video(video_id: str, title: str, published_at: datetime) -> SimpleNamespace:
    return SimpleNamespace(video_id=video_id, title=title, published_at=published_at,
                           url=f"https://www.youtube.com/watch?v={video_id}")


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


FILMING = {"tanggal_pengambilan": today_wib().isoformat(), "lokasi": "SMP Negeri 7 Jambi dan PN Jambi"}


def _voice(message: InboxMessage, html: str) -> dict[str, str]:
    draft = "https://drive.example/busmini/draf-2" if "Revisi ke-2" in message.subject else "https://drive.example/busmini/draf-1"
    return {"tanggal_rekam": today_wib().isoformat(), "pengisi_suara": "Maya Sari Putri", "tautan_draf": draft}


@pytest.mark.timeout(RUN_TIMEOUT)
def test_a_week_whose_video_is_found_on_youtube(bus_mini_dag, run_dag, smtp_server, youtube):
    from bapas_sop.sop import bus_mini_flow
    from bapas_sop.store.models import utcnow

    maildir = smtp_server.maildir
    now = utcnow()
    youtube.videos = [
        _video("lastWeek001", "Bus Mini pekan lalu", now - timedelta(days=8)),
        _video("thisWeek123", "Bus Mini: penyuluhan hukum dan pendampingan sidang anak", now - timedelta(minutes=5)),
    ]
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

    # The check asked YouTube for this week's window (WIB) and found the video.
    channel, after, before = youtube.calls[0]
    assert channel == CHANNEL
    assert after.utcoffset() == timedelta(hours=7) and after.weekday() == 0 and (after.hour, after.minute) == (0, 0)
    assert before - after == timedelta(days=7)
    [week_row] = [e for e in audit_events(run_id=dagrun.run_id) if e.action == "bus_mini_week"]
    assert week_row.detail["status"] == "uploaded" and week_row.detail["video_id"] == "thisWeek123"
    assert week_row.detail["source"] == "youtube"
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
    from bapas_sop.sop import bus_mini, bus_mini_flow
    from bapas_sop.store.models import utcnow

    maildir = smtp_server.maildir
    week = bus_mini.Week.parse(_week_key())
    youtube.videos = [_video("lastWeek001", "Bus Mini pekan lalu", week.start - timedelta(hours=3))]
    due = bus_mini.deadlines(week)
    # The check's clock: after the first look it is past the upload deadline, after the
    # second the week is over. (Only the check reads this clock.)
    clock: dict[str, datetime | None] = {"now": None}
    monkeypatch.setattr(bus_mini_flow, "utcnow", lambda: clock["now"] or utcnow())

    def advance(calls: int) -> None:
        clock["now"] = due.upload + timedelta(hours=1) if calls == 1 else due.escalation + timedelta(minutes=5)

    youtube.on_call = advance
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
    assert len(youtube.calls) >= 3

    # Reminder to Tim Humas first, then the escalation to the Ketua Humas, Tim Humas in copy.
    reminders = messages(maildir, subject="Pengingat: video Bus Mini")
    assert sorted(m.to[0] for m in reminders) == sorted([_email_of(MAYA), _email_of(LESTARI)])
    [escalation] = messages(maildir, subject="Eskalasi: tidak ada video Bus Mini")
    assert escalation.to == [_email_of(INDRA)]
    assert sorted(escalation.cc) == sorted([_email_of(MAYA), _email_of(LESTARI)])
    trail = [e.action for e in audit_events(run_id=dagrun.run_id) if e.action.startswith("bus_mini_")]
    assert trail.index("bus_mini_upload_reminder") < trail.index("bus_mini_upload_escalated") < trail.index("bus_mini_week")
    assert trail.count("bus_mini_upload_reminder") == 1 and trail.count("bus_mini_upload_escalated") == 1
    reminders_when_escalated.append(len(reminders))

    # The week is in the history as missed; no announcement went out.
    [row] = bus_mini_flow.week_history()
    assert (row["week"], row["status"], row["status_label"]) == (week.key, "missed", "tidak ada unggahan")
    assert not messages(maildir, subject="sudah tayang")
    assert KABAPAS  # the Kabapas is not bothered by a missed week

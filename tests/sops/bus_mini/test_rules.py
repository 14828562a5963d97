"""Bus Mini rules and the upload check: week windows in WIB, deadlines, YouTube or a form."""

from __future__ import annotations

import logging
import sys
import types
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from bapas_sop.calendar import WIB
from bapas_sop.sops.bus_mini import rules as bus_mini
from bapas_sop.sops.bus_mini.rules import Week

UTC = timezone.utc


# --------------------------------------------------------------------------- weeks


def test_a_week_runs_monday_to_sunday_in_wib() -> None:
    week = Week.parse("2026-W48")
    assert (week.monday, week.sunday) == (date(2026, 11, 23), date(2026, 11, 29))
    assert week.start == datetime(2026, 11, 23, tzinfo=WIB) and week.end == datetime(2026, 11, 30, tzinfo=WIB)
    assert week.label == "pekan ke-48 2026 (23–29 November 2026)"
    assert Week.parse("2026-W01").period_label == "29 Desember 2025 – 4 Januari 2026"
    assert Week.parse("2026w9").key == "2026-W09"
    with pytest.raises(ValueError, match="tidak dikenali"):
        Week.parse("48/2026")
    with pytest.raises(ValueError, match="tidak ada"):
        Week(2026, 54)


def test_the_week_window_crosses_the_utc_date_line_at_wib_midnight() -> None:
    week = Week.parse("2026-W48")
    # Sunday 29 November 23.30 WIB is 16.30 UTC the same Sunday: inside.
    assert week.contains(datetime(2026, 11, 29, 16, 30, tzinfo=UTC))
    # Monday 30 November 00.30 WIB is Sunday 17.30 UTC: already the next week.
    assert not week.contains(datetime(2026, 11, 29, 17, 30, tzinfo=UTC))
    assert Week.of(datetime(2026, 11, 29, 17, 30, tzinfo=UTC)) == Week(2026, 49)
    # Monday 23 November 06.00 WIB is Sunday 22 November 23.00 UTC: inside.
    assert week.contains(datetime(2026, 11, 22, 23, 0, tzinfo=UTC))
    assert not week.contains(datetime(2026, 11, 22, 16, 59, tzinfo=UTC))


def test_the_run_week_is_the_admins_or_the_logical_dates_in_wib() -> None:
    assert bus_mini.week_for_run("2026-W40", None) == Week(2026, 40)
    # The scheduled run: Monday 08.00 WIB = Monday 01.00 UTC.
    assert bus_mini.week_for_run(None, datetime(2026, 11, 23, 1, 0, tzinfo=UTC)) == Week(2026, 48)


def test_default_deadlines_and_overrides() -> None:
    week = Week.parse("2026-W48")
    due = bus_mini.deadlines(week)
    assert due.reports == datetime(2026, 11, 25, 12, tzinfo=WIB)  # Wednesday
    assert due.upload == datetime(2026, 11, 27, 17, tzinfo=WIB)  # Friday
    assert due.escalation == week.end
    changed = bus_mini.deadlines(week, {"upload": "2026-11-28T10:00:00", "escalation": "2026-11-28T05:00:00Z"})
    assert changed.upload == datetime(2026, 11, 28, 10, tzinfo=WIB)  # naive = WIB
    assert changed.escalation == datetime(2026, 11, 28, 12, tzinfo=WIB)
    with pytest.raises(ValueError, match="eskalasi"):
        bus_mini.deadlines(week, {"escalation": "2026-11-24T10:00:00"})


# --------------------------------------------------------------------------- uploads


def test_the_weeks_video_is_the_first_published_inside_the_window() -> None:
    week = Week.parse("2026-W48")
    uploads = [
        SimpleNamespace(video_id="late", title="Pekan depan", url=None, published_at=datetime(2026, 11, 29, 17, 30, tzinfo=UTC)),
        SimpleNamespace(video_id="second", title="Kedua", url=None, published_at=datetime(2026, 11, 28, 3, 0, tzinfo=UTC)),
        {"video_id": "first", "title": "Pertama", "url": "https://youtu.be/first", "published_at": "2026-11-27T10:00:00Z"},
        SimpleNamespace(video_id="old", title="Lama", url=None, published_at=datetime(2026, 11, 22, 16, 0, tzinfo=UTC)),
    ]
    found = bus_mini.pick_upload(uploads, week)
    assert found == {"video_id": "first", "title": "Pertama", "url": "https://youtu.be/first",
                     "published_at": "2026-11-27T17:00:00+07:00"}
    assert bus_mini.pick_upload(uploads[:1] + uploads[3:], week) is None
    assert bus_mini.upload_record(uploads[1])["url"] == "https://www.youtube.com/watch?v=second"


@pytest.mark.parametrize(("url", "video_id"), [
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=10", "dQw4w9WgXcQ"),
    ("https://youtu.be/dQw4w9WgXcQ?si=x", "dQw4w9WgXcQ"),
    ("https://m.youtube.com/shorts/abcDEF12345", "abcDEF12345"),
    ("https://www.youtube.com/live/abcDEF12345", "abcDEF12345"),
    ("https://vimeo.com/123", None),
])
def test_video_ids_are_read_from_youtube_links(url: str, video_id: str | None) -> None:
    assert bus_mini.video_id_from_url(url) == video_id


def test_the_rundown_lists_the_weeks_activities_first_by_date() -> None:
    week = Week.parse("2026-W48")
    reports = [
        {"name": "Rina", "nip": "1", "answer": {"ada_kegiatan": True, "judul_1": "Penyuluhan", "tanggal_1": "2026-11-26",
                                                "uraian_1": "SMP 7", "judul_2": "Rapat lama", "tanggal_2": "2026-11-10",
                                                "uraian_2": "Bulan ini"}},
        {"name": "Dedi", "nip": "2", "answer": {"ada_kegiatan": True, "judul_1": "Sidang anak", "tanggal_1": "2026-11-24",
                                                "uraian_1": "PN Jambi"}},
        {"name": "Hasan", "nip": "3", "answer": {"ada_kegiatan": False}},
    ]
    items = bus_mini.rundown_items(reports, week)
    assert [(i["title"], i["in_week"]) for i in items] == [("Sidang anak", True), ("Penyuluhan", True), ("Rapat lama", False)]


# --------------------------------------------------------------------------- the check


DAG, RUN = "bus_mini", "manual__test"


@pytest.fixture
def plan(project, smtp_server, monkeypatch):
    from bapas_sop.sops.bus_mini import flow as bus_mini_flow
    from bapas_sop.store.models import utcnow

    monkeypatch.delenv(bus_mini_flow.CHANNEL_ENV, raising=False)
    week = Week.of(utcnow())
    return bus_mini_flow.plan_week({"pekan": week.key}, dag_id=DAG, run_id=RUN)


def fake_youtube(monkeypatch, behaviour) -> None:
    """A YouTube backend whose uploads (or failure) are ``behaviour``'s: the check's own rules
    in isolation (the real client against the fake Google is in tests/google and the scenario)."""

    class YouTubeBackend:
        @classmethod
        def from_connection(cls):
            return cls()

        def recent_uploads(self, *args, **kwargs):
            return behaviour(*args, **kwargs)

    module = types.ModuleType("bapas_sop.google.youtube")
    module.YouTubeBackend = YouTubeBackend
    monkeypatch.setitem(sys.modules, "bapas_sop.google.youtube", module)


def test_without_a_channel_the_check_says_so_and_tim_humas_confirms_on_a_form(plan, web, smtp_server, caplog) -> None:
    from bapas_sop.mail.devserver import read_inbox
    from bapas_sop.sops.bus_mini import flow as bus_mini_flow

    with caplog.at_level(logging.INFO, logger="bapas_sop.sops.bus_mini.flow"):
        assert bus_mini_flow.check_upload(plan, dag_id=DAG, run_id=RUN) is None
    assert "Pemeriksaan YouTube otomatis dilewati: ID kanal YouTube belum diatur" in caplog.text
    [mail] = [m for m in read_inbox(smtp_server.maildir) if "Konfirmasi unggahan video Bus Mini" in m.subject]
    assert mail.to == ["maya.putri@bapas-jambi.example"]
    link = next(link for link in mail.links if "/bapas/f/" in link)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    page = web.get(path)
    import re

    csrf = re.search(r'name="_csrf" value="([^"]+)"', page.text).group(1)
    wrong = web.post(path, data={"_csrf": csrf, "tautan_video": "https://vimeo.com/123"})
    assert wrong.status_code == 422 and "masukkan tautan video YouTube" in wrong.text
    assert web.post(path, data={"_csrf": csrf, "tautan_video": "https://youtu.be/abcDEF12345", "judul": "Bus Mini"}).status_code == 303

    result = bus_mini_flow.check_upload(plan, dag_id=DAG, run_id=RUN)
    assert result["status"] == "uploaded" and result["source"] == "konfirmasi"
    assert result["video"]["video_id"] == "abcDEF12345" and result["video"]["confirmed_by"] == "199407062018122002"
    assert len([m for m in read_inbox(smtp_server.maildir) if "Konfirmasi unggahan" in m.subject]) == 1


def test_a_missing_youtube_connection_also_falls_back_to_the_form(plan, monkeypatch) -> None:
    from bapas_sop.sops.bus_mini import flow as bus_mini_flow

    class GoogleConfigError(RuntimeError):
        hint = "Buat Connection google_default di Admin → Connections."

    def unconfigured(*args, **kwargs):
        raise GoogleConfigError("no connection")

    fake_youtube(monkeypatch, unconfigured)
    uploads, why = bus_mini_flow.youtube_uploads("UCx", Week.parse(plan["week"]))
    assert uploads is None and "koneksi YouTube belum diatur" in why and "Admin" in why


def test_a_temporary_youtube_failure_waits_and_wrong_credentials_fail_loudly(plan, monkeypatch) -> None:
    from bapas_sop.sops.bus_mini import flow as bus_mini_flow

    class GoogleQuotaError(RuntimeError):
        retryable = True

    class GoogleCredentialsError(RuntimeError):
        retryable = False

    def busy(*args, **kwargs):
        raise GoogleQuotaError("quota")

    fake_youtube(monkeypatch, busy)
    assert bus_mini_flow.youtube_uploads("UCx", Week.parse(plan["week"])) == (None, None)
    assert bus_mini_flow.check_upload({**plan, "channel_id": "UCx"}, dag_id=DAG, run_id=RUN) is None

    def refused(*args, **kwargs):
        raise GoogleCredentialsError("API key not valid")

    fake_youtube(monkeypatch, refused)
    with pytest.raises(GoogleCredentialsError):
        bus_mini_flow.check_upload({**plan, "channel_id": "UCx"}, dag_id=DAG, run_id=RUN)


def test_reminder_once_after_the_deadline_escalation_once_when_the_week_closes(plan, monkeypatch, smtp_server) -> None:
    from bapas_sop.mail.devserver import read_inbox
    from bapas_sop.sops.bus_mini import flow as bus_mini_flow

    fake_youtube(monkeypatch, lambda *a, **k: [])
    checking = {**plan, "channel_id": "UCx"}
    due = bus_mini.deadlines(Week.parse(plan["week"]))
    assert bus_mini_flow.check_upload(checking, dag_id=DAG, run_id=RUN, now=due.upload - timedelta(minutes=1)) is None
    assert not read_inbox(smtp_server.maildir)
    for _ in range(2):
        assert bus_mini_flow.check_upload(checking, dag_id=DAG, run_id=RUN, now=due.upload + timedelta(hours=2)) is None
    reminders = [m for m in read_inbox(smtp_server.maildir) if m.subject.startswith("Pengingat")]
    assert sorted(m.to[0] for m in reminders) == ["lestari.handayani@bapas-jambi.example", "maya.putri@bapas-jambi.example"]
    for _ in range(2):
        result = bus_mini_flow.check_upload(checking, dag_id=DAG, run_id=RUN, now=due.escalation)
        assert result == {"status": "missed", "video": None, "source": "youtube"}
    escalations = [m for m in read_inbox(smtp_server.maildir) if m.subject.startswith("Eskalasi")]
    assert len(escalations) == 1 and escalations[0].to == ["indra.lubis@bapas-jambi.example"]

    assert bus_mini_flow.record_week(plan, result, dag_id=DAG, run_id=RUN) is None
    [row] = bus_mini_flow.week_history()
    assert row["status"] == "missed" and row["week"] == plan["week"]
    # The run's record: reminded at the first poke past the deadline, escalated at the week's close.
    from bapas_sop.sops.bus_mini.models import BusMiniWeek
    from bapas_sop.store.db import session_scope
    from sqlalchemy import select

    with session_scope() as session:
        [record] = session.scalars(select(BusMiniWeek)).all()
    assert (record.run_id, record.status, record.source) == (RUN, "missed", "youtube")
    assert (record.reminder_sent_at, record.escalated_at) == (due.upload + timedelta(hours=2), due.escalation)


def test_the_week_window_in_wib_is_what_the_youtube_backend_is_asked_for(plan, monkeypatch) -> None:
    from bapas_sop.sops.bus_mini import flow as bus_mini_flow

    week = Week.parse(plan["week"])
    asked = []

    class YouTubeBackend:
        @classmethod
        def from_connection(cls):
            return cls()

        def recent_uploads(self, channel_id, *, published_after, published_before):
            asked.append((channel_id, published_after, published_before))
            return [SimpleNamespace(video_id="v1", title="Bus Mini", url="https://www.youtube.com/watch?v=v1",
                                    published_at=published_after + timedelta(days=2))]

    module = types.ModuleType("bapas_sop.google.youtube")
    module.YouTubeBackend = YouTubeBackend
    monkeypatch.setitem(sys.modules, "bapas_sop.google.youtube", module)
    uploads, why = bus_mini_flow.youtube_uploads("@bapasjambi", week)
    assert why is None and [u.video_id for u in uploads] == ["v1"]
    assert asked == [("@bapasjambi", week.start, week.end)]


def test_with_the_real_google_client_and_no_connection_the_check_falls_back_cleanly(plan, monkeypatch) -> None:
    from bapas_sop.sops.bus_mini import flow as bus_mini_flow

    pytest.importorskip("bapas_sop.google.youtube")
    for name in ("AIRFLOW_CONN_GOOGLE_DEFAULT", "BAPAS_GOOGLE_CONN_ID", "BAPAS_YOUTUBE_CONN_ID"):
        monkeypatch.delenv(name, raising=False)
    uploads, why = bus_mini_flow.youtube_uploads("UCbapasJambi", Week.parse(plan["week"]))
    assert uploads is None and why.startswith("koneksi YouTube belum diatur")

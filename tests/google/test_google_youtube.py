"""The Bus Mini upload check: week windows in WIB, cheap calls only, paging that stops early."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from tests.support.fake_google import FakeGoogle

from bapas_sop.calendar import WIB
from bapas_sop.google.errors import GoogleNotFoundError
from bapas_sop.google.youtube import Upload, YouTubeBackend, wib_week_window

CHANNEL = "UCbapasJambi0000000000"
WEEK_DAY = date(2026, 3, 4)  # a Wednesday; the week is Mon 2 – Sun 8 March 2026 (WIB)
CHEAP = {"youtube.channels.list", "youtube.playlistItems.list"}


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


def test_week_window_is_monday_to_monday_in_wib() -> None:
    start, end = wib_week_window(WEEK_DAY)
    assert start == datetime(2026, 3, 1, 17, 0, tzinfo=UTC)  # Monday 00:00 WIB = Sunday 17:00 UTC
    assert end == datetime(2026, 3, 8, 17, 0, tzinfo=UTC)
    assert start.tzinfo == UTC
    assert wib_week_window(date(2026, 3, 2)) == wib_week_window(date(2026, 3, 8)) == (start, end)


def test_upload_inside_the_wib_week_is_found_and_the_boundaries_hold(fake: FakeGoogle, youtube: YouTubeBackend) -> None:
    fake.add_channel(CHANNEL)
    fake.add_video(CHANNEL, "prevSun2350", "Bus Mini pekan lalu", wib(2026, 3, 1, 23, 50))   # previous week
    fake.add_video(CHANNEL, "monday0010", "Bus Mini Senin", wib(2026, 3, 2, 0, 10))         # Sun 17:10 UTC: inside
    fake.add_video(CHANNEL, "sunday2330", "Bus Mini Edisi 10", wib(2026, 3, 8, 23, 30))     # Sun 16:30 UTC: inside
    fake.add_video(CHANNEL, "nextMon0030", "Bus Mini pekan depan", wib(2026, 3, 9, 0, 30))  # Sun 17:30 UTC: next week
    start, end = wib_week_window(WEEK_DAY)

    found = youtube.recent_uploads(CHANNEL, published_after=start, published_before=end)

    assert [u.video_id for u in found] == ["monday0010", "sunday2330"]
    last = found[-1]
    assert last == Upload(
        video_id="sunday2330",
        title="Bus Mini Edisi 10",
        published_at=datetime(2026, 3, 8, 16, 30, tzinfo=UTC),
        url="https://www.youtube.com/watch?v=sunday2330",
    )
    assert last.published_at.utcoffset() == timedelta(0)
    # The Monday-00:30 video belongs to the next week, and is found there.
    next_start, next_end = wib_week_window(WEEK_DAY + timedelta(days=7))
    assert [u.video_id for u in youtube.recent_uploads(CHANNEL, published_after=next_start,
                                                        published_before=next_end)] == ["nextMon0030"]
    # Only the 1-unit calls were made; the uploads playlist was looked up once.
    assert set(fake.operations()) <= CHEAP
    assert fake.count("youtube.search.list") == 0
    assert fake.count("youtube.channels.list") == 1
    assert fake.youtube_units == youtube.quota_units == 3


def test_requests_have_the_documented_shape(fake: FakeGoogle, youtube: YouTubeBackend) -> None:
    uploads = fake.add_channel(CHANNEL)
    start, end = wib_week_window(WEEK_DAY)
    assert youtube.recent_uploads(CHANNEL, published_after=start, published_before=end) == []
    channels, items = fake.requests
    assert channels.path == "/youtube/v3/channels"
    assert channels.param("part") == "contentDetails" and channels.param("id") == CHANNEL
    assert items.path == "/youtube/v3/playlistItems"
    assert items.param("part") == "snippet,contentDetails"
    assert items.param("playlistId") == uploads and items.param("maxResults") == "50"
    assert items.param("key") == "AIza-test-key"


def test_paging_stops_once_the_uploads_are_older_than_the_window(fake: FakeGoogle, youtube: YouTubeBackend) -> None:
    fake.add_channel(CHANNEL)
    # A year of weekly uploads, every Friday 15:00 WIB.
    first_friday = wib(2025, 3, 7, 15, 0)
    for week in range(60):
        fake.add_video(CHANNEL, f"v{week:02d}", f"Bus Mini {week}", first_friday + timedelta(weeks=week))
    youtube.page_size = 5
    youtube.lookback = timedelta(0)
    start, end = wib_week_window(date(2026, 3, 4))  # week of Friday 6 March 2026 = upload 52

    found = youtube.recent_uploads(CHANNEL, published_after=start, published_before=end)

    assert [u.video_id for u in found] == ["v52"]
    pages = fake.calls("youtube.playlistItems.list")
    # Newest first: page 1 = v59..v55, page 2 = v54..v50 already reaches before the window.
    assert len(pages) == 2
    assert pages[0].param("pageToken") is None and pages[1].param("pageToken") is not None
    assert youtube.quota_units == 3  # channels.list + 2 pages, of 12 possible pages


def test_a_scheduled_video_uploaded_earlier_is_still_found(fake: FakeGoogle, youtube: YouTubeBackend) -> None:
    fake.add_channel(CHANNEL)
    # Uploaded (added to the playlist) 5 days before the week, published by schedule inside it.
    fake.add_video(CHANNEL, "scheduled", "Bus Mini terjadwal", wib(2026, 3, 6, 16, 0),
                   added_at=wib(2026, 2, 25, 10, 0))
    for n in range(6):
        fake.add_video(CHANNEL, f"old{n}", f"Lama {n}", wib(2026, 2, 24 - n, 9, 0))
    youtube.page_size = 1
    start, end = wib_week_window(WEEK_DAY)
    found = youtube.recent_uploads(CHANNEL, published_after=start, published_before=end)
    assert [u.video_id for u in found] == ["scheduled"]
    assert found[0].published_at == wib(2026, 3, 6, 16, 0)  # videoPublishedAt, not the upload time
    # Paging went on past the upload time but stopped a week (lookback) before the window.
    assert fake.count("youtube.playlistItems.list") < 7


def test_entries_without_publish_time_fall_back_or_are_skipped(fake: FakeGoogle, youtube: YouTubeBackend) -> None:
    fake.add_channel(CHANNEL)
    fake.add_video(CHANNEL, "private1", "Private video", None, added_at=wib(2026, 3, 5, 8, 0))
    fake.add_video(CHANNEL, "nodetail", "Bus Mini tanpa detail", None, added_at=wib(2026, 3, 5, 9, 0))
    start, end = wib_week_window(WEEK_DAY)
    found = youtube.recent_uploads(CHANNEL, published_after=start, published_before=end)
    assert [(u.video_id, u.published_at) for u in found] == [("nodetail", wib(2026, 3, 5, 9, 0))]


def test_channel_by_handle_and_unknown_channel(fake: FakeGoogle, youtube: YouTubeBackend) -> None:
    uploads = fake.add_channel(CHANNEL, handle="@bapasjambi")
    assert youtube.uploads_playlist_id("@bapasjambi") == uploads
    assert fake.requests[0].param("forHandle") == "@bapasjambi"
    with pytest.raises(GoogleNotFoundError) as caught:
        youtube.uploads_playlist_id("UCdoesNotExist")
    assert "UCdoesNotExist" in caught.value.hint and "ID kanal" in caught.value.hint


def test_naive_or_reversed_windows_are_refused(fake: FakeGoogle, youtube: YouTubeBackend) -> None:
    fake.add_channel(CHANNEL)
    with pytest.raises(ValueError, match="timezone-aware"):
        youtube.recent_uploads(CHANNEL, published_after=datetime(2026, 3, 2), published_before=wib(2026, 3, 9))
    with pytest.raises(ValueError, match="later than"):
        youtube.recent_uploads(CHANNEL, published_after=wib(2026, 3, 9), published_before=wib(2026, 3, 2))
    assert fake.requests == []

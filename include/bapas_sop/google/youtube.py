"""The weekly Bus Mini upload check against the YouTube Data API, at 1 quota unit per call.

A project gets 10,000 YouTube quota units a day. ``search.list`` costs 100 units and lags
behind new uploads; ``channels.list`` and ``playlistItems.list`` cost 1 unit each and see an
upload as soon as it is public. So the check reads the channel's *uploads playlist*:

1. ``channels.list(part="contentDetails", id=...)`` → ``relatedPlaylists.uploads`` (cached
   per backend instance; ``@handle`` is accepted too, via ``forHandle``);
2. ``playlistItems.list(part="snippet,contentDetails", maxResults=50)``, newest first, page
   after page only while the page still reaches into the window.

A weekly check of a channel that posts weekly therefore costs 2 units. The publication
time is ``contentDetails.videoPublishedAt`` (when the video went public), falling back to
``snippet.publishedAt`` (when it was added to the playlist) where the former is absent.
An API key is enough for a public channel.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bapas_sop.google.calls import ApiCaller, RetryPolicy
from bapas_sop.google.credentials import YOUTUBE_NEEDS, GoogleClient, GoogleConnection
from bapas_sop.google.errors import GoogleNotFoundError
from bapas_sop.google.timefmt import parse_rfc3339

log = logging.getLogger(__name__)

MAX_PAGE = 50
#: Titles YouTube gives to playlist entries the caller may not see; they carry no publish time.
_HIDDEN_TITLES = frozenset({"Private video", "Deleted video"})


@dataclass(frozen=True)
class Upload:
    """A public video of the channel, with its publication time in UTC (aware)."""

    video_id: str
    title: str
    published_at: datetime
    url: str


def wib_week_window(day: date) -> tuple[datetime, datetime]:
    """The Monday 00:00 – next Monday 00:00 WIB week containing ``day``, as aware UTC datetimes.

    WIB is UTC+7 all year, so the week starts on Sunday 17:00 UTC: a video published on
    Sunday at 23:30 WIB (16:30 UTC) still belongs to the week that ends that night.
    The window is half-open: ``start <= published_at < end``.
    """
    from bapas_sop.calendar import at_wib

    monday = day - timedelta(days=day.weekday())
    return at_wib(monday).astimezone(UTC), at_wib(monday + timedelta(days=7)).astimezone(UTC)


def video_url(video_id: str) -> str:
    return f"https://www.youtube.com/watch?v={video_id}"


def _aware(name: str, dt: datetime) -> datetime:
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        raise ValueError(f"{name} must be timezone-aware (got naive {dt.isoformat()}); the week is in WIB")
    return dt.astimezone(UTC)


class YouTubeBackend(GoogleClient):
    """Reads a channel's uploads for the weekly check; counts every request (= quota units).

    ``lookback`` lets paging continue that far past ``published_after`` before stopping:
    the uploads playlist is ordered by when a video was added, so a video uploaded early
    and published later (scheduled, premiere) sits further down than its publish time
    suggests. A week is generous and, at 50 items a page, rarely costs a request.
    """

    API, VERSION, NEEDS, PURPOSE = "youtube", "v3", YOUTUBE_NEEDS, "YouTube"
    CONNECTION = "youtube"

    def __init__(
        self,
        service: Any,
        *,
        retry: RetryPolicy | None = None,
        conn_id: str | None = None,
        page_size: int = MAX_PAGE,
        lookback: timedelta = timedelta(days=7),
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE}")
        self._yt = service
        self.caller = ApiCaller(retry, conn_id=conn_id)
        self.page_size = page_size
        self.lookback = lookback
        self._uploads: dict[str, str] = {}

    @classmethod
    def api_key_ok(cls, conn: GoogleConnection) -> bool:
        """Public channel data: the connection's ``api_key`` if any, else its account."""
        return True

    @property
    def quota_units(self) -> int:
        """Units spent so far: 1 per list request (channels, playlistItems)."""
        return self.stats.total

    def uploads_playlist_id(self, channel_id: str) -> str:
        """The id of the channel's uploads playlist (``UC…`` id or ``@handle``); 1 unit, cached."""
        if channel_id in self._uploads:
            return self._uploads[channel_id]
        params: dict[str, Any] = {"part": "contentDetails"}
        if channel_id.startswith("@"):
            params["forHandle"] = channel_id
        else:
            params["id"] = channel_id
        reply = self.caller.execute(self._yt.channels().list(**params), operation="youtube.channels.list")
        items = reply.get("items") or []
        details = (items[0].get("contentDetails") or {}) if items else {}
        uploads = (details.get("relatedPlaylists") or {}).get("uploads")
        if not uploads:
            raise GoogleNotFoundError(
                f"youtube.channels.list: channel {channel_id!r} not found or has no uploads playlist",
                hint=(
                    f"Kanal YouTube '{channel_id}' tidak ditemukan. Periksa ID kanal (diawali UC…, lihat "
                    "YouTube Studio → Setelan → Kanal → Setelan lanjutan) atau @handle di konfigurasi Bus Mini."
                ),
                operation="youtube.channels.list",
            )
        self._uploads[channel_id] = uploads
        return uploads

    def recent_uploads(
        self,
        channel_id: str,
        *,
        published_after: datetime,
        published_before: datetime,
    ) -> list[Upload]:
        """Public uploads with ``published_after <= published_at < published_before``, oldest first."""
        after = _aware("published_after", published_after)
        before = _aware("published_before", published_before)
        if before <= after:
            raise ValueError("published_before must be later than published_after")
        playlist_id = self.uploads_playlist_id(channel_id)
        stop_below = after - self.lookback
        found: dict[str, Upload] = {}
        params: dict[str, Any] = {
            "part": "snippet,contentDetails",
            "playlistId": playlist_id,
            "maxResults": self.page_size,
        }
        pages = 0
        while True:
            page = self.caller.execute(
                self._yt.playlistItems().list(**params), operation="youtube.playlistItems.list"
            )
            pages += 1
            items = page.get("items") or []
            reached_old = False
            for item in items:
                upload, added_at = _upload_of(item)
                if added_at is not None and added_at < stop_below and (
                    upload is None or upload.published_at < stop_below
                ):
                    reached_old = True
                if upload is not None and after <= upload.published_at < before:
                    found.setdefault(upload.video_id, upload)
            token = page.get("nextPageToken")
            if reached_old or not token or not items:
                break
            params["pageToken"] = token
        log.info(
            "YouTube %s: %d upload(s) between %s and %s; %d page(s), %d quota unit(s) so far",
            channel_id, len(found), after.isoformat(), before.isoformat(), pages, self.quota_units,
        )
        return sorted(found.values(), key=lambda u: (u.published_at, u.video_id))


def _upload_of(item: dict[str, Any]) -> tuple[Upload | None, datetime | None]:
    """A playlist item → (Upload or None if hidden/unusable, time it was added to the playlist)."""
    snippet = item.get("snippet") or {}
    details = item.get("contentDetails") or {}
    added_at = parse_rfc3339(snippet["publishedAt"]) if snippet.get("publishedAt") else None
    video_id = details.get("videoId") or (snippet.get("resourceId") or {}).get("videoId")
    title = str(snippet.get("title") or "")
    if not video_id:
        return None, added_at
    if details.get("videoPublishedAt"):
        published_at = parse_rfc3339(details["videoPublishedAt"])
    elif title in _HIDDEN_TITLES or added_at is None:
        return None, added_at
    else:
        published_at = added_at
    return Upload(video_id=video_id, title=title, published_at=published_at, url=video_url(video_id)), added_at

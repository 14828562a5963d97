"""RFC 3339 times as Google writes and reads them.

Google's timestamps carry up to nanoseconds (``2026-03-02T01:02:03.123456789Z``); Python's
datetime holds microseconds. Parsing truncates, which is the safe direction for a
``timestamp > since`` filter built from a parsed time: the same response may come back
once more (and is recognised by its id), but none is skipped.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_FRACTION = re.compile(r"\.(\d+)")


def to_rfc3339(dt: datetime) -> str:
    """An aware datetime as RFC 3339 UTC "Zulu", as Google's filters require."""
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        raise ValueError(f"naive datetime {dt.isoformat()}: pass a timezone-aware datetime")
    utc = dt.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}"
    return text + "Z"


def parse_rfc3339(text: str) -> datetime:
    """Google's timestamp → aware UTC datetime (fraction truncated to microseconds)."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    value = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), value, count=1)
    return datetime.fromisoformat(value).astimezone(UTC)

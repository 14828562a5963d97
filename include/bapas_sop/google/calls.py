"""Executing Google requests: retries with exponential backoff, counted, errors translated.

google-api-python-client already knows *what* to retry: ``HttpRequest.execute(num_retries=n)``
resends on 429, on every 5xx, on a 403 whose reason is a rate limit, and on dropped
connections, sleeping ``rand() * 2**attempt`` seconds between tries; a 400/401/403/404 is
never retried. But its default is ``num_retries=0``, so a bare ``.execute()`` gives up on the
first 503. Every request of these backends goes through :class:`ApiCaller`, which

* always passes ``num_retries`` from one :class:`RetryPolicy` (connection extra
  ``num_retries``, ``BAPAS_GOOGLE_NUM_RETRIES``, default 5: at most ~1 minute of waiting);
* counts requests per API method and retries, so a task can log its quota use and a test
  can assert it (YouTube charges 1 unit per ``list`` call, whatever the page size);
* turns failures into :mod:`bapas_sop.google.errors` with an admin hint.

The policy's ``sleep``/``rand`` are handed to the request (the library keeps them as the
request's ``_sleep``/``_rand``, unchanged since 2013): tests pass a recorder instead of
``time.sleep`` and run in milliseconds while still going through the library's own loop.
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bapas_sop.google.errors import GoogleError, translate

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry a request Google answered with 429 or 5xx."""

    num_retries: int = 5
    sleep: Callable[[float], None] = time.sleep
    rand: Callable[[], float] = random.random

    def __post_init__(self) -> None:
        if self.num_retries < 0:
            raise ValueError("num_retries must be >= 0")


@dataclass
class CallStats:
    """Requests sent, per API method id (e.g. ``youtube.playlistItems.list``), and retries."""

    calls: Counter[str] = field(default_factory=Counter)
    retries: int = 0

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def summary(self) -> str:
        parts = ", ".join(f"{k}={v}" for k, v in sorted(self.calls.items()))
        return f"{self.total} request(s) [{parts}], {self.retries} retr{'y' if self.retries == 1 else 'ies'}"


class ApiCaller:
    """Runs ``HttpRequest`` objects with one retry policy and one set of counters."""

    def __init__(self, policy: RetryPolicy | None = None, *, conn_id: str | None = None) -> None:
        self.policy = policy or RetryPolicy()
        self.conn_id = conn_id
        self.stats = CallStats()

    def execute(self, request: Any, *, operation: str | None = None) -> Any:
        """Send ``request`` (retrying per policy) and return its parsed JSON body.

        ``operation`` names the call in errors; defaults to the request's method id.
        """
        method_id = str(getattr(request, "methodId", None) or operation or "google")
        name = operation or method_id
        retries_here = 0

        def sleep(seconds: float) -> None:
            nonlocal retries_here
            retries_here += 1
            self.stats.retries += 1
            self.policy.sleep(seconds)

        request._sleep = sleep
        request._rand = self.policy.rand
        self.stats.calls[method_id] += 1
        try:
            return request.execute(num_retries=self.policy.num_retries)
        except GoogleError:
            raise
        except Exception as exc:  # noqa: BLE001 - HttpError, auth errors, transport errors
            error = translate(exc, operation=name, conn_id=self.conn_id, attempts=retries_here + 1)
            log.warning("%s failed: %s", name, error.message)
            raise error from exc
        finally:
            if retries_here:
                log.info("%s needed %d retr%s", name, retries_here, "y" if retries_here == 1 else "ies")

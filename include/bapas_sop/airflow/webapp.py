"""The forms web app as the plugin registers it: an ASGI app built on its first request.

Airflow loads plugins in every process (scheduler, DAG processor, triggerer, workers), but only
the API server mounts ``fastapi_apps`` (``app.mount(url_prefix, app)``, which takes any ASGI
callable). Building :func:`bapas_sop.web.app.create_app` when the plugin module is imported
would import FastAPI, pandas, the store and the staff directory in all of them; this wrapper
defers that to the first request the API server routes to ``/bapas``.
"""

from __future__ import annotations

import asyncio
import importlib
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class LazyASGIApp:
    """An ASGI app that builds the real one from ``factory`` (``"module:function"``) once.

    The first request builds it in a thread (the imports take a second or two and must not
    stall the API server's event loop); concurrent first requests wait for the same build.
    """

    def __init__(self, factory: str) -> None:
        self.factory = factory
        self._app: ASGIApp | None = None
        self._lock = threading.Lock()

    def _build(self) -> ASGIApp:
        with self._lock:
            if self._app is None:
                start_reconciler()
                module, _, name = self.factory.partition(":")
                self._app = getattr(importlib.import_module(module), name)()
            return self._app

    @property
    def built(self) -> bool:
        return self._app is not None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self._app or await asyncio.to_thread(self._build)
        await app(scope, receive, send)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.factory!r}, built={self.built})"


def start_reconciler() -> None:
    """Start the API server's :class:`~bapas_sop.airflow.resume.Reconciler` (once per process)."""
    from bapas_sop.airflow.resume import Reconciler

    Reconciler.ensure_running()


class ReconcilerAtStartup:
    """A root middleware of the API server whose one job is to start the reconciler when the
    server starts (the ``lifespan`` startup), not at the first request to ``/bapas``: after a
    restart, answers stored while the server was down must resume their tasks even if nobody
    opens a page. Every other message passes through untouched.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await asyncio.to_thread(start_reconciler)
        await self.app(scope, receive, send)


#: What the plugin mounts at ``/bapas``.
forms_app = LazyASGIApp("bapas_sop.web.app:create_app")

"""The plugin: light to import in every Airflow process, its web app built on first request."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import PROJECT

HEAVY = ("pandas", "bapas_sop.web.app", "fastapi", "bapas_sop.store.db")

_IMPORT_PLUGIN = f"""
import importlib.util, json, sys
import airflow.plugins_manager  # what every Airflow process has imported before our plugin
spec = importlib.util.spec_from_file_location("bapas_plugin", {str(PROJECT / "plugins" / "bapas_plugin.py")!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
[app] = module.BapasSopPlugin.fastapi_apps
print(json.dumps({{"loaded": [m for m in {HEAVY!r} if m in sys.modules], "built": app["app"].built,
                   "prefix": app["url_prefix"]}}))
"""


def test_importing_the_plugin_builds_no_web_app_and_imports_no_pandas() -> None:
    """Run in a fresh interpreter: this test process has long imported pandas itself."""
    done = subprocess.run([sys.executable, "-c", _IMPORT_PLUGIN], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(PROJECT)}, cwd=PROJECT, check=False)

    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"loaded": [], "built": False, "prefix": "/bapas"}


def test_airflow_mounts_the_plugin_app_and_it_serves_from_the_first_request(project, no_reconciler_left) -> None:
    """Mounted by Airflow's own ``init_plugins``, as the API server does."""
    from airflow.api_fastapi.app import init_plugins
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    api_server = FastAPI()
    init_plugins(api_server)
    [mount] = [route for route in api_server.routes if getattr(route, "path", None) == "/bapas"]

    response = TestClient(api_server).get("/bapas/health")

    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert mount.app.built


@pytest.fixture
def no_reconciler_left():
    """The reconciler a test starts is this process's; it must not outlive the test."""
    from bapas_sop.airflow.resume import Reconciler

    yield
    if Reconciler._current is not None:
        Reconciler._current.stop()
        Reconciler._current = None


def test_the_api_server_starts_the_reconciler_at_startup_before_any_page_is_opened(project, no_reconciler_left) -> None:
    """After a restart, answers stored while the server was down resume their tasks even if
    nobody opens a page: the plugin's root middleware starts the reconciler on ``lifespan``."""
    from airflow.api_fastapi.app import init_plugins
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from bapas_sop.airflow.resume import Reconciler

    api_server = FastAPI()
    init_plugins(api_server)
    assert Reconciler._current is None

    with TestClient(api_server):  # runs the lifespan startup, as uvicorn does
        reconciler = Reconciler._current
        assert reconciler is not None and reconciler._thread.is_alive()
        assert reconciler.interval == 2.0  # [human_steps] reconcile_seconds

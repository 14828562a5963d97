"""The plugin: light to import in every Airflow process, its web app built on first request."""

from __future__ import annotations

import json
import os
import subprocess
import sys

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


def test_airflow_mounts_the_plugin_app_and_it_serves_from_the_first_request(project) -> None:
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

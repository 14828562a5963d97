"""Shared fixtures: a throw-away project, a real SMTP server, the forms app over HTTP.

Airflow reads its configuration when first imported, so the environment of the Airflow
metadata database (used by ``dag.test()`` scenarios) is set here, before any test module
imports Airflow.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import Request

PROJECT = Path(__file__).resolve().parent.parent

_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="bapas-airflow-test-"))
os.environ.setdefault("AIRFLOW_HOME", str(_AIRFLOW_HOME))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(PROJECT / "dags"))
os.environ.setdefault("AIRFLOW__CORE__PLUGINS_FOLDER", str(PROJECT / "plugins"))
os.environ.setdefault("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{_AIRFLOW_HOME / 'airflow.db'}")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
# A fixed key for the whole session; each test still gets its own database and mailbox.
os.environ.setdefault("BAPAS_SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("BAPAS_PUBLIC_URL", "http://testserver/bapas")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh project database and mailbox under tmp_path, migrated."""
    var = tmp_path / "var"
    monkeypatch.setenv("BAPAS_VAR_DIR", str(var))
    monkeypatch.setenv("BAPAS_DB_URL", f"sqlite:///{var / 'bapas.db'}")
    monkeypatch.setenv("BAPAS_MAILDIR", str(var / "mail"))
    from bapas_sop.store import migrate

    migrate()
    return var


@pytest.fixture
def smtp_server(project: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    """The real dev SMTP server on a free port, storing into the project's mailbox."""
    from bapas_sop.mail.devserver import start_dev_smtp

    server = start_dev_smtp("127.0.0.1", 0, project / "mail")
    monkeypatch.setenv("AIRFLOW_CONN_BAPAS_SMTP", f"smtp://127.0.0.1:{server.port}")
    try:
        yield server
    finally:
        server.stop()


async def _test_admin(request: Request) -> str:
    """Stands in for Airflow's login: a request with ``x-test-admin: yes`` is an admin."""
    if request.headers.get("x-test-admin") != "yes":
        from bapas_sop.web.app import AdminLoginRequired

        raise AdminLoginRequired()
    return "admin"


@pytest.fixture
def web(project: Path):
    """The forms app mounted at /bapas like in the API server, with a stand-in admin login."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from bapas_sop.web.app import create_app

    started: list[str] = []
    root = FastAPI()
    root.mount("/bapas", create_app(admin_dependency=_test_admin, start_run=lambda dag_id, run_id, conf: started.append(conf["case_number"])))
    client = TestClient(root, base_url="http://testserver", follow_redirects=False)
    client.started_runs = started  # type: ignore[attr-defined]
    return client

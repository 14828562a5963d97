"""PPID test helpers: the forms app recording the runs it starts, a requester who asks through
the real public page, and the ``ppid`` DAG parsed from the declared-SOP DAG file."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest

from tests.sops.conftest import DAGS_FOLDER, _parse

ADMIN = {"x-test-admin": "yes"}
PUBLIC_PATH = "/bapas/publik/ppid"

#: A fictional requester; the confidentiality test looks for these in Airflow.
REQUESTER = {"nama": "Hendra Gunawan Saputra", "email": "hendra.saputra@warga.example", "telepon": "0812 5555 1234"}
REQUEST = {
    "rincian_informasi": "Jumlah klien pemasyarakatan dewasa yang dibimbing pada tahun 2025 per kabupaten.",
    "tujuan": "Bahan skripsi tentang reintegrasi sosial di Provinsi Jambi.",
    "cara_memperoleh": "email",
}


@pytest.fixture
def web(project: Path):
    """The forms app at /bapas; ``web.started_runs`` lists the (dag_id, run_id, conf) it started."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from bapas_sop.web.app import create_app
    from tests.conftest import _test_admin

    started: list[tuple[str, str, dict[str, Any]]] = []
    root = FastAPI()
    root.mount("/bapas", create_app(admin_dependency=_test_admin,
                                    start_run=lambda dag_id, run_id, conf: started.append((dag_id, run_id, conf))))
    client = TestClient(root, base_url="http://testserver", follow_redirects=False)
    client.started_runs = started  # type: ignore[attr-defined]
    return client


@pytest.fixture(scope="session")
def ppid_dag(airflow_db: None) -> Any:
    return _parse(DAGS_FOLDER / "sop_deklaratif.py").get_dag("ppid")


def hidden_fields(page_html: str) -> dict[str, str]:
    return {k: html.unescape(v) for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page_html)}


def ask(web: Any, **fields: str) -> Any:
    """Open the public page and post a request as a person would (with the page's hidden fields)."""
    page = web.get(PUBLIC_PATH)
    assert page.status_code == 200, page.text[:500]
    return web.post(PUBLIC_PATH, data={**hidden_fields(page.text), **REQUESTER, **REQUEST, **fields})


def number_in(page_html: str) -> str:
    return re.search(r"PPID-\d{4}-\d{4}", page_html).group(0)

"""Yanpatmas test helpers: the forms app recording the runs it starts, a complainant who
files through the real public page, and the parsed ``yanpatmas`` DAG."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest

from tests.sops.conftest import DAGS_FOLDER, _parse

ADMIN = {"x-test-admin": "yes"}

#: A fictional complainant; the confidentiality test looks for each of these everywhere in Airflow.
COMPLAINANT = {"nama": "Sulastri Wulandari", "email": "sulastri.wulandari@warga.example", "telepon": "0813 7777 2468"}
COMPLAINT = {
    "perihal": "Pungutan saat pendaftaran bimbingan",
    "terlapor": "Petugas loket pendaftaran, perempuan berkacamata",
    "waktu_tempat": "Senin 16 November 2026 pukul 10.00, ruang layanan",
    "uraian": "Petugas meminta uang lima puluh ribu rupiah agar berkas adik saya didahulukan.",
    "tautan_bukti": "https://drive.example/bukti/kuitansi",
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
def yanpatmas_dag(airflow_db: None) -> Any:
    return _parse(DAGS_FOLDER / "yanpatmas.py").get_dag("yanpatmas")


def hidden_fields(page_html: str) -> dict[str, str]:
    return {k: html.unescape(v) for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page_html)}


def file_complaint(web: Any, *, path: str = "/bapas/yanpatmas/pengaduan", headers: dict[str, str] | None = None,
                   **fields: str) -> Any:
    """Open the complaint page and post it as a person would (with the page's hidden fields)."""
    page = web.get(path, headers=headers or {})
    assert page.status_code == 200, page.text[:500]
    data = {"anonim": "tidak", **COMPLAINANT, **COMPLAINT, **fields}
    return web.post(path, data={**hidden_fields(page.text), **data}, headers=headers or {})


def ticket_and_code(page_html: str) -> tuple[str, str]:
    ticket = re.search(r"YP-\d{4}-\d{4}", page_html).group(0)
    code = re.search(r"<strong>([A-Z2-9]{4}-[A-Z2-9]{4})</strong>", page_html).group(1)
    return ticket, code


def status(web: Any, ticket: str, code: str) -> Any:
    return web.post("/bapas/yanpatmas/status", data={"tiket": ticket, "kode": code, "situs_web": ""})

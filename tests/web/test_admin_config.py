"""The "Konfigurasi SOP" admin page (issue 15): every SOP's steps and forms as they run, each
office change marked with its file and line; behind the admin login; readable on a phone.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest


@pytest.fixture
def office_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "kantor"
    (folder / "sops" / "sp2lo").mkdir(parents=True)
    (folder / "sops" / "sp2lo" / "steps.yaml").write_text(
        "steps:\n  kabapas_disposisi:\n    assignee: kaur_tu\n    due_hours: 48\n")
    (folder / "sops" / "sp2lo" / "forms.yaml").write_text(
        "sp2lo_disposisi:\n  fields:\n    seksi:\n      label: Seksi penanggung jawab Litmas\n")
    monkeypatch.setenv("BAPAS_CONFIG_DIR", str(folder))
    return folder


def _row(html: str, step: str) -> str:
    found = re.search(rf"<tr>\s*<td><code>{step}</code></td>(.*?)</tr>", html, re.S)
    assert found, step
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()


def test_the_page_shows_defaults_and_office_changes_with_their_source(web, office_dir: Path) -> None:
    page = web.get("/bapas/admin/konfigurasi", headers={"x-test-admin": "yes"})
    assert page.status_code == 200
    html = page.text
    steps = office_dir / "sops" / "sp2lo" / "steps.yaml"
    # The office's changes, each with its file and line.
    assert _row(html, "kabapas_disposisi") == (
        f"sp2lo_disposisi kaur_tu kantor {steps}:2 2 hari kantor {steps}:2 6 jam 0 jam atasan langsung 7 hari")
    # A step the office left alone: the DAG's role and the office defaults of bapas.toml.
    assert _row(html, "keuangan_mencairkan_sppd").startswith("sp2lo_pencairan_sppd keuangan ")
    assert "kantor" not in _row(html, "keuangan_mencairkan_sppd")
    # A Litmas deadline is the law's, computed by the SOP.
    assert "dihitung SOP (aturan batas waktu)" in _row(html, "pk_melakukan_litmas")
    # A step an SOP opens from its own code is listed too.
    assert _row(html, "pengisian_survei").startswith("- ditentukan saat berjalan")
    # The form's question as the office wrote it, marked.
    forms = office_dir / "sops" / "sp2lo" / "forms.yaml"
    assert "Seksi penanggung jawab Litmas" in html and f"{forms}:4" in html
    assert "Konfigurasi SOP</a>" in html  # in the admin navigation
    assert '<meta name="viewport"' in html


def test_office_file_errors_are_listed(web, office_dir: Path) -> None:
    (office_dir / "sops" / "sp2lo" / "steps.yaml").write_text("steps:\n  kabapas_disposisi:\n    assignee: kabapass\n")
    html = web.get("/bapas/admin/konfigurasi", headers={"x-test-admin": "yes"}).text
    assert "Ada 1 kesalahan di folder kantor." in html
    assert "peran &#39;kabapass&#39; tidak ada di daftar peran" in html


def test_the_page_needs_the_admin_login(web) -> None:
    page = web.get("/bapas/admin/konfigurasi")
    assert page.status_code in (302, 303, 401, 403)

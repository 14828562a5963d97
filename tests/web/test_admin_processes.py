"""The "Proses sistem" admin page: what the launcher's supervisor wrote in ``var/processes.json``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ADMIN = {"x-test-admin": "yes"}
PAGE = "/bapas/admin/proses"


def _write_status(var: Path, processes: list[dict]) -> None:
    var.mkdir(parents=True, exist_ok=True)
    (var / "processes.json").write_text(json.dumps({"updated_at": "2026-11-30T08:00:00+00:00", "processes": processes}))


def test_page_shows_each_process_whether_it_runs_since_when_and_its_restarts(web, project: Path) -> None:
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    gone_pid = int(ended.stdout)  # a process that existed and has ended
    _write_status(project, [
        {"name": "api-server", "pid": os.getpid(), "running": True, "started_at": "2026-11-30T01:00:00+00:00",
         "restarts": 0, "last_exit_code": None, "last_restart_at": None},
        {"name": "triggerer", "pid": os.getpid(), "running": True, "started_at": "2026-11-30T07:30:00+00:00",
         "restarts": 3, "last_exit_code": -9, "last_restart_at": "2026-11-30T07:30:00+00:00"},
        # the status says running, but its launcher was killed and the process is gone
        {"name": "scheduler", "pid": gone_pid, "running": True, "started_at": "2026-11-30T01:00:00+00:00",
         "restarts": 0, "last_exit_code": None, "last_restart_at": None},
    ])
    response = web.get(PAGE, headers=ADMIN)
    assert response.status_code == 200
    html = response.text
    assert "Proses sistem" in html
    rows = {name: html.split(f"<td>{name}</td>", 1)[1].split("</tr>", 1)[0] for name in ("api-server", "triggerer", "scheduler")}
    assert "berjalan" in rows["api-server"] and "0 kali" in rows["api-server"]
    assert "Senin, 30 November 2026 pukul 08.00 WIB" in rows["api-server"]  # since when, in WIB
    assert "berjalan" in rows["triggerer"] and "3 kali" in rows["triggerer"] and "-9" in rows["triggerer"]
    assert "Senin, 30 November 2026 pukul 14.30 WIB" in rows["triggerer"]
    assert "berhenti" in rows["scheduler"] and "berjalan" not in rows["scheduler"]
    assert 'href="/bapas/admin/proses"' in html  # in the admin navigation


def test_page_says_no_data_without_a_status_file(web, project: Path) -> None:
    # Under Compose, Docker restarts containers and no launcher writes the file.
    response = web.get(PAGE, headers=ADMIN)
    assert response.status_code == 200
    assert "Data proses tidak tersedia" in response.text


def test_page_says_no_data_for_a_status_file_it_cannot_read(web, project: Path) -> None:
    project.mkdir(parents=True, exist_ok=True)
    (project / "processes.json").write_text('{"processes": [{"name": "triggerer", "started_at": "kemarin"')
    response = web.get(PAGE, headers=ADMIN)
    assert response.status_code == 200
    assert "Data proses tidak tersedia" in response.text


def test_page_is_for_admins_only(web, project: Path) -> None:
    _write_status(project, [])
    response = web.get(PAGE)
    assert response.status_code != 200 and "triggerer" not in response.text

"""Hardening of the SP2LO intake (issue 9): one request is one case, and the embedded database
waits instead of failing under concurrent use.

* Two identical posts of the public intake form, at once or one after the other, register one
  case (one number, one clock, one run) and both show that case's page.
* A post without a valid submission key is refused in Indonesian with the input kept.
* The embedded stack gives Airflow's SQLite connections a long busy timeout, and Airflow 3.3
  really applies it (read back from a connection of Airflow's own engine).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bapas_sop.sops.sp2lo.models import LitmasCase
from bapas_sop.store.db import session_scope

INTAKE = "/bapas/litmas/permohonan"
REQUEST = {
    "nomor_surat": "B/12/XII/2026/Reskrim", "tanggal_surat": "2026-11-27", "instansi": "penyidik",
    "nama_instansi": "Polresta Jambi", "nama_pemohon": "Iptu Budi", "email_pemohon": "budi@polresta-jambi.example",
    "nama_klien": "Andi Saputra", "kategori": "anak", "jenis_litmas": "sidang_anak",
}
CASE_NUMBER = re.compile(r"LITMAS-\d{4}-\d{4}")


def _key(page_text: str) -> str:
    found = re.search(r'<input type="hidden" name="_submission_key" value="([^"]+)">', page_text)
    assert found, "the intake form carries a submission key"
    return found.group(1)


def _cases() -> list[LitmasCase]:
    with session_scope() as session:
        return list(session.query(LitmasCase).order_by(LitmasCase.id))


def test_concurrent_posts_of_one_submission_register_one_case(web, smtp_server):
    data = {**REQUEST, "_submission_key": _key(web.get(INTAKE).text)}
    barrier = threading.Barrier(4)
    answers: list = []

    def post() -> None:
        barrier.wait()
        answers.append(web.post(INTAKE, data=data))

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert [a.status_code for a in answers] == [200] * 4
    numbers = {CASE_NUMBER.search(a.text).group(0) for a in answers}
    [case] = _cases()
    assert numbers == {case.case_number}  # both posters see the one case
    assert web.started_runs == [case.case_number]  # one run, one clock


def test_a_repeated_post_shows_the_same_case_and_a_new_page_is_a_new_case(web, smtp_server):
    page = web.get(INTAKE)
    data = {**REQUEST, "_submission_key": _key(page.text)}
    first = web.post(INTAKE, data=data)
    again = web.post(INTAKE, data=data)  # the browser's "resend", a double click
    assert first.status_code == again.status_code == 200
    number = CASE_NUMBER.search(first.text).group(0)
    assert CASE_NUMBER.search(again.text).group(0) == number
    assert [c.case_number for c in _cases()] == [number]

    # Another request filled in on a new page is a new case, even with the same letter.
    other = web.post(INTAKE, data={**REQUEST, "_submission_key": _key(web.get(INTAKE).text)})
    assert other.status_code == 200
    assert len(_cases()) == 2 and CASE_NUMBER.search(other.text).group(0) != number
    assert len(web.started_runs) == 2


def test_each_page_view_gets_its_own_key(web, smtp_server):
    assert _key(web.get(INTAKE).text) != _key(web.get(INTAKE).text)


@pytest.mark.parametrize("key", [None, "", "tebakan-acak", "é", "eyJ4IjoxfQ.forged.signature"])
def test_a_post_without_a_valid_key_is_refused_and_keeps_the_input(web, smtp_server, key):
    data = dict(REQUEST) if key is None else {**REQUEST, "_submission_key": key}
    refused = web.post(INTAKE, data=data)
    assert refused.status_code == 422
    assert "kode pengiriman" in refused.text.lower() and "kirim sekali lagi" in refused.text
    assert 'value="Andi Saputra"' in refused.text and 'value="B/12/XII/2026/Reskrim"' in refused.text
    assert _cases() == [] and web.started_runs == []

    # The refusal page carries a fresh key: sending it again registers the request.
    accepted = web.post(INTAKE, data={**REQUEST, "_submission_key": _key(refused.text)})
    assert accepted.status_code == 200 and len(_cases()) == 1


def test_a_key_file_part_is_refused_not_a_500(web, smtp_server):
    refused = web.post(INTAKE, data=REQUEST, files={"_submission_key": ("kunci.txt", b"x", "text/plain")})
    assert refused.status_code == 422 and "kode pengiriman" in refused.text.lower()
    assert _cases() == []


def test_a_key_from_another_form_signature_is_refused(web, smtp_server):
    from itsdangerous import URLSafeTimedSerializer

    from bapas_sop.settings import get_settings

    forged = URLSafeTimedSerializer(get_settings().secret_key, salt="another-purpose").dumps("abc")
    refused = web.post(INTAKE, data={**REQUEST, "_submission_key": forged})
    assert refused.status_code == 422 and _cases() == []


def test_an_invalid_post_keeps_its_key_so_the_corrected_page_is_the_same_submission(web, smtp_server):
    key = _key(web.get(INTAKE).text)
    bad = web.post(INTAKE, data={**REQUEST, "email_pemohon": "budi@", "_submission_key": key})
    assert bad.status_code == 422 and _key(bad.text) == key
    first = web.post(INTAKE, data={**REQUEST, "_submission_key": key})
    again = web.post(INTAKE, data={**REQUEST, "_submission_key": key})
    assert CASE_NUMBER.search(first.text).group(0) == CASE_NUMBER.search(again.text).group(0)
    assert len(_cases()) == 1


def test_the_submission_key_column_is_unique_in_the_migrated_database(project):
    from sqlalchemy import inspect

    from bapas_sop.store.db import get_engine

    inspector = inspect(get_engine())
    assert "submission_key" in {c["name"] for c in inspector.get_columns("litmas_case")}
    uniques = [u["column_names"] for u in inspector.get_unique_constraints("litmas_case")]
    assert ["submission_key"] in uniques


# --------------------------------------------------------------------------- concurrent REST triggers on SQLite

#: Run with the embedded stack's environment: Airflow's own engines, as its API server makes them.
AIRFLOW_PROBE = r"""
import asyncio, json
from sqlalchemy import text
from airflow import settings

settings.configure_orm()
with settings.engine.connect() as conn:
    sync = {"busy_timeout": conn.exec_driver_sql("PRAGMA busy_timeout").scalar(),
            "journal_mode": conn.exec_driver_sql("PRAGMA journal_mode").scalar()}

async def read_async():
    async with settings.async_engine.connect() as conn:
        found = (await conn.execute(text("PRAGMA busy_timeout"))).scalar()
    await settings.async_engine.dispose()
    return found

# Another process holds the write lock for longer than sqlite3's default 5 s: Airflow's write waits.
import sqlite3, threading, time
holder = sqlite3.connect(settings.engine.url.database, isolation_level=None, check_same_thread=False)
holder.execute("BEGIN IMMEDIATE")
releaser = threading.Timer(6.5, holder.execute, args=("COMMIT",))
releaser.start()
started = time.monotonic()
with settings.engine.begin() as conn:
    conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS bapas_lock_probe (x INTEGER)")
    conn.exec_driver_sql("INSERT INTO bapas_lock_probe VALUES (1)")
sync["waited_seconds"] = time.monotonic() - started
releaser.join()

print(json.dumps({"sync": sync, "async_busy_timeout": asyncio.run(read_async())}))
"""


def test_the_embedded_stack_makes_airflow_wait_for_the_sqlite_lock(tmp_path: Path):
    """Python's sqlite3 gives up after 5 s ("database is locked" → the API's 500 "Database
    error"); the embedded default gives Airflow's engines a long busy timeout instead, and
    Airflow 3.3 applies it (read back from its own connections, sync and async)."""
    from bapas_sop.devstack import SQLITE_BUSY_TIMEOUT_SECONDS, StackConfig, stack_env

    assert SQLITE_BUSY_TIMEOUT_SECONDS >= 30
    env = stack_env(StackConfig(home=tmp_path / "stack"), base={k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")})
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("sqlite:///")
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS"] == "bapas_sop.devstack.AIRFLOW_SQLITE_CONNECT_ARGS"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS_ASYNC"] == "bapas_sop.devstack.AIRFLOW_SQLITE_ASYNC_CONNECT_ARGS"

    done = subprocess.run([sys.executable, "-c", AIRFLOW_PROBE], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=180)
    assert done.returncode == 0, done.stderr[-4000:]
    [line] = [line for line in done.stdout.splitlines() if line.startswith('{"sync"')] or [done.stdout + done.stderr[-4000:]]
    found = json.loads(line)
    assert found["sync"]["busy_timeout"] == SQLITE_BUSY_TIMEOUT_SECONDS * 1000
    assert found["sync"]["waited_seconds"] > 5  # it waited out a lock held longer than the old 5 s, no error
    assert found["sync"]["journal_mode"] == "wal"  # Airflow's own pragma: readers never block the writer
    assert found["async_busy_timeout"] == SQLITE_BUSY_TIMEOUT_SECONDS * 1000


def test_a_stack_on_postgresql_gets_no_sqlite_connect_args(tmp_path: Path):
    from bapas_sop.devstack import StackConfig, stack_env

    env = stack_env(StackConfig(home=tmp_path / "stack", airflow_db_url="postgresql://bapas@localhost/airflow"),
                    base={k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")})
    assert "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS" not in env
    assert "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS_ASYNC" not in env

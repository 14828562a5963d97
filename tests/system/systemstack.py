"""Helpers of the system tests (and the benchmark): a started Stack, its REST API, its mailbox.

Kept apart from ``conftest.py`` so that ``bench/resume_latency.py`` can use the same code.
Everything waits with generous timeouts (the machine has two cores and is shared) and fails
with a message that carries what is needed to see why: the task instances of the run and the
tail of each component's log.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx

from bapas_sop.devstack import ADMIN_PASSWORD, ADMIN_USER, Stack, StackConfig, free_port

PROJECT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

#: Every process of a test stack carries this variable (value: the stack's id), so that what a
#: stack leaves behind (task processes and log servers in their own process groups) is found.
MARKER = "BAPAS_SYSTEM_TEST_STACK"

#: Settings of every process of a test stack (from ARCHITECTURE.md: a lost worker is noticed
#: after 20 s instead of 300 s).
FAST_FAILURE_DETECTION = {
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "20",
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
}


class StackFailure(AssertionError):
    pass


# --------------------------------------------------------------------------- processes


def marked_processes(stack_id: str, extra: Mapping[str, str] | None = None) -> list[int]:
    """PIDs of the processes whose environment holds ``MARKER=stack_id`` (and ``extra``)."""
    wanted = [f"{MARKER}={stack_id}".encode()] + [f"{k}={v}".encode() for k, v in (extra or {}).items()]
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if all(item in environ for item in wanted):
            found.append(int(entry.name))
    return found


def kill_marked(stack_id: str, extra: Mapping[str, str] | None = None) -> list[int]:
    """SIGKILL every process of the stack (or of one part of it, by ``extra``); their PIDs."""
    pids = marked_processes(stack_id, extra)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() and not _zombie(pid) for pid in pids):
        time.sleep(0.1)
    return pids


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


# --------------------------------------------------------------------------- the stack


class SystemStack:
    """A started :class:`Stack` with its REST API client and mailbox."""

    def __init__(self, stack: Stack, stack_id: str):
        self.stack = stack
        self.id = stack_id
        self.base_url = stack.config.base_url
        self.maildir = Path(stack.env["BAPAS_MAILDIR"])
        self.api = Api(self)

    # -- lifecycle

    @classmethod
    @contextmanager
    def running(
        cls,
        config: StackConfig,
        *,
        ready_timeout: float = 300,
        before_start: Callable[[Stack], None] | None = None,
    ) -> Iterator[SystemStack]:
        stack_id = uuid.uuid4().hex[:12]
        config.extra_env = {
            MARKER: stack_id,
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            **FAST_FAILURE_DETECTION,
            **config.extra_env,
        }
        stack = Stack(config)
        system = cls(stack, stack_id)
        started = time.monotonic()
        try:
            try:
                stack.prepare()
            except RuntimeError as exc:
                raise StackFailure(f"{exc}\n{system.log_tails(['db-migrate', 'bapas-migrate'])}") from exc
            stack.start()
            if before_start:
                before_start(stack)
            try:
                stack.wait_ready(timeout=ready_timeout)
            except (RuntimeError, TimeoutError) as exc:
                raise StackFailure(f"the stack did not start: {exc}\n{system.log_tails()}") from exc
            system.startup_seconds = time.monotonic() - started
            with system.project_env():
                yield system
        finally:
            stack.stop()
            leftovers = kill_marked(stack_id)
            if leftovers:
                print(f"system stack {stack_id}: killed {len(leftovers)} leftover process(es): {leftovers}", flush=True)

    startup_seconds: float = 0.0

    @contextmanager
    def project_env(self) -> Iterator[None]:
        """Point this process's ``bapas_sop`` (settings, database) at the stack's project."""
        names = ("BAPAS_VAR_DIR", "BAPAS_DB_URL", "BAPAS_MAILDIR", "BAPAS_PUBLIC_URL", "BAPAS_SECRET_KEY")
        saved = {name: os.environ.get(name) for name in names}
        os.environ.update({name: self.stack.env[name] for name in names})
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    # -- processes

    def stop_component(self, name: str, sig: int = signal.SIGTERM) -> None:
        self.stack.stop_process(name, sig=sig)

    def start_component(self, name: str) -> None:
        """Start a stopped component again with the arguments the Stack gave it."""
        if name == "smtp":
            argv = [sys.executable, "-m", "bapas_sop.mail.devserver", "--host", "127.0.0.1",
                    "--port", str(self.stack.config.smtp_port), "--maildir", self.stack.env["BAPAS_MAILDIR"]]
        else:
            argv = ["airflow", name]
        self.stack.start_process(name, argv)

    def check_alive(self) -> None:
        for name, process in self.stack.processes.items():
            if process.poll() is not None:
                raise StackFailure(f"{name} exited with {process.returncode}\n{self.log_tails([name])}")

    # -- diagnostics

    def log_tails(self, names: Iterable[str] | None = None, lines: int = 40) -> str:
        log_dir = self.stack.log_dir
        files = [log_dir / f"{n}.log" for n in names] if names else sorted(log_dir.glob("*.log"))
        parts = []
        for path in files:
            if not path.exists():
                continue
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"----- {path.name} (last {len(tail)} lines) -----\n" + "\n".join(tail))
        return "\n".join(parts)

    def task_log_tails(self, dag_id: str, run_id: str, lines: int = 40) -> str:
        """The end of the task logs of failed or retried tries of a run."""
        root = self.stack.config.airflow_home / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}"
        parts = []
        for path in sorted(root.glob("task_id=*/**/attempt=*.log")):
            text = path.read_text(errors="replace")
            if re.search(r"\b(ERROR|error|Traceback|failed)\b", text):
                tail = text.splitlines()[-lines:]
                parts.append(f"----- {path.relative_to(root)} -----\n" + "\n".join(tail))
        return "\n".join(parts)

    def explain(self, dag_id: str | None = None, run_id: str | None = None) -> str:
        parts = []
        if dag_id and run_id:
            try:
                parts.append("task instances:\n" + self.api.describe_run(dag_id, run_id))
            except Exception as exc:  # noqa: BLE001 - diagnostics must not hide the failure
                parts.append(f"(task instances unavailable: {exc})")
            parts.append(self.task_log_tails(dag_id, run_id))
        parts.append(self.log_tails())
        return "\n".join(p for p in parts if p)

    # -- mail

    def inbox(self) -> list[Any]:
        from bapas_sop.mail.devserver import read_inbox

        return read_inbox(self.maildir)

    def responder(self, answers: dict[str, Any]):
        from tests.support.responder import Responder

        client = httpx.Client(base_url=self.base_url, timeout=60, follow_redirects=False)
        return Responder(client, self.maildir, answers)


# --------------------------------------------------------------------------- REST API


TERMINAL_RUN_STATES = {"success", "failed"}


class Api:
    """Airflow's public REST API (``/api/v2``) as the admin, with a token from ``/auth/token``."""

    def __init__(self, system: SystemStack):
        self.system = system
        self.client = httpx.Client(base_url=system.base_url, timeout=60)
        self._token: str | None = None

    def token(self) -> str:
        if self._token is None:
            response = self._send("POST", "/auth/token", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD},
                                  auth=False)
            if response.status_code != 201:
                raise StackFailure(f"POST /auth/token: {response.status_code} {response.text[:500]}")
            self._token = response.json()["access_token"]
        return self._token

    def _send(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> httpx.Response:
        # The API server is one worker on a busy machine: retry what did not reach it.
        for attempt in range(6):
            headers = {"Authorization": f"Bearer {self.token()}"} if auth else {}
            try:
                return self.client.request(method, path, headers=headers, **kwargs)
            except (httpx.ConnectError, httpx.ReadTimeout, httpx.RemoteProtocolError):
                if attempt == 5:
                    raise
                time.sleep(2)
        raise AssertionError("unreachable")

    def request(self, method: str, path: str, *, expect: Iterable[int] = (200,), **kwargs: Any) -> Any:
        expected = set(expect)
        for _attempt in range(5):
            response = self._send(method, "/api/v2" + path, **kwargs)
            # SQLite has one writer: under load the API server gives up after its busy timeout
            # ("database is locked") with a 500 "Database error". Nothing was written; try again.
            if response.status_code == 500 and "Database error" in response.text and 500 not in expected:
                time.sleep(2)
                continue
            break
        if response.status_code not in expected:
            raise StackFailure(f"{method} /api/v2{path}: {response.status_code} {response.text[:2000]}")
        return response.json() if response.content else None

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params or None)

    # -- DAGs and runs

    def wait_dag(self, dag_id: str, timeout: float = 300) -> dict[str, Any]:
        """Wait until the DAG processor has parsed ``dag_id`` (and it is unpaused)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.system.check_alive()
            response = self._send("GET", f"/api/v2/dags/{dag_id}")
            if response.status_code == 200:
                dag = response.json()
                if dag.get("is_paused"):
                    self.request("PATCH", f"/dags/{dag_id}", json={"is_paused": False})
                    continue
                return dag
            errors = self.get("/importErrors").get("import_errors", [])
            if errors:
                raise StackFailure("DAG import errors:\n" + "\n".join(e["filename"] + ":\n" + e["stack_trace"] for e in errors))
            time.sleep(2)
        raise StackFailure(f"DAG {dag_id} not parsed within {timeout:.0f} s\n{self.system.log_tails(['dag-processor'])}")

    def trigger(self, dag_id: str, conf: Mapping[str, Any] | None = None, run_id: str | None = None) -> str:
        """Start a run as an admin would (no logical date, typed conf); its run id.

        The run id is chosen here, so that a POST retried after an error cannot start a second
        run (the retry gets 409: the run exists)."""
        run_id = run_id or f"manual__{datetime.now(timezone.utc).isoformat()}"
        body = {"dag_run_id": run_id, "logical_date": None, "conf": dict(conf or {})}
        self.request("POST", f"/dags/{dag_id}/dagRuns", json=body, expect=(200, 409))
        return run_id

    def run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        return self.get(f"/dags/{dag_id}/dagRuns/{run_id}")

    def task_instances(self, dag_id: str = "~", run_id: str = "~", **params: Any) -> list[dict[str, Any]]:
        """All task instances (``~``: of every DAG / run), page by page: the API serves at most
        ``[api] maximum_page_limit`` (100) per request."""
        found: list[dict[str, Any]] = []
        while True:
            page = self.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances",
                            **{**params, "limit": 100, "offset": len(found), "order_by": "id"})
            found.extend(page["task_instances"])
            if not page["task_instances"] or len(found) >= page["total_entries"]:
                return found

    def count_task_instances(self, dag_id: str = "~", run_id: str = "~", **params: Any) -> int:
        return self.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", **{**params, "limit": 1})["total_entries"]

    def task_instance(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> dict[str, Any]:
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}"
        return self.get(path if map_index < 0 else f"{path}/{map_index}")

    def states(self, dag_id: str, run_id: str) -> dict[str, str | None]:
        return {ti["task_id"]: ti["state"] for ti in self.task_instances(dag_id, run_id)}

    def describe_run(self, dag_id: str, run_id: str) -> str:
        rows = sorted(self.task_instances(dag_id, run_id), key=lambda ti: (ti["start_date"] or "~", ti["task_id"]))
        return "\n".join(
            f"  {ti['task_id']:<45} {str(ti['state']):<15} try={ti['try_number']} host={ti.get('hostname') or '-'}"
            for ti in rows
        )

    def wait_task_state(
        self, dag_id: str, run_id: str, task_id: str, states: Iterable[str], timeout: float = 300, interval: float = 1
    ) -> dict[str, Any]:
        wanted = set(states)
        deadline = time.monotonic() + timeout
        last: dict[str, Any] | None = None
        while time.monotonic() < deadline:
            self.system.check_alive()
            try:
                last = self.task_instance(dag_id, run_id, task_id)
            except StackFailure:  # not created yet
                last = None
            if last and last["state"] in wanted:
                return last
            if last and last["state"] in ("failed", "upstream_failed") and not wanted & {"failed", "upstream_failed"}:
                break
            if self.run(dag_id, run_id)["state"] in TERMINAL_RUN_STATES:
                break
            time.sleep(interval)
        raise StackFailure(
            f"{dag_id}/{run_id}: {task_id} did not reach {sorted(wanted)} within {timeout:.0f} s "
            f"(last state: {last and last['state']})\n{self.system.explain(dag_id, run_id)}"
        )

    def wait_run(self, dag_id: str, run_id: str, timeout: float = 600, on_wait: Callable[[], None] | None = None) -> str:
        deadline = time.monotonic() + timeout
        state = None
        while time.monotonic() < deadline:
            self.system.check_alive()
            if on_wait:
                on_wait()
            state = self.run(dag_id, run_id)["state"]
            if state in TERMINAL_RUN_STATES:
                return state
            time.sleep(2)
        raise StackFailure(
            f"{dag_id}/{run_id} still {state} after {timeout:.0f} s\n{self.system.explain(dag_id, run_id)}"
        )

    def expect_success(self, dag_id: str, run_id: str, timeout: float = 600,
                       on_wait: Callable[[], None] | None = None) -> None:
        state = self.wait_run(dag_id, run_id, timeout, on_wait)
        if state != "success":
            raise StackFailure(f"{dag_id}/{run_id} ended {state}\n{self.system.explain(dag_id, run_id)}")


# --------------------------------------------------------------------------- SP2LO


def sp2lo_conf(tag: str, *, category: str = "anak") -> dict[str, Any]:
    """Typed Params of an admin-triggered SP2LO run; the requester's address is unique per tag."""
    return {
        "case_number": None,
        "nomor_surat": f"B/{tag}/XI/2026/Reskrim",
        "tanggal_surat": "2026-11-27",
        "instansi": "penyidik",
        "nama_instansi": "Polresta Jambi",
        "nama_pemohon": "Budi Santoso",
        "email_pemohon": f"pemohon-{tag}@polri.example",
        "nama_klien": f"Klien {tag}",
        "kategori": category,
        "jenis_litmas": "sidang_anak" if category == "anak" else "lainnya",
        "diterima_pada": None,
    }


def selected_choice(field: str) -> Callable[[Any, str], dict[str, str]]:
    """An answer picking the prefilled choice of ``field`` on the page (else the first one)."""

    def answer(_message: Any, page: str) -> dict[str, str]:
        select = re.search(rf'<select name="{field}"[^>]*>(.*?)</select>', page, re.S)
        if select:
            options = re.findall(r'<option value="([^"]+)"( selected)?', select.group(1))
        else:
            options = re.findall(rf'name="{field}" value="([^"]+)"\s*( checked)?', page)
        if not options:
            raise AssertionError(f"no choices for {field} on the form page")
        chosen = next((value for value, flag in options if flag), options[0][0])
        return {field: chosen}

    return answer


DISPOSITION = "Disposisi permintaan Litmas"


def sp2lo_answers(case_number: str, *, trip: bool = True) -> dict[str, Any]:
    """Answers to every SP2LO form of one case, keyed by the email subject without its prefix
    (so that a responder never answers the emails of another run in the same mailbox)."""
    answers: dict[str, Any] = {
        DISPOSITION: {"seksi": "bka", "catatan": "Segera ditindaklanjuti"},
        "Penunjukan PK untuk Litmas": selected_choice("pk_nip"),
        "Laporan penyelesaian Litmas": {
            "nomor_laporan": "W5.PAS.PK-01/2026", "tanggal_selesai": "2026-11-28",
            "ringkasan": "Klien kooperatif; direkomendasikan diversi.",
            "perjalanan_dinas": "ya" if trip else "tidak",
            **({"tujuan": "Kabupaten Muaro Jambi", "tanggal_berangkat": "2026-11-25",
                "tanggal_kembali": "2026-11-26"} if trip else {}),
        },
        "Rekomendasi hasil Litmas": {"keputusan": "setuju"},
    }
    if trip:
        answers.update({
            "Pengajuan SPPD Litmas": {"nomor_spt": "SPT-77/2026", "jumlah_diajukan": "750000",
                                      "rincian": "Transport dan uang harian"},
            "Pencairan SPPD Litmas": {"tanggal_pencairan": "2026-11-28", "jumlah_dicairkan": "750000",
                                      "nomor_bukti": "BK-12"},
            "Pertanggungjawaban perjalanan dinas Litmas": {"tanggal_serah": "2026-11-28",
                                                          "tautan_bukti": "https://drive.example/bukti-77"},
        })
    return {f"{stem} {case_number}": answer for stem, answer in answers.items()}


def wait_case(system: SystemStack, dag_id: str, run_id: str, timeout: float = 300) -> str:
    """The case number of a run, once its first task has registered the case."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        system.check_alive()
        try:
            return case_of_run(dag_id, run_id)
        except StackFailure:
            if system.api.run(dag_id, run_id)["state"] in TERMINAL_RUN_STATES:
                break
            time.sleep(1)
    raise StackFailure(f"{dag_id}/{run_id} registered no case within {timeout:.0f} s\n{system.explain(dag_id, run_id)}")


def case_of_run(dag_id: str, run_id: str) -> str:
    from bapas_sop.sops.sp2lo.service import case_for_run

    case = case_for_run(dag_id, run_id)
    if case is None:
        raise StackFailure(f"no Litmas case recorded for {dag_id}/{run_id}")
    return case.case_number


def outbox_rows(dag_id: str, run_id: str) -> list[Any]:
    from sqlalchemy import select

    from bapas_sop.store.db import session_scope
    from bapas_sop.store.models import OutboxMessage

    with session_scope() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.key.like(f"{dag_id}/{run_id}/%")).order_by(OutboxMessage.id)
        ).all()
        session.expunge_all()
    return list(rows)


def assert_each_email_once(system: SystemStack, dag_id: str, run_id: str) -> list[Any]:
    """Every outbox row of the run is sent, and its message is in the maildir exactly once."""
    rows = outbox_rows(dag_id, run_id)
    assert rows, f"no outbox rows for {dag_id}/{run_id}"
    not_sent = [(r.key, r.status, r.last_error) for r in rows if r.status != "sent"]
    assert not not_sent, f"outbox rows not sent: {not_sent}"
    delivered = Counter(m.message_id for m in system.inbox())
    counts = {r.key: delivered.get(r.message_id, 0) for r in rows}
    wrong = {key: n for key, n in counts.items() if n != 1}
    assert not wrong, f"emails not delivered exactly once (key: copies in the maildir): {wrong}"
    return rows


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def free_ports(n: int) -> list[int]:
    ports: set[int] = set()
    while len(ports) < n:
        ports.add(free_port())
    return sorted(ports)

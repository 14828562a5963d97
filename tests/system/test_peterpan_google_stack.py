"""Peterpan on Google Forms as real processes: API server, scheduler, DAG processor,
triggerer, LocalExecutor, with the local fake of Google in this test process.

The survey is triggered over the REST API like an admin would, with ``formulir=google`` and a
closing time 105 s away. The stack reads the form every 30 s (an office config with
``[google] forms_poll_seconds = 30``), deferring on a ``DateTimeTrigger`` between reads.
Half of the voters vote on the fake Google as their ballot emails arrive; once the collecting
task has read the form and deferred, Google fails (503) for the next whole read and the other
half vote meanwhile; four never answer. The collecting task must ride out the outage deferred
(never failed, never retried), the votes given during the outage must be counted by the next
read while the survey is still open, the silent ballots expire when the form is closed, and
the rest of the run (certificate, photo, gift) ends in success with the forms answered over
HTTP.

The DAG's own scheduled run (the quarter just ended, created when the DAG is unpaused) is
failed at once: with ``max_active_runs=1`` it would hold the admin's run back; hence
``ulangi`` in the admin's conf. The other DAGs stay paused (two cores).
"""

from __future__ import annotations

import re
import sys
import threading
import time
import tomllib
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from bapas_sop.devstack import StackConfig, free_port
from bapas_sop.settings import DEFAULT_CONFIG
from systemstack import PROJECT, Api, StackFailure, SystemStack

from tests.support.fake_google import FakeGoogle, connection_json  # noqa: E402

pytestmark = [pytest.mark.system, pytest.mark.timeout(900)]

DAG = "peterpan"
COLLECTOR = "pengisian_survei.kumpulkan_jawaban_google"
BALLOT = "pengisian_survei.tunggu_suara"
CLOSES_IN = timedelta(seconds=105)
#: The operator never defers for less than 30 s (``min_deferral``): a deferral of a few seconds
#: met apache/airflow#72716 on this stack (the executor's success
#: event of the deferring attempt is drained after the resumed attempt is running: "state
#: mismatch", the task goes up_for_retry and its running attempt gets 404 on its next defer).
POLL_SECONDS = 30
RESPONSES_LIST = "forms.forms.responses.list"
#: With ``num_retries: 1`` each read makes two calls of responses.list: one whole read fails.
OUTAGE_CALLS = 2

# The office (the demo staff table), as in tests/scenarios.
KABAPAS = "197408121999031002"
KASUBSI_BKA = "198004152005022001"
KASUBSI_BKD = "197811032003121002"
RINA = "198607212010122003"
DEDI = "198903052014031001"
PUTRI = "199209182017122004"
RIZKI = "199501272019061003"
BAMBANG = "198409092009121001"
SITI = "199005022015032005"
FAJAR = "199602112020011002"
DEWI = "198203302006042001"
AGUS = "198808202012121003"
INDRA = "198301172008011004"
MAYA = "199407062018122002"
HASAN = "197912252005011003"
LESTARI = "199304042017122006"
# Yuliana (on leave) gets no ballot.

#: Voting as the ballot emails arrive.
FIRST: dict[str, str] = {KABAPAS: RINA, KASUBSI_BKA: RINA, DEDI: RINA, RINA: DEDI, KASUBSI_BKD: DEDI, DEWI: MAYA}
#: Voting while Google fails.
DURING_OUTAGE: dict[str, str] = {PUTRI: RINA, RIZKI: RINA, BAMBANG: RINA, SITI: DEDI, FAJAR: DEDI, AGUS: MAYA}
SILENT = {INDRA, MAYA, HASAN, LESTARI}
VOTERS = set(FIRST) | set(DURING_OUTAGE) | SILENT

CHOICE_TITLE = "Pegawai yang Anda pilih"
REASON_TITLE = "Alasan Anda memilihnya"
BALLOT_SUBJECT = "Survei Peterpan Triwulan III 2026"


# --------------------------------------------------------------------------- fixtures


def office_config(path: Path) -> Path:
    """The office configuration with the Google Form read every ``POLL_SECONDS``."""
    text = DEFAULT_CONFIG.read_text()
    google = tomllib.loads(text).get("google")
    if google is None:
        text += f"\n[google]\nforms_poll_seconds = {POLL_SECONDS}\n"
    elif "forms_poll_seconds" in google:
        text = re.sub(r"(?m)^(\s*forms_poll_seconds\s*=\s*)\S+", rf"\g<1>{POLL_SECONDS}", text)
    else:
        text = re.sub(r"(?m)^\[google\][^\n]*$", f"[google]\nforms_poll_seconds = {POLL_SECONDS}", text, count=1)
    assert tomllib.loads(text)["google"]["forms_poll_seconds"] == POLL_SECONDS
    path.write_text(text)
    return path


def service_account_key(fake: FakeGoogle) -> dict[str, str]:
    """A service-account key (what docs/google.md sets up) whose token endpoint is the fake."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    return {
        "type": "service_account", "project_id": "bapas-jambi", "private_key_id": "k1", "private_key": pem,
        "client_email": "sop-bot@bapas-jambi.iam.gserviceaccount.com", "client_id": "1",
        "token_uri": fake.token_uri,
    }


@pytest.fixture(scope="module")
def fake_google() -> Iterator[FakeGoogle]:
    with FakeGoogle(require_auth=True) as server:
        yield server


@pytest.fixture(scope="module")
def google_stack(tmp_path_factory: pytest.TempPathFactory, fake_google: FakeGoogle) -> Iterator[SystemStack]:
    """The embedded default (LocalExecutor, SQLite) connected to the fake Google."""
    home: Path = tmp_path_factory.mktemp("google-stack")
    connection = connection_json({"keyfile_dict": service_account_key(fake_google), "endpoint": fake_google.url,
                                  "num_retries": 1})
    config = StackConfig(home=home, api_port=free_port(), smtp_port=free_port(), parallelism=4, extra_env={
        # Only the DAG under test runs (api.wait_dag unpauses it): the others' scheduled runs
        # would compete for the two cores while the survey is open.
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW_CONN_GOOGLE_DEFAULT": connection,
        "BAPAS_CONFIG": str(office_config(home / "bapas.toml")),
    })
    with SystemStack.running(config) as system:
        print(f"google stack ready in {system.startup_seconds:.0f} s at {system.base_url} ({home})", flush=True)
        yield system


# --------------------------------------------------------------------------- helpers


class StateWatcher:
    """Samples the collecting task over the REST API (its own client) and keeps every change."""

    def __init__(self, system: SystemStack, run_id: str, interval: float = 0.5):
        self.api = Api(system)
        self.run_id = run_id
        self.interval = interval
        self.changes: list[tuple[float, str | None, int]] = []
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="state-watcher", daemon=True)

    def __enter__(self) -> StateWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        self._sample()  # the state the test waited for, even if it came between two samples

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def _sample(self) -> None:
        try:
            ti = self.api.task_instance(DAG, self.run_id, COLLECTOR)
        except StackFailure:  # not created yet
            return
        except Exception as exc:  # noqa: BLE001 - surfaced by the test
            self.errors.append(exc)
            return
        change = (round(time.monotonic() - self._started, 1), ti["state"], ti["try_number"])
        if not self.changes or self.changes[-1][1:] != change[1:]:
            self.changes.append(change)

    def states(self) -> list[str | None]:
        return [state for _t, state, _try in self.changes]

    def deferrals(self) -> int:
        return sum(1 for state in self.states() if state == "deferred")


def _nip_of(email: str) -> str:
    from bapas_sop.directory import get_directory

    return get_directory().by_email(email).nip


def _label(nip: str) -> str:
    from bapas_sop.directory import get_directory
    from bapas_sop.sops.peterpan.rules import candidate_option

    return candidate_option(get_directory().get(nip))["label"]


def _token(link: str) -> str:
    return next(v[0] for k, v in parse_qs(urlsplit(link).query).items() if k.startswith("entry."))


def ballot_requests(run_id: str) -> dict[str, Any]:
    """The run's ballots (form requests of ``pengisian_survei``) by voter, with their responses."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from bapas_sop.store.db import session_scope
    from bapas_sop.store.models import FormRequest

    with session_scope() as session:
        rows = session.scalars(
            select(FormRequest).where(FormRequest.run_id == run_id, FormRequest.key.contains("/pengisian_survei/"))
            .options(selectinload(FormRequest.responses))
        ).all()
        session.expunge_all()
    return {r.key.rsplit("/", 1)[-1]: r for r in rows}


def audit_events(run_id: str) -> list[Any]:
    from sqlalchemy import select

    from bapas_sop.store.db import session_scope
    from bapas_sop.store.models import AuditEvent

    with session_scope() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.run_id == run_id).order_by(AuditEvent.id)).all()
        session.expunge_all()
    return list(events)


def _events_by_subject(subject: str) -> list[Any]:
    from sqlalchemy import select

    from bapas_sop.store.db import session_scope
    from bapas_sop.store.models import AuditEvent

    with session_scope() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.subject == subject).order_by(AuditEvent.id)).all()
        session.expunge_all()
    return list(events)


def today_wib() -> str:
    from bapas_sop.calendar import wib_date
    from bapas_sop.store.models import utcnow

    return wib_date(utcnow()).isoformat()


def stop_scheduled_run(system: SystemStack, timeout: float = 30) -> str | None:
    """Unpause the DAG and fail the run the scheduler then creates for the quarter just ended
    (``catchup=False`` still creates the latest one): with ``max_active_runs=1`` it would hold
    the admin's run back for days, and it surveys the same quarter on the built-in forms."""
    api = system.api
    api.wait_dag(DAG)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = api.get(f"/dags/{DAG}/dagRuns")["dag_runs"]
        scheduled = [r for r in runs if r["run_type"] == "scheduled"]
        if scheduled:
            for run in scheduled:
                if run["state"] not in ("success", "failed"):
                    api.request("PATCH", f"/dags/{DAG}/dagRuns/{run['dag_run_id']}", json={"state": "failed"})
            return scheduled[0]["dag_run_id"]
        time.sleep(0.5)
    return None


def wait_for(what: str, check, system: SystemStack, run_id: str, timeout: float, interval: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        system.check_alive()
        result = check()
        if result:
            return result
        time.sleep(interval)
    raise StackFailure(f"{what}: not within {timeout:.0f} s\n{system.explain(DAG, run_id)}")


# --------------------------------------------------------------------------- the test


def test_a_quarter_voted_on_google_forms_rides_out_a_google_outage(
    google_stack: SystemStack, fake_google: FakeGoogle
) -> None:
    system, fake, api = google_stack, fake_google, google_stack.api
    scheduled_run = stop_scheduled_run(system)
    started = time.monotonic()

    links: dict[str, str] = {}
    other_ballots: list[str] = []  # of the scheduled run, on the built-in forms, if it got that far
    submitted: dict[str, str] = {}  # voter -> response id
    lock = threading.Lock()

    def vote(voter: str, choice: str) -> None:
        from bapas_sop.google.forms import TOKEN_TITLE
        from bapas_sop.store.models import utcnow

        [form_id] = fake.forms
        answers = {CHOICE_TITLE: _label(choice), TOKEN_TITLE: _token(links[voter]),
                   REASON_TITLE: f"Teladan ({voter[-3:]})."}
        submitted[voter] = fake.submit(form_id, answers, at=utcnow())

    def on_ballot(message: Any, page: str | None) -> None:
        """A voter opens their ballot email: those of FIRST vote at once on Google."""
        google = [link for link in message.links if link.startswith("https://docs.google.com/forms/")]
        if not google:
            other_ballots.append(message.to[0])
            return None
        assert page is None, "a Google ballot must not link to our own form page"
        [link] = google
        voter = _nip_of(message.to[0])
        with lock:
            if voter in links:  # a reminder
                assert links[voter] == link, f"{voter}: the reminder carries another link"
                return None
            links[voter] = link
            if voter in FIRST:
                vote(voter, FIRST[voter])
        return None

    answers = {
        BALLOT_SUBJECT: on_ballot,
        "Persetujuan sertifikat": {"keputusan": "setuju", "kutipan": "Atas keteladanan selama Triwulan III 2026."},
        "Kirim foto": {"tautan_foto": "https://drive.example/peterpan/rina.jpg"},
        "Cetak sertifikat": {"sertifikat_dicetak": "ya", "bingkisan": "Plakat", "tanggal_penyerahan": today_wib()},
    }
    closes_at = datetime.now(timezone.utc) + CLOSES_IN
    # ulangi: the stopped scheduled run may have created the survey of this quarter already.
    conf = {"triwulan": "2026-Q3", "formulir": "google", "ditutup_pada": closes_at.isoformat(), "ulangi": True}
    with system.responder(answers) as responder:
        run_id = api.trigger(DAG, conf)

        def check_responder() -> None:
            if responder.errors:
                raise StackFailure(f"the responder failed: {responder.errors[0]!r}\n{system.explain(DAG, run_id)}")

        with StateWatcher(system, run_id) as watcher:
            # --- the ballots go out; the first half votes; the collector reads them -------------
            wait_for("every voter's ballot email", lambda: (check_responder(), set(links) >= VOTERS)[1],
                     system, run_id, timeout=180)
            assert set(links) == VOTERS, sorted(set(links) - VOTERS)
            assert len(set(links.values())) == len(VOTERS) and all("usp=pp_url" in v for v in links.values())

            wait_for("the first voters' votes on Google", lambda: set(submitted) >= set(FIRST),
                     system, run_id, timeout=60, interval=0.2)
            wait_for("the collector deferred after its first read", lambda: watcher.deferrals() >= 1,
                     system, run_id, timeout=120, interval=0.2)
            first_read_done = time.monotonic() - started

            # --- Google fails for the next read; the other half votes meanwhile -----------------
            assert datetime.now(timezone.utc) < closes_at - timedelta(seconds=2 * POLL_SECONDS + 10), (
                f"too late for the outage: the collector first deferred {first_read_done:.0f} s after the trigger")
            before = len(fake.calls(RESPONSES_LIST))
            fake.fail_next(OUTAGE_CALLS, 503, operation=RESPONSES_LIST)
            with lock:
                for voter, choice in DURING_OUTAGE.items():
                    vote(voter, choice)
            outage_started = time.monotonic()

            def outage_over() -> bool:
                return sum(1 for c in fake.calls(RESPONSES_LIST)[before:] if c.status == 503) >= OUTAGE_CALLS

            wait_for("a read failing on the outage", outage_over, system, run_id, timeout=POLL_SECONDS + 60)
            outage_seconds = time.monotonic() - outage_started
            # The failed read is only logged: the task defers again, no retry.
            wait_for("the collector deferred again after the failed read", lambda: watcher.deferrals() >= 2,
                     system, run_id, timeout=60, interval=0.2)
            collector = api.task_instance(DAG, run_id, COLLECTOR)
            assert (collector["state"], collector["try_number"]) == ("deferred", 1), collector

            # --- the votes given during the outage are counted by the next read, still open ------
            def all_counted() -> bool:
                check_responder()
                ballots = ballot_requests(run_id)
                return all(ballots[v].status == "answered" for v in {**FIRST, **DURING_OUTAGE})

            wait_for("the votes given during the outage counted", all_counted, system, run_id,
                     timeout=CLOSES_IN.total_seconds() + 120)
            counted_before_closing = datetime.now(timezone.utc) < closes_at
            api.wait_task_state(DAG, run_id, COLLECTOR, {"success"}, timeout=180)
            survey_closed = time.monotonic() - started

        api.expect_success(DAG, run_id, timeout=480, on_wait=check_responder)
    elapsed = time.monotonic() - started
    assert not watcher.errors, watcher.errors

    # --- the collecting task: deferred between reads, never failed or retried --------------------
    states = watcher.states()
    assert "deferred" in states and states[-1] == "success", watcher.changes
    assert not {"failed", "up_for_retry", "up_for_reschedule"} & set(states), watcher.changes
    assert counted_before_closing, "the votes given during the outage waited for the last read"
    collector = api.task_instance(DAG, run_id, COLLECTOR)
    assert (collector["state"], collector["try_number"]) == ("success", 1), collector
    tries = api.get(f"/dags/{DAG}/dagRuns/{run_id}/taskInstances/{COLLECTOR}/tries")["task_instances"]
    assert [t["state"] for t in tries] == ["success"], tries
    log_text = "\n".join(p.read_text(errors="replace") for p in (
        system.stack.config.airflow_home / "logs" / f"dag_id={DAG}" / f"run_id={run_id}" / f"task_id={COLLECTOR}"
    ).glob("**/attempt=*.log"))
    assert "failed; trying again at the next read" in log_text, log_text[-3000:]

    # --- no ballot sensor failed ------------------------------------------------------------------
    sensors = [ti for ti in api.task_instances(DAG, run_id) if ti["task_id"] == BALLOT]
    assert len(sensors) == len(VOTERS), api.describe_run(DAG, run_id)
    assert {(ti["state"], ti["try_number"]) for ti in sensors} == {("success", 1)}, api.describe_run(DAG, run_id)
    assert set(api.states(DAG, run_id).values()) <= {"success", "skipped"}, api.describe_run(DAG, run_id)

    # --- Google: the outage happened, reads went on, the form was closed -------------------------
    reads = fake.calls(RESPONSES_LIST)
    failed_reads = [i for i, r in enumerate(reads) if r.status == 503]
    assert len(failed_reads) == OUTAGE_CALLS, [r.status for r in reads]
    assert reads[-1].status == 200 and reads[-1].param("filter") is None, "the last read, after closing, reads all"
    between = reads[failed_reads[-1] + 1:-1]
    assert any(r.status == 200 for r in between), "no read while open after the outage"
    publishes = [c.body["publishSettings"]["publishState"] for c in fake.calls("forms.forms.setPublishSettings")]
    assert publishes[0] == {"isPublished": True, "isAcceptingResponses": True}, publishes
    assert publishes[-1] == {"isPublished": True, "isAcceptingResponses": False}, publishes
    [form_id] = fake.forms
    assert fake.forms[form_id]["publishSettings"]["publishState"]["isAcceptingResponses"] is False

    # --- every vote counted from Google, the silent ballots expired ------------------------------
    ballots = ballot_requests(run_id)
    assert set(ballots) == VOTERS
    assert {v for v, r in ballots.items() if r.status == "expired"} == SILENT, {v: r.status for v, r in ballots.items()}
    for voter, response_id in submitted.items():
        request = ballots[voter]
        assert request.status == "answered", (voter, request.status)
        latest = request.latest_response
        assert latest.link_id == f"google:{response_id}", (voter, latest.link_id)
        assert latest.data["pilihan"] == {**FIRST, **DURING_OUTAGE}[voter], (voter, latest.data)

    events = audit_events(run_id)
    [tally] = [e for e in events if e.action == "peterpan_tally"]
    counts = {c["nip"]: c["votes"] for c in tally.detail["counts"]}
    assert tally.detail["status"] == "winner" and tally.detail["top"] == [RINA], tally.detail
    assert (counts[RINA], counts[DEDI], counts[MAYA]) == (6, 4, 2), counts
    assert (tally.detail["voted"], tally.detail["voters"]) == (12, 16), tally.detail
    assert tally.detail["rejected"] == [], tally.detail
    closed = [e for e in _events_by_subject("peterpan/2026-Q3") if e.action == "google_form_closed"]
    assert len(closed) == 1 and closed[0].detail["counted"] == 12 and closed[0].detail["expired"] == 4, \
        [e.detail for e in closed]

    # --- the rest of the run: the built-in forms were answered over HTTP --------------------------
    asked = sorted(subject for subject, _to, _data in responder.answered)
    assert len(asked) == 3 and all(any(k in s for s in asked) for k in
                                   ("Persetujuan sertifikat", "Kirim foto", "Cetak sertifikat")), asked

    print(f"peterpan on Google: first read and deferral {first_read_done:.0f} s after the trigger; outage of "
          f"{OUTAGE_CALLS} calls over {outage_seconds:.0f} s; outage votes counted "
          f"{'before' if counted_before_closing else 'at'} closing; survey closed at {survey_closed:.0f} s; "
          f"run success in {elapsed:.0f} s; collector states {watcher.changes}; scheduled run {scheduled_run} "
          f"stopped ({len(other_ballots)} of its ballots seen)", flush=True)


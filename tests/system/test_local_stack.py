"""The embedded default as real processes: API server (with the forms app), scheduler, DAG
processor, triggerer, LocalExecutor on SQLite, and the local SMTP server.

SP2LO is triggered over the REST API like an admin would, every form is answered over HTTP
through the emailed links (the responder), and the run is watched over the REST API. The
faults: no triggerer at all while people answer, the API server gone between an answer and the
resume of its task, and the mail server down when the emails go out.
"""

from __future__ import annotations

import json
import os
import signal
import time

import httpx
import pytest

from bapas_sop.devstack import PROCESS_STATUS_FILE

from systemstack import (
    DISPOSITION,
    StackFailure,
    SystemStack,
    assert_each_email_once,
    case_of_run,
    outbox_rows,
    sp2lo_answers,
    sp2lo_conf,
    wait_case,
)

pytestmark = [pytest.mark.system, pytest.mark.timeout(1500)]

DAG = "sp2lo"
DISPOSITION_WAIT = "kabapas_disposisi.tunggu_jawaban"



def _fail_on_responder_errors(responder):
    def check() -> None:
        if responder.errors:
            raise StackFailure(f"the responder failed: {responder.errors[0]!r}")

    return check


def test_sp2lo_triggered_over_rest_and_answered_over_http(local_stack: SystemStack) -> None:
    api = local_stack.api
    api.wait_dag(DAG)
    started = time.monotonic()
    conf = sp2lo_conf("sys1")
    run_id = api.trigger(DAG, conf)
    case_number = wait_case(local_stack, DAG, run_id)

    answers = sp2lo_answers(case_number, trip=True)
    held_key = f"{DISPOSITION} {case_number}"
    held = answers.pop(held_key)  # the Kepala Bapas "thinks" until we have looked at the waiting step
    with local_stack.responder(answers) as responder:
        api.wait_task_state(DAG, run_id, DISPOSITION_WAIT, {"awaiting_input"}, timeout=300)

        # --- a waiting human step holds no worker slot and no trigger ----------------------
        # The sensor parks in awaiting_input: not running, not deferred to a trigger. Other DAGs
        # (the sweeps) may run a task now and then, so the global count is sampled until it is
        # quiet; this run must show no running task in any sample.
        quiet = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            mine = api.task_instances(DAG, run_id)
            running_here = [ti["task_id"] for ti in mine if ti["state"] == "running"]
            assert not running_here, f"tasks of the run hold a worker while a person decides: {running_here}"
            sensor = next(ti for ti in mine if ti["task_id"] == DISPOSITION_WAIT)
            assert sensor["state"] == "awaiting_input", f"the waiting step is {sensor['state']}, not awaiting input"
            running_anywhere = api.count_task_instances(state="running")
            pool = api.get("/pools/default_pool")
            if running_anywhere == 0 and pool["running_slots"] == 0:
                quiet = pool
                break
            time.sleep(2)
        assert quiet is not None, (
            "some task instance kept running for 2 minutes while the step waited: "
            f"{[(ti['dag_id'], ti['task_id']) for ti in api.task_instances(state='running')]}"
        )
        assert api.count_task_instances(state="deferred") == 0  # no trigger stands in for the person
        waiting = api.task_instances(state="awaiting_input")
        assert DISPOSITION_WAIT in {ti["task_id"] for ti in waiting}

        answers[held_key] = held
        api.expect_success(DAG, run_id, timeout=900, on_wait=_fail_on_responder_errors(responder))
    elapsed = time.monotonic() - started

    states = api.states(DAG, run_id)
    assert set(states.values()) == {"success"}, states  # the SPPD branch ran too (a trip was made)
    asked = [subject for subject, _to, _data in responder.answered]
    assert len(asked) == 7, asked

    requester = conf["email_pemohon"]
    to_requester = [m.subject for m in local_stack.inbox() if requester in m.to]
    assert f"Tanda terima permintaan Litmas {case_number}" in to_requester, to_requester
    assert f"Litmas {case_number} telah selesai" in to_requester, to_requester
    rows = assert_each_email_once(local_stack, DAG, run_id)
    print(f"SP2LO run {run_id}: success in {elapsed:.0f} s, {len(rows)} emails, each delivered once")


def test_without_a_triggerer_human_steps_still_resume_and_the_run_completes(local_stack: SystemStack) -> None:
    """A waiting human step needs no triggerer: the answer on the form page resumes its task."""
    api = local_stack.api
    api.wait_dag(DAG)
    run_id = api.trigger(DAG, sp2lo_conf("sys2"))
    case_number = wait_case(local_stack, DAG, run_id)
    local_stack.stop_component("triggerer")
    try:
        with local_stack.responder(sp2lo_answers(case_number, trip=False)) as responder:
            api.expect_success(DAG, run_id, timeout=900, on_wait=_fail_on_responder_errors(responder))
        assert len(responder.answered) == 4, responder.answered  # disposition, PK, report, recommendation
    finally:
        local_stack.start_component("triggerer")

    from bapas_sop.sops.sp2lo.service import get_case

    assert get_case(case_number).section == "bka"
    assert_each_email_once(local_stack, DAG, run_id)


def test_an_answer_stored_while_the_api_server_is_down_resumes_its_task_after_the_restart(local_stack: SystemStack) -> None:
    """The API server dies right after an answer is stored and before it resumes the task: the
    answer and its wake-up are in the project's database, and the restarted server's reconciler
    resumes the task. The follow-up email of that answer goes out once."""
    from bapas_sop import humantask

    from tests.support.forms import form_links

    api = local_stack.api
    api.wait_dag(DAG)
    run_id = api.trigger(DAG, sp2lo_conf("sys4"))
    case_number = wait_case(local_stack, DAG, run_id)
    api.wait_task_state(DAG, run_id, DISPOSITION_WAIT, {"awaiting_input"}, timeout=300)
    invite = next(m for m in local_stack.inbox() if f"{DISPOSITION} {case_number}" in m.subject)
    token = form_links(invite)[0].rsplit("/", 1)[-1]

    local_stack.stop_component("api-server", signal.SIGKILL)
    try:
        # What the form page did before the server died: the answer is stored, nothing resumed.
        with local_stack.project_env():
            result = humantask.submit(token, sp2lo_answers(case_number)[f"{DISPOSITION} {case_number}"])
        assert result.status == "saved", result.status
        time.sleep(10)
    finally:
        local_stack.start_component("api-server")
    # The sensor is still parked until the restarted server's reconciler resumes it.
    api.wait_task_state(DAG, run_id, DISPOSITION_WAIT, {"success"}, timeout=300)
    answers = sp2lo_answers(case_number, trip=False)
    answers.pop(f"{DISPOSITION} {case_number}")
    with local_stack.responder(answers) as responder:
        api.expect_success(DAG, run_id, timeout=900, on_wait=_fail_on_responder_errors(responder))

    rows = assert_each_email_once(local_stack, DAG, run_id)
    # The disposition's follow-up (the Kasubsi is asked to appoint a PK) went out once.
    follow_ups = [r.key for r in rows if "/kasubsi_menunjuk_pk/invite/" in r.key]
    assert len(follow_ups) == 1, [r.key for r in rows]


def test_email_queued_while_the_mail_server_is_down_is_sent_once_by_the_sweep(local_stack: SystemStack) -> None:
    api = local_stack.api
    api.wait_dag(DAG)
    api.wait_dag("langkah_manusia")
    local_stack.stop_component("smtp")
    try:
        run_id = api.trigger(DAG, sp2lo_conf("sys3"))
        # The run goes on without mail: the case is registered and the first step is open.
        api.wait_task_state(DAG, run_id, DISPOSITION_WAIT, {"awaiting_input"}, timeout=300)
        rows = outbox_rows(DAG, run_id)
        keys = [r.key for r in rows]
        assert any("/tanda_terima/" in k for k in keys), keys  # the acknowledgement to the requester
        assert any("/kabapas_disposisi/invite/" in k for k in keys), keys  # the form to the Kepala Bapas
        assert {r.status for r in rows} == {"queued"}, [(r.key, r.status, r.last_error) for r in rows]
        assert all(r.attempts >= 1 and r.last_error for r in rows), [(r.key, r.attempts, r.last_error) for r in rows]
        ids = {r.message_id for r in rows}
        assert not [m for m in local_stack.inbox() if m.message_id in ids]
    finally:
        local_stack.start_component("smtp")

    sweep = api.trigger("langkah_manusia")
    api.expect_success("langkah_manusia", sweep, timeout=600)
    assert_each_email_once(local_stack, DAG, run_id)

    with local_stack.responder(sp2lo_answers(case_of_run(DAG, run_id), trip=False)) as responder:
        api.expect_success(DAG, run_id, timeout=900, on_wait=_fail_on_responder_errors(responder))
    # A second sweep finds nothing to send again.
    again = api.trigger("langkah_manusia")
    api.expect_success("langkah_manusia", again, timeout=600)
    assert_each_email_once(local_stack, DAG, run_id)


def test_a_killed_triggerer_is_restarted_while_the_forms_stay_up(local_stack: SystemStack) -> None:
    """The triggerer dying (of "database is locked", or killed) no longer takes the system down:
    the launcher's supervisor (what ``scripts/start`` runs; started here on the test's stack)
    starts it again and records it in the status file behind "Proses sistem"."""
    stack = local_stack.stack
    status_file = stack.config.var_dir / PROCESS_STATUS_FILE

    def triggerer_row() -> dict | None:
        try:
            rows = json.loads(status_file.read_text())["processes"]
        except (OSError, ValueError):
            return None
        return next((row for row in rows if row["name"] == "triggerer"), None)

    supervisor = stack.supervise()
    try:
        old = stack.processes["triggerer"]
        deadline = time.monotonic() + 30
        while not ((row := triggerer_row()) and row["pid"] == old.pid and row["running"]):
            assert time.monotonic() < deadline, "the supervisor wrote no status of the running triggerer"
            time.sleep(0.5)
        api_pid = stack.processes["api-server"].pid

        os.killpg(old.pid, signal.SIGKILL)  # the triggerer and what runs in its group, as the cleanup does
        health_checks = 0
        deadline = time.monotonic() + 60
        while True:
            response = httpx.get(f"{local_stack.base_url}/bapas/health", timeout=30)
            assert response.status_code == 200, f"/bapas/health answered {response.status_code} without a triggerer"
            health_checks += 1
            row = triggerer_row()
            if row and row["pid"] != old.pid and row["running"]:
                break
            assert time.monotonic() < deadline, f"no new triggerer within 60 s: {row}\n{local_stack.log_tails(['triggerer', 'devstack'])}"
            time.sleep(1)
        assert row["restarts"] == 1 and row["last_exit_code"] == -signal.SIGKILL, row
        assert row["last_restart_at"], row

        # The new triggerer stays up (nothing left of the old one holds its log server's port).
        new_pid = row["pid"]
        time.sleep(20)
        row = triggerer_row()
        assert row["pid"] == new_pid and row["running"] and row["restarts"] == 1, \
            f"{row}\n{local_stack.log_tails(['triggerer', 'devstack'])}"
        assert stack.processes["api-server"].pid == api_pid  # only the dead process was restarted
        assert httpx.get(f"{local_stack.base_url}/bapas/health", timeout=30).status_code == 200
        print(f"triggerer restarted as pid {new_pid}; /bapas/health answered {health_checks} times meanwhile")
    finally:
        supervisor.stop()
    local_stack.check_alive()

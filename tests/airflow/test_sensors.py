"""FormResponseSensor: a waiting step parks in awaiting_input with its expiry as the timeout,
is resumed with the request key only, and reads what happened from the store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from airflow.sdk.exceptions import AirflowFailException, TaskAwaitingInput

from bapas_sop import humantask
from bapas_sop.airflow.sensors import BACKSTOP, TIMEOUT_GRACE, FormResponseSensor
from bapas_sop.humantask import RequestKey
from bapas_sop.policy import StepPolicy

RINA = "198607212010122003"
RUN = "manual__2026-01-05T01:00:00+00:00"
KEY = f"uji/{RUN}/foto"


@dataclass
class _TaskInstance:
    """What the sensor reads of its task instance: where it is parked."""

    dag_id: str = "uji"
    run_id: str = RUN
    task_id: str = "foto.tunggu_jawaban"
    map_index: int = -1


CONTEXT = {"ti": _TaskInstance()}


def _open(key: str = KEY, **policy: timedelta) -> humantask.OpenedRequest:
    return humantask.open_request(
        key=key, step="foto", form_name="peterpan_foto", title="Foto", assignee=f"nip:{RINA}",
        policy=StepPolicy.from_config(**policy), dag_id="uji", run_id=RUN,
    )


def _token(opened: humantask.OpenedRequest) -> str:
    return opened.url.rsplit("/", 1)[-1]


def test_the_default_backstop_is_sixty_days() -> None:
    sensor = FormResponseSensor(task_id="tunggu_jawaban", request_key=KEY)

    assert sensor.timeout == BACKSTOP.total_seconds() == timedelta(days=60).total_seconds()


def test_an_open_step_parks_the_task_until_its_expiry_and_records_where_it_waits(project, smtp_server) -> None:
    _open(expire_after=timedelta(days=2))
    request = humantask.poll(KEY)
    sensor = FormResponseSensor(task_id="tunggu_jawaban", request_key=KEY)

    with pytest.raises(TaskAwaitingInput) as parked:
        sensor.execute(CONTEXT)

    assert parked.value.method_name == "execute_complete"
    assert parked.value.kwargs == {"request_key": KEY}
    # Airflow's own timeout of the park is the step's expiry (plus a grace for our reconciler).
    left = datetime.fromisoformat(request["expires_at"]) - datetime.now(timezone.utc) + TIMEOUT_GRACE
    assert abs(parked.value.timeout - left) < timedelta(seconds=5)
    # The request knows which task instance to resume.
    assert humantask.waiting_key("uji", RUN, "foto.tunggu_jawaban", -1) == KEY


def test_an_answer_to_a_parked_step_leaves_one_wake_up_and_the_resumed_task_takes_it(project, smtp_server) -> None:
    opened = _open()
    sensor = FormResponseSensor(task_id="tunggu_jawaban", request_key=KEY)
    with pytest.raises(TaskAwaitingInput):
        sensor.execute(CONTEXT)

    assert humantask.submit(_token(opened), {"tautan_foto": "https://drive.example/f.jpg"}).status == "saved"
    wakes = humantask.due_wakes()
    assert [(w.key, w.task_id, w.map_index) for w in wakes] == [(KEY, "foto.tunggu_jawaban", -1)]

    # The resume event carries the key only; the answer comes from the store.
    outcome = sensor.execute_complete(CONTEXT, {"key": KEY})

    assert outcome["answer"]["tautan_foto"] == "https://drive.example/f.jpg" and outcome["answered_by"] == RINA
    assert humantask.due_wakes() == []  # taken: a second resume has nothing to do
    assert humantask.waiting_key("uji", RUN, "foto.tunggu_jawaban", -1) is None


def test_an_answer_before_the_task_parks_is_returned_at_once_and_leaves_no_wake_up(project, smtp_server) -> None:
    opened = _open()
    assert humantask.submit(_token(opened), {"tautan_foto": "https://drive.example/f.jpg"}).status == "saved"

    outcome = FormResponseSensor(task_id="tunggu_jawaban", request_key=KEY).execute(CONTEXT)

    assert outcome["status"] == "answered" and outcome["answer"]["tautan_foto"] == "https://drive.example/f.jpg"
    assert humantask.due_wakes() == []


def test_airflows_timeout_resume_applies_the_default_of_an_expired_step(project, smtp_server) -> None:
    import time_machine

    humantask.open_request(
        key=KEY, step="foto", form_name="peterpan_foto", title="Foto", assignee=f"nip:{RINA}", dag_id="uji", run_id=RUN,
        policy=StepPolicy.from_config(expire_after=timedelta(hours=1), default_answer={"tautan_foto": None}),
    )
    sensor = FormResponseSensor(task_id="tunggu_jawaban", request_key=KEY)
    with pytest.raises(TaskAwaitingInput):
        sensor.execute(CONTEXT)

    with time_machine.travel(datetime.now(timezone.utc) + timedelta(days=30)):
        # The scheduler's sweep resumes a timed-out park with an error event and the park's kwargs.
        outcome = sensor.execute_complete(CONTEXT, {"error": "timeout", "error_type": "timeout"}, request_key=KEY)

    assert outcome["status"] == "expired" and outcome["defaulted"] is True


def test_a_step_expired_without_default_fails_the_task_naming_the_step(project, smtp_server) -> None:
    import time_machine

    _open(expire_after=timedelta(hours=1))
    sensor = FormResponseSensor(task_id="tunggu_jawaban", request_key=KEY)
    with pytest.raises(TaskAwaitingInput):
        sensor.execute(CONTEXT)

    with time_machine.travel(datetime.now(timezone.utc) + timedelta(days=30)), pytest.raises(AirflowFailException) as failed:
        sensor.execute_complete(CONTEXT, {"error": "timeout", "error_type": "timeout"})  # kwargs lost: found by task

    assert KEY in str(failed.value)


def test_a_resume_while_the_step_is_still_open_parks_again(project, smtp_server) -> None:
    _open()
    sensor = FormResponseSensor(task_id="tunggu_jawaban", request_key=KEY)

    with pytest.raises(TaskAwaitingInput):
        sensor.execute_complete(CONTEXT, {"key": KEY})


@pytest.mark.parametrize(("key", "parts"), [
    ("sp2lo/manual__1/pk_melakukan_litmas", RequestKey("sp2lo", "manual__1", "pk_melakukan_litmas")),
    ("sp2lo/manual__1/pk_melakukan_litmas/r3", RequestKey("sp2lo", "manual__1", "pk_melakukan_litmas", round_no=3)),
    ("bus_mini/scheduled__2026-01-05T00:00:00+00:00/laporan_kegiatan/198607212010122003",
     RequestKey("bus_mini", "scheduled__2026-01-05T00:00:00+00:00", "laporan_kegiatan", subject="198607212010122003")),
    ("gaji_umr/manual__1/kontak_klien/KL-007/r2", RequestKey("gaji_umr", "manual__1", "kontak_klien", "KL-007", 2)),
])
def test_request_keys_read_back_into_the_parts_they_were_written_from(key: str, parts: RequestKey) -> None:
    assert RequestKey.parse(key) == parts
    assert str(parts) == key
    step = f"{parts.step}/{parts.subject}" if parts.subject else parts.step
    assert humantask.request_key(parts.dag_id, parts.run_id, step, parts.round_no) == key


@pytest.mark.parametrize("key", ["", "sp2lo/manual__1", "sp2lo//langkah"])
def test_a_text_that_is_no_request_key_is_refused(key: str) -> None:
    with pytest.raises(ValueError, match="not a form request key"):
        RequestKey.parse(key)


def test_a_mapped_sensor_names_its_index_after_the_requests_subject() -> None:
    sensor = FormResponseSensor(task_id="tunggu_laporan", request_key=f"bus_mini/run/laporan_kegiatan/{RINA}")

    assert sensor.request_subject == RINA

"""FormResponseSensor and the loop base: the backstop timeout holds, keys are read in one place."""

from __future__ import annotations

from datetime import timedelta

import pytest
from airflow.sdk.bases.operator import TRIGGER_FAIL_REPR, TriggerFailureReason
from airflow.sdk.exceptions import AirflowSensorTimeout, TaskDeferred

from bapas_sop import humantask
from bapas_sop.airflow.sensors import BACKSTOP, FormResponseSensor
from bapas_sop.humantask import RequestKey
from bapas_sop.policy import StepPolicy

RINA = "198607212010122003"
KEY = "uji/manual__2026-01-05T01:00:00+00:00/foto"


def _open(key: str = KEY) -> humantask.OpenedRequest:
    return humantask.open_request(
        key=key, step="foto", form_name="peterpan_foto", title="Foto", assignee=f"nip:{RINA}",
        policy=StepPolicy.from_config(), dag_id="uji", run_id="manual__2026-01-05T01:00:00+00:00",
    )


def test_a_sensor_started_from_the_trigger_carries_its_timeout_to_the_scheduler() -> None:
    sensor = FormResponseSensor(task_id="tunggu_jawaban", request_key=KEY, timeout=120)

    assert sensor.start_trigger_args.timeout == timedelta(seconds=120)
    assert sensor.start_trigger_args.trigger_kwargs == {"request_key": KEY, "poll_interval": 0.5}
    # The class attribute is every task's: one task's arguments must not leak into it.
    assert FormResponseSensor.start_trigger_args.timeout is None
    assert FormResponseSensor.start_trigger_args.trigger_kwargs == {}


def test_the_default_backstop_is_sixty_days() -> None:
    sensor = FormResponseSensor(task_id="tunggu_jawaban", request_key=KEY)

    assert sensor.timeout == BACKSTOP.total_seconds() == timedelta(days=60).total_seconds()
    assert sensor.start_trigger_args.timeout == BACKSTOP


def test_a_sensor_that_defers_from_a_worker_defers_with_its_timeout(project, smtp_server) -> None:
    _open()
    sensor = FormResponseSensor(task_id="tunggu_jawaban", request_key=KEY, start_from_trigger=False, timeout=90)

    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute({})

    assert deferred.value.timeout == timedelta(seconds=90)
    assert deferred.value.method_name == "execute_complete"
    assert deferred.value.trigger.serialize() == (
        "bapas_sop.airflow.triggers.FormResponseTrigger", {"request_key": KEY, "poll_interval": 0.5},
    )


def test_a_wait_past_the_backstop_fails_with_a_message_naming_the_step() -> None:
    """What the scheduler does once ``trigger_timeout`` passed: resume the task to fail."""
    sensor = FormResponseSensor(task_id="tunggu_jawaban", request_key=KEY, timeout=timedelta(days=60).total_seconds())

    with pytest.raises(AirflowSensorTimeout) as failed:
        sensor.resume_execution(TRIGGER_FAIL_REPR, {"error": TriggerFailureReason.TRIGGER_TIMEOUT}, {})

    message = str(failed.value)
    assert "tunggu_jawaban" in message and "60 hari" in message and KEY in message
    assert "/bapas/admin/permintaan" in message


def test_an_answered_step_returns_its_answer_without_deferring(project, smtp_server) -> None:
    opened = _open()
    assert humantask.submit(opened.url.rsplit("/", 1)[-1], {"tautan_foto": "https://drive.example/f.jpg"}).status == "saved"
    sensor = FormResponseSensor(task_id="tunggu_jawaban", request_key=KEY, start_from_trigger=False)

    outcome = sensor.execute({})

    assert outcome["status"] == "answered" and outcome["answered_by"] == RINA
    assert outcome["answer"]["tautan_foto"] == "https://drive.example/f.jpg"


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

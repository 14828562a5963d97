"""human_step: a step's two tasks, and a review that names the step it reviews."""

from __future__ import annotations

import pytest
from airflow.sdk import DAG

from bapas_sop.airflow.operators import FormRequestOperator, human_step
from bapas_sop.airflow.sensors import FormResponseSensor, ReviewLoopSensor

CASE = "{{ ti.xcom_pull(task_ids='permintaan_litmas', key='case_number') }}"


def test_a_human_step_asks_then_waits_for_its_own_request() -> None:
    with DAG(dag_id="uji_langkah", schedule=None):
        step = human_step("kabapas_disposisi", form="sp2lo_disposisi", title="Disposisi", assignee="kabapas")

    assert isinstance(step.request, FormRequestOperator) and step.request.task_id == "kabapas_disposisi.kirim_formulir"
    assert type(step.response) is FormResponseSensor and step.response.task_id == "kabapas_disposisi.tunggu_jawaban"
    assert step.response.request_key == "{{ ti.dag_id }}/{{ ti.run_id }}/kabapas_disposisi"
    assert step.response.upstream_task_ids == {"kabapas_disposisi.kirim_formulir"}


def test_a_review_derives_the_work_step_and_both_forms_from_the_step_it_reviews() -> None:
    with DAG(dag_id="uji_tinjauan", schedule=None):
        litmas = human_step("pk_melakukan_litmas", form="sp2lo_laporan_litmas", title=f"Laporan Litmas {CASE}",
                            assignee="nip:1")
        review = human_step(
            "kasubsi_rekomendasi", form="sp2lo_rekomendasi", title=f"Rekomendasi Litmas {CASE}", assignee="nip:2",
            review_of=litmas, revision_title="Revisi ke-{round}: laporan Litmas " + CASE,
            sensor_kwargs={"max_rounds": 3},
        )

    sensor = review.response
    assert isinstance(sensor, ReviewLoopSensor) and sensor.task_id == "kasubsi_rekomendasi.tunggu_jawaban"
    assert (sensor.step, sensor.work_step, sensor.work_form, sensor.review_form) == (
        "kasubsi_rekomendasi", "pk_melakukan_litmas", "sp2lo_laporan_litmas", "sp2lo_rekomendasi")
    assert sensor.work_title == "Revisi ke-{round}: laporan Litmas " + CASE
    assert sensor.review_title == f"Rekomendasi Litmas {CASE} (revisi ke-{{round}})"
    assert sensor.max_rounds == 3
    assert sensor.request_key == "{{ ti.dag_id }}/{{ ti.run_id }}/kasubsi_rekomendasi"


def test_revision_titles_without_a_reviewed_step_are_refused() -> None:
    with DAG(dag_id="uji_salah", schedule=None), pytest.raises(ValueError, match="review_of"):
        human_step("langkah", form="peterpan_foto", title="Foto", assignee="kabapas", revision_title="Revisi {round}")

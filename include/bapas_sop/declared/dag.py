"""The factory: one DAG per declared SOP file, built over the core's ``human_step``.

For a file with steps ``a``, ``b``, ``c`` the DAG is::

    menerima_permohonan >> a (kirim_formulir >> tunggu_jawaban) >> catat_a ─┬─> b ... >> catat_b ─┬─> c ...
                                                                            │                      └─> selesai
                                                                            └─> a_diperpanjang (extension) ...

``catat_<step>`` records the answer, sends the step's notifications and branches to the step the
answer leads to (``next``/``otherwise`` of the file) or to ``selesai``. Because a step may only
lead to a later one (checked when the file is read), the graph is acyclic.

A file with a mistake becomes a DAG of the same id with one task that fails with the mistake
(file, line, what to write), and its ``doc_md`` says the same in the Airflow UI: the other SOPs
parse as usual, and the office sees what to fix where it looks for the SOP.

Kept light at import: ``airflow.sdk``, PyYAML and the core's operator and sensor classes only.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, Param, task

from bapas_sop.airflow.operators import human_step
from bapas_sop.declared.spec import (
    EXTENDED_SUFFIX, REQUESTER, DeclaredSop, Step, extended_form_name, load_sop,
)
from bapas_sop.declared.steps import DeclaredRequestOperator, DeclaredStepSensor

DEFAULT_ARGS = {"owner": "bapas-sop", "retries": 2, "retry_delay": timedelta(seconds=30)}
#: A run per request; never queued (a request waiting in Airflow's queue would let its legal
#: deadline run with nobody told).
MAX_OPEN_REQUESTS = 10_000
JOIN = "none_failed_min_one_success"
NUMBER_PATTERN = r"^[A-Z][A-Z0-9]{1,9}-\d{4}-\d{4,6}$"


def build_dags(files: tuple[Path, ...]) -> dict[str, DAG]:
    """A DAG per file, by DAG id: the SOP's, or for a file with a mistake one that reports it."""
    dags: dict[str, DAG] = {}
    packages = _package_ids()
    for path in files:
        if Path(path).stem in packages:
            # Its DAG id would clash with the package SOP's own DAG and break that one's file too.
            dag = broken_dag(path, ValueError(
                f"{path}: id '{Path(path).stem}' sudah dipakai SOP lain (paket Python); beri berkas ini nama lain."),
                dag_id=f"{Path(path).stem}_berkas_sop")
        else:
            try:
                sop = load_sop(path)
            except Exception as exc:  # noqa: BLE001 - ConfigError, or anything else: that file's DAG reports it
                dag = broken_dag(path, exc)
            else:
                dag = build_dag(sop)
        dags[dag.dag_id] = dag
    return dags


def _package_ids() -> frozenset[str]:
    """The SOP packages' ids (folder names under ``bapas_sop/sops``), without importing them."""
    import importlib.util
    import pkgutil

    spec = importlib.util.find_spec("bapas_sop.sops")
    locations = spec.submodule_search_locations if spec is not None else None
    return frozenset(m.name for m in pkgutil.iter_modules(locations or []) if m.ispkg)


def _doc(sop: DeclaredSop) -> str:
    rows = "\n".join(
        f"| {i} | ``{s.id}`` | {s.title.replace('{nomor}', '…')} | {s.assignee} | {s.due}"
        f"{f' (+{s.extension.by} sekali)' if s.extension else ''} |"
        for i, s in enumerate(sop.steps, start=1)
    )
    return (
        f"**{sop.title}**: {sop.summary}\n\nDideklarasikan dalam satu berkas YAML: ``{sop.source}`` (tanpa Python). "
        f"Satu run per permohonan; run dimulai oleh halaman publik ``/bapas{sop.public_path}`` dengan nomor permohonan "
        "sebagai satu-satunya parameter. Data pemohon tetap di basis data proyek.\n\n"
        f"| # | Langkah | Judul | Penjawab | Batas waktu |\n|---|---|---|---|---|\n{rows}\n"
    )


def build_dag(sop: DeclaredSop) -> DAG:
    """The DAG of one declared SOP."""
    with DAG(
        dag_id=sop.id,
        description=f"{sop.title} (SOP deklaratif, satu run per permohonan)",
        schedule=None,
        catchup=False,
        tags=["sop", "deklaratif", sop.id, *sop.tags],
        default_args=DEFAULT_ARGS,
        max_active_runs=MAX_OPEN_REQUESTS,
        doc_md=_doc(sop),
        params={
            "nomor": Param("", type="string", pattern=NUMBER_PATTERN, title="Nomor permohonan",
                           description="Diisi otomatis oleh halaman publik; isi permohonan tidak pernah masuk Airflow."),
        },
    ) as dag:
        sop_id = sop.id

        @task(task_id="menerima_permohonan",
              doc_md=f"**Menerima permohonan**: permohonan dari halaman publik ``/bapas{sop.public_path}`` diambil oleh "
                     "run ini; pemohon sudah menerima nomor permohonan melalui email.")
        def menerima_permohonan(params: Any = None, ti: Any = None) -> None:
            from bapas_sop.declared import flow

            flow.receive(sop_id, str(params["nomor"]), dag_id=ti.dag_id, run_id=ti.run_id)

        @task(task_id="selesai", trigger_rule=JOIN, doc_md="Permohonan ditutup; hasilnya dicatat untuk halaman Kinerja.")
        def selesai(ti: Any = None) -> None:
            from bapas_sop.declared import flow

            flow.close(sop_id, dag_id=ti.dag_id, run_id=ti.run_id)

        start = menerima_permohonan()
        end = selesai()
        groups: dict[str, Any] = {}
        recorders: dict[str, list[Any]] = {}
        for step in sop.steps:
            groups[step.id], recorders[step.id] = _step_tasks(sop_id, step, step.id)
            if step.extension is not None:
                group, record = _step_tasks(sop_id, step, step.id + EXTENDED_SUFFIX)
                groups[step.id + EXTENDED_SUFFIX] = group
                recorders[step.id] += record
                recorders[step.id][0] >> group  # the extended round follows the first round's record
        start >> groups[sop.steps[0].id]
        for step in sop.steps:
            for record in recorders[step.id]:
                for target in step.targets:
                    record >> (end if target == "end" else groups[target])
    return dag


def _step_tasks(sop_id: str, step: Step, group_id: str) -> tuple[Any, list[Any]]:
    """The step's ``human_step`` and its ``catat_<group>`` branch."""
    extended = group_id != step.id
    doc = step.doc or f"**{step.title.replace('{nomor}', '…')}** ({step.assignee}, {step.due})."
    if extended:
        doc = f"Perpanjangan sekali ({step.extension.by} dari batas pertama): {doc}"
    # The requester is written like a template ("{pemohon}"): resolved when the step opens, not a role.
    assignee = "{" + REQUESTER + "}" if step.assignee == REQUESTER else step.assignee
    group = human_step(
        group_id, form=extended_form_name(step.form) if extended else step.form, title=step.title,
        assignee=assignee, doc_md=doc,
        request_class=DeclaredRequestOperator, request_kwargs={"sop_id": sop_id, "trigger_rule": JOIN},
        sensor_class=DeclaredStepSensor,
    )

    @task.branch(task_id=f"catat_{group_id}",
                 doc_md="Jawaban dicatat, pemberitahuan dikirim, dan langkah berikutnya dipilih sesuai berkas SOP.")
    def catat(outcome: dict, ti: Any = None) -> str:
        from bapas_sop.declared import flow

        return flow.record_step(sop_id, group_id, dag_id=ti.dag_id, run_id=ti.run_id)

    return group, [catat(group.answer)]


def broken_dag(path: Path, error: Exception, *, dag_id: str | None = None) -> DAG:
    """A DAG that says what is wrong with an SOP file, under the id the file would have had."""
    import re

    dag_id = dag_id or re.sub(r"[^a-z0-9_]", "_", Path(path).stem.lower()) or "sop_rusak"
    message = f"Berkas SOP tidak dapat dipakai: {error}"
    with DAG(
        dag_id=dag_id,
        description=message[:200],
        schedule=None,
        catchup=False,
        tags=["sop", "deklaratif", "perlu_diperbaiki"],
        default_args=DEFAULT_ARGS,  # AirflowFailException is never retried
        doc_md=f"**{message}**\n\nPerbaiki berkasnya (atau jalankan `scripts/check-config`); DAG ini kembali normal "
               "setelah berkas dibaca ulang.",
    ) as dag:

        @task(task_id="periksa_berkas_sop", doc_md=message)
        def periksa_berkas_sop() -> None:
            from airflow.sdk.exceptions import AirflowFailException

            raise AirflowFailException(message)

        periksa_berkas_sop()
    return dag


__all__ = ["broken_dag", "build_dag", "build_dags"]

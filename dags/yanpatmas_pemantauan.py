"""YANPATMAS — pemantauan batas waktu pengaduan dan laporan bulanan (the monitor of Yanpatmas).

Two scheduled DAGs beside the per-complaint ``yanpatmas`` DAG:

* ``yanpatmas_pemantauan`` (hourly): a reminder to whoever a complaint waits on before each
  deadline (completeness check 3 working days, first answer 5 working days, resolution 14 days
  without / 60 days with an examination; ``[yanpatmas]`` in ``bapas.toml``) and one escalation
  to the Kepala Bapas after it; and a run for every complaint stored while none could be started;
* ``yanpatmas_laporan_bulanan`` (the 1st, 08:00 WIB): last month's report (PDF: by category,
  by channel, on-time rate) to the Kepala Bapas.

Every email names tickets and deadlines only. The work is in
:mod:`bapas_sop.sops.yanpatmas.monitor`, imported inside the tasks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import DAG, Param, task

from bapas_sop import office

WIB = ZoneInfo("Asia/Jakarta")
START = datetime(2026, 1, 1, tzinfo=WIB)
DEFAULT_ARGS = {"owner": "bapas-sop", "retries": 2, "retry_delay": timedelta(minutes=2)}
TAGS = ["sop", "yanpatmas", "pengaduan", "pemantauan"]

with DAG(
    dag_id="yanpatmas_pemantauan",
    description="YANPATMAS: pengingat sebelum batas waktu dan eskalasi ke Kepala Bapas sesudahnya (tiap jam)",
    schedule=office.schedule("yanpatmas_pemantauan", "0 * * * *"),
    start_date=START,
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(minutes=30),
    tags=TAGS,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
) as pemantauan:

    @task(task_id="periksa_batas_waktu",
          doc_md="**Pemeriksaan batas waktu**: sebelum tiap batas waktu yang ditunggu menerima pengingat; sesudah lewat "
                 "Kepala Bapas menerima eskalasi, sekali untuk tiap batas. Email hanya memuat nomor tiket.")
    def periksa_batas_waktu() -> dict:
        from bapas_sop.sops.yanpatmas.monitor import check_deadlines

        result = check_deadlines()
        print(f"Pengingat: {len(result.reminded)} {result.reminded}; eskalasi: {len(result.escalated)} {result.escalated}")
        return result.as_dict()

    periksa_batas_waktu()

    @task(task_id="pengaduan_belum_diproses",
          doc_md="Pengaduan yang tersimpan tetapi belum punya run (mis. scheduler mati saat itu) dicari di sini, "
                 "supaya tidak ada pengaduan yang hilang.")
    def pengaduan_belum_diproses() -> list[dict]:
        from bapas_sop.sops.yanpatmas.service import run_id_for, without_run

        return [{"conf": {"nomor_tiket": t}, "trigger_run_id": run_id_for(t)} for t in without_run()]

    TriggerDagRunOperator.partial(
        task_id="mulai_run_yanpatmas",
        trigger_dag_id="yanpatmas",
        skip_when_already_exists=True,
        doc_md="Mulai run YANPATMAS untuk setiap pengaduan yang belum diproses.",
    ).expand_kwargs(pengaduan_belum_diproses())


with DAG(
    dag_id="yanpatmas_laporan_bulanan",
    description="YANPATMAS: laporan bulanan pengaduan (PDF) untuk Kepala Bapas, tanggal 1 pukul 08.00 WIB",
    schedule=office.schedule("yanpatmas_laporan_bulanan", "0 8 1 * *"),
    start_date=START,
    catchup=False,
    max_active_runs=1,
    tags=TAGS,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    params={
        "bulan": Param(None, type=["null", "string"], pattern=r"^\d{4}-(0[1-9]|1[0-2])$", title="Bulan laporan",
                       description="Format TTTT-BB, mis. 2026-10. Kosongkan untuk bulan sebelum tanggal jalan."),
    },
) as laporan_bulanan:

    @task(task_id="kirim_laporan_bulanan",
          doc_md="**Laporan bulanan**: jumlah pengaduan menurut kategori dan saluran, dan persentase yang ditangani tepat "
                 "waktu, sebagai PDF kepada Kepala Bapas.")
    def kirim_laporan_bulanan(params=None, data_interval_end=None, logical_date=None) -> str:
        from bapas_sop.sops.yanpatmas.monitor import previous_month, send_monthly_report

        chosen = (params or {}).get("bulan")
        if chosen:
            year, month = (int(part) for part in str(chosen).split("-"))
        else:
            year, month = previous_month(data_interval_end or logical_date or datetime.now(WIB))
        send_monthly_report(year, month)
        return f"{year:04d}-{month:02d}"

    kirim_laporan_bulanan()

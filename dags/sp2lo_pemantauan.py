"""SP2LO — pemantauan batas waktu Litmas (the monitor of the SP2LO SOP).

Three scheduled DAGs beside the per-request ``sp2lo`` DAG, after the SOP's *overdue checks*:

* ``sp2lo_pemantauan`` (hourly): reminders at 50 % and 80 % of the allowed time, and one
  escalation to the section's Kasubsi and the Kabapas when a Litmas passes its deadline;
* ``sp2lo_ringkasan_harian`` (07:00 WIB): the daily digest of overdue Litmas;
* ``sp2lo_laporan_bulanan`` (the 1st, 08:00 WIB): last month's on-time report (PDF) to the Kabapas.

The work is in :mod:`bapas_sop.sops.sp2lo.monitor`, imported inside the tasks so that parsing
this file reads no database and imports no pandas. Each task sends the emails it queues as
soon as its records are committed; every email is keyed in the outbox, so a retried task never
sends twice, and what cannot be sent stays queued for ``langkah_manusia``.
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
TAGS = ["sop", "sp2lo", "litmas", "pemantauan"]


with DAG(
    dag_id="sp2lo_pemantauan",
    description="SP2LO: pengingat 50%/80% dan eskalasi Litmas yang melewati batas waktu (tiap jam)",
    schedule=office.schedule("sp2lo_pemantauan", "0 * * * *"),
    start_date=START,
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(minutes=30),
    tags=TAGS,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
) as pemantauan:

    @task(task_id="periksa_batas_waktu",
          doc_md="**Pemeriksaan keterlambatan**: setiap Litmas yang berjalan dibandingkan dengan batas waktunya. "
                 "Pada 50% dan 80% waktu, yang sedang ditunggu (PK atau penggantinya) menerima pengingat dengan "
                 "tautan formulirnya; Litmas yang lewat batas waktu dieskalasi sekali ke Kasubsi seksi dan Kepala Bapas.")
    def periksa_batas_waktu() -> dict:
        from bapas_sop.sops.sp2lo.monitor import check_deadlines

        result = check_deadlines()
        print(f"Pengingat: {len(result.reminded)} {result.reminded}; eskalasi: {len(result.escalated)} {result.escalated}; "
              f"email terkirim {result.sent} dari {len(result.outbox_keys)}")
        return result.as_dict()

    periksa_batas_waktu()

    @task(task_id="permintaan_belum_diproses",
          doc_md="Permintaan dari formulir publik yang tercatat tetapi belum punya run SP2LO (mis. scheduler sedang "
                 "mati saat itu) dicari di sini, supaya tidak ada permintaan yang hilang.")
    def permintaan_belum_diproses() -> list[dict]:
        from bapas_sop.sops.sp2lo.service import cases_without_run

        return [{"conf": {"case_number": n}, "trigger_run_id": f"litmas__{n}"} for n in cases_without_run()]

    TriggerDagRunOperator.partial(
        task_id="mulai_run_sp2lo",
        trigger_dag_id="sp2lo",
        skip_when_already_exists=True,
        doc_md="Mulai run SP2LO untuk setiap permintaan yang belum diproses.",
    ).expand_kwargs(permintaan_belum_diproses())


with DAG(
    dag_id="sp2lo_ringkasan_harian",
    description="SP2LO: ringkasan harian Litmas terlambat untuk Kepala Bapas dan Kasubsi (07.00 WIB)",
    schedule=office.schedule("sp2lo_ringkasan_harian", "0 7 * * *"),
    start_date=START,
    catchup=False,
    max_active_runs=1,
    tags=TAGS,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
) as ringkasan_harian:

    @task(task_id="susun_ringkasan_harian",
          doc_md="**Ringkasan harian**: daftar semua Litmas berjalan yang sudah melewati batas waktu dikirim kepada "
                 "Kepala Bapas, Kasubsi BKA dan Kasubsi BKD (atau penggantinya), sekali sehari. Tidak ada email bila "
                 "tidak ada yang terlambat.")
    def susun_ringkasan_harian() -> int:
        from bapas_sop.sops.sp2lo.monitor import daily_digest

        return len(daily_digest())

    susun_ringkasan_harian()


with DAG(
    dag_id="sp2lo_laporan_bulanan",
    description="SP2LO: laporan bulanan ketepatan waktu Litmas (PDF) untuk Kepala Bapas, tanggal 1 pukul 08.00 WIB",
    schedule=office.schedule("sp2lo_laporan_bulanan", "0 8 1 * *"),
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
          doc_md="**Laporan bulanan**: persentase Litmas yang disetujui tepat waktu per seksi dan per PK, dengan grafik "
                 "dan daftar yang terlambat, untuk bulan sebelum akhir interval data run ini (WIB), dikirim sebagai "
                 "PDF kepada Kepala Bapas.")
    def kirim_laporan_bulanan(params=None, data_interval_end=None, logical_date=None) -> str:
        from bapas_sop.sops.sp2lo.monitor import previous_month, send_monthly_report

        chosen = (params or {}).get("bulan")
        if chosen:
            year, month = (int(part) for part in str(chosen).split("-"))
        else:
            year, month = previous_month(data_interval_end or logical_date or datetime.now(WIB))
        print(f"Laporan bulanan SP2LO untuk {year:04d}-{month:02d}")
        send_monthly_report(year, month)
        return f"{year:04d}-{month:02d}"

    kirim_laporan_bulanan()

"""Kinerja SOP: the monthly and quarterly "Laporan Kinerja SOP Inovasi".

The decree's third clause makes the SOPs the yardstick of the office's service. On the 1st of
each month at 08:30 WIB this DAG sends the Kabapas last month's report (PDF): how each SOP's
human steps were carried out (on time, late, never; reminders, escalations, stand-ins), each
SOP's own outcome figures, the six-month trend and the public's satisfaction (SKM). On the 1st
of January, April, July and October it also sends the past quarter's report to the regional
office (``[kinerja]`` in ``bapas.toml``). The same figures are on ``/bapas/admin/kinerja``.

The work is in :mod:`bapas_sop.kinerja.report`, imported inside the tasks: parsing this file
reads no database and imports no pandas. XCom carries the period key only.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from airflow.sdk import DAG, Param, task

WIB = ZoneInfo("Asia/Jakarta")

with DAG(
    dag_id="kinerja_sop",
    description="Laporan Kinerja SOP Inovasi: bulanan untuk Kepala Bapas, triwulanan untuk Kanwil (PDF)",
    schedule="30 8 1 * *",
    start_date=datetime(2026, 1, 1, tzinfo=WIB),
    catchup=False,
    max_active_runs=1,
    tags=["sop", "layanan", "kinerja"],
    default_args={"owner": "bapas-sop", "retries": 2, "retry_delay": timedelta(minutes=2)},
    doc_md=__doc__,
    params={
        "periode": Param(None, type=["null", "string"], pattern=r"^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$", title="Periode laporan",
                         description="TTTT-BB untuk satu bulan (mis. 2026-11) atau TTTT-QN untuk satu triwulan "
                                     "(mis. 2026-Q4). Kosongkan: bulan lalu, dan triwulan lalu bila hari ini awal triwulan."),
    },
) as dag:

    @task(task_id="kirim_laporan_bulanan",
          doc_md="**Laporan bulanan** kinerja SOP (PDF) untuk Kepala Bapas: bulan sebelum tanggal jalan, atau bulan "
                 "pada parameter `periode`.")
    def kirim_laporan_bulanan(params=None, data_interval_end=None, logical_date=None) -> str | None:
        from airflow.sdk.exceptions import AirflowSkipException

        from bapas_sop.kinerja.report import parse_period, previous_month, send_report

        chosen = (params or {}).get("periode")
        if chosen and "Q" in chosen:
            raise AirflowSkipException("Parameter periode berisi triwulan: hanya laporan triwulan yang dikirim.")
        period = parse_period(chosen) if chosen else previous_month(data_interval_end or logical_date or datetime.now(WIB))
        send_report(period)
        return period.key

    @task(task_id="kirim_laporan_triwulan",
          doc_md="**Laporan triwulan** kinerja SOP (PDF) untuk Kepala Kantor Wilayah: pada tanggal 1 Januari, April, Juli "
                 "dan Oktober untuk triwulan yang baru lewat, atau triwulan pada parameter `periode`.")
    def kirim_laporan_triwulan(params=None, data_interval_end=None, logical_date=None) -> str | None:
        from airflow.sdk.exceptions import AirflowSkipException

        from bapas_sop.calendar import wib_date
        from bapas_sop.kinerja.report import parse_period, previous_quarter, send_report

        chosen = (params or {}).get("periode")
        if chosen:
            if "Q" not in chosen:
                raise AirflowSkipException("Parameter periode berisi bulan: laporan triwulan tidak dikirim.")
            period = parse_period(chosen)
        else:
            today = wib_date(data_interval_end or logical_date or datetime.now(WIB))
            if today.month not in (1, 4, 7, 10):
                raise AirflowSkipException("Bukan awal triwulan: laporan triwulan dikirim tanggal 1 Jan, Apr, Jul, Okt.")
            period = previous_quarter(today)
        return period.key if send_report(period) else None

    kirim_laporan_bulanan()
    kirim_laporan_triwulan()

"""Piket Hari Libur (Bu Tejo) — the days themselves: reminder, check-in, log and report.

Every day at 06.00 WIB (the roster itself is ``piket_hari_libur``):

* ``pengingat_sehari_sebelum``: tomorrow's officers get a reminder with their personal link of the day;
* ``membuka_hari_piket``: on a duty day each officer gets the link again; on that page they check in
  and log what they handle (clients reporting, releases from Lapas/Rutan, Litmas requests: each
  Litmas logged starts an SP2LO case at once, with its receipt time);
* ``batas_kehadiran`` then ``memeriksa_kehadiran``: at ``[piket_hari_libur] batas_hadir`` an officer
  who has not checked in is escalated to the Kaur TU, the Kabapas in copy;
* ``laporan_piket``: on a working day, the duty days since the previous working day go to the
  Kabapas as a PDF report with the day's log.

Work is in :mod:`bapas_sop.sops.piket_hari_libur.flow`, imported inside the tasks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from airflow.providers.standard.sensors.date_time import DateTimeSensorAsync
from airflow.sdk import DAG, Param, task
from airflow.timetables.trigger import CronTriggerTimetable

from bapas_sop import office

WIB = ZoneInfo("Asia/Jakarta")

with DAG(
    dag_id="piket_hari_libur_harian",
    description="Piket Hari Libur (Bu Tejo): pengingat, kehadiran, catatan dan laporan petugas piket (06.00 WIB)",
    schedule=office.schedule("piket_hari_libur_harian", CronTriggerTimetable("0 6 * * *", timezone="Asia/Jakarta")),
    start_date=datetime(2026, 1, 1, tzinfo=WIB),
    catchup=False,
    max_active_runs=1,
    tags=["sop", "piket_hari_libur", "harian"],
    default_args={"owner": "bapas-sop", "retries": 2, "retry_delay": timedelta(minutes=1)},
    doc_md=__doc__,
    params={
        "tanggal": Param(None, type=["null", "string"], format="date", title="Tanggal",
                         description="Hari yang diproses (TTTT-BB-HH). Kosongkan untuk hari ini."),
    },
) as dag:

    @task(task_id="hari_ini", doc_md="Tanggal yang diproses (WIB): hari jalan, atau parameter tanggal.")
    def hari_ini(params=None, logical_date=None) -> str:
        from bapas_sop.sops.piket_hari_libur import flow

        return flow.today_for(dict(params), logical_date)

    today = hari_ini()

    @task(task_id="pengingat_sehari_sebelum",
          doc_md="**Pengingat sehari sebelumnya**: petugas piket besok menerima pengingat dan tautan pribadinya.")
    def pengingat_sehari_sebelum(day: str) -> int:
        from bapas_sop.sops.piket_hari_libur import flow

        return flow.remind_day_before(day)

    @task(task_id="membuka_hari_piket",
          doc_md="**Pada hari piket**: tiap petugas menerima tautan hari itu untuk mengisi kehadiran dan mencatat "
                 "wajib lapor, penerimaan klien bebas bersyarat dan permintaan Litmas.")
    def membuka_hari_piket(day: str) -> int:
        from bapas_sop.sops.piket_hari_libur import flow

        return flow.open_day(day)

    @task.short_circuit(task_id="batas_waktu_kehadiran",
                        doc_md="Batas pengisian kehadiran hari itu (bapas.toml: batas_hadir); pada hari tanpa "
                               "petugas piket, pemeriksaan kehadiran dilewati.")
    def batas_waktu_kehadiran(day: str) -> str | None:
        from bapas_sop.sops.piket_hari_libur import flow

        return flow.checkin_deadline(day)

    batas = batas_waktu_kehadiran(today)

    menunggu = DateTimeSensorAsync(
        task_id="batas_kehadiran",
        target_time="{{ ti.xcom_pull(task_ids='batas_waktu_kehadiran') }}",
        doc_md="Menunggu batas pengisian kehadiran tanpa menahan worker (sensor tertunda di triggerer).",
    )

    @task(task_id="memeriksa_kehadiran",
          doc_md="**Kehadiran**: petugas yang belum mengisi kehadiran sampai batas waktu dieskalasi ke Kaur TU "
                 "(tembusan Kepala Bapas).")
    def memeriksa_kehadiran(day: str) -> list:
        from bapas_sop.sops.piket_hari_libur import flow

        return flow.escalate_missing_checkins(day)

    @task(task_id="laporan_piket",
          doc_md="**Laporan piket**: pada hari kerja, laporan (PDF) hari-hari piket sejak hari kerja sebelumnya "
                 "dikirim ke Kepala Bapas, berisi catatan petugas.")
    def laporan_piket(day: str) -> list:
        from bapas_sop.sops.piket_hari_libur import flow

        return flow.report(day)

    pengingat_sehari_sebelum(today)
    membuka_hari_piket(today) >> batas >> menunggu >> memeriksa_kehadiran(today)
    laporan_piket(today)

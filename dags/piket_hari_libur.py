"""Piket Hari Libur (Bu Tejo) — the holiday duty roster, drafted each month for the next.

One run per month, on the day of the month set in ``[piket_hari_libur] hari_penyusunan`` (the
20th by default) at 08.00 WIB, for the coming month; an admin can draft any month from the UI
(``bulan``). The office stays open on weekends, national holidays and cuti bersama: the
rotation gives each of those days its team (``regu``: one PK and one other employee by default),
fairly; Staf TU reviews and swaps, the Kabapas approves or returns it with notes (the review
loop runs inside ``kabapas_menyetujui``, Staf TU's swaps kept), each officer is told with a
calendar invitation and may name a substitute (``substitusi_pelaksana``, one waiting task per
officer). The days themselves (reminder, check-in, log, report) are ``piket_hari_libur_harian``.
Rules: :mod:`bapas_sop.sops.piket_hari_libur.rules`; tasks: :mod:`bapas_sop.sops.piket_hari_libur.flow`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from airflow.sdk import DAG, Param, task
from airflow.timetables.trigger import CronTriggerTimetable

from bapas_sop import office
from bapas_sop.airflow.operators import human_step
from bapas_sop.policy import StepPolicy
from bapas_sop.settings import get_settings
from bapas_sop.sops.piket_hari_libur.sensors import SubstitutionSensor

WIB = ZoneInfo("Asia/Jakarta")
_CONFIG = get_settings().config.get("piket_hari_libur", {})
#: The day of the month (1-28) and hour the next month's roster is drafted.
DRAFT_DAY = int(_CONFIG.get("hari_penyusunan", 20))
DRAFT_HOUR = int(_CONFIG.get("jam_penyusunan", 8))
MONTH = "{{ ti.xcom_pull(task_ids='jadwal', key='month_label') }}"

# Staf TU and the Kabapas have two days each; a reminder, then their supervisor hears.
REVIEW = StepPolicy.from_config(due=timedelta(days=2), remind_before=timedelta(hours=12))

with DAG(
    dag_id="piket_hari_libur",
    description="Piket Hari Libur (Bu Tejo): jadwal piket hari libur bulan berikutnya",
    schedule=office.schedule(
        "piket_hari_libur", CronTriggerTimetable(f"0 {DRAFT_HOUR} {DRAFT_DAY} * *", timezone="Asia/Jakarta"),
    ),
    start_date=datetime(2026, 1, 1, tzinfo=WIB),
    catchup=False,
    max_active_runs=2,
    tags=["sop", "piket_hari_libur", "jadwal"],
    default_args={"owner": "bapas-sop", "retries": 2, "retry_delay": timedelta(seconds=30)},
    doc_md=__doc__,
    params={
        "bulan": Param(None, type=["null", "string"], pattern=r"^\d{4}-(0[1-9]|1[0-2])$", title="Bulan jadwal",
                       description="Format TTTT-BB, mis. 2026-12. Kosongkan untuk bulan berikutnya."),
    },
) as dag:

    @task(task_id="jadwal", multiple_outputs=True,
          doc_md="**Jadwal**: hari tidak bekerja bulan berikutnya menurut kalender kantor (libur nasional, cuti "
                 "bersama dan berkas koreksi tahunan) dan jumlah petugas per hari dari bapas.toml.")
    def jadwal(params=None, ti=None, logical_date=None) -> dict:
        from bapas_sop.sops.piket_hari_libur import flow

        return flow.plan_month(dict(params), dag_id=ti.dag_id, run_id=ti.run_id, logical_date=logical_date)

    rencana = jadwal()

    @task(task_id="menyusun_rotasi", multiple_outputs=True,
          doc_md="**Menyusun rotasi yang adil**: yang paling sedikit piket tahun ini lebih dulu; tidak ada yang cuti "
                 "atau dinas luar pada hari itu; tidak dua hari piket berturut-turut bila dapat dihindari; regu "
                 "sesuai komposisi peran.")
    def menyusun_rotasi(plan: dict, ti=None) -> dict:
        from bapas_sop.sops.piket_hari_libur import flow

        return flow.draft(plan, dag_id=ti.dag_id, run_id=ti.run_id)

    rancangan = menyusun_rotasi(rencana)

    pemeriksaan = human_step(
        "staf_tu_memeriksa",
        form="piket_hari_libur_pemeriksaan",
        title=f"Pemeriksaan jadwal piket hari libur {MONTH}",
        assignee="staff_tu",
        form_context={"facts": rancangan["facts"], "base_facts": rancangan["facts"],
                      "jadwal_options": rancangan["jadwal_options"], "pegawai_options": rancangan["pegawai_options"]},
        policy=REVIEW,
        doc_md="**Staf TU memeriksa** rancangan jadwal dan dapat menukar petugas pada hari tertentu.",
    )

    persetujuan = human_step(
        "kabapas_menyetujui",
        form="piket_hari_libur_persetujuan",
        title=f"Persetujuan jadwal piket hari libur {MONTH}",
        assignee="kabapas",
        form_context={"facts": rancangan["facts"], "base_facts": rancangan["facts"]},
        policy=REVIEW,
        review_of=pemeriksaan,
        revision_title="Perbaikan ke-{round}: jadwal piket hari libur " + MONTH,
        review_round_title="Persetujuan jadwal piket hari libur " + MONTH + " (perbaikan ke-{round})",
        doc_md="**Kepala Bapas menyetujui** jadwal, atau mengembalikannya dengan catatan: Staf TU memperbaiki "
               "(penukaran sebelumnya tetap terisi) dan Kepala Bapas memeriksa lagi, di dalam tugas ini.",
    )
    pemeriksaan >> persetujuan

    @task(task_id="penetapan_jadwal",
          doc_md="Jadwal yang disetujui ditetapkan: penukaran terakhir Staf TU diterapkan pada rancangan dan tiap "
                 "tugas piket dicatat (dengan tautan pribadi hari itu untuk petugasnya).")
    def penetapan_jadwal(plan: dict, outcome: dict, ti=None) -> list:
        from bapas_sop.sops.piket_hari_libur import flow

        return flow.approve(plan, outcome, dag_id=ti.dag_id, run_id=ti.run_id)

    petugas = penetapan_jadwal(rencana, persetujuan.answer)

    @task(task_id="pemberitahuan_petugas",
          doc_md="**Pemberitahuan**: tiap petugas menerima tanggal piketnya dengan undangan kalender (.ics).")
    def pemberitahuan_petugas(plan: dict, ti=None) -> int:
        from bapas_sop.sops.piket_hari_libur import flow

        return flow.notify_officers(plan, dag_id=ti.dag_id, run_id=ti.run_id)

    pemberitahuan = pemberitahuan_petugas(rencana)

    substitusi = SubstitutionSensor.partial(
        task_id="substitusi_pelaksana",
        map_index_template="Petugas {{ task.officer['nip'][-4:] }}",
        doc_md="**Substitusi pelaksana**: petugas yang berhalangan menyebut penggantinya; pengganti mengonfirmasi "
               "atau menolak (penolakan kembali ke petugas, lalu ke Staf TU); setiap serah terima dicatat.",
    ).expand(officer=petugas)
    petugas >> pemberitahuan >> substitusi

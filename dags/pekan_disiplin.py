"""Pekan Disiplin — attendance and discipline of the staff, weekly (PP 94/2021).

One run per week, Monday 07.00 WIB, about the week just ended (an admin may pick any week).
The fingerprint machine's export of the week is validated (bad rows to the Kaur TU), the
officer on duty fills the apel/uniform checklist, every employee's working days are computed
against the office hours, the office calendar and the leave/travel register, each supervisor
decides on their own people's incidents on one form, unexcused days accumulate over the
calendar year against the PP 94/2021 thresholds (a first crossing: a coaching note to the
employee, a recommendation naming the article to the supervisor; nothing decided
automatically), and the Kabapas gets the recap with a chart.

The seed's flowchart was lost: the steps are the catalogue's (*inferred*). Attendance is
personal data: it stays in the project's database; these tasks pass the week id and counts.
Rules: :mod:`bapas_sop.sops.pekan_disiplin.rules`; tasks: :mod:`bapas_sop.sops.pekan_disiplin.flow`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from airflow.sdk import DAG, CronTriggerTimetable, Param, PokeReturnValue, TaskGroup, task

from bapas_sop import office

WIB = ZoneInfo("Asia/Jakarta")
# How often a waiting form is looked at (reschedule mode: no worker is held in between).
FORM_POLL = timedelta(minutes=5)
# The backstop of a wait: beyond the longest step policy (reminder, escalation, expiry).
FORM_TIMEOUT = timedelta(days=10)

with DAG(
    dag_id="pekan_disiplin",
    description="Pekan Disiplin: rekap kehadiran dan disiplin pegawai mingguan (PP 94/2021)",
    schedule=office.schedule("pekan_disiplin", CronTriggerTimetable("0 7 * * 1", timezone="Asia/Jakarta")),
    start_date=datetime(2026, 1, 5, tzinfo=WIB),
    catchup=False,
    max_active_runs=1,
    tags=["sop", "pekan_disiplin", "kepegawaian"],
    default_args={"owner": "bapas-sop", "retries": 2, "retry_delay": timedelta(minutes=1)},
    doc_md=__doc__,
    params={
        "pekan": Param(None, type=["null", "string"], pattern=r"^\d{4}-W\d{2}$", title="Pekan",
                       description="Pekan ISO yang direkap, mis. 2026-W46 (Senin–Minggu WIB). Kosongkan untuk "
                                   "pekan sebelum tanggal jalan."),
    },
) as dag:

    @task(task_id="pekan_ini", doc_md="Pekan yang direkap (pekan ISO yang baru berakhir, atau pilihan admin).")
    def pekan_ini(params=None, ti=None, logical_date=None) -> dict:
        from bapas_sop.sops.pekan_disiplin import flow

        return flow.plan_week(dict(params), dag_id=ti.dag_id, run_id=ti.run_id, logical_date=logical_date)

    pekan = pekan_ini()

    with TaskGroup("data", tooltip="Data absensi mesin sidik jari dan daftar periksa apel"):

        @task(task_id="memuat_data_absensi",
              doc_md="**Data**: ekspor mesin sidik jari pekan ini (NIP, tanggal, scan masuk, scan pulang) diperiksa; "
                     "setiap baris yang salah disebutkan kepada Kaur TU dalam bahasa Indonesia, baris lain dipakai.")
        def memuat_data_absensi(plan: dict, ti=None) -> dict:
            from bapas_sop.sops.pekan_disiplin import flow

            return flow.check_export(plan, dag_id=ti.dag_id, run_id=ti.run_id)

        @task(task_id="menghitung_kehadiran",
              doc_md="**Hitung** keterlambatan, pulang cepat dan ketidakhadiran setiap pegawai pada setiap hari kerja "
                     "menurut jam kerja (bapas.toml) dan kalender kantor (libur nasional dan cuti bersama bukan hari "
                     "kerja); cuti dan dinas luar bukan ketidakhadiran.")
        def menghitung_kehadiran(plan: dict, checked: dict, ti=None) -> dict:
            from bapas_sop.sops.pekan_disiplin import flow

            return flow.compute_week(plan, dag_id=ti.dag_id, run_id=ti.run_id)

        hitung = menghitung_kehadiran(pekan, memuat_data_absensi(pekan))

        @task(task_id="kirim_daftar_apel",
              doc_md="Petugas apel menerima formulir daftar periksa apel pagi dan seragam untuk hari kerja pekan ini.")
        def kirim_daftar_apel(plan: dict, computed: dict, ti=None) -> str:
            from bapas_sop.sops.pekan_disiplin import flow

            return flow.open_apel_checklist(plan, dag_id=ti.dag_id, run_id=ti.run_id)

        @task.sensor(task_id="daftar_apel", mode="reschedule", poke_interval=FORM_POLL.total_seconds(),
                     timeout=FORM_TIMEOUT.total_seconds(),
                     doc_md="**Daftar periksa apel dan seragam** diisi petugas apel; dicatat pada hari kerja pegawai. "
                            "Tidak dijawab sampai batas akhir: tidak ada yang ditandai.")
        def daftar_apel(plan: dict, key: str) -> PokeReturnValue:
            from bapas_sop.sops.pekan_disiplin import flow

            counts = flow.record_apel(plan, key)
            return PokeReturnValue(is_done=counts is not None, xcom_value=counts)

        apel = daftar_apel(pekan, kirim_daftar_apel(pekan, hitung))

    with TaskGroup("keputusan_atasan", tooltip="Atasan memutuskan setiap kejadian: alasan sah atau tidak") as atasan:

        @task(task_id="kirim_formulir_atasan",
              doc_md="Setiap atasan menerima **satu** formulir berisi kejadian bawahan langsungnya pekan ini "
                     "(daftar disusun dari tabel proyek, bukan dari Airflow).")
        def kirim_formulir_atasan(plan: dict, computed: dict, ti=None) -> list[str]:
            from bapas_sop.sops.pekan_disiplin import flow

            return flow.open_supervisor_forms(plan, dag_id=ti.dag_id, run_id=ti.run_id)

        @task.sensor(task_id="keputusan", mode="reschedule", poke_interval=FORM_POLL.total_seconds(),
                     timeout=FORM_TIMEOUT.total_seconds(),
                     doc_md="**Atasan memutuskan**: setiap kejadian dimaafkan (sakit, izin, cuti, tugas kedinasan, "
                            "dengan tautan bukti) atau tidak. Tidak dijawab sampai batas akhir: tidak ada yang "
                            "dimaafkan. Satu tugas per atasan; hanya jumlah yang kembali ke Airflow.")
        def keputusan(key: str) -> PokeReturnValue:
            from bapas_sop.sops.pekan_disiplin import flow

            counts = flow.settle_decision(key)
            return PokeReturnValue(is_done=counts is not None, xcom_value=counts)

        putusan = keputusan.expand(key=kirim_formulir_atasan(pekan, hitung))

    @task(task_id="akumulasi_pp94", trigger_rule="none_failed",
          doc_md="**Akumulasi PP 94/2021**: hari tidak masuk tanpa alasan sah setahun kalender (terlambat dan pulang "
                 "cepat dikonversi: 7,5 jam = 1 hari) dibandingkan dengan tabel ambang. Ambang yang pertama kali "
                 "tercapai: catatan pembinaan kepada pegawai dan rekomendasi kepada atasan dengan pasalnya. "
                 "Tidak ada hukuman yang diputuskan sistem.")
    def akumulasi_pp94(plan: dict, ti=None) -> dict:
        from bapas_sop.sops.pekan_disiplin import flow

        return flow.accumulate(plan, dag_id=ti.dag_id, run_id=ti.run_id)

    akumulasi = akumulasi_pp94(pekan)
    atasan >> akumulasi

    @task(task_id="rekap_kabapas", trigger_rule="none_failed",
          doc_md="**Rekap**: rekap pekan ini per seksi dan per pegawai dengan grafik tren (PDF) kepada Kepala Bapas; "
                 "pegawai paling disiplin triwulan ini dapat dibaca Peterpan (teladan.py).")
    def rekap_kabapas(plan: dict, accumulated: dict, checklist, ti=None) -> dict:
        from bapas_sop.sops.pekan_disiplin import flow

        return flow.recap(plan, dag_id=ti.dag_id, run_id=ti.run_id)

    rekap_kabapas(pekan, akumulasi, apel)

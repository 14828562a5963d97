"""Gaji UMR — Gerakan Bapas Jambi Untuk Masyarakat: a monthly one-day social activity with clients.

One run per month, on the month's first working day at 08.00 WIB (``FirstWorkingDayTimetable``,
the data interval is the month being planned); an admin can plan any month from the UI.
The Kabapas sets the activity (the system's suggestion stands when he does not answer), the
rotation proposes five eligible clients from the client register (``klien.csv``), the Kasubsi
approves or swaps them, each client's PK confirms contact (a decline or no answer brings the
next client of the rotation: ``menghubungi_klien``), the Kasubsi takes the attendance on the
day, and the Kabapas gets the PDF report; the participation history feeds next month's
rotation. Rules: :mod:`bapas_sop.sops.gaji_umr.rules`; tasks: :mod:`bapas_sop.sops.gaji_umr.flow`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from airflow.providers.standard.sensors.date_time import DateTimeSensorAsync
from airflow.sdk import DAG, Param, task

from bapas_sop import office
from bapas_sop.airflow.operators import human_step
from bapas_sop.airflow.timetables import FirstWorkingDayTimetable
from bapas_sop.policy import StepPolicy
from bapas_sop.sops.gaji_umr.sensors import ClientContactSensor

WIB = ZoneInfo("Asia/Jakarta")
MONTH = "{{ ti.xcom_pull(task_ids='rencana_bulan', key='month_label') }}"

# The Kabapas has three days; a reminder, and without an answer the suggestion stands.
ACTIVITY = StepPolicy.from_config(due=timedelta(days=3), remind_before=timedelta(days=1), escalate_after=None,
                                  expire_after=timedelta(days=1), default_answer={"pakai_saran": True})
# The Kasubsi approves the clients within two days; unanswered, the proposal stands.
CLIENTS = StepPolicy.from_config(due=timedelta(days=2), remind_before=timedelta(hours=6),
                                 expire_after=timedelta(days=1), default_answer={"klien": None})
# The attendance is due the working day after the activity (due_at); the Kabapas hears when late.
ATTENDANCE = StepPolicy.from_config(remind_before=timedelta(hours=4), expire_after=timedelta(days=7))

with DAG(
    dag_id="gaji_umr",
    description="Gaji UMR: kegiatan sosial bulanan bersama klien pemasyarakatan",
    schedule=office.schedule(
        "gaji_umr", FirstWorkingDayTimetable(months=1, hour=8, minute=0, timezone="Asia/Jakarta", interval="current"),
    ),
    start_date=datetime(2026, 1, 1, tzinfo=WIB),
    catchup=False,
    max_active_runs=2,
    tags=["sop", "gaji_umr", "klien"],
    default_args={"owner": "bapas-sop", "retries": 2, "retry_delay": timedelta(seconds=30)},
    doc_md=__doc__,
    params={
        "bulan": Param(None, type=["null", "string"], pattern=r"^\d{4}-(0[1-9]|1[0-2])$", title="Bulan kegiatan",
                       description="Format TTTT-BB, mis. 2026-11. Kosongkan untuk bulan tanggal jalan."),
        "seksi": Param("bkd", type="string", enum=["bkd", "bka"], values_display={"bkd": "Klien dewasa (BKD)",
                       "bka": "Klien anak (BKA)"}, title="Seksi klien"),
        "jumlah_klien": Param(5, type="integer", minimum=1, maximum=10, title="Jumlah klien"),
    },
) as dag:

    @task(task_id="rencana_bulan", multiple_outputs=True,
          doc_md="Bulan, seksi dan saran kegiatan (bergiliran; tanggal: Jumat kedua, Jumat bersih) disiapkan.")
    def rencana_bulan(params=None, ti=None, data_interval_start=None, logical_date=None) -> dict:
        from bapas_sop.sops.gaji_umr import flow

        return flow.plan_month(dict(params), dag_id=ti.dag_id, run_id=ti.run_id,
                                        data_interval_start=data_interval_start, logical_date=logical_date)

    rencana = rencana_bulan()

    penetapan = human_step(
        "kabapas_menentukan_kegiatan",
        form="gaji_umr_kegiatan",
        title=f"Penetapan kegiatan sosial Gaji UMR {MONTH}",
        assignee="kabapas",
        form_context={"facts": rencana["facts"]},
        prefill=rencana["prefill"],
        policy=ACTIVITY,
        doc_md="**Menentukan kegiatan sosial dan waktu, tiap 1 bulan sekali selama 1 hari**: Kepala Bapas menetapkan "
               "kegiatan, tempat dan tanggal (pengingat; saran sistem dipakai bila tidak dijawab).",
    )

    @task(task_id="catat_kegiatan", multiple_outputs=True,
          doc_md="Kegiatan bulan ini dicatat: pilihan Kepala Bapas, atau saran sistem bila tidak dijawab.")
    def catat_kegiatan(plan: dict, outcome: dict, ti=None) -> dict:
        from bapas_sop.sops.gaji_umr import flow

        return flow.record_activity(plan, outcome, dag_id=ti.dag_id, run_id=ti.run_id)

    kegiatan = catat_kegiatan(rencana, penetapan.answer)

    @task(task_id="usulan_klien", multiple_outputs=True,
          doc_md="**Menunjuk 5 klien Pemasyarakatan yang telah mendapatkan bimbingan**: sistem mengusulkan klien aktif "
                 "yang sudah dibimbing, bergiliran (yang paling jarang dan paling lama tidak ikut lebih dulu).")
    def usulan_klien(plan: dict, activity: dict, ti=None) -> dict:
        from bapas_sop.sops.gaji_umr import flow

        return flow.propose_clients(plan, activity, dag_id=ti.dag_id, run_id=ti.run_id)

    usulan = usulan_klien(rencana, kegiatan)

    persetujuan = human_step(
        "kasubsi_menyetujui_klien",
        form="gaji_umr_persetujuan_klien",
        title=f"Persetujuan klien peserta Gaji UMR {MONTH}",
        assignee=usulan["kasubsi"],
        form_context={"facts": usulan["facts"], "klien_options": usulan["options"]},
        prefill={"klien": usulan["proposed"]},
        policy=CLIENTS,
        doc_md="Kasubsi menyetujui usulan klien atau menukarnya (usulan sistem berlaku bila tidak dijawab).",
    )

    @task(task_id="klien_terpilih",
          doc_md="Daftar klien yang disetujui Kasubsi (atau usulan sistem bila tidak dijawab) dicatat; satu tugas "
                 "menghubungi klien untuk setiap klien.")
    def klien_terpilih(plan: dict, activity: dict, proposal: dict, outcome: dict, ti=None) -> list:
        from bapas_sop.sops.gaji_umr import flow

        return flow.record_selection(plan, activity, proposal, outcome, dag_id=ti.dag_id, run_id=ti.run_id)

    terpilih = klien_terpilih(rencana, kegiatan, usulan, persetujuan.answer)

    kontak = ClientContactSensor.partial(
        task_id="menghubungi_klien",
        max_attempts=4,
        map_index_template="Klien ke-{{ task.slot['slot'] }}",
        doc_md="**Menghubungi klien**: PK klien mengonfirmasi (bersedia / menolak / tidak dapat dihubungi); klien yang "
               "menolak atau tidak terhubung digantikan klien berikutnya menurut giliran, di dalam tugas ini.",
    ).expand(slot=terpilih)

    @task(task_id="daftar_peserta", multiple_outputs=True,
          doc_md="Daftar klien yang bersedia dikirim ke Kasubsi (tembusan Kepala Bapas).")
    def daftar_peserta(plan: dict, activity: dict, results, ti=None) -> dict:
        from bapas_sop.sops.gaji_umr import flow

        return flow.participants(plan, activity, list(results), dag_id=ti.dag_id, run_id=ti.run_id)

    peserta = daftar_peserta(rencana, kegiatan, kontak.output)

    hari = DateTimeSensorAsync(
        task_id="menunggu_hari_pelaksanaan",
        target_time=kegiatan["day_starts"],
        doc_md="Menunggu hari pelaksanaan (pukul 06.00 WIB) tanpa menahan worker: sensor tertunda di triggerer; "
               "formulir daftar hadir dikirim setelahnya.",
    )

    kehadiran = human_step(
        "pelaksanaan_kegiatan",
        form="gaji_umr_kehadiran",
        title=f"Daftar hadir kegiatan Gaji UMR {MONTH}",
        assignee=usulan["kasubsi"],
        form_context={"facts": peserta["facts"], "peserta": peserta["options"]},
        prefill={"hadir": peserta["ids"]},
        due_at=peserta["attendance_due"],
        policy=ATTENDANCE,
        doc_md="**Pelaksanaan kegiatan**: Kasubsi mencatat kehadiran klien dan jalannya kegiatan pada hari pelaksanaan.",
    )
    peserta >> hari >> kehadiran

    @task(task_id="laporan_hasil_kegiatan",
          doc_md="**Membuat laporan hasil kegiatan**: laporan PDF untuk Kepala Bapas; riwayat keikutsertaan klien "
                 "diperbarui untuk giliran bulan berikutnya.")
    def laporan_hasil_kegiatan(plan: dict, activity: dict, people: dict, attendance: dict, ti=None) -> str:
        from bapas_sop.sops.gaji_umr import flow

        return flow.report(plan, activity, people, attendance, dag_id=ti.dag_id, run_id=ti.run_id)

    laporan_hasil_kegiatan(rencana, kegiatan, peserta, kehadiran.answer)

"""Pasjam School — Bapas Jambi Goes To School: a legal outreach to the riskiest school, per term.

One run per semester, on the first working day of January and July at 08.00 WIB
(``FirstWorkingDayTimetable(months=6)``; ``[pasjam_school] bulan_per_periode`` names the
periods, and the timetable's ``months`` is the one line to change for quarterly or monthly
runs); an admin can plan any period from the UI. PK/APK observe the candidate schools of the
register (``sekolah.csv``), the risk score ranks them (incidents observed, juvenile cases of the
district in SP2LO's records, level, time since the last visit; weights in ``bapas.toml``), the
Kasubsi BKA confirms or changes the pick, the school's contact confirms by a personal link (a
refusal asks the next school of the ranking), the school gets the schedule letter and a calendar
invitation, the team records the day, students answer a public quiz before and after (QR code),
the teachers give feedback and the Kabapas gets the PDF report; the visit feeds the next ranking.
Rules: :mod:`bapas_sop.sops.pasjam_school.rules`; tasks: :mod:`bapas_sop.sops.pasjam_school.flow`.
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
from bapas_sop.sops.pasjam_school.sensors import SchoolStepSensor

WIB = ZoneInfo("Asia/Jakarta")
TERM = "{{ ti.xcom_pull(task_ids='rencana_periode', key='term_label') }}"

# The Kasubsi confirms the pick within three days; unanswered, the top of the ranking stands.
PICK = StepPolicy.from_config(due=timedelta(days=3), remind_before=timedelta(days=1),
                              expire_after=timedelta(days=1), default_answer={"sekolah": None})
# The day's record is due the working day after the visit (due_at); the Kabapas hears when late.
SESSION = StepPolicy.from_config(remind_before=timedelta(hours=4), expire_after=timedelta(days=7))

with DAG(
    dag_id="pasjam_school",
    description="Pasjam School: penyuluhan hukum ke sekolah berisiko tinggi, tiap semester",
    schedule=office.schedule(
        "pasjam_school", FirstWorkingDayTimetable(months=6, hour=8, minute=0, timezone="Asia/Jakarta", interval="current"),
    ),
    start_date=datetime(2026, 1, 1, tzinfo=WIB),
    catchup=False,
    max_active_runs=1,
    tags=["sop", "pasjam_school", "sekolah"],
    default_args={"owner": "bapas-sop", "retries": 2, "retry_delay": timedelta(seconds=30)},
    doc_md=__doc__,
    params={
        "periode": Param(None, type=["null", "string"], pattern=r"^\d{4}-(S[12]|Q[1-4]|0[1-9]|1[0-2])$",
                         title="Periode", description="mis. 2026-S2 (semester), 2026-Q4 atau 2026-11. "
                         "Kosongkan untuk periode tanggal jalan."),
        "kandidat": Param(None, type=["null", "integer"], minimum=1, maximum=20, title="Jumlah sekolah diobservasi",
                          description="Kosongkan untuk nilai bapas.toml ([pasjam_school] kandidat)."),
    },
) as dag:

    @task(task_id="rencana_periode", multiple_outputs=True,
          doc_md="Periode dan sekolah kandidat (teratas menurut skor risiko tanpa observasi) disiapkan.")
    def rencana_periode(params=None, ti=None, data_interval_start=None, logical_date=None) -> dict:
        from bapas_sop.sops.pasjam_school import flow

        return flow.plan_term(dict(params), dag_id=ti.dag_id, run_id=ti.run_id,
                              data_interval_start=data_interval_start, logical_date=logical_date)

    rencana = rencana_periode()

    @task(task_id="sekolah_kandidat", doc_md="Satu formulir observasi untuk tiap sekolah kandidat.")
    def sekolah_kandidat(plan: dict) -> list:
        return list(plan["slots"])

    observasi = SchoolStepSensor.partial(
        task_id="observasi_sekolah",
        step="observasi",
        map_index_template="Sekolah ke-{{ task.payload['slot'] }}",
        doc_md="**Observasi sekolah yang akan diberikan penyuluhan hukum**: PK/APK seksi BKA mengisi formulir "
               "observasi untuk tiap sekolah kandidat (kejadian yang teramati atau dilaporkan sekolah).",
    ).expand(payload=sekolah_kandidat(rencana))

    @task(task_id="analisis_tingkat_risiko", multiple_outputs=True,
          doc_md="**Menganalisis tingkat risiko sekolah yang memungkinkan terjadinya tindak pidana terhadap anak "
                 "sekolah**: skor risiko dengan bobot terbuka (insiden, kasus anak di kabupaten dari SP2LO, jenjang, "
                 "lama tidak dikunjungi) dan sumbangan tiap faktor.")
    def analisis_tingkat_risiko(plan: dict, observations, ti=None) -> dict:
        from bapas_sop.sops.pasjam_school import flow

        return flow.analyse(plan, list(observations), dag_id=ti.dag_id, run_id=ti.run_id)

    analisis = analisis_tingkat_risiko(rencana, observasi.output)

    penetapan = human_step(
        "kasubsi_menetapkan_sekolah",
        form="pasjam_school_penetapan",
        title=f"Penetapan sekolah Pasjam School {TERM}",
        assignee="kasubsi_bka",
        form_context={"facts": analisis["facts"], "sekolah_options": analisis["options"]},
        prefill={"sekolah": analisis["top"]},
        policy=PICK,
        doc_md="Kasubsi BKA melihat peringkat risiko beserta sumbangan tiap faktor, lalu menetapkan atau mengganti "
               "sekolah sasaran (peringkat teratas berlaku bila tidak dijawab).",
    )

    @task(task_id="sekolah_terpilih", multiple_outputs=True,
          doc_md="Pilihan Kasubsi dicatat; urutan sekolah yang dihubungi: pilihan Kasubsi, lalu menurut peringkat.")
    def sekolah_terpilih(plan: dict, analysis: dict, outcome: dict, ti=None) -> dict:
        from bapas_sop.sops.pasjam_school import flow

        return flow.record_pick(plan, analysis, outcome, dag_id=ti.dag_id, run_id=ti.run_id)

    pilihan = sekolah_terpilih(rencana, analisis, penetapan.answer)

    koordinasi = SchoolStepSensor(
        task_id="koordinasi_dengan_sekolah",
        step="koordinasi",
        payload=pilihan,
        max_attempts=4,
        doc_md="**Melaksanakan koordinasi dengan pihak sekolah**: kontak sekolah menerima tautan pribadi dan "
               "menjawab bersedia atau tidak, tanggal pilihan, jumlah siswa dan narahubung; sekolah yang tidak "
               "bersedia (atau tidak menjawab) digantikan sekolah berikutnya menurut peringkat, di dalam tugas ini.",
    )

    @task(task_id="memberitahukan_jadwal", multiple_outputs=True,
          doc_md="**Memberitahukan jadwal pelaksanaan kegiatan kepada pihak sekolah**: surat pemberitahuan jadwal "
                 "(PDF, kop kantor) dan undangan kalender ke sekolah; tim menerima tautan kuis dan kode QR-nya.")
    def memberitahukan_jadwal(pick: dict, coordination: dict, ti=None) -> dict:
        from airflow.sdk.exceptions import AirflowSkipException

        from bapas_sop.sops.pasjam_school import flow

        result = flow.schedule(pick, coordination, dag_id=ti.dag_id, run_id=ti.run_id)
        if result is None:
            raise AirflowSkipException("Tidak ada sekolah yang bersedia periode ini.")
        return result

    jadwal = memberitahukan_jadwal(pilihan, koordinasi.output)

    hari = DateTimeSensorAsync(
        task_id="menunggu_hari_penyuluhan",
        target_time=jadwal["day_starts"],
        doc_md="Menunggu hari penyuluhan (pukul 06.00 WIB) tanpa menahan worker; formulir pelaksanaan dikirim setelahnya.",
    )

    penyuluhan = human_step(
        "melaksanakan_penyuluhan",
        form="pasjam_school_penyuluhan",
        title=f"Pelaksanaan penyuluhan Pasjam School {TERM}",
        assignee="kasubsi_bka",
        form_context={"facts": jadwal["facts"], "tim_options": jadwal["tim_options"]},
        prefill={"jumlah_siswa_hadir": jadwal["students"]},
        due_at=jadwal["session_due"],
        policy=SESSION,
        doc_md="**Melaksanakan kegiatan penyuluhan terhadap siswa/siswi sekolah**: pada hari pelaksanaan tim yang "
               "bertugas dan jumlah siswa yang hadir dicatat.",
    )
    jadwal >> hari >> penyuluhan

    umpan_balik = SchoolStepSensor(
        task_id="umpan_balik_guru",
        step="umpan_balik",
        payload={"schedule": jadwal, "session": penyuluhan.answer},
        doc_md="Guru (kontak sekolah) memberi umpan balik atas penyuluhan melalui tautan pribadi.",
    )

    @task(task_id="mengevaluasi_hasil_kegiatan",
          doc_md="**Mengevaluasi hasil kegiatan**: kuis siswa ditutup; nilai sebelum dan sesudah serta peningkatannya "
                 "dihitung.")
    def mengevaluasi_hasil_kegiatan(schedule: dict, ti=None) -> dict:
        from bapas_sop.sops.pasjam_school import flow

        return flow.evaluate(schedule, dag_id=ti.dag_id, run_id=ti.run_id)

    evaluasi = mengevaluasi_hasil_kegiatan(jadwal)
    umpan_balik >> evaluasi

    @task(task_id="membuat_laporan_hasil_kegiatan",
          doc_md="**Membuat laporan hasil kegiatan**: laporan PDF dengan grafik evaluasi untuk Kepala Bapas; "
                 "riwayat kunjungan sekolah dipakai skor risiko periode berikutnya.")
    def membuat_laporan_hasil_kegiatan(pick: dict, schedule: dict, evaluation: dict, ti=None) -> str:
        from bapas_sop.sops.pasjam_school import flow

        return flow.report(pick, schedule, dag_id=ti.dag_id, run_id=ti.run_id)

    membuat_laporan_hasil_kegiatan(pilihan, jadwal, evaluasi)

"""Peterpan — Pegawai Terbaik Jadi Panutan: the quarterly best-employee survey.

One run per quarter, on the first working day of the next quarter at 08.00 WIB (a holiday
or cuti bersama on the 1st moves it; ``FirstWorkingDayTimetable``): the run elects the best
employee of the quarter that has just ended. An admin can run it for any quarter from the
UI (``triwulan``, e.g. ``2026-Q3``).

Every active employee gets a personal ballot listing everyone else; the ballots are one
form request each (``pengisian_survei.tunggu_suara`` is mapped over them, one waiting task
per voter); a ballot unanswered at closing time is an abstention, so the run never fails
because someone did not vote. Ties go to the Kabapas. The rules are in
:mod:`bapas_sop.sops.peterpan.rules`; what each task does in :mod:`bapas_sop.sops.peterpan.flow`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from airflow.sdk import DAG, Param, TaskGroup, XComArg, task

from bapas_sop import office
from bapas_sop.airflow.google_forms import GoogleFormCollectOperator
from bapas_sop.airflow.operators import human_step
from bapas_sop.airflow.sensors import FormResponseSensor
from bapas_sop.airflow.timetables import FirstWorkingDayTimetable
from bapas_sop.policy import StepPolicy

WIB = ZoneInfo("Asia/Jakarta")
GOOGLE_BINDING = "google_binding"
QUARTER = "{{ ti.xcom_pull(task_ids='pembuatan_tautan_survei', key='quarter_label') }}"

# The Kabapas decides a tie and approves the certificate within two days.
KABAPAS_DECISION = StepPolicy.from_config(due=timedelta(days=2), remind_before=timedelta(hours=6),
                                          expire_after=timedelta(days=14))
# The winner's photo: three days; without one, Tim Humas uses an archive photo.
PHOTO = StepPolicy.from_config(due=timedelta(days=3), remind_before=timedelta(days=1), escalate_after=None,
                               expire_after=timedelta(days=4), default_answer={"tautan_foto": None})
# Staf TU: a week to print, sign and hand over; late, the Kabapas hears of it.
GIFT = StepPolicy.from_config(due=timedelta(days=7), remind_before=timedelta(days=1),
                              escalate_to_role="kabapas", expire_after=timedelta(days=21))

with DAG(
    dag_id="peterpan",
    description="Peterpan: survei Pegawai Terbaik Jadi Panutan tiap triwulan",
    schedule=office.schedule(
        "peterpan", FirstWorkingDayTimetable(months=3, hour=8, minute=0, timezone="Asia/Jakarta", interval="previous"),
    ),
    start_date=datetime(2026, 1, 1, tzinfo=WIB),
    catchup=False,
    max_active_runs=1,
    tags=["sop", "peterpan", "kepegawaian"],
    default_args={"owner": "bapas-sop", "retries": 2, "retry_delay": timedelta(seconds=30)},
    doc_md=__doc__,
    params={
        "triwulan": Param(None, type=["null", "string"], pattern=r"^\d{4}-Q[1-4]$", title="Triwulan yang dinilai",
                          description="Format TTTT-Qn, mis. 2026-Q3. Kosongkan untuk triwulan sebelum tanggal jalan."),
        "lama_hari_kerja": Param(5, type="integer", minimum=1, maximum=20, title="Lama survei (hari kerja)",
                                 description="Survei ditutup pukul 16.00 WIB setelah sekian hari kerja."),
        "ditutup_pada": Param(None, type=["null", "string"], format="date-time", title="Survei ditutup pada (WIB)",
                              description="Isi untuk menentukan sendiri waktu penutupan; mengabaikan lama survei."),
        "ulangi": Param(False, type="boolean", title="Buat ulang survei triwulan ini",
                        description="Centang hanya bila survei triwulan yang sama memang harus diulang."),
        "formulir": Param(None, type=["null", "string"], enum=[None, "bawaan", "google"], title="Formulir survei",
                          description="bawaan = halaman formulir Bapas; google = Google Forms (perlu koneksi Google, "
                                      "lihat docs/google.md). Kosongkan untuk mengikuti konfigurasi kantor."),
    },
) as dag:

    @task(task_id="pembuatan_tautan_survei", multiple_outputs=True,
          doc_md="**Pembuatan tautan survey**: daftar kandidat (pegawai aktif) dan pemilih triwulan ini dibuat; "
                 "Pokja 3 menerima daftarnya untuk diperiksa.")
    def pembuatan_tautan_survei(params=None, ti=None, data_interval_start=None, logical_date=None):
        from bapas_sop.sops.peterpan import flow

        return flow.create_survey(dict(params), dag_id=ti.dag_id, run_id=ti.run_id,
                                           data_interval_start=data_interval_start, logical_date=logical_date)

    survei = pembuatan_tautan_survei()

    with TaskGroup("pengisian_survei", tooltip="Pengisian survey oleh seluruh pegawai") as pengisian_survei:

        @task(task_id="kirim_tautan_pribadi",
              doc_md="**Pengisian survey oleh seluruh pegawai**: setiap pegawai menerima tautan pribadi (satu suara, "
                     "tanpa dirinya sendiri di daftar pilihan); yang belum memilih diingatkan sehari sebelum ditutup.")
        def kirim_tautan_pribadi(survey: dict, ti=None) -> list[str]:
            from bapas_sop.sops.peterpan import flow

            keys = flow.open_ballots(survey, dag_id=ti.dag_id, run_id=ti.run_id)
            # {} on the built-in forms: an XCom of None reads as missing.
            ti.xcom_push(key=GOOGLE_BINDING, value=flow.google_binding(survey, keys) or {})
            return keys

        kunci = kirim_tautan_pribadi(survei)
        google = GoogleFormCollectOperator(
            task_id="kumpulkan_jawaban_google",
            binding=XComArg(kunci.operator, key=GOOGLE_BINDING),
            # The last read must succeed before the ballots close: ride out an hour of Google outage.
            retries=6,
            retry_delay=timedelta(minutes=10),
            doc_md="Hanya bila survei memakai Google Forms: jawaban dibaca berkala (tiap 10 menit, "
                   "`[google] forms_poll_seconds`) dan dicatat sebagai suara pemiliknya; saat ditutup, formulir "
                   "berhenti menerima jawaban dan dibaca sekali lagi seluruhnya.",
        )
        suara = FormResponseSensor.partial(
            task_id="tunggu_suara",
            map_index_template="{{ task.request_subject }}",
            doc_md="Menunggu suara satu pemilih (NIP pada indeks). Tidak memilih sampai survei ditutup = abstain.",
        ).expand(request_key=kunci)
        # On Google Forms the ballots are settled by the collecting task; on the built-in forms it
        # ends at once and each ballot waits for its own answer.
        google >> suara

    @task(task_id="terpilih_pegawai_terbaik", multiple_outputs=True,
          doc_md="**Terpilih 1 orang pegawai dengan hasil survey terbanyak**: suara dihitung (pandas), suara untuk diri "
                 "sendiri dan suara kedua ditolak, tingkat partisipasi dihitung.")
    def terpilih_pegawai_terbaik(survey: dict, outcomes, ti=None) -> dict:
        from bapas_sop.sops.peterpan import flow

        return flow.tally_votes(survey, list(outcomes), dag_id=ti.dag_id, run_id=ti.run_id)

    hasil = terpilih_pegawai_terbaik(survei, suara.output)

    @task.branch(task_id="perolehan_suara_sama",
                 doc_md="Suara terbanyak sama (atau tidak ada suara sah): Kepala Bapas yang menetapkan.")
    def perolehan_suara_sama(result: dict) -> str:
        from bapas_sop.sops.peterpan import flow

        return "kabapas_memutuskan_seri.kirim_formulir" if flow.needs_decision(result) else "tetapkan_pemenang"

    cabang = perolehan_suara_sama(hasil)

    seri = human_step(
        "kabapas_memutuskan_seri",
        form="peterpan_putusan_seri",
        title=f"Penetapan Pegawai Terbaik {QUARTER}: perolehan suara sama",
        assignee="kabapas",
        form_context={"facts": hasil["tie_facts"], "kandidat_seri": hasil["tie_options"]},
        policy=KABAPAS_DECISION,
        doc_md="Perolehan suara sama: **Kepala Bapas menetapkan** satu pegawai terbaik dari peraih suara terbanyak.",
    )

    @task(task_id="tetapkan_pemenang", trigger_rule="none_failed_min_one_success", multiple_outputs=True,
          doc_md="Pegawai terbaik ditetapkan: menurut suara terbanyak, atau menurut putusan Kepala Bapas bila seri.")
    def tetapkan_pemenang(survey: dict, result: dict, ti=None) -> dict:
        from bapas_sop.sops.peterpan import flow

        decision = ti.xcom_pull(task_ids="kabapas_memutuskan_seri.tunggu_jawaban")
        return flow.decide_winner(survey, result, decision, dag_id=ti.dag_id, run_id=ti.run_id)

    pemenang = tetapkan_pemenang(survei, hasil)
    cabang >> [seri, pemenang]
    seri >> pemenang

    @task(task_id="sertifikat_pegawai_teladan", multiple_outputs=True,
          doc_md="**Pemberian sertifikat pegawai teladan tiap triwulan**: draf sertifikat (PDF) dibuat dan dikirim "
                 "ke Kepala Bapas.")
    def sertifikat_pegawai_teladan(survey: dict, winner: dict, ti=None) -> dict:
        from bapas_sop.sops.peterpan import flow

        return flow.prepare_certificate(survey, winner, dag_id=ti.dag_id, run_id=ti.run_id)

    draf = sertifikat_pegawai_teladan(survei, pemenang)

    persetujuan = human_step(
        "kabapas_menyetujui_sertifikat",
        form="peterpan_persetujuan_sertifikat",
        title=f"Persetujuan sertifikat Pegawai Terbaik {QUARTER}",
        assignee="kabapas",
        form_context={"facts": draf["facts"]},
        prefill=draf["prefill"],
        policy=KABAPAS_DECISION,
        doc_md="Kepala Bapas menyetujui sertifikat (kutipan penghargaan dapat diubah) atau tidak menerbitkannya.",
    )

    @task.short_circuit(task_id="terbitkan_sertifikat",
                        doc_md="Sertifikat yang disetujui dikirim ke **Staf TU** untuk dicetak. Bila Kepala Bapas tidak "
                               "menyetujui, langkah penghargaan dilewati dan Pokja 3 diberi tahu.")
    def terbitkan_sertifikat(survey: dict, winner: dict, approval: dict, ti=None):
        from bapas_sop.sops.peterpan import flow

        return flow.issue_certificate(survey, winner, approval, dag_id=ti.dag_id, run_id=ti.run_id)

    terbit = terbitkan_sertifikat(survei, pemenang, persetujuan.answer)

    foto = human_step(
        "pemenang_mengirim_foto",
        form="peterpan_foto",
        title=f"Selamat! Kirim foto Anda sebagai Pegawai Terbaik {QUARTER}",
        assignee=pemenang["assignee"],
        form_context={"facts": pemenang["facts"]},
        policy=PHOTO,
        doc_md="**Pemajangan foto di depan pintu masuk dan media sosial**: pegawai terbaik diminta fotonya.",
    )

    @task(task_id="keterangan_media_sosial",
          doc_md="Tim Humas menerima keterangan siap pakai untuk media sosial beserta tautan foto.")
    def keterangan_media_sosial(survey: dict, result: dict, winner: dict, photo: dict, ti=None) -> str:
        from bapas_sop.sops.peterpan import flow

        return flow.send_caption(survey, result, winner, photo, dag_id=ti.dag_id, run_id=ti.run_id)

    keterangan = keterangan_media_sosial(survei, hasil, pemenang, foto.answer)

    bingkisan = human_step(
        "staf_tu_bingkisan",
        form="peterpan_bingkisan",
        title=f"Cetak sertifikat dan serahkan bingkisan Pegawai Terbaik {QUARTER}",
        assignee="staff_tu",
        form_context={"facts": pemenang["facts"]},
        policy=GIFT,
        doc_md="**Bingkisan**: Staf TU mencetak sertifikat, menyiapkan bingkisan dan mencatat penyerahannya.",
    )

    @task(task_id="pengumuman_hasil",
          doc_md="Seluruh pegawai menerima pengumuman pegawai terbaik dengan grafik hasil survei (PNG).")
    def pengumuman_hasil(survey: dict, result: dict, winner: dict, ti=None) -> int:
        from bapas_sop.sops.peterpan import flow

        return flow.announce(survey, result, winner, dag_id=ti.dag_id, run_id=ti.run_id)

    pengumuman = pengumuman_hasil(survei, hasil, pemenang)
    terbit >> [foto, bingkisan, pengumuman]

    @task(task_id="catat_hasil_triwulan", doc_md="Hasil triwulan dicatat: pemenang, foto dan penyerahan bingkisan.")
    def catat_hasil_triwulan(survey: dict, winner: dict, photo: dict, gift: dict, ti=None) -> dict:
        from bapas_sop.sops.peterpan import flow

        return flow.close(survey, winner, photo, gift, dag_id=ti.dag_id, run_id=ti.run_id)

    catat = catat_hasil_triwulan(survei, pemenang, foto.answer, bingkisan.answer)
    [keterangan, pengumuman] >> catat

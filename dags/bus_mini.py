"""Bus Mini — the office's weekly video news on YouTube.

One run per week (Monday to Sunday, WIB), started Monday 08.00 WIB: the staff report the
week's activities (Wednesday 12.00), Tim Humas gets the compiled rundown (HTML and PDF),
confirms the filming and the voice-over with a draft, the Ketua Humas approves the draft
(*inferred*: the seed gives him a column but no step; "revisi" sends it back to Tim Humas),
and the **upload check** looks for the week's video on the office channel: a video counts
when it was published inside the week window in WIB. Found: recorded and announced to all
staff. Not found at the upload deadline (Friday 17.00): Tim Humas is reminded; still none
when the week closes: the Ketua Humas is told and the week is recorded as missed.

The check is a reschedule-mode sensor (no worker is held between looks). Without a YouTube
connection (the embedded default) it says so in the log and Tim Humas confirms the upload on
a form instead. The week-by-week history is kept in the audit trail. Rules:
:mod:`bapas_sop.sops.bus_mini.rules`; tasks: :mod:`bapas_sop.sops.bus_mini.flow`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from airflow.sdk import DAG, CronTriggerTimetable, Param, PokeReturnValue, TaskGroup, task

from bapas_sop import office
from bapas_sop.airflow.operators import human_step
from bapas_sop.airflow.sensors import FormResponseSensor
from bapas_sop.policy import StepPolicy

WIB = ZoneInfo("Asia/Jakarta")
WEEK = "{{ ti.xcom_pull(task_ids='pekan_ini', key='label') }}"

# Tim Humas: a day per step; late, the Ketua Humas hears of it.
HUMAS = StepPolicy.from_config(due=timedelta(days=1), remind_before=timedelta(hours=4),
                               escalate_to_role="ketua_humas", expire_after=timedelta(days=3))
# The Ketua Humas reviews the draft within a day; late, the Kabapas hears of it.
REVIEW = StepPolicy.from_config(due=timedelta(days=1), remind_before=timedelta(hours=4), expire_after=timedelta(days=3))
# How often the channel is looked at while waiting for the week's video.
UPLOAD_POLL = timedelta(minutes=30)


def _nullable_datetime(title: str, description: str) -> Param:
    return Param(None, type=["null", "string"], format="date-time", title=title, description=description)


with DAG(
    dag_id="bus_mini",
    description="Bus Mini: berita video mingguan dan pemeriksaan unggahan YouTube",
    schedule=office.schedule("bus_mini", CronTriggerTimetable("0 8 * * 1", timezone="Asia/Jakarta")),
    start_date=datetime(2026, 1, 5, tzinfo=WIB),
    catchup=False,
    max_active_runs=2,
    tags=["sop", "bus_mini", "humas"],
    default_args={"owner": "bapas-sop", "retries": 2, "retry_delay": timedelta(minutes=1)},
    doc_md=__doc__,
    params={
        "pekan": Param(None, type=["null", "string"], pattern=r"^\d{4}-W\d{2}$", title="Pekan",
                       description="Pekan ISO, mis. 2026-W48 (Senin–Minggu WIB). Kosongkan untuk pekan tanggal jalan."),
        "batas_laporan": _nullable_datetime("Batas laporan kegiatan (WIB)", "Bawaan: Rabu pukul 12.00."),
        "batas_unggah": _nullable_datetime("Batas unggah video (WIB)", "Bawaan: Jumat pukul 17.00; lewat ini Tim Humas diingatkan."),
        "batas_eskalasi": _nullable_datetime("Batas eskalasi (WIB)", "Bawaan: akhir pekan (Senin berikutnya 00.00); "
                                             "lewat ini Ketua Humas diberi tahu."),
        "youtube_channel_id": Param(None, type=["null", "string"], title="ID kanal YouTube",
                                    description="Kosongkan untuk memakai BAPAS_YOUTUBE_CHANNEL_ID dari konfigurasi."),
    },
) as dag:

    @task(task_id="pekan_ini", multiple_outputs=True,
          doc_md="Pekan (Senin–Minggu WIB) dan batas waktunya ditetapkan.")
    def pekan_ini(params=None, ti=None, logical_date=None) -> dict:
        from bapas_sop.sops.bus_mini import flow

        return flow.plan_week(dict(params), dag_id=ti.dag_id, run_id=ti.run_id, logical_date=logical_date)

    pekan = pekan_ini()

    with TaskGroup("mengumpulkan_informasi", tooltip="Mengumpulkan informasi dan kegiatan Bapas dalam sepekan"):

        @task(task_id="kirim_formulir_kegiatan",
              doc_md="**Mengumpulkan informasi dan kegiatan Bapas dalam sepekan**: setiap pegawai menerima formulir "
                     "laporan kegiatan; yang tidak menjawab sampai batas waktu dianggap tidak ada kegiatan.")
        def kirim_formulir_kegiatan(plan: dict, ti=None) -> list[str]:
            from bapas_sop.sops.bus_mini import flow

            return flow.open_report_requests(plan, dag_id=ti.dag_id, run_id=ti.run_id)

        laporan = FormResponseSensor.partial(
            task_id="tunggu_laporan",
            map_index_template="{{ task.request_subject }}",
            doc_md="Menunggu laporan kegiatan satu pegawai (NIP pada indeks).",
        ).expand(request_key=kirim_formulir_kegiatan(pekan))

        @task(task_id="susun_rundown", multiple_outputs=True,
              doc_md="Rundown pekan ini (HTML dan PDF) disusun dari laporan pegawai dan dikirim ke **Tim Humas** "
                     "sebagai bahan naskah.")
        def susun_rundown(plan: dict, outcomes, ti=None) -> dict:
            from bapas_sop.sops.bus_mini import flow

            return flow.compile_rundown(plan, list(outcomes), dag_id=ti.dag_id, run_id=ti.run_id)

        rundown = susun_rundown(pekan, laporan.output)

    gambar = human_step(
        "pengambilan_gambar",
        form="bus_mini_pengambilan_gambar",
        title=f"Konfirmasi pengambilan gambar Bus Mini {WEEK}",
        assignee="humas",
        form_context={"facts": rundown["facts"]},
        policy=HUMAS,
        doc_md="**Melakukan proses pengambilan gambar**: Tim Humas mengonfirmasi pengambilan gambar.",
    )

    suara = human_step(
        "perekaman_suara",
        form="bus_mini_perekaman_suara",
        title=f"Konfirmasi perekaman suara Bus Mini {WEEK}",
        assignee="humas",
        form_context={"facts": rundown["facts"], "base_facts": rundown["base_facts"]},
        policy=HUMAS,
        doc_md="**Merekam pengisian suara**: Tim Humas mengonfirmasi perekaman suara dan mengirim tautan draf video.",
    )
    gambar >> suara

    @task(task_id="draf_video", multiple_outputs=True,
          doc_md="Draf video dan konfirmasi perekaman suara disiapkan untuk diperiksa Ketua Humas.")
    def draf_video(plan: dict, voice: dict) -> dict:
        from bapas_sop.sops.bus_mini import flow

        return flow.draft_facts(plan, voice)

    draf = draf_video(pekan, suara.answer)

    persetujuan = human_step(
        "persetujuan_ketua_humas",
        form="bus_mini_persetujuan_draf",
        title=f"Persetujuan draf video Bus Mini {WEEK}",
        assignee="ketua_humas",
        form_context={"facts": draf["facts"], "base_facts": draf["base_facts"]},
        policy=REVIEW,
        review_of=suara,
        revision_title="Revisi ke-{round}: draf video Bus Mini " + WEEK,
        review_round_title="Persetujuan draf revisi ke-{round}: Bus Mini " + WEEK,
        doc_md="*Inferred*: **Ketua Humas menyetujui draf** sebelum diunggah, atau mengembalikannya ke Tim Humas dengan "
               "catatan (putaran revisi berjalan di dalam tugas ini sampai disetujui).",
    )

    with TaskGroup("mengunggah_video", tooltip="Mengunggah video ke akun YouTube Bapas") as unggah:

        @task.sensor(task_id="cek_unggahan", mode="reschedule", poke_interval=UPLOAD_POLL.total_seconds(),
                     timeout=timedelta(days=10).total_seconds(), trigger_rule="all_done",
                     doc_md="**Mengunggah video ke akun YouTube Bapas**: kanal YouTube diperiksa (unggahan yang tayang "
                            "dalam jendela pekan WIB) atau, tanpa koneksi YouTube, konfirmasi Tim Humas lewat formulir. "
                            "Lewat batas unggah: pengingat ke Tim Humas; lewat akhir pekan: eskalasi ke Ketua Humas. "
                            "Berjalan juga bila langkah sebelumnya gagal: yang dinilai adalah videonya.")
        def cek_unggahan(plan: dict, ti=None) -> PokeReturnValue:
            from bapas_sop.sops.bus_mini import flow

            result = flow.check_upload(plan, dag_id=ti.dag_id, run_id=ti.run_id)
            return PokeReturnValue(is_done=result is not None, xcom_value=result)

        cek = cek_unggahan(pekan)

        @task.short_circuit(task_id="catat_riwayat_pekan",
                            doc_md="Pekan ini dicatat dalam riwayat (diunggah atau tidak); tanpa video, pengumuman dilewati.")
        def catat_riwayat_pekan(plan: dict, result: dict, ti=None):
            from bapas_sop.sops.bus_mini import flow

            return flow.record_week(plan, result, dag_id=ti.dag_id, run_id=ti.run_id)

        video = catat_riwayat_pekan(pekan, cek)

        @task(task_id="umumkan_video", doc_md="Seluruh pegawai menerima tautan video Bus Mini pekan ini.")
        def umumkan_video(plan: dict, found: dict, ti=None) -> int:
            from bapas_sop.sops.bus_mini import flow

            return flow.announce_video(plan, found, dag_id=ti.dag_id, run_id=ti.run_id)

        umumkan_video(pekan, video)

    persetujuan >> cek

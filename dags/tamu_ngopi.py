"""Tamu Ngopi — Tatap Muka Sharing Opini: the monthly opinion forum.

One run per month, on the month's first working day at 08.00 WIB (``FirstWorkingDayTimetable``,
the data interval is the month of the forum); an admin can plan any month from the UI. The
forum is on the third Thursday (``[tamu_ngopi]`` of ``bapas.toml``; the next working day when
that is a holiday). Steps (*inferred*: the seed lost this flowchart; see docs/tamu_ngopi.md):

1. every employee and every stakeholder of the configuration (partner agencies, client
   families, community figures) proposes a topic on a personal link; the Kabapas approves the
   agenda (open action items of earlier forums are on it by themselves) and the guest list, or
   names a stand-in host;
2. invitations with a calendar entry (.ics) and an RSVP (hadir / tidak hadir / diwakili oleh);
   reminders to answer, and a reminder to those coming on the forum's morning;
3. Staf TU records the attendance and the minutes (notulen);
4. the Kabapas decides which suggestions become action items (owner, due date);
5. the summary report (PDF) goes to everyone who took part, and each action item's owner is
   asked for a report until it is done (reminders; the Kabapas hears when a report is late
   after the due date). What is still open goes onto next month's agenda.

Rules: :mod:`bapas_sop.sops.tamu_ngopi.rules`; tasks: :mod:`bapas_sop.sops.tamu_ngopi.flow`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from airflow.providers.standard.sensors.date_time import DateTimeSensorAsync
from airflow.sdk import DAG, Param, TaskGroup, task

from bapas_sop import office
from bapas_sop.airflow.sensors import STEP_KEY_TEMPLATE, FormResponseSensor
from bapas_sop.airflow.timetables import FirstWorkingDayTimetable
from bapas_sop.sops.tamu_ngopi.sensors import FollowUpSensor

WIB = ZoneInfo("Asia/Jakarta")


def _waits_for(step: str, doc_md: str) -> FormResponseSensor:
    """The task that waits for the one answer of ``step`` (opened by the task before it)."""
    return FormResponseSensor(task_id=step, request_key=STEP_KEY_TEMPLATE.format(step=step), doc_md=doc_md)


with DAG(
    dag_id="tamu_ngopi",
    description="Tamu Ngopi: forum Tatap Muka Sharing Opini bulanan dan tindak lanjutnya",
    schedule=office.schedule(
        "tamu_ngopi", FirstWorkingDayTimetable(months=1, hour=8, minute=0, timezone="Asia/Jakarta", interval="current"),
    ),
    start_date=datetime(2026, 1, 1, tzinfo=WIB),
    catchup=False,
    # The follow-up of a month's action items may run into the next month's forum.
    max_active_runs=3,
    tags=["sop", "tamu_ngopi", "forum"],
    default_args={"owner": "bapas-sop", "retries": 2, "retry_delay": timedelta(seconds=30)},
    doc_md=__doc__,
    params={
        "bulan": Param(None, type=["null", "string"], pattern=r"^\d{4}-(0[1-9]|1[0-2])$", title="Bulan forum",
                       description="Format TTTT-BB, mis. 2026-11. Kosongkan untuk bulan tanggal jalan."),
        "tanggal_forum": Param(None, type=["null", "string"], format="date", title="Tanggal forum",
                               description="Kosongkan untuk hari yang dikonfigurasi (Kamis ketiga)."),
        "jam": Param(None, type=["null", "string"], pattern=r"^([01]\d|2[0-3])[.:][0-5]\d$", title="Jam mulai (WIB)",
                     description="mis. 13.00. Kosongkan untuk jam yang dikonfigurasi."),
        "putaran_laporan": Param(None, type=["null", "integer"], minimum=1, maximum=24,
                                 title="Laporan tindak lanjut paling banyak",
                                 description="Berapa kali pemilik tindak lanjut diminta melapor dalam run ini."),
    },
) as dag:

    @task(task_id="rencana_forum", multiple_outputs=True,
          doc_md="Bulan, rencana tanggal dan jam forum, dan batas waktu setiap langkah ditetapkan.")
    def rencana_forum(params=None, ti=None, data_interval_start=None, logical_date=None) -> dict:
        from bapas_sop.sops.tamu_ngopi import flow

        return flow.plan_forum(dict(params), dag_id=ti.dag_id, run_id=ti.run_id,
                               data_interval_start=data_interval_start, logical_date=logical_date)

    rencana = rencana_forum()

    with TaskGroup("usulan_topik", tooltip="Pegawai dan pemangku kepentingan mengusulkan topik"):

        @task(task_id="kirim_formulir_topik",
              doc_md="**Usulan topik**: setiap pegawai dan setiap pemangku kepentingan (instansi mitra, keluarga "
                     "klien, tokoh masyarakat) menerima tautan pribadi untuk mengusulkan topik; pengingat sehari "
                     "sebelum ditutup, yang tidak menjawab dianggap tidak mengusulkan.")
        def kirim_formulir_topik(plan: dict, ti=None) -> list[str]:
            from bapas_sop.sops.tamu_ngopi import flow

            return flow.open_topic_requests(plan, dag_id=ti.dag_id, run_id=ti.run_id)

        usulan = FormResponseSensor.partial(
            task_id="tunggu_usulan",
            map_index_template="{{ task.request_subject }}",
            doc_md="Menunggu usulan topik satu orang (NIP, atau kode pemangku kepentingan, pada indeks).",
        ).expand(request_key=kirim_formulir_topik(rencana))

    @task(task_id="susun_agenda", multiple_outputs=True,
          doc_md="Usulan topik dicatat; agenda disusun: **tindak lanjut bulan lalu yang belum selesai masuk "
                 "dengan sendirinya**, lalu usulan topik (yang sama digabung). Kepala Bapas diminta menyetujuinya.")
    def susun_agenda(plan: dict, outcomes, ti=None) -> dict:
        from bapas_sop.sops.tamu_ngopi import flow

        return flow.build_agenda(plan, list(outcomes), dag_id=ti.dag_id, run_id=ti.run_id)

    susunan = susun_agenda(rencana, usulan.output)

    persetujuan = _waits_for(
        "kabapas_menyetujui_agenda",
        "**Kepala Bapas menyetujui agenda dan daftar tamu**, mengubah waktu dan tempat, atau menunjuk tuan rumah "
        "pengganti; tanpa jawaban sampai batas waktu, usulan sistem yang berlaku.",
    )
    susunan >> persetujuan

    @task(task_id="catat_agenda", multiple_outputs=True,
          doc_md="Agenda, tamu, waktu, tempat dan tuan rumah yang disetujui dicatat.")
    def catat_agenda(plan: dict, outcome: dict, ti=None) -> dict:
        from bapas_sop.sops.tamu_ngopi import flow

        return flow.record_agenda(plan, outcome, dag_id=ti.dag_id, run_id=ti.run_id)

    agenda = catat_agenda(rencana, persetujuan.output)

    with TaskGroup("undangan", tooltip="Undangan dengan konfirmasi kehadiran dan undangan kalender"):

        @task(task_id="kirim_undangan",
              doc_md="**Undangan**: pegawai yang tidak cuti/dinas luar pada hari itu dan tamu yang disetujui menerima "
                     "undangan dengan berkas kalender (.ics) dan tautan konfirmasi: hadir, tidak hadir, atau "
                     "diwakili oleh orang lain. Pengingat sebelum konfirmasi ditutup.")
        def kirim_undangan(plan: dict, approved: dict, ti=None) -> list[str]:
            from bapas_sop.sops.tamu_ngopi import flow

            return flow.send_invitations(plan, approved, dag_id=ti.dag_id, run_id=ti.run_id)

        konfirmasi = FormResponseSensor.partial(
            task_id="tunggu_konfirmasi",
            map_index_template="{{ task.request_subject }}",
            doc_md="Menunggu konfirmasi kehadiran satu undangan. Tidak menjawab sampai ditutup = belum menjawab.",
        ).expand(request_key=kirim_undangan(rencana, agenda))

        @task(task_id="catat_konfirmasi", doc_md="Konfirmasi kehadiran dicatat per peserta (termasuk siapa wakilnya).")
        def catat_konfirmasi(plan: dict, outcomes, ti=None) -> dict:
            from bapas_sop.sops.tamu_ngopi import flow

            return flow.record_rsvps(plan, list(outcomes), dag_id=ti.dag_id, run_id=ti.run_id)

        rsvp = catat_konfirmasi(rencana, konfirmasi.output)

    pagi = DateTimeSensorAsync(
        task_id="menunggu_pagi_forum",
        target_time=agenda["forum_morning"],
        doc_md="Menunggu pagi hari forum (pukul 07.00 WIB) tanpa menahan worker.",
    )

    @task(task_id="pengingat_forum",
          doc_md="**Pengingat**: pada pagi hari forum, yang akan hadir (atau mengirim wakil) diingatkan.")
    def pengingat_forum(plan: dict, ti=None) -> int:
        from bapas_sop.sops.tamu_ngopi import flow

        return flow.remind_forum(plan, dag_id=ti.dag_id, run_id=ti.run_id)

    pengingat = pengingat_forum(rencana)
    rsvp >> pagi >> pengingat

    mulai = DateTimeSensorAsync(
        task_id="menunggu_forum",
        target_time=agenda["forum_opens"],
        doc_md="Menunggu forum dimulai; formulir notulen dikirim ke Staf TU saat itu.",
    )

    @task(task_id="minta_notulen",
          doc_md="Staf TU menerima formulir daftar hadir (yang mengonfirmasi hadir sudah dicentang) dan notulen.")
    def minta_notulen(plan: dict, approved: dict, ti=None) -> str:
        from bapas_sop.sops.tamu_ngopi import flow

        return flow.ask_minutes(plan, approved, dag_id=ti.dag_id, run_id=ti.run_id)

    notulen_diminta = minta_notulen(rencana, agenda)
    pengingat >> mulai >> notulen_diminta

    notulen = _waits_for(
        "notulen_forum",
        "**Pelaksanaan forum**: Staf TU mencatat daftar hadir dan notulen, dengan usulan peserta satu per baris "
        "(pengingat; lewat batas waktu, atasannya diberi tahu).",
    )
    notulen_diminta >> notulen

    @task(task_id="catat_notulen", multiple_outputs=True,
          doc_md="Daftar hadir dan notulen dicatat; Kepala Bapas diminta memutuskan tindak lanjut dari usulan peserta.")
    def catat_notulen(plan: dict, outcome: dict, ti=None) -> dict:
        from bapas_sop.sops.tamu_ngopi import flow

        return flow.record_minutes(plan, outcome, dag_id=ti.dag_id, run_id=ti.run_id)

    catatan = catat_notulen(rencana, notulen.output)

    keputusan = _waits_for(
        "kabapas_memutuskan_tindak_lanjut",
        "**Keputusan**: Kepala Bapas menetapkan usulan mana yang menjadi tindak lanjut, dengan penanggung jawab "
        "dari daftar pegawai dan tenggatnya.",
    )
    catatan >> keputusan

    @task(task_id="catat_tindak_lanjut",
          doc_md="Tindak lanjut dicatat; yang diikuti run ini: tindak lanjut baru dan tindak lanjut bulan lalu yang "
                 "belum selesai dan tidak sedang diikuti run lain.")
    def catat_tindak_lanjut(plan: dict, outcome: dict, ti=None) -> list:
        from bapas_sop.sops.tamu_ngopi import flow

        return flow.record_decisions(plan, outcome, dag_id=ti.dag_id, run_id=ti.run_id)

    tindakan = catat_tindak_lanjut(rencana, keputusan.output)

    @task(task_id="laporan_forum",
          doc_md="**Laporan ringkas** (PDF: agenda, kehadiran, notulen, tindak lanjut) dikirim ke semua peserta yang "
                 "hadir, tembusan Kepala Bapas.")
    def laporan_forum(plan: dict, items: list, ti=None) -> int:
        from bapas_sop.sops.tamu_ngopi import flow

        return flow.report(plan, dag_id=ti.dag_id, run_id=ti.run_id)

    laporan_forum(rencana, tindakan)

    tindak_lanjut = FollowUpSensor.partial(
        task_id="tindak_lanjut",
        max_rounds="{{ ti.xcom_pull(task_ids='rencana_forum', key='rounds') }}",
        map_index_template="Tindakan {{ task.item['item_id'] }}",
        doc_md="**Tindak lanjut**: penanggung jawab diminta melapor pada tenggat, lalu berkala sampai melaporkan "
               "selesai (pengingat sehari sebelumnya; Kepala Bapas diberi tahu bila laporan lewat tenggat).",
    ).expand(item=tindakan)

    @task(task_id="rekap_tindak_lanjut", trigger_rule="all_done",
          doc_md="Tindak lanjut run ini ditutup: yang selesai dicatat, yang masih terbuka otomatis masuk agenda "
                 "bulan berikutnya.")
    def rekap_tindak_lanjut(plan: dict, results, ti=None) -> dict:
        from bapas_sop.sops.tamu_ngopi import flow

        return flow.close_follow_up(plan, list(results or []), dag_id=ti.dag_id, run_id=ti.run_id)

    rekap_tindak_lanjut(rencana, tindak_lanjut.output)

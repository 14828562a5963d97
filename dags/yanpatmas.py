"""YANPATMAS — Layanan Pengaduan Masyarakat (the public complaints service).

One DAG run per complaint, from the complaint to the sanction or the rehabilitation of the
person complained about. The run is started by the public page ``/bapas/yanpatmas/pengaduan``
(or ULP's intake page for complaints by WhatsApp, telephone, the complaint box, email or
SP4N-LAPOR!) with the run id ``aduan__<ticket>`` and the ticket as its only parameter.

**Confidential.** Airflow sees ticket numbers and stages only: no name, contact or complaint
text in params, XCom, logs, rendered fields, run ids or task ids. The human steps are
``confidential_step``s (``bapas_sop.sops.yanpatmas.steps``): their operator has no templated
fields, their waiting task returns ``{"key", "status"}``, and the task after each step reads
the answer from the project database. Deadlines (``[yanpatmas]`` in ``bapas.toml``) are
watched by ``yanpatmas_pemantauan``; a complaint stored while no run could be started is
started there too. Runs are never queued (see ``sp2lo.py``): ``max_active_runs`` is far above
any office's caseload.

| # | Seed step (Pengguna Layanan · Tim ULP · Kepala Bapas) | Tasks |
|---|---|---|
| 1 | Penyampaian keluhan melalui media YANPATMAS | ``penyampaian_keluhan`` |
| 2 | Menerima laporan dan pengaduan | ``menerima_laporan`` → ``melengkapi_laporan`` / ``tutup_di_luar_kewenangan`` / ``tutup_ditarik`` |
| 3 | Menyampaikan laporan kepada Kepala Bapas | ``menyampaikan_kepada_kabapas`` |
| 4 | Menganalisa laporan pengaduan | ``menganalisa_laporan`` |
| 5 | Pemeriksaan terhadap terlapor | ``pemeriksaan_terhadap_terlapor`` |
| 6 | Membuat laporan hasil pemeriksaan | ``membuat_laporan_hasil_pemeriksaan``, ``pengesahan_laporan`` |
| 7 | Menyampaikan hasil kepada Kepala Kanwil dan pelapor | ``menyampaikan_hasil_kepada_kanwil_dan_pelapor`` (or ``menyampaikan_tanggapan`` without an examination) |
| 8 | Sanksi bila terbukti, rehabilitasi bila tidak | ``sanksi_atau_rehabilitasi`` → ``memberikan_sanksi`` / ``melakukan_rehabilitasi``, ``tutup_pengaduan`` |
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG, Param, task

from bapas_sop.settings import get_settings
from bapas_sop.sops.yanpatmas.steps import COMPLAINANT, EXAMINER, confidential_step

MAX_OPEN_COMPLAINTS = int(get_settings().config.get("yanpatmas", {}).get("max_open_complaints", 10_000))
JOIN = "none_failed_min_one_success"


def _step(task_id: str) -> str:
    """The first task of a confidential step (what a branch names)."""
    return f"{task_id}.kirim_formulir"


with DAG(
    dag_id="yanpatmas",
    description="YANPATMAS: pengaduan masyarakat sampai sanksi atau rehabilitasi (satu run per pengaduan)",
    schedule=None,
    catchup=False,
    tags=["sop", "yanpatmas", "pengaduan"],
    default_args={"owner": "bapas-sop", "retries": 2, "retry_delay": timedelta(seconds=30)},
    max_active_runs=MAX_OPEN_COMPLAINTS,
    doc_md=__doc__,
    params={
        "nomor_tiket": Param("", type="string", pattern=r"^YP-\d{4}-\d{4,6}$", title="Nomor tiket",
                             description="Diisi otomatis oleh halaman pengaduan; isi pengaduan tidak pernah masuk Airflow."),
    },
) as dag:

    @task(task_id="penyampaian_keluhan",
          doc_md="**Penyampaian keluhan melalui media YANPATMAS**: pengaduan yang tersimpan (halaman publik atau dicatat ULP) "
                 "diambil oleh run ini; pelapor sudah menerima nomor tiket dan kode pelacakan dari halaman itu.")
    def penyampaian_keluhan(params=None, ti=None) -> dict:
        from bapas_sop.sops.yanpatmas import flow

        return flow.receive(str(params["nomor_tiket"]), dag_id=ti.dag_id, run_id=ti.run_id)

    diterima = penyampaian_keluhan()

    menerima = confidential_step(
        "menerima_laporan", form="yanpatmas_penerimaan", assignee="ulp",
        doc_md="**Menerima laporan dan pengaduan**: ULP memeriksa kelengkapan (3 hari kerja): lengkap, belum lengkap "
               "(pelapor diminta melengkapi), atau di luar kewenangan (ditutup dengan alasan dan rujukan).",
    )

    @task.branch(task_id="catat_penerimaan",
                 doc_md="Hasil pemeriksaan kelengkapan dicatat dan menentukan jalan berikutnya.")
    def catat_penerimaan(outcome: dict, ti=None) -> str:
        from bapas_sop.sops.yanpatmas import flow

        decision = flow.record_check(ti.dag_id, ti.run_id, outcome["key"])
        return {"lengkap": _step("menyampaikan_kepada_kabapas"), "tidak_lengkap": _step("melengkapi_laporan")}.get(
            decision, "tutup_di_luar_kewenangan")

    penerimaan = catat_penerimaan(menerima.answer)

    @task(task_id="tutup_di_luar_kewenangan",
          doc_md="Pengaduan di luar kewenangan Bapas ditutup; pelapor menerima alasan dan ke mana pengaduan dapat disampaikan.")
    def tutup_di_luar_kewenangan(ti=None) -> None:
        from bapas_sop.sops.yanpatmas import flow

        flow.close_out_of_scope(ti.dag_id, ti.run_id)

    melengkapi = confidential_step(
        "melengkapi_laporan", form="yanpatmas_melengkapi", assignee=COMPLAINANT,
        doc_md="**Pelapor melengkapi pengaduan** melalui tautannya sendiri (30 hari, dengan pengingat); tanpa jawaban "
               "pengaduan ditutup sebagai ditarik.",
    )

    @task.branch(task_id="catat_kelengkapan", doc_md="Kelengkapan dari pelapor dicatat, atau pengaduan dinyatakan ditarik.")
    def catat_kelengkapan(outcome: dict, ti=None) -> str:
        from bapas_sop.sops.yanpatmas import flow

        decision = flow.record_supplement(ti.dag_id, ti.run_id, outcome["key"])
        return _step("menyampaikan_kepada_kabapas") if decision == "lengkap" else "tutup_ditarik"

    kelengkapan = catat_kelengkapan(melengkapi.answer)

    @task(task_id="tutup_ditarik", doc_md="Pengaduan yang tidak dilengkapi ditutup sebagai ditarik; pelapor diberi tahu.")
    def tutup_ditarik(ti=None) -> None:
        from bapas_sop.sops.yanpatmas import flow

        flow.close_withdrawn(ti.dag_id, ti.run_id)

    menyampaikan = confidential_step(
        "menyampaikan_kepada_kabapas", form="yanpatmas_penyampaian", assignee="ulp", trigger_rule=JOIN,
        doc_md="**Menyampaikan laporan pengaduan kepada Kepala Bapas**: ULP meneruskan pengaduan dengan ringkasannya.",
    )

    @task(task_id="catat_penyampaian", doc_md="Ringkasan ULP dicatat; pengaduan menunggu telaah Kepala Bapas.")
    def catat_penyampaian(outcome: dict, ti=None) -> None:
        from bapas_sop.sops.yanpatmas import flow

        flow.record_forwarding(ti.dag_id, ti.run_id, outcome["key"])

    menganalisa = confidential_step(
        "menganalisa_laporan", form="yanpatmas_analisis", assignee="kabapas",
        doc_md="**Menganalisa laporan pengaduan**: Kepala Bapas menentukan kategori, berdasar atau tidak, perlu "
               "pemeriksaan atau tidak, dan pemeriksanya (bukan terlapor atau bawahannya).",
    )

    @task.branch(task_id="catat_telaah",
                 doc_md="Telaah dicatat, batas penyelesaian dihitung (14 hari tanpa pemeriksaan, 60 hari dengan "
                        "pemeriksaan) dan pelapor menerima tanggapan pertama.")
    def catat_telaah(outcome: dict, ti=None) -> str:
        from bapas_sop.sops.yanpatmas import flow

        route = flow.record_analysis(ti.dag_id, ti.run_id, outcome["key"])
        return _step("pemeriksaan_terhadap_terlapor") if route == "pemeriksaan" else "menyampaikan_tanggapan"

    telaah = catat_telaah(menganalisa.answer)

    @task(task_id="menyampaikan_tanggapan",
          doc_md="Tanpa pemeriksaan: tanggapan Kepala Bapas disampaikan kepada pelapor.")
    def menyampaikan_tanggapan(ti=None) -> None:
        from bapas_sop.sops.yanpatmas import flow

        flow.answer_without_examination(ti.dag_id, ti.run_id)

    pemeriksaan = confidential_step(
        "pemeriksaan_terhadap_terlapor", form="yanpatmas_pemeriksaan", assignee=EXAMINER,
        doc_md="**Melakukan pemeriksaan terhadap terlapor**: pemeriksa mencatat tanggal, keterangan, bukti dan "
               "kesimpulan; ia membaca isi pengaduan tanpa identitas pelapor.",
    )

    @task(task_id="catat_pemeriksaan", doc_md="Hasil pemeriksaan dan kesimpulannya dicatat.")
    def catat_pemeriksaan(outcome: dict, ti=None) -> None:
        from bapas_sop.sops.yanpatmas import flow

        flow.record_examination(ti.dag_id, ti.run_id, outcome["key"])

    @task(task_id="membuat_laporan_hasil_pemeriksaan",
          doc_md="**Membuat laporan hasil pemeriksaan**: laporan (PDF) disusun dari pemeriksaan dan disimpan.")
    def membuat_laporan_hasil_pemeriksaan(ti=None) -> None:
        from bapas_sop.sops.yanpatmas import flow

        flow.make_report(ti.dag_id, ti.run_id)

    pengesahan = confidential_step(
        "pengesahan_laporan", form="yanpatmas_pengesahan", assignee="kabapas",
        doc_md="**Laporan hasil pemeriksaan disahkan** oleh Kepala Bapas.",
    )

    @task(task_id="catat_pengesahan", doc_md="Pengesahan laporan dicatat.")
    def catat_pengesahan(outcome: dict, ti=None) -> None:
        from bapas_sop.sops.yanpatmas import flow

        flow.record_approval(ti.dag_id, ti.run_id, outcome["key"])

    @task(task_id="menyampaikan_hasil_kepada_kanwil_dan_pelapor",
                 doc_md="**Menyampaikan hasil pemeriksaan kepada Kepala Kanwil dan pelapor**: laporan (PDF) kepada Kepala "
                        "Kantor Wilayah; hasilnya dengan kata-kata sederhana kepada pelapor (tanpa laporan internal dan "
                        "nama pemeriksa).")
    def menyampaikan_hasil(ti=None) -> None:
        from bapas_sop.sops.yanpatmas import flow

        flow.send_result(ti.dag_id, ti.run_id)

    @task.branch(task_id="sanksi_atau_rehabilitasi",
                 doc_md="**Memberikan sanksi bila laporan terbukti, rehabilitasi bila tidak terbukti.**")
    def sanksi_atau_rehabilitasi(ti=None) -> str:
        from bapas_sop.sops.yanpatmas import flow

        outcome = flow.complaint_for_run(ti.dag_id, ti.run_id).outcome
        return _step("memberikan_sanksi") if outcome == "terbukti" else "melakukan_rehabilitasi"

    sanksi = confidential_step(
        "memberikan_sanksi", form="yanpatmas_sanksi", assignee="kabapas",
        doc_md="**Sanksi**: Kepala Bapas mencatat sanksi (ringan, sedang, berat) dan nomor keputusannya.",
    )

    @task(task_id="catat_sanksi", doc_md="Sanksi dan nomor keputusannya dicatat.")
    def catat_sanksi(outcome: dict, ti=None) -> None:
        from bapas_sop.sops.yanpatmas import flow

        flow.record_sanction(ti.dag_id, ti.run_id, outcome["key"])

    @task(task_id="melakukan_rehabilitasi",
          doc_md="**Rehabilitasi**: surat pemulihan nama baik (PDF) untuk terlapor, disimpan dan dikirim kepadanya.")
    def melakukan_rehabilitasi(ti=None) -> None:
        from bapas_sop.sops.yanpatmas import flow

        flow.rehabilitate(ti.dag_id, ti.run_id)

    @task(task_id="tutup_pengaduan", trigger_rule=JOIN,
          doc_md="Catatan pengaduan ditutup; pelapor diundang menilai penanganan melalui halaman status.")
    def tutup_pengaduan(ti=None) -> None:
        from bapas_sop.sops.yanpatmas import flow

        flow.close(ti.dag_id, ti.run_id)

    diterima >> menerima
    penerimaan >> [menyampaikan, melengkapi, tutup_di_luar_kewenangan()]
    kelengkapan >> [menyampaikan, tutup_ditarik()]
    catat_penyampaian(menyampaikan.answer) >> menganalisa
    telaah >> [pemeriksaan, (tanggapan := menyampaikan_tanggapan())]
    laporan = catat_pemeriksaan(pemeriksaan.answer) >> membuat_laporan_hasil_pemeriksaan()
    laporan >> pengesahan
    pilihan = catat_pengesahan(pengesahan.answer) >> menyampaikan_hasil() >> sanksi_atau_rehabilitasi()
    pilihan >> [sanksi, (rehabilitasi := melakukan_rehabilitasi())]
    [catat_sanksi(sanksi.answer), rehabilitasi, tanggapan] >> tutup_pengaduan()

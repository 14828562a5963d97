"""SP2LO — Sistem Pengawasan Penyelesaian Litmas secara Online.

One DAG run per Litmas request, from receipt to the PK's SPPD settlement. The overdue checks,
daily digest and monthly report are in ``sp2lo_pemantauan.py``.

**Runs are never queued.** A run is a case whose statutory clock (3x24 jam for a child) starts
at receipt, so a run must start the moment its case is registered. In Airflow 3.3
``max_active_runs`` counts the DAG's runs in state running *or queued*; beyond it the scheduler
leaves new runs queued: the case has a number but no receipt email and no disposition step
until an older case closes (with the former limit of 50, the 51st open case waited). An open
case costs nearly nothing while it waits for people: its human steps defer to the triggerer
and a deferred task holds no executor slot, no ``parallelism`` and, in the default pool, no
pool slot. So the limit is set far above any office's caseload, from ``[sp2lo] max_open_cases``
in ``bapas.toml`` (not 0: the scheduler reads 0 as "no limit" in one place and as "already
full" in another). ``max_active_tasks`` is per run since Airflow 3 and bounds one case's own
parallel tasks, not the number of cases. Cases that were registered while no run could be
started are started by ``sp2lo_pemantauan``'s ``permintaan_belum_diproses``.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG, Param, task

from bapas_sop.airflow.operators import human_step
from bapas_sop.policy import StepPolicy
from bapas_sop.settings import get_settings
from bapas_sop.sops.sp2lo.terms import CATEGORIES, LITMAS_TYPES, REQUESTING_AGENCIES

#: More open cases than any office has at once; see the module doc (runs are never queued).
MAX_OPEN_CASES = int(get_settings().config.get("sp2lo", {}).get("max_open_cases", 10_000))

CASE = "{{ ti.xcom_pull(task_ids='permintaan_litmas', key='case_number') }}"

# The PK's Litmas and the Kasubsi's review are timed by the case deadline: the monitor DAG
# sends the 50 %/80 % reminders and the overdue escalation, so the step itself stays quiet.
ON_CASE_DEADLINE = StepPolicy.from_config(remind_before=None, escalate_after=None, expire_after=timedelta(days=60))
QUICK_DECISION = StepPolicy.from_config(due=timedelta(hours=24), remind_before=timedelta(hours=6))


def _nullable(schema_type: str, **schema) -> dict:
    return {"type": ["null", schema_type], **schema}


with DAG(
    dag_id="sp2lo",
    description="SP2LO: permintaan Litmas sampai kelayakan SPPD",
    schedule=None,
    catchup=False,
    tags=["sop", "sp2lo", "litmas"],
    default_args={"owner": "bapas-sop", "retries": 2, "retry_delay": timedelta(seconds=30)},
    max_active_runs=MAX_OPEN_CASES,  # a case-per-run DAG must never queue a statutory clock
    doc_md=__doc__,
    params={
        "case_number": Param(None, **_nullable("string"), title="Nomor perkara",
                             description="Diisi otomatis bila permintaan datang dari formulir. Kosongkan bila mencatat surat baru."),
        "nomor_surat": Param(None, **_nullable("string"), title="Nomor surat permintaan"),
        "tanggal_surat": Param(None, **_nullable("string", format="date"), title="Tanggal surat"),
        "instansi": Param(None, type=["null", "string"], enum=[None, *REQUESTING_AGENCIES],
                          values_display=REQUESTING_AGENCIES, title="Instansi pemohon"),
        "nama_instansi": Param(None, **_nullable("string"), title="Nama instansi", description="mis. Polresta Jambi"),
        "nama_pemohon": Param(None, **_nullable("string"), title="Nama pemohon"),
        "email_pemohon": Param(None, **_nullable("string"), title="Email pemohon",
                               description="Tanda terima dan pemberitahuan selesai dikirim ke alamat ini."),
        "nama_klien": Param(None, **_nullable("string"), title="Nama klien"),
        "kategori": Param(None, type=["null", "string"], enum=[None, *CATEGORIES], values_display=CATEGORIES,
                          title="Kategori klien"),
        "jenis_litmas": Param(None, type=["null", "string"], enum=[None, *LITMAS_TYPES], values_display=LITMAS_TYPES,
                              title="Jenis Litmas"),
        "diterima_pada": Param(None, **_nullable("string", format="date-time"), title="Waktu surat diterima (WIB)",
                               description="Kosongkan bila diterima sekarang."),
    },
) as dag:

    @task(task_id="permintaan_litmas", multiple_outputs=True,
          doc_md="**Permintaan Penelitian Kemasyarakatan Anak/Dewasa**: perkara dicatat, jam mulai dihitung, pemohon menerima tanda terima.")
    def permintaan_litmas(params=None, ti=None):
        from bapas_sop.sops.sp2lo import flow

        return flow.start_case(dict(params), dag_id=ti.dag_id, run_id=ti.run_id)

    case = permintaan_litmas()

    disposisi = human_step(
        "kabapas_disposisi",
        form="sp2lo_disposisi",
        title=f"Disposisi permintaan Litmas {CASE}",
        assignee="kabapas",
        form_context={"facts": case["facts"]},
        prefill={"seksi": case["suggested_section"]},
        policy=QUICK_DECISION,
        doc_md="**Kepala Bapas melakukan disposisi ke Kasubsi BKA / BKD** (saran: anak ke BKA, dewasa ke BKD).",
    )

    @task(task_id="catat_disposisi", multiple_outputs=True,
          doc_md="Disposisi Kepala Bapas dicatat pada perkara; daftar PK seksi itu beserta bebannya disiapkan untuk Kasubsi.")
    def catat_disposisi(case_number: str, outcome: dict):
        from bapas_sop.sops.sp2lo import flow

        return flow.after_disposition(case_number, outcome)

    seksi = catat_disposisi(case["case_number"], disposisi.answer)

    penunjukan = human_step(
        "kasubsi_menunjuk_pk",
        form="sp2lo_tunjuk_pk",
        title=f"Penunjukan PK untuk Litmas {CASE}",
        assignee=seksi["kasubsi"],
        form_context={"facts": seksi["facts"], "pk_options": seksi["pk_options"]},
        prefill={"pk_nip": seksi["suggested_pk"]},
        policy=QUICK_DECISION,
        doc_md="**Kasubsi menunjuk Pembimbing Kemasyarakatan**: formulir menampilkan beban Litmas tiap PK dan menyarankan yang paling ringan.",
    )

    @task(task_id="catat_penunjukan", multiple_outputs=True,
          doc_md="PK yang ditunjuk dicatat; batas waktu Litmas dihitung (untuk Litmas integrasi jam mulai saat penunjukan).")
    def catat_penunjukan(case_number: str, outcome: dict):
        from bapas_sop.sops.sp2lo import flow

        return flow.after_appointment(case_number, outcome)

    pk = catat_penunjukan(case["case_number"], penunjukan.answer)

    litmas = human_step(
        "pk_melakukan_litmas",
        form="sp2lo_laporan_litmas",
        title=f"Laporan penyelesaian Litmas {CASE}",
        assignee=pk["assignee"],
        form_context={"facts": pk["facts"], "base_facts": pk["facts"]},
        due_at=pk["due_at"],
        policy=ON_CASE_DEADLINE,
        doc_md="**PK melakukan Penelitian Kemasyarakatan** dan melaporkan penyelesaiannya (nomor laporan, tanggal, perjalanan dinas).",
    )

    @task(task_id="catat_laporan", multiple_outputs=True,
          doc_md="Laporan penyelesaian PK (nomor laporan, tanggal, perjalanan dinas) dicatat; perkara menunggu rekomendasi Kasubsi.")
    def catat_laporan(case_number: str, outcome: dict):
        from bapas_sop.sops.sp2lo import flow

        return flow.after_report(case_number, outcome)

    laporan = catat_laporan(case["case_number"], litmas.answer)

    rekomendasi = human_step(
        "kasubsi_rekomendasi",
        form="sp2lo_rekomendasi",
        title=f"Rekomendasi hasil Litmas {CASE}",
        assignee=seksi["kasubsi"],
        form_context={"facts": laporan["facts"], "base_facts": pk["facts"]},
        policy=QUICK_DECISION,
        review_of=litmas,
        revision_title="Revisi ke-{round}: laporan Litmas " + CASE,
        review_round_title="Rekomendasi revisi ke-{round}: Litmas " + CASE,
        doc_md=(
            "**Kasubsi memberikan rekomendasi dengan melihat penyelesaian di aplikasi SP2LO**: setuju, atau "
            "kembalikan kepada PK dengan catatan (putaran revisi berjalan di dalam tugas ini sampai disetujui)."
        ),
    )

    @task(task_id="catat_rekomendasi",
          doc_md="Persetujuan Kasubsi dicatat bersama laporan yang disetujui dan jumlah putaran revisinya.")
    def catat_rekomendasi(case_number: str, outcome: dict):
        from bapas_sop.sops.sp2lo import flow

        return flow.after_review(case_number, outcome)

    disetujui = catat_rekomendasi(case["case_number"], rekomendasi.answer)

    @task(task_id="pemberitahuan_selesai",
          doc_md="Pemohon menerima pemberitahuan bahwa Litmas telah selesai.")
    def pemberitahuan_selesai(case_number: str):
        from bapas_sop.sops.sp2lo import flow

        flow.notify_requester_done(case_number)

    @task.short_circuit(task_id="kelayakan_sppd",
                        doc_md="**PK dapat mengajukan SPPD**: hanya Litmas yang sudah selesai dan disetujui, dengan perjalanan dinas, membuat PK berhak mengajukan SPPD.")
    def kelayakan_sppd(case_number: str):
        from bapas_sop.sops.sp2lo import flow

        return flow.sppd_gate(case_number)

    sppd = kelayakan_sppd(case["case_number"])

    pengajuan = human_step(
        "pk_mengajukan_sppd",
        form="sp2lo_pengajuan_sppd",
        title=f"Pengajuan SPPD Litmas {CASE}",
        assignee=pk["assignee"],
        form_context=sppd,
        doc_md="PK mengajukan SPPD melalui tautan pribadinya.",
    )
    pencairan = human_step(
        "keuangan_mencairkan_sppd",
        form="sp2lo_pencairan_sppd",
        title=f"Pencairan SPPD Litmas {CASE}",
        assignee="keuangan",
        form_context=sppd,
        doc_md="Bagian Keuangan diberi tahu dan mencatat pencairan SPPD.",
    )
    pertanggungjawaban = human_step(
        "pk_pertanggungjawaban_sppd",
        form="sp2lo_pertanggungjawaban",
        title=f"Pertanggungjawaban perjalanan dinas Litmas {CASE}",
        assignee=pk["assignee"],
        form_context=sppd,
        due_at="{{ ti.xcom_pull(task_ids='kelayakan_sppd')['accountability_due_at'] }}",
        policy=StepPolicy.from_config(remind_before=timedelta(days=2), escalate_after=timedelta(hours=1),
                                      escalate_to_role="keuangan", expire_after=timedelta(days=30)),
        doc_md="Pertanggungjawaban perjalanan dinas paling lambat 5 hari kerja setelah perjalanan, dengan pengingat.",
    )

    @task(task_id="catat_pencairan",
          doc_md="Pencairan SPPD oleh Keuangan dicatat pada perkara (jumlah, nomor bukti, tanggal).")
    def catat_pencairan(case_number: str, outcome: dict):
        from bapas_sop.sops.sp2lo import flow

        flow.after_disbursement(case_number, outcome)

    @task(task_id="tutup_perkara",
          doc_md="Pertanggungjawaban perjalanan dinas dicatat dan perkara ditutup.")
    def tutup_perkara(case_number: str, outcome: dict):
        from bapas_sop.sops.sp2lo import flow

        flow.close_case(case_number, outcome)

    disetujui >> [pemberitahuan_selesai(case["case_number"]), sppd]
    sppd >> pengajuan >> pencairan >> catat_pencairan(case["case_number"], pencairan.answer) >> pertanggungjawaban
    tutup_perkara(case["case_number"], pertanggungjawaban.answer)

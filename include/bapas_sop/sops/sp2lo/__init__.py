"""SP2LO (Sistem Pengawasan Penyelesaian Litmas secara Online): a Litmas request from receipt
to the officer's travel-cost (SPPD) settlement.

``rules`` (deadlines, stages, reports: pure), ``terms`` (the Litmas vocabulary), ``service``
(cases in the store), ``flow`` (what the DAG's tasks do), ``monitor`` (reminders, escalations,
digest, monthly report), ``forms``, ``pages`` (public request form, letters, the monitor).
"""

from bapas_sop.descriptor import NavLink, SopDescriptor

SOP = SopDescriptor(
    id="sp2lo",
    title="SP2LO",
    summary="Pemantauan penyelesaian Litmas dari permintaan sampai pertanggungjawaban SPPD.",
    dags=("sp2lo", "sp2lo_pemantauan", "sp2lo_ringkasan_harian", "sp2lo_laporan_bulanan"),
    forms=("bapas_sop.sops.sp2lo.forms",),
    router="bapas_sop.sops.sp2lo.pages:router",
    figures="bapas_sop.sops.sp2lo.kinerja:figures",
    nav=(
        NavLink("Pemantauan Litmas (SP2LO)", "/admin/litmas", "semua Litmas berjalan, tahap, PK, batas waktu.",
                airflow_menu=True),
        NavLink("Formulir permintaan Litmas", "/litmas/permohonan",
                "formulir publik untuk instansi yang meminta Litmas.", public=True, airflow_menu=True),
        NavLink("Pencatatan surat masuk", "/litmas/surat-masuk",
                "petugas mencatat surat permintaan Litmas yang diterima.", public=True),
    ),
)

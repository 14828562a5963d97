"""Yanpatmas (Layanan Pengaduan Masyarakat): a public complaint from receipt to the sanction or
the rehabilitation of the person complained about, confidential throughout.

``rules`` (stages, deadlines, conflict of interest, monthly figures: pure), ``secrecy``
(the identity encrypted, the tracking code hashed), ``models``, ``service`` (complaints in
the store), ``flow`` (what the DAG's tasks do), ``steps`` (the Airflow side of a confidential
human step), ``monitor`` (reminders, escalations, monthly report), ``forms``, ``pages``
(public complaint and status pages, ULP's intake, the admin list).
"""

from bapas_sop.descriptor import HistorySection, NavLink, SopDescriptor

SOP = SopDescriptor(
    id="yanpatmas",
    title="Yanpatmas",
    summary="Layanan pengaduan masyarakat: dari pengaduan sampai sanksi atau rehabilitasi, rahasia sepanjang jalan.",
    dags=("yanpatmas", "yanpatmas_pemantauan", "yanpatmas_laporan_bulanan"),
    forms=("bapas_sop.sops.yanpatmas.forms",),
    figures="bapas_sop.sops.yanpatmas.kinerja:figures",
    confidential=True,
    router="bapas_sop.sops.yanpatmas.pages:router",
    nav=(
        NavLink("Pengaduan (Yanpatmas)", "/admin/yanpatmas", "pengaduan berjalan, tahap, sisa waktu, terlambat.",
                airflow_menu=True),
        NavLink("Formulir pengaduan masyarakat", "/yanpatmas/pengaduan",
                "halaman publik untuk menyampaikan pengaduan.", public=True, airflow_menu=True),
        NavLink("Cek status pengaduan", "/yanpatmas/status",
                "pelapor memeriksa status dengan nomor tiket dan kode pelacakan.", public=True),
        NavLink("Catat pengaduan masuk (ULP)", "/yanpatmas/pengaduan-masuk",
                "ULP mencatat pengaduan dari WhatsApp, telepon, kotak, email atau SP4N-LAPOR!."),
    ),
    history=HistorySection("Yanpatmas", "bapas_sop.sops.yanpatmas.history:rows", "yanpatmas/history.html"),
)

"""Piket Hari Libur (Bu Tejo): the holiday duty roster.

The office stays open on weekends, national holidays and cuti bersama. Each month the coming
month's non-working days get a fair rotation of duty officers (``rules``), Staf TU reviews and
swaps, the Kabapas approves or returns it, each officer is told with a calendar invitation and
may name a substitute (``sensors``: the substitution loop), and on the day the officer checks in
and logs what was handled on their page of the day (``pages``); a Litmas request logged there
starts an SP2LO case at once. ``flow`` is what the DAGs' tasks do, ``history`` each person's
duties on the history page.
"""

from bapas_sop.descriptor import HistorySection, NavLink, SopDescriptor

SOP = SopDescriptor(
    id="piket_hari_libur",
    title="Piket Hari Libur (Bu Tejo)",
    summary="Jadwal piket hari libur yang adil, substitusi, kehadiran dan laporan petugas piket.",
    dags=("piket_hari_libur", "piket_hari_libur_harian"),
    forms=("bapas_sop.sops.piket_hari_libur.forms",),
    figures="bapas_sop.sops.piket_hari_libur.kinerja:figures",
    router="bapas_sop.sops.piket_hari_libur.pages:router",
    nav=(NavLink("Jadwal piket hari libur", "/admin/piket",
                 "petugas piket per hari libur, substitusi, kehadiran dan catatan.", airflow_menu=True),),
    history=HistorySection("Piket hari libur", "bapas_sop.sops.piket_hari_libur.history:rows",
                           "piket_hari_libur/history.html"),
)

"""Pekan Disiplin: weekly attendance and discipline (PP 94/2021).

``rules`` (the machine export, lateness/early leave/absence, the year's accumulation: pure),
``flow`` (what the DAG's tasks do), ``forms`` (the supervisors' decisions, the apel checklist),
``pages`` (the admin page), ``history`` (each week on the history page), ``teladan`` (the most
disciplined employees of a quarter, for other SOPs to read).
"""

from bapas_sop.descriptor import HistorySection, NavLink, SopDescriptor

SOP = SopDescriptor(
    id="pekan_disiplin",
    title="Pekan Disiplin",
    summary="Rekap kehadiran dan disiplin pegawai setiap pekan, keputusan atasan, dan akumulasi menurut PP 94/2021.",
    dags=("pekan_disiplin",),
    forms=("bapas_sop.sops.pekan_disiplin.forms",),
    figures="bapas_sop.sops.pekan_disiplin.kinerja:figures",
    router="bapas_sop.sops.pekan_disiplin.pages:router",
    nav=(NavLink("Pekan Disiplin", "/admin/pekan-disiplin",
                 "kejadian kehadiran pekan ini, keputusan atasan, akumulasi setahun per pegawai."),),
    history=HistorySection("Pekan Disiplin", "bapas_sop.sops.pekan_disiplin.history:rows", "pekan_disiplin/history.html"),
)

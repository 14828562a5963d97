"""Tamu Ngopi (Tatap Muka Sharing Opini): the monthly opinion forum with staff and stakeholders.

``rules`` (dates, stakeholders, agenda, carry-over, overdue: pure), ``flow`` (what the DAG's
tasks do), ``sensors`` (the follow-up loop of an action item), ``forms``, ``models`` (meetings,
topics, participants, action items), ``pages`` (the admin page), ``history`` (each forum on the
history page).
"""

from bapas_sop.descriptor import HistorySection, NavLink, SopDescriptor

SOP = SopDescriptor(
    id="tamu_ngopi",
    title="Tamu Ngopi",
    summary="Forum opini bulanan bersama pegawai dan pemangku kepentingan, dengan tindak lanjut yang dipantau.",
    dags=("tamu_ngopi",),
    forms=("bapas_sop.sops.tamu_ngopi.forms",),
    figures="bapas_sop.sops.tamu_ngopi.kinerja:figures",
    router="bapas_sop.sops.tamu_ngopi.pages:router",
    nav=(NavLink("Tamu Ngopi", "/admin/tamu-ngopi", "Tindak lanjut forum Tamu Ngopi (terbuka, terlambat, selesai) "
                 "dan riwayat forum."),),
    history=HistorySection("Tamu Ngopi", "bapas_sop.sops.tamu_ngopi.history:rows", "tamu_ngopi/history.html"),
)

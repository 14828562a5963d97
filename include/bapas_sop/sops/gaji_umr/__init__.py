"""Gaji UMR (Gerakan Bapas Jambi Untuk Masyarakat): the monthly social activity with clients.

``rules`` (register, rotation, dates: pure), ``flow`` (what the DAG's tasks do), ``sensors``
(the contact loop: a declined client pulls the next), ``forms``, ``history`` (each month on the
history page).
"""

from bapas_sop.descriptor import HistorySection, SopDescriptor

SOP = SopDescriptor(
    id="gaji_umr",
    title="Gaji UMR",
    summary="Kegiatan sosial bulanan bersama klien pemasyarakatan.",
    dags=("gaji_umr",),
    forms=("bapas_sop.sops.gaji_umr.forms",),
    figures="bapas_sop.sops.gaji_umr.kinerja:figures",
    history=HistorySection("Gaji UMR", "bapas_sop.sops.gaji_umr.history:rows", "gaji_umr/history.html"),
)

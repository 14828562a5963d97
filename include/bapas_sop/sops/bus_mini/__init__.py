"""Bus Mini: the office's weekly video news and its YouTube upload check.

``rules`` (weeks, rundown, upload windows: pure), ``flow`` (what the DAG's tasks do), ``forms``,
``history`` (each week on the history page).
"""

from bapas_sop.descriptor import HistorySection, SopDescriptor

SOP = SopDescriptor(
    id="bus_mini",
    title="Bus Mini",
    summary="Video berita mingguan kegiatan kantor, diunggah ke YouTube setiap pekan.",
    dags=("bus_mini",),
    forms=("bapas_sop.sops.bus_mini.forms",),
    figures="bapas_sop.sops.bus_mini.kinerja:figures",
    history=HistorySection("Bus Mini", "bapas_sop.sops.bus_mini.history:rows", "bus_mini/history.html"),
)

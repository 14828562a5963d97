"""Peterpan (Pegawai Terbaik Jadi Panutan): the quarterly best-employee survey.

``rules`` (quarters, ballots, tally, ties: pure), ``flow`` (what the DAG's tasks do), ``models`` (one
row per survey run, migrated in ``migrations/``), ``forms``,
``history`` (each quarter's winner on the history page).
"""

from bapas_sop.descriptor import HistorySection, SopDescriptor

SOP = SopDescriptor(
    id="peterpan",
    title="Peterpan",
    summary="Survei pegawai terbaik setiap triwulan, sertifikat dan bingkisan untuk pemenangnya.",
    dags=("peterpan",),
    forms=("bapas_sop.sops.peterpan.forms",),
    figures="bapas_sop.sops.peterpan.kinerja:figures",
    history=HistorySection("Peterpan", "bapas_sop.sops.peterpan.history:rows", "peterpan/history.html"),
)

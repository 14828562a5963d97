"""Pasjam School (Bapas Jambi Goes To School): a legal outreach to the riskiest school, per term.

``rules`` (register of schools, risk score, quiz: pure), ``flow`` (what the DAG's tasks do),
``sensors`` (the steps that wait on forms: observations, the school's answer with the next
school on a refusal, the teachers' feedback), ``forms``, ``pages`` (the students' public quiz,
its QR code, the admin page), ``history`` (each visit on the history page).
"""

from bapas_sop.descriptor import HistorySection, NavLink, SopDescriptor

SOP = SopDescriptor(
    id="pasjam_school",
    title="Pasjam School",
    summary="Penyuluhan hukum ke sekolah berisiko tinggi, tiap semester: observasi, skor risiko, koordinasi, evaluasi.",
    dags=("pasjam_school",),
    forms=("bapas_sop.sops.pasjam_school.forms",),
    figures="bapas_sop.sops.pasjam_school.kinerja:figures",
    router="bapas_sop.sops.pasjam_school.pages:router",
    nav=(NavLink("Pasjam School", "/admin/pasjam-school", "peringkat risiko sekolah dan riwayat kunjungan."),),
    history=HistorySection("Pasjam School", "bapas_sop.sops.pasjam_school.history:rows", "pasjam_school/history.html"),
)

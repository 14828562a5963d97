"""Pekan Disiplin end to end: week 2026-W46 of the demo export under ``dag.test()``, the forms
answered through the real pages from the emails, the emails read back.

The week (``include/data/absensi/2026-W46.csv``): Rina 22 minutes late on Monday, Dedi absent on
Wednesday, Rizki without a check-out on Thursday and 45 minutes early on Friday (their
supervisor: Kasubsi BKA); Bambang 40 minutes late on Tuesday, Fajar absent Monday to Wednesday
(Kasubsi BKD); Agus 11 minutes late on Thursday (Kaur Keuangan); a former employee still in the
machine (a bad row, to the Kaur TU). The Kasubsi BKA excuses Dedi (sick) and Rizki's Thursday
(official duty) with evidence; the Kasubsi BKD excuses nothing, so Fajar reaches three days:
a verbal warning is recommended (coaching note to Fajar, recommendation to the Kasubsi BKD);
the Kaur Keuangan never answers. The Kabapas gets the recap with its PDF and chart.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from bapas_sop.mail.devserver import InboxMessage

from tests.support.people import AGUS, BAMBANG, DEDI, DEWI, FAJAR, HASAN, KABAPAS, KASUBSI_BKA, KASUBSI_BKD, RINA, RIZKI
from tests.support.scenario import audit_events, messages, task_states
from tests.sops.peterpan.test_scenario import attachments_of, pdf_text

RUN_TIMEOUT = 300
WEEK = "2026-W46"


@pytest.fixture
def disiplin_dag(dags: dict[str, Any]):
    """The DAG with its form waits looking every half second instead of every five minutes."""
    dag = dags["pekan_disiplin"]
    apel = dag.get_task("data.daftar_apel")
    decisions = dag.get_task("keputusan_atasan.keputusan")
    before = apel.poke_interval, decisions.partial_kwargs.get("poke_interval")
    apel.poke_interval = 0.5
    decisions.partial_kwargs["poke_interval"] = 0.5
    yield dag
    apel.poke_interval = before[0]
    decisions.partial_kwargs["poke_interval"] = before[1]


def _apel(message: InboxMessage, html: str) -> dict[str, Any]:
    return {"tidak_apel_senin": [RINA.nip], "tidak_seragam_rabu": [AGUS.nip]}


def _pick(html: str, field: str, *needles: str) -> list[str]:
    from tests.support.forms import choices

    options = choices(html, field)
    picked = [value for value, label in options.items() if all(n in label for n in needles)]
    assert len(picked) == 1, (needles, options)
    return picked


def _decide(message: InboxMessage, html: str) -> dict[str, Any] | None:
    """Kasubsi BKA: Dedi sick, Rizki's Thursday on duty; Kasubsi BKD: nothing excused; the Kaur
    Keuangan lets the deadline pass."""
    from bapas_sop.store.db import session_scope
    from bapas_sop.store.models import FormRequest, utcnow

    to = message.to[0]
    if to == KASUBSI_BKA.email:
        from tests.support.forms import choices

        listed = choices(html, "sakit").values()
        assert len(listed) == 4  # Rina, Dedi and Rizki twice: her own people only
        assert not any(BAMBANG.name in label or AGUS.name in label for label in listed)
        return {"sakit": _pick(html, "sakit", DEDI.name), "bukti_sakit": "https://drive.example/surat-dokter-dedi",
                "dinas": _pick(html, "dinas", RIZKI.name, "Kamis"), "bukti_dinas": "https://drive.example/st-rizki",
                "catatan": "Rizki mendampingi klien ke PN Jambi pada sore hari."}
    if to == KASUBSI_BKD.email:
        return {}
    assert to == DEWI.email, to
    with session_scope() as session:
        session.execute(update(FormRequest).where(FormRequest.assignee_email == to, FormRequest.status == "open")
                        .values(expires_at=utcnow()))
    return None


def _days(nip: str) -> dict[int, Any]:
    from bapas_sop.sops.pekan_disiplin.models import AttendanceDay
    from bapas_sop.store.db import session_scope

    with session_scope() as session:
        rows = session.scalars(select(AttendanceDay).where(AttendanceDay.nip == nip, AttendanceDay.week == WEEK)).all()
        session.expunge_all()
    return {r.day.day: r for r in rows}


@pytest.mark.timeout(RUN_TIMEOUT)
def test_a_week_from_the_export_to_the_recap(disiplin_dag, run_dag, smtp_server, web) -> None:
    maildir = smtp_server.maildir
    dagrun, responder = run_dag(disiplin_dag, {"pekan": WEEK}, {
        "Daftar periksa apel": _apel, "Keputusan atasan": _decide,
    })
    states = task_states(dagrun)
    assert set(states.values()) == {"success"}, states
    assert len(responder.answered) == 3  # the apel checklist and two supervisors

    # 1. Data: the former employee's row is named to the Kaur TU.
    [bad] = messages(maildir, subject="Ekspor absensi")
    assert bad.to == [DEWI.email] and "NIP 198103102007011005 tidak ada di daftar pegawai aktif" in bad.html

    # 2-3. Computed days and the decisions.
    rina, dedi, rizki, fajar, agus = (_days(p.nip) for p in (RINA, DEDI, RIZKI, FAJAR, AGUS))
    assert (rina[9].terlambat_menit, rina[9].keputusan, rina[9].tidak_apel) == (22, "tidak_sah", True)
    assert (dedi[11].tidak_masuk, dedi[11].keputusan, dedi[11].bukti) == (True, "sakit", "https://drive.example/surat-dokter-dedi")
    assert (rizki[12].scan_tidak_lengkap, rizki[12].keputusan) == (True, "dinas")
    assert (rizki[13].pulang_cepat_menit, rizki[13].keputusan) == (45, "tidak_sah")
    assert [fajar[d].keputusan for d in (9, 10, 11)] == ["tidak_sah"] * 3 and not fajar[12].insiden
    assert (agus[12].keputusan, agus[12].tidak_berseragam, agus[11].tidak_berseragam) == ("tidak_dijawab", False, True)
    assert len(_days(HASAN.nip)) == 5 and not any(d.insiden for d in _days(HASAN.nip).values())

    # 4. Fajar reaches three days: a coaching note to him, a recommendation to the Kasubsi BKD.
    [note] = messages(maildir, subject="Catatan pembinaan")
    assert note.to == [FAJAR.email] and "Pasal 9 ayat (2) huruf d angka 1 PP 94/2021" in note.html
    [advice] = messages(maildir, subject="Rekomendasi tindak lanjut disiplin")
    assert advice.to == [KASUBSI_BKD.email] and FAJAR.name in advice.subject and "Teguran lisan" in advice.html

    # 5. The recap to the Kabapas, with the PDF and the chart.
    [recap] = messages(maildir, subject="Rekap Pekan Disiplin")
    assert recap.to == [KABAPAS.email] and FAJAR.name in recap.html
    files = attachments_of(maildir, recap)
    assert files[f"grafik-pekan-disiplin-{WEEK}.png"].startswith(b"\x89PNG")
    text = pdf_text(files[f"rekap-pekan-disiplin-{WEEK}.pdf"])
    for expected in ("Rekap Pekan Disiplin", "pekan 46 (9–15 November 2026)", FAJAR.name, "Teguran lisan"):
        assert expected in text, expected

    # Airflow saw counts and ids only: no name, no NIP of an employee, no evidence link in XCom.
    xcoms = " ".join(str(ti.xcom_pull(task_ids=ti.task_id, map_indexes=ti.map_index))
                     for ti in dagrun.get_task_instances())
    for private in (RINA.name, FAJAR.nip, RINA.nip, "drive.example"):
        assert private not in xcoms, private
    assert [e.detail["threshold"] for e in audit_events(run_id=dagrun.run_id) if e.action == "pekan_disiplin_ambang"] == [
        "teguran_lisan"]

    # The admin page shows the week and the year to date; without login it is refused.
    page = web.get(f"/bapas/admin/pekan-disiplin?pekan={WEEK}", headers={"x-test-admin": "yes"})
    assert page.status_code == 200, page.text[:500]
    for expected in ("Dimaafkan: sakit", "Tidak dijawab (tidak sah)", FAJAR.name, "Teguran lisan", "pembinaan terkirim"):
        assert expected in page.text, expected
    assert web.get("/bapas/admin/pekan-disiplin").status_code != 200

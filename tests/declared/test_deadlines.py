"""Deadlines of a declared SOP counted in working days of the office calendar (weekends, national
holidays and cuti bersama out), on a pinned clock: PPID's 10 working days, its one extension of 7
counted from the first deadline (UU 14/2008 Pasal 22 ayat 7 and 8), the requester's 30 days."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine

from bapas_sop.calendar import WIB, to_wib

#: Wednesday 16 December 2026, 10.00 WIB: the deadline runs over cuti bersama (24 Dec), Natal
#: (25 Dec), Tahun Baru (1 Jan 2027) and Isra Mikraj (5 Jan 2027).
ASKED = datetime(2026, 12, 16, 10, 0, tzinfo=WIB)
REQUESTER = {"nama": "Rini Oktaviani", "email": "rini.oktaviani@warga.example", "rincian_informasi": "Daftar layanan",
             "tujuan": "Penelitian", "cara_memperoleh": "email"}


@pytest.fixture
def opened(project):
    """The PPID officer's step opened for a request made at ASKED, and its extended round."""
    from bapas_sop.declared import flow, get_declared
    from bapas_sop.store.db import session_scope
    from bapas_sop.store.models import FormRequest

    with time_machine.travel(ASKED, tick=False):  # the step opens the very moment it is asked
        request, _created = flow.register(get_declared("ppid"), REQUESTER, submission_key="k1")
        flow.receive("ppid", request.number, dag_id="ppid", run_id="permohonan__x")
        flow.open_step("ppid", "menjawab_permohonan", dag_id="ppid", run_id="permohonan__x")
        flow.open_step("ppid", "menjawab_permohonan_diperpanjang", dag_id="ppid", run_id="permohonan__x")
        with session_scope() as session:  # the officer's answer, as catat_menjawab_permohonan records it
            from bapas_sop.declared.models import DeclaredRequest

            session.get(DeclaredRequest, request.id).answers = {
                "menjawab_permohonan": {"keputusan": "diberikan", "jawaban": "Terlampir.", "tautan_informasi": None}}
        flow.open_step("ppid", "mengajukan_keberatan", dag_id="ppid", run_id="permohonan__x")
    with session_scope() as session:
        found = {r.step: r for r in session.query(FormRequest).all()}
        for r in found.values():
            session.expunge(r)
    return found


def test_ten_working_days_skip_weekends_holidays_and_cuti_bersama(opened):
    first = opened["menjawab_permohonan"]
    assert to_wib(first.due_at) == datetime(2027, 1, 4, 10, 0, tzinfo=WIB)
    # Reminded 2 working days before (Wednesday 30 December), escalated to the Kepala Bapas at the
    # deadline, closed as "not answered" 5 working days after it (Isra Mikraj 5 January skipped).
    assert to_wib(first.remind_at) == datetime(2026, 12, 30, 10, 0, tzinfo=WIB)
    assert to_wib(first.escalate_at) == to_wib(first.due_at) and first.escalate_to_role == "kabapas"
    assert to_wib(first.expires_at) == datetime(2027, 1, 12, 10, 0, tzinfo=WIB)


def test_the_extension_adds_seven_working_days_to_the_first_deadline(opened):
    extended = opened["menjawab_permohonan_diperpanjang"]
    assert to_wib(extended.due_at) == datetime(2027, 1, 14, 10, 0, tzinfo=WIB)
    assert extended.form_name == "ppid_jawaban__perpanjangan" and "(diperpanjang)" in extended.title


def test_an_office_file_changes_a_deadline_without_python(project, tmp_path, monkeypatch):
    """An office copy of ppid.yaml in $BAPAS_CONFIG_DIR/sops/ replaces the shipped one."""
    from bapas_sop.declared import SHIPPED_DIR, get_declared

    office = tmp_path / "kantor" / "sops"
    office.mkdir(parents=True)
    text = (SHIPPED_DIR / "ppid.yaml").read_text(encoding="utf-8")
    (office / "ppid.yaml").write_text(text.replace("due: {working_days: 10}", "due: {working_days: 5}", 1), encoding="utf-8")
    monkeypatch.setenv("BAPAS_CONFIG_DIR", str(tmp_path / "kantor"))
    assert str(get_declared("ppid").step("menjawab_permohonan").due) == "5 hari kerja"


def test_the_requester_has_30_working_days_and_is_neither_reminded_nor_escalated(opened):
    objection = opened["mengajukan_keberatan"]
    assert objection.assignee_email == REQUESTER["email"] and objection.form_name == "ppid_keberatan"
    assert to_wib(objection.due_at) == datetime(2027, 2, 2, 10, 0, tzinfo=WIB)  # counted by hand over the holidays
    assert objection.remind_at is None and objection.escalate_at is None
    assert objection.expires_at == objection.due_at  # then "no objection" applies (the file's default answer)

"""Yanpatmas's flow and its Airflow side without a DAG run: a step's invitation names the ticket
only while its page shows the contents to whom may read them; what leaves the store for
Airflow is a status; the complainant without an email is reached through ULP."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from tests.sops.yanpatmas.conftest import COMPLAINANT, COMPLAINT
from tests.support import people
from tests.support.forms import open_form
from tests.support.scenario import messages

DAG, RUN = "yanpatmas", "aduan__YP-2026-0001"


def _stored(**changes):
    from bapas_sop.sops.yanpatmas import service

    values = {"anonim": False, **COMPLAINANT, **COMPLAINT, **changes}
    complaint, code, created = service.register(values, channel="web", actor="pelapor")
    assert created and code
    service.attach_run(complaint.ticket, DAG, RUN)
    return complaint


def test_an_invitation_names_the_ticket_and_the_page_shows_the_complaint(web, smtp_server):
    from bapas_sop.sops.yanpatmas import flow

    complaint = _stored()
    opened = flow.open_step("menerima_laporan", "yanpatmas_penerimaan", "ulp", dag_id=DAG, run_id=RUN)
    flow.open_step("menerima_laporan", "yanpatmas_penerimaan", "ulp", dag_id=DAG, run_id=RUN)  # a retry
    from bapas_sop.mail.outbox import flush

    flush(keys=list(opened.outbox_keys))
    [invite] = messages(smtp_server.maildir)
    assert invite.to == [people.FAJAR.email] and complaint.ticket in invite.subject
    for secret in (COMPLAINANT["nama"], COMPLAINANT["email"], "lima puluh ribu", COMPLAINT["perihal"]):
        assert secret not in invite.text + invite.html
    page = open_form(web, invite)
    assert page.status_code == 200
    assert COMPLAINANT["nama"] in page.text and "lima puluh ribu" in page.text


def test_the_examiner_reads_the_contents_without_the_identity(web, smtp_server):
    from bapas_sop.sops.yanpatmas import flow, service

    complaint = _stored()
    service.update(complaint.ticket, by="test", action="test", examiner_nip=people.SITI.nip)
    opened = flow.open_step("pemeriksaan_terhadap_terlapor", "yanpatmas_pemeriksaan", "{pemeriksa}", dag_id=DAG, run_id=RUN)
    assert opened.assignee.nip == people.SITI.nip
    page = open_form(web, opened.url)
    assert "lima puluh ribu" in page.text
    assert COMPLAINANT["nama"] not in page.text and COMPLAINANT["email"] not in page.text


def test_a_complainant_without_email_is_asked_through_ulp(web, smtp_server):
    from bapas_sop.sops.yanpatmas import flow, service

    complaint = _stored(email=None)
    service.update(complaint.ticket, by="test", action="test", missing="Jam kejadian")
    opened = flow.open_step("melengkapi_laporan", "yanpatmas_melengkapi", "{pelapor}", dag_id=DAG, run_id=RUN)
    assert opened.assignee.email == people.FAJAR.email and opened.assignee.name == f"Pelapor {complaint.ticket}"


def test_only_a_status_leaves_the_store(smtp_server):
    from bapas_sop import humantask
    from bapas_sop.sops.yanpatmas import flow
    from bapas_sop.sops.yanpatmas.steps import ConfidentialStepSensor

    _stored()
    opened = flow.open_step("menerima_laporan", "yanpatmas_penerimaan", "ulp", dag_id=DAG, run_id=RUN)
    humantask.record_answer(opened.key, {"keputusan": "tidak_lengkap", "kekurangan": "Sulastri, sebutkan jamnya"},
                            answered_at=humantask.utcnow(), link_id="test", channel="test")
    sensor = ConfidentialStepSensor(task_id="tunggu_jawaban", request_key=opened.key)
    # Resumed, the sensor is handed the request key only and reads the step from the store.
    resumed = sensor.execute_complete({}, {"key": opened.key})
    assert resumed == {"key": opened.key, "status": "answered", "defaulted": False}
    assert flow.record_check(DAG, RUN, opened.key) == "tidak_lengkap"


def test_a_stored_complaint_without_a_run_is_found_by_the_monitor(smtp_server, clock):
    from bapas_sop.sops.yanpatmas import service

    complaint, _code, _created = service.register({"anonim": True, **COMPLAINT}, channel="web", actor="pelapor")
    assert service.without_run() == []  # the page is starting it right now
    with time_machine.travel(clock + timedelta(minutes=10)):
        assert service.without_run() == [complaint.ticket]
    assert service.run_id_for(complaint.ticket) == f"aduan__{complaint.ticket}"


def test_a_link_made_for_someone_else_is_refused(web, smtp_server):
    from bapas_sop.forms.links import LinkClaims, sign_link
    from bapas_sop.sops.yanpatmas import flow

    _stored()
    opened = flow.open_step("menerima_laporan", "yanpatmas_penerimaan", "ulp", dag_id=DAG, run_id=RUN)
    foreign = sign_link(LinkClaims(opened.request_id, people.RINA.nip, 1))
    page = web.get(f"/bapas/f/{foreign}")
    assert page.status_code == 403 and "lima puluh ribu" not in page.text and COMPLAINANT["nama"] not in page.text

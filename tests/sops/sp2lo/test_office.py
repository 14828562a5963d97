"""An office adapts SP2LO by editing files only (issue 15, "done when"): a question of the
disposition form, the deadline and the assignee role of the disposition step, and the text of
the invitation email, all in its own folder; a whole run under ``dag.test()`` shows each change
in the form page, the email, the step's record and the DAG's task.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bapas_sop.mail.devserver import InboxMessage

from tests.support import people
from tests.support.scenario import form_requests, messages, report, request_conf, task_states

PROJECT = Path(__file__).resolve().parents[3]

FORMS = """\
# Kantor kami: Kaur TU yang mendisposisi, dengan catatan wajib.
sp2lo_disposisi:
  fields:
    seksi:
      label: Seksi penanggung jawab Litmas
    catatan:
      required: true
      help: Tulis dasar disposisi.
"""

STEPS = """\
steps:
  kabapas_disposisi:
    assignee: kaur_tu
    due_hours: 48
"""


@pytest.fixture
def office_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "kantor"
    (folder / "sops" / "sp2lo").mkdir(parents=True)
    (folder / "sops" / "sp2lo" / "forms.yaml").write_text(FORMS, encoding="utf-8")
    (folder / "sops" / "sp2lo" / "steps.yaml").write_text(STEPS, encoding="utf-8")
    email = folder / "templates" / "email"
    email.mkdir(parents=True)
    shipped = (PROJECT / "templates" / "email" / "form_request.html").read_text(encoding="utf-8")
    (email / "form_request.html").write_text(
        shipped.replace("{% endblock %}\n", '<p>Hubungi Kaur TU di ext. 204 bila ada kendala.</p>{% endblock %}\n'),
        encoding="utf-8")
    monkeypatch.setenv("BAPAS_CONFIG_DIR", str(folder))
    return folder


@pytest.mark.timeout(300)
def test_an_office_changes_a_question_a_deadline_and_an_assignee_by_editing_files(
        office_dir, sp2lo_dag, run_dag, smtp_server, web) -> None:
    seen: dict[str, Any] = {}

    def dispose(message: InboxMessage, html: str) -> dict[str, str]:
        seen["page"], seen["message"] = html, message
        return {"seksi": "bka", "catatan": "Klien anak: BKA."}

    dagrun, _ = run_dag(sp2lo_dag, request_conf(), {
        "Disposisi": dispose,
        "Penunjukan PK": {"pk_nip": people.PUTRI.nip},
        "Laporan penyelesaian": report(trip=False),
        "Rekomendasi": {"keputusan": "setuju"},
    })
    assert dagrun.state == "success", task_states(dagrun)

    # The email: to the Kaur TU (not the Kabapas), with the office's own line.
    message = seen["message"]
    assert message.to == [people.DEWI.email]
    assert "Hubungi Kaur TU di ext. 204 bila ada kendala." in message.html
    assert not messages(smtp_server.maildir, to=people.KABAPAS.email, subject="Disposisi")

    # The deadline: 48 hours after the step opened, as the email says.
    from bapas_sop.textid import format_datetime_id

    request = form_requests(dagrun.run_id)["kabapas_disposisi"]
    assert (request.role, request.assignee_nip) == ("kaur_tu", people.DEWI.nip)
    assert request.due_at - request.created_at == timedelta(hours=48)
    assert format_datetime_id(request.due_at) in message.text

    # The form page: the office's question and help; the note is required there now.
    assert "Seksi penanggung jawab Litmas" in seen["page"] and "Tulis dasar disposisi." in seen["page"]
    assert "Diteruskan kepada" not in seen["page"]

    # The DAG's task: the step was opened for the Kaur TU.
    ti = dagrun.get_task_instance("kabapas_disposisi.kirim_formulir")
    assert ti.state == "success"
    assert ti.xcom_pull(task_ids=ti.task_id)["assignee"] == people.DEWI.nip

"""Peterpan's tasks without Airflow: ballots over HTTP, reminders, expiry, the tally's checks."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bapas_sop import humantask
from bapas_sop.mail.devserver import read_inbox
from bapas_sop.sops.peterpan import flow as peterpan_flow
from bapas_sop.sops.peterpan.models import PeterpanSurvey
from bapas_sop.store.db import session_scope
from bapas_sop.store.models import FormRequest

KABAPAS = "197408121999031002"
RINA = "198607212010122003"
DEDI = "198903052014031001"
PUTRI = "199209182017122004"
YULIANA = "198706142011012002"  # on leave
HASAN = "197912252005011003"  # Pokja 3
DAG, RUN = "peterpan", "manual__test"


def _csrf(html: str) -> str:
    return re.search(r'name="_csrf" value="([^"]+)"', html).group(1)


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


@pytest.fixture
def survey(project, smtp_server):
    return peterpan_flow.create_survey({"triwulan": "2026-Q3"}, dag_id=DAG, run_id=RUN)


def _ballot(nip: str) -> FormRequest:
    with session_scope() as session:
        request = session.query(FormRequest).filter_by(key=f"{DAG}/{RUN}/pengisian_survei/{nip}").one()
        session.expunge(request)
        return request


def _link(nip: str) -> str:
    return humantask.personal_url(_ballot(nip))


def test_the_survey_is_created_once_per_quarter_and_pokja3_is_told(survey, smtp_server) -> None:
    assert survey["quarter"] == "2026-Q3" and survey["quarter_label"] == "Triwulan III 2026"
    assert KABAPAS in survey["voters"] and YULIANA not in survey["voters"]
    assert KABAPAS not in [c["value"] for c in survey["candidates"]]
    assert YULIANA in [c["value"] for c in survey["candidates"]]
    [mail] = read_inbox(smtp_server.maildir)
    assert mail.subject == "Survei Peterpan Triwulan III 2026 telah dibuat"
    assert mail.to == ["hasan.basri@bapas-jambi.example"]
    # A retried task makes no second survey; another run for the same quarter is refused.
    peterpan_flow.create_survey({"triwulan": "2026-Q3"}, dag_id=DAG, run_id=RUN)
    with pytest.raises(peterpan_flow.SurveyError, match="sudah dibuat oleh run manual__test"):
        peterpan_flow.create_survey({"triwulan": "2026-Q3"}, dag_id=DAG, run_id="manual__other")
    again = peterpan_flow.create_survey({"triwulan": "2026-Q3", "ulangi": True}, dag_id=DAG, run_id="manual__other")
    assert again["quarter"] == "2026-Q3"


def test_a_closing_time_in_the_past_is_refused(project, smtp_server) -> None:
    with pytest.raises(peterpan_flow.SurveyError, match="sudah lewat"):
        peterpan_flow.create_survey({"triwulan": "2026-Q3", "ditutup_pada": "2020-01-01T10:00:00"},
                                    dag_id=DAG, run_id=RUN)


def test_each_voter_gets_one_ballot_without_themselves_and_cannot_vote_for_themselves(survey, web, smtp_server) -> None:
    keys = peterpan_flow.open_ballots(survey, dag_id=DAG, run_id=RUN)
    assert len(keys) == len(survey["voters"])
    assert peterpan_flow.open_ballots(survey, dag_id=DAG, run_id=RUN) == keys  # a retry asks nobody twice
    ballots = [m for m in read_inbox(smtp_server.maildir) if m.subject.startswith("[Perlu tindakan]")]
    assert len(ballots) == len(keys)

    page = web.get(_path(_link(RINA)))
    assert page.status_code == 200
    assert f'value="{RINA}"' not in page.text and f'value="{DEDI}"' in page.text
    assert "Alihkan kepada pengganti" not in page.text  # a vote is not handed to a stand-in
    # Posting one's own NIP anyway: refused on the server, the reason typed is kept.
    refused = web.post(_path(_link(RINA)), data={"_csrf": _csrf(page.text), "pilihan": RINA, "alasan": "Saya sendiri"})
    assert refused.status_code == 422
    assert "Pegawai yang Anda pilih: pilihan tidak dikenal" in refused.text and "Saya sendiri" in refused.text
    # A real vote, then a second one on the same link: the first stands.
    assert web.post(_path(_link(RINA)), data={"_csrf": _csrf(page.text), "pilihan": DEDI}).status_code == 303
    second = web.post(_path(_link(RINA)), data={"_csrf": _csrf(page.text), "pilihan": PUTRI})
    assert second.status_code == 303
    assert "sudah dijawab" in web.get(_path(_link(RINA))).text
    assert humantask.poll(keys[survey["voters"].index(RINA)])["answer"]["pilihan"] == DEDI


def test_non_voters_are_reminded_the_day_before_and_abstain_at_closing(survey, web, smtp_server) -> None:
    keys = peterpan_flow.open_ballots(survey, dag_id=DAG, run_id=RUN)
    page = web.get(_path(_link(DEDI)))
    web.post(_path(_link(DEDI)), data={"_csrf": _csrf(page.text), "pilihan": RINA})
    closes = _ballot(DEDI).due_at
    assert _ballot(DEDI).expires_at == closes  # the ballot closes with the survey

    result = humantask.sweep(now=closes - timedelta(hours=12))
    assert len(result.reminded) == len(keys) - 1 and f"{DAG}/{RUN}/pengisian_survei/{DEDI}" not in result.reminded
    assert not result.escalated  # voting is free: nobody's supervisor is told

    outcome = humantask.poll(f"{DAG}/{RUN}/pengisian_survei/{RINA}", now=closes + timedelta(seconds=1))
    assert outcome["status"] == "expired" and outcome["default_answer"] == {"abstain": True}


def _answered(key: str, choice: str | None, by: str, at: str) -> dict:
    if choice is None:
        return {"status": "expired", "key": key, "default_answer": {"abstain": True}, "answer": {"abstain": True},
                "defaulted": True}
    return {"status": "answered", "key": key, "answer": {"pilihan": choice, "alasan": "Teladan."},
            "answered_by": by, "answered_at": at}


def test_the_tally_checks_who_actually_answered(survey) -> None:
    k = lambda nip: f"{DAG}/{RUN}/pengisian_survei/{nip}"  # noqa: E731
    outcomes = [
        _answered(k(RINA), DEDI, RINA, "2026-10-01T09:00:00+07:00"),
        _answered(k(KABAPAS), RINA, KABAPAS, "2026-10-01T09:01:00+07:00"),
        # Dedi's ballot ended up answered by Rina (a hand-over): Rina has already voted.
        _answered(k(DEDI), PUTRI, RINA, "2026-10-01T09:05:00+07:00"),
        _answered(k(PUTRI), None, PUTRI, ""),
    ]
    result = peterpan_flow.tally_votes(survey, outcomes, dag_id=DAG, run_id=RUN)
    assert result["status"] == "tie" and set(result["top"]) == {RINA, DEDI}
    assert result["rejected"] == [{"voter": RINA, "candidate": PUTRI, "reason": "suara_ganda"}]
    assert result["voted"] == 2 and result["voters"] == len(survey["voters"])
    assert {o["value"] for o in result["tie_options"]} == {RINA, DEDI}
    assert result["reasons"][DEDI] == ["Teladan."]


def _row() -> PeterpanSurvey:
    with session_scope() as session:
        [row] = session.scalars(select(PeterpanSurvey)).all()  # one row for the run, however often a step ran
        session.expunge(row)
        return row


def test_each_step_fills_the_runs_row_once_however_often_it_runs(survey, smtp_server) -> None:
    k = lambda nip: f"{DAG}/{RUN}/pengisian_survei/{nip}"  # noqa: E731
    row = _row()
    assert (row.quarter, row.run_id, row.forms_backend) == ("2026-Q3", RUN, "bawaan")
    assert row.voters == survey["voters"] and row.tally_status is None and row.winner_nip is None

    outcomes = [_answered(k(RINA), DEDI, RINA, "2026-10-01T09:00:00+07:00"),
                _answered(k(KABAPAS), DEDI, KABAPAS, "2026-10-01T09:01:00+07:00"),
                _answered(k(DEDI), RINA, DEDI, "2026-10-01T09:02:00+07:00")]
    result = peterpan_flow.tally_votes(survey, outcomes, dag_id=DAG, run_id=RUN)
    # A retried count with a ballot more (it cannot happen, but it shows the first count stands).
    peterpan_flow.tally_votes(survey, [*outcomes, _answered(k(PUTRI), RINA, PUTRI, "2026-10-01T09:03:00+07:00")],
                              dag_id=DAG, run_id=RUN)
    winner = peterpan_flow.decide_winner(survey, result, None, dag_id=DAG, run_id=RUN)
    peterpan_flow.decide_winner(survey, result, None, dag_id=DAG, run_id=RUN)
    row = _row()
    assert (row.tally_status, row.voted, row.voter_count) == ("winner", 3, len(survey["voters"]))
    assert {c["nip"]: c["votes"] for c in row.tally}[DEDI] == 2 and row.tally[0]["name"] == "Dedi Kurniawan"
    assert (row.winner_nip, row.winner_name, row.winner_votes, row.winner_decided_by) == (
        DEDI, "Dedi Kurniawan", 2, "suara")
    decided_at = row.winner_decided_at

    refusal = {"answer": {"keputusan": "tolak", "catatan": "Tunda dulu"}, "answered_by": KABAPAS}
    assert peterpan_flow.issue_certificate(survey, winner, refusal, dag_id=DAG, run_id=RUN) is None
    assert peterpan_flow.issue_certificate(survey, winner, refusal, dag_id=DAG, run_id=RUN) is None
    photo = {"answer": {"tautan_foto": "https://drive.example/dedi"}}
    gift = {"answer": {"bingkisan": "Plakat", "tanggal_penyerahan": "2026-10-20"}}
    peterpan_flow.close(survey, winner, photo, gift, dag_id=DAG, run_id=RUN)
    peterpan_flow.close(survey, winner, None, {"answer": {"bingkisan": "Lain"}}, dag_id=DAG, run_id=RUN)

    row = _row()
    assert row.winner_decided_at == decided_at
    assert (row.certificate_status, row.certificate_note, row.certificate_actor) == ("refused", "Tunda dulu", KABAPAS)
    assert (row.photo_url, row.gift, row.handed_over_on) == ("https://drive.example/dedi", "Plakat", date(2026, 10, 20))
    refused = [m for m in read_inbox(smtp_server.maildir) if m.subject.startswith("Sertifikat")]
    assert len(refused) == 1  # Pokja 3 (one member) is told once
    [history] = peterpan_flow.winners_history()
    assert (history["quarter"], history["nip"], history["votes"]) == ("2026-Q3", DEDI, 2)

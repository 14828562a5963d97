"""Pasjam School's tasks without Airflow: the plan, a coordination where no school agrees, the
observation left unanswered, the SP2LO seam, and the quiz's records."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bapas_sop import humantask
from bapas_sop.store.db import session_scope
from bapas_sop.store.models import FormRequest

DAG, RUN = "pasjam_school", "manual__test"
BKA_OBSERVERS = {"198607212010122003", "198903052014031001", "199209182017122004", "199501272019061003"}


def _token(key: str) -> str:
    with session_scope() as session:
        request = session.scalar(select(FormRequest).where(FormRequest.key == key))
        return humantask.personal_url(request).rsplit("/f/", 1)[1]


def _answer(key: str, raw: dict) -> dict:
    result = humantask.submit(_token(key), raw)
    assert result.status == "saved", result.validation and result.validation.errors
    return humantask.poll(key)


def _expired(key: str) -> dict:
    humantask.expire_now([key])
    outcome = humantask.poll(key)
    return {**outcome, "answer": outcome.get("default_answer") or {}, "defaulted": True}


@pytest.fixture
def plan(project, smtp_server):
    from bapas_sop.sops.pasjam_school import flow

    return flow.plan_term({"periode": "2026-S2", "kandidat": 3}, dag_id=DAG, run_id=RUN)


def test_the_plan_names_the_term_and_spreads_the_candidates_over_the_bka_observers(plan):
    from bapas_sop.sops.pasjam_school import flow
    from bapas_sop.sops.pasjam_school.models import PasjamSchoolVisit

    assert plan["term_label"] == "Semester II 2026 (Juli–Desember)" and plan["count"] == 3
    observers = [s["observer"] for s in plan["slots"]]
    assert len(set(observers)) == 3 and set(observers) <= BKA_OBSERVERS
    again = flow.plan_term({"periode": "2026-S2", "kandidat": 3}, dag_id=DAG, run_id=RUN)
    assert again["slots"] == plan["slots"]
    with session_scope() as session:
        [visit] = session.scalars(select(PasjamSchoolVisit)).all()
    assert visit.term == "2026-S2" and visit.candidates == [s["npsn"] for s in plan["slots"]]


def test_a_bad_period_is_refused_in_indonesian(project):
    from bapas_sop.sops.pasjam_school import flow

    with pytest.raises(flow.PlanError, match="tidak dikenali"):
        flow.plan_term({"periode": "2026-S9"}, dag_id=DAG, run_id=RUN)


def test_an_unanswered_observation_counts_no_incident_and_says_so(plan):
    from bapas_sop.sops.pasjam_school import flow

    slot = plan["slots"][0]
    step = flow.open_observation(slot, dag_id=DAG, run_id=RUN)
    assert step.key and step.outbox
    done = flow.after_observation(slot, _expired(step.key), dag_id=DAG, run_id=RUN)
    assert done.result == {"npsn": slot["npsn"], "incidents": 0, "defaulted": True}
    # A retry finds the same request and the same row.
    assert flow.open_observation(slot, dag_id=DAG, run_id=RUN).key == step.key
    assert flow.after_observation(slot, _expired(step.key), dag_id=DAG, run_id=RUN).result == done.result


def _analysis(plan: dict) -> dict:
    from bapas_sop.sops.pasjam_school import flow

    observations = []
    for slot in plan["slots"]:
        key = flow.open_observation(slot, dag_id=DAG, run_id=RUN).key
        outcome = _answer(key, {"tanggal_observasi": "2026-11-17", "insiden": "1"})
        observations.append(flow.after_observation(slot, outcome, dag_id=DAG, run_id=RUN).result)
    return flow.analyse(plan, observations, dag_id=DAG, run_id=RUN)


def test_no_school_agrees_the_loop_ends_and_the_schedule_is_skipped(plan):
    from bapas_sop.sops.pasjam_school import flow
    from bapas_sop.sops.pasjam_school.models import PasjamSchoolCoordination

    analysis = _analysis(plan)
    assert len(analysis["options"]) == 3 and analysis["top"] == analysis["order"][0]
    # The Kasubsi picks the last of the ranking: it is asked first, then the ranking.
    pick = flow.record_pick(plan, analysis, {"status": "answered", "answer": {"sekolah": analysis["order"][-1]}},
                            dag_id=DAG, run_id=RUN)
    assert pick["order"] == [analysis["order"][-1], *analysis["order"][:-1]]

    step = flow.open_coordination(pick, dag_id=DAG, run_id=RUN)
    asked = []
    for turn in range(3):
        asked.append(humantask.RequestKey.parse(step.key).subject)
        outcome = (_answer(step.key, {"bersedia": "tidak", "catatan": "Belum bisa."}) if turn != 1
                   else _expired(step.key))
        step = flow.after_coordination(pick, outcome, dag_id=DAG, run_id=RUN, max_attempts=4)
    assert asked == pick["order"]
    assert step.result == {"npsn": None, "status": "tidak_ada", "attempts": 3}
    with session_scope() as session:
        rows = session.scalars(select(PasjamSchoolCoordination).order_by(PasjamSchoolCoordination.attempt)).all()
    assert [r.status for r in rows] == ["tidak_bersedia", "tidak_dijawab", "tidak_bersedia"]
    assert flow.schedule(pick, step.result, dag_id=DAG, run_id=RUN) is None


def test_a_visit_without_quiz_answers_or_feedback_still_gets_its_report(plan, smtp_server):
    from bapas_sop.mail.devserver import read_inbox
    from bapas_sop.sops.pasjam_school import flow

    analysis = _analysis(plan)
    pick = flow.record_pick(plan, analysis, {"status": "expired", "defaulted": True, "answer": {"sekolah": None}},
                            dag_id=DAG, run_id=RUN)
    assert pick["picked"] == analysis["top"]
    step = flow.open_coordination(pick, dag_id=DAG, run_id=RUN)
    outcome = _answer(step.key, {"bersedia": "ya", "tanggal_1": "2026-11-25", "jam": "09:00", "jumlah_siswa": "60",
                                 "narahubung": "Pak Wakasek"})
    done = flow.after_coordination(pick, outcome, dag_id=DAG, run_id=RUN, max_attempts=4)
    assert done.result == {"npsn": analysis["top"], "status": "bersedia", "attempts": 1}
    jadwal = flow.schedule(pick, done.result, dag_id=DAG, run_id=RUN)
    assert jadwal["tanggal"] == "2026-11-25" and jadwal["day_starts"] == "2026-11-25T06:00:00+07:00"
    assert flow.schedule(pick, done.result, dag_id=DAG, run_id=RUN) == jadwal  # a retry sends nothing new
    feedback = flow.open_feedback({"schedule": jadwal, "session": {"status": "answered", "answer": {
        "tim": ["198607212010122003"], "jumlah_siswa_hadir": 0, "materi": "SPPA"}}}, dag_id=DAG, run_id=RUN)
    assert flow.after_feedback({}, _expired(feedback.key), dag_id=DAG, run_id=RUN).result == {"answered": False}
    evaluation = flow.evaluate(jadwal, dag_id=DAG, run_id=RUN)
    assert evaluation["before_count"] == 0 and evaluation["improvement"] is None
    flow.report(pick, jadwal, dag_id=DAG, run_id=RUN)
    subjects = [m.subject for m in read_inbox(smtp_server.maildir)]
    assert sum("Jadwal penyuluhan hukum" in s for s in subjects) == 1
    assert any(s.startswith("Laporan Pasjam School") for s in subjects)


def test_a_yes_without_a_date_is_refused_and_keeps_what_was_typed(plan):
    from bapas_sop.forms.registry import get_form

    form = get_form("pasjam_school_koordinasi")
    validation = form.validate({"bersedia": "ya", "jumlah_siswa": "80", "narahubung": "Pak Guru", "jam": "8 pagi"})
    assert not validation.ok
    assert set(validation.errors) == {"tanggal_1", "jam"} and validation.kept["narahubung"] == "Pak Guru"
    past = form.validate({"bersedia": "ya", "tanggal_1": "2026-11-01", "jam": "08.00", "jumlah_siswa": "80",
                          "narahubung": "Pak Guru"})
    assert "sebelum hari ini" in past.errors["tanggal_1"]


def test_sp2lo_counts_juvenile_cases_per_district_since_a_date(project):
    from bapas_sop.sops.pasjam_school import flow
    from bapas_sop.sops.pasjam_school.rules import district_of
    from bapas_sop.sops.sp2lo.counts import juvenile_cases_by_district
    from tests.sops.pasjam_school.test_scenario import seed_juvenile_cases

    seed_juvenile_cases()
    mapping = flow.config()["instansi_kabupaten"]
    since = datetime.now().astimezone() - timedelta(days=365)
    assert juvenile_cases_by_district(since, lambda a: district_of(a, mapping)) == {"Muaro Jambi": 3, "Kota Jambi": 1}
    assert juvenile_cases_by_district(since, lambda a: None) == {}
    assert flow.district_cases(datetime.now().date()) == {"Muaro Jambi": 3, "Kota Jambi": 1}


def test_quiz_answers_are_kept_once_and_only_while_the_quiz_is_open(project):
    from bapas_sop.sops.pasjam_school import flow
    from bapas_sop.sops.pasjam_school.models import PasjamSchoolVisit
    from bapas_sop.store.models import utcnow

    assert flow.quiz_is_open("tidak-ada-kode") == (None, False)
    with session_scope() as session:
        session.add(PasjamSchoolVisit(term="2026-S2", run_id=RUN, quiz_code="kode-sesi-uji", letter_sent_at=utcnow()))
    assert flow.quiz_is_open("kode-sesi-uji")[1] is True
    values = {"tahap": "sebelum", "s1": "a", "s2": "b", "s3": "a", "s4": "a", "s5": "a"}
    assert flow.record_quiz("kode-sesi-uji", values, "kunci-1") == (60.0, True)
    assert flow.record_quiz("kode-sesi-uji", {**values, "s3": "b"}, "kunci-1") == (60.0, False)
    assert flow.quiz_rows("kode-sesi-uji") == [{"stage": "sebelum", "answers": {k: v for k, v in values.items() if k != "tahap"}}]
    with session_scope() as session:
        session.scalars(select(PasjamSchoolVisit)).one().evaluated_at = utcnow()
    assert flow.quiz_is_open("kode-sesi-uji")[1] is False


def test_the_public_quiz_page_refuses_unknown_codes_and_oversized_posts(web):
    from bapas_sop.sops.pasjam_school.models import PasjamSchoolVisit
    from bapas_sop.store.models import utcnow

    unknown = web.get("/bapas/pasjam-school/kuis/tidak-ada-kode")
    assert unknown.status_code == 404 and "Kuis tidak ditemukan" in unknown.text
    assert web.get("/bapas/pasjam-school/kuis/" + "x" * 500).status_code == 422
    with session_scope() as session:
        session.add(PasjamSchoolVisit(term="2026-S2", run_id=RUN, quiz_code="kode-sesi-uji", letter_sent_at=utcnow()))
    page = web.get("/bapas/pasjam-school/kuis/kode-sesi-uji")
    assert page.status_code == 200 and 'name="_submission_key"' in page.text
    assert 'name="nama"' not in page.text  # no student name is asked
    huge = web.post("/bapas/pasjam-school/kuis/kode-sesi-uji", data={"tahap": "sebelum", "s1": "a" * 200_000})
    assert huge.status_code == 422 and "paling banyak" in huge.text  # refused before anything is stored
    from bapas_sop.sops.pasjam_school import flow

    assert flow.quiz_rows("kode-sesi-uji") == []

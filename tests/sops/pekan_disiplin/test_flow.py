"""The flow over the store: each step run twice repeats nothing, decisions survive a reload, a
threshold is sent once, the supervisor's form refuses what does not fit, the teladan seam."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.support.people import AGUS, DEDI, FAJAR, KASUBSI_BKD, PUTRI, RINA

DAG, RUN, WEEK = "pekan_disiplin", "manual__test", "2026-W46"


@pytest.fixture
def plan(project, smtp_server):
    from bapas_sop.sops.pekan_disiplin import flow

    return flow.plan_week({"pekan": WEEK}, dag_id=DAG, run_id=RUN)


def _inbox(maildir, subject: str) -> list:
    from bapas_sop.mail.devserver import read_inbox

    return [m for m in read_inbox(maildir) if subject in m.subject]


def _count(model, *where) -> int:
    from bapas_sop.store.db import session_scope

    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_every_step_twice_repeats_nothing_and_a_threshold_is_sent_once(plan, smtp_server) -> None:
    from bapas_sop import humantask
    from bapas_sop.sops.pekan_disiplin import flow
    from bapas_sop.sops.pekan_disiplin.models import AttendanceDay, DisciplineWeek, ThresholdCrossing
    from bapas_sop.store.db import session_scope

    maildir = smtp_server.maildir
    assert plan["label"] == "pekan 46 (9–15 November 2026)"
    for _ in range(2):
        checked = flow.check_export(plan, dag_id=DAG, run_id=RUN)
        computed = flow.compute_week(plan, dag_id=DAG, run_id=RUN)
    assert checked == {"week": WEEK, "baris": 83, "baris_ditolak": 1}
    assert computed == {"week": WEEK, "hari_kerja": 5, "pegawai": 17, "hari_pegawai": 85, "kejadian": 9}
    assert len(_inbox(maildir, "Ekspor absensi")) == 1
    assert _count(AttendanceDay) == 85 and _count(DisciplineWeek) == 1

    for _ in range(2):
        keys = flow.open_supervisor_forms(plan, dag_id=DAG, run_id=RUN)
    assert len(keys) == 3 and len(_inbox(maildir, "Keputusan atasan")) == 3
    humantask.expire_now(keys)
    for _ in range(2):
        counts = [flow.settle_decision(k) for k in keys]
    assert sorted(c["kejadian"] for c in counts) == [1, 4, 4] and not any(c["dimaafkan"] for c in counts)
    assert _count(AttendanceDay, AttendanceDay.keputusan == "tidak_dijawab") == 9

    # A corrected export loaded again keeps the decisions.
    flow.compute_week(plan, dag_id=DAG, run_id=RUN)
    assert _count(AttendanceDay, AttendanceDay.keputusan == "tidak_dijawab") == 9

    for _ in range(2):
        assert flow.accumulate(plan, dag_id=DAG, run_id=RUN)["ambang_baru"] in (0, 1)
    with session_scope() as session:
        [crossing] = session.scalars(select(ThresholdCrossing)).all()
        assert (crossing.nip, crossing.threshold, crossing.days, crossing.supervisor_nip) == (
            FAJAR.nip, "teguran_lisan", 3, KASUBSI_BKD.nip)
    assert len(_inbox(maildir, "Catatan pembinaan")) == 1 and len(_inbox(maildir, "Rekomendasi")) == 1

    # A later run of the same week finds nothing undecided and sends nothing new.
    assert flow.open_supervisor_forms(plan, dag_id=DAG, run_id="manual__again") == []
    assert flow.accumulate(plan, dag_id=DAG, run_id="manual__again") == {"week": WEEK, "ambang_baru": 0}

    for _ in range(2):
        flow.recap(plan, dag_id=DAG, run_id=RUN)
    assert len(_inbox(maildir, "Rekap Pekan Disiplin")) == 1


def test_a_missing_export_says_where_it_is_expected(project) -> None:
    from bapas_sop.sops.pekan_disiplin import flow

    plan = flow.plan_week({"pekan": "2026-W40"}, dag_id=DAG, run_id="manual__w40")
    with pytest.raises(FileNotFoundError, match=r"Ekspor absensi 2026-W40 belum ada: simpan .*absensi/2026-W40\.csv"):
        flow.check_export(plan, dag_id=DAG, run_id="manual__w40")


def test_the_supervisor_form_wants_one_reason_and_its_evidence() -> None:
    from bapas_sop.forms.registry import get_form

    form = get_form("pekan_disiplin_keputusan_atasan")
    context = {"kejadian": [{"value": "1", "label": "Senin — Rina"}, {"value": "2", "label": "Selasa — Rina"}]}
    twice = form.validate({"sakit": ["1"], "bukti_sakit": "https://drive.example/a", "izin": ["1", "2"],
                           "bukti_izin": "https://drive.example/b"}, context)
    assert twice.errors == {"izin": "Izin: 1 kejadian sudah dicentang sebagai sakit; pilih satu alasan untuk setiap kejadian."}
    assert twice.kept["izin"] == ["1", "2"]  # what was ticked is shown again
    no_link = form.validate({"cuti": ["2"]}, context)
    assert no_link.errors == {"bukti_cuti": "Tautan bukti cuti wajib diisi karena ada kejadian yang dicentang."}
    unknown = form.validate({"dinas": ["99"], "bukti_dinas": "https://drive.example/c"}, context)
    assert "tidak dikenal" in unknown.errors["dinas"]
    nothing = form.validate({}, context)
    assert nothing.ok and nothing.values["sakit"] == []


def test_the_most_disciplined_of_the_quarter(plan) -> None:
    from bapas_sop.sops.pekan_disiplin import flow, teladan

    flow.compute_week(plan, dag_id=DAG, run_id=RUN)
    ranking = teladan.most_disciplined("2026-Q4")
    assert len(ranking) == 5 and all(r["insiden"] == 0 and r["hari_hadir"] == 5 for r in ranking)
    assert not {RINA.nip, DEDI.nip, FAJAR.nip, AGUS.nip} & {r["nip"] for r in ranking}
    assert PUTRI.nip in {r["nip"] for r in teladan.most_disciplined("2026-Q4", limit=20)}
    assert teladan.most_disciplined("2026-Q3") == []
    # Peterpan's ballots show them beside the candidates (and nothing for a quarter without records).
    from bapas_sop.directory import get_directory
    from bapas_sop.sops.peterpan.flow import most_disciplined_facts

    [[label, names]] = most_disciplined_facts("2026-Q4", get_directory())
    assert label == "Paling disiplin triwulan ini (Pekan Disiplin)" and len(names.split(", ")) == 5
    assert FAJAR.name not in names
    assert most_disciplined_facts("2026-Q3", get_directory()) == []
    assert teladan.quarter_bounds("2026-Q1")[1].isoformat() == "2026-03-31"
    with pytest.raises(ValueError, match="Triwulan"):
        teladan.quarter_bounds("2026-T5")


def test_week_labels_across_months_and_years() -> None:
    from bapas_sop.sops.pekan_disiplin.flow import week_label

    assert week_label("2026-W48") == "pekan 48 (23–29 November 2026)"
    assert week_label("2026-W49") == "pekan 49 (30 November–6 Desember 2026)"
    assert week_label("2026-W53") == "pekan 53 (28 Desember 2026–3 Januari 2027)"


def test_the_week_can_come_from_a_google_sheet(plan, smtp_server, monkeypatch) -> None:
    """Production: the export pasted into the office's sheet, one tab per week, read with the real
    client from the local fake of Google and checked like the file (the same bad row named)."""
    import csv

    from bapas_sop.mail.devserver import read_inbox
    from bapas_sop.settings import get_settings
    from bapas_sop.sops.pekan_disiplin import flow

    from tests.support.fake_google import API_KEY, FakeGoogle, connection_json

    sheet = "1AbsensiBapasJambi"
    with (get_settings().data_dir / "absensi" / f"{WEEK}.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    monkeypatch.setitem(get_settings().config["pekan_disiplin"], "spreadsheet_absensi", sheet)
    with FakeGoogle(api_keys=[API_KEY]) as fake:
        fake.set_values(sheet, WEEK, rows)
        monkeypatch.setenv("AIRFLOW_CONN_GOOGLE_DEFAULT", connection_json(
            {"api_key": API_KEY, "endpoint": fake.url, "num_retries": 0}))
        assert flow.check_export(plan, dag_id=DAG, run_id=RUN) == {"week": WEEK, "baris": 83, "baris_ditolak": 1}
        assert flow.compute_week(plan, dag_id=DAG, run_id=RUN)["kejadian"] == 9
        assert fake.requests[0].path == f"/v4/spreadsheets/{sheet}/values/'{WEEK}'"
    [bad] = [m for m in read_inbox(smtp_server.maildir) if "Ekspor absensi" in m.subject]
    assert f"Google Sheets {sheet}" in bad.html and "198103102007011005" in bad.html

"""What each task of the Pekan Disiplin DAG does, as plain functions (the DAG file only wires them).

Attendance is personal data: every function here reads and writes the project's tables
(:mod:`bapas_sop.sops.pekan_disiplin.models`) and returns to Airflow only the week id and
counts. The forms' lists (a supervisor's incidents, the employees of the apel checklist) are
built here from those tables into the request's context, in the project's database.

Records: the run is one :class:`~bapas_sop.sops.pekan_disiplin.models.DisciplineWeek` row (by
``run_id``); each employee's working day one :class:`AttendanceDay` row (by NIP and day, kept
across runs: a week loaded again keeps its decisions); each threshold sent one
:class:`ThresholdCrossing` row (by NIP, year and threshold: the emails go once).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from bapas_sop import audit, humantask
from bapas_sop.absences import get_absences
from bapas_sop.calendar import now_wib, wib_date
from bapas_sop.directory import SECTIONS, Person, get_directory
from bapas_sop.documents import png_data_uri, render_pdf
from bapas_sop.mail.outbox import mailing
from bapas_sop.policy import StepPolicy
from bapas_sop.settings import get_settings
from bapas_sop.sops.pekan_disiplin import rules as disiplin
from bapas_sop.sops.pekan_disiplin.forms import APEL_DAYS, EXCUSE_FIELDS
from bapas_sop.sops.pekan_disiplin.models import AttendanceDay, DisciplineWeek, ThresholdCrossing
from bapas_sop.store.db import insert_or_get, session_scope
from bapas_sop.store.models import FormRequest, utcnow
from bapas_sop.textid import MONTHS, format_date_id

log = logging.getLogger(__name__)

ACTOR = "system"
SOP = "pekan_disiplin"
DECISION_STEP = "keputusan_atasan"
DECISION_FORM = "pekan_disiplin_keputusan_atasan"
APEL_STEP = "daftar_apel"
APEL_FORM = "pekan_disiplin_apel"


def subject(week: str) -> str:
    return f"{SOP}/{week}"


def section_config() -> Mapping[str, Any]:
    return get_settings().config[SOP]


def discipline_rules() -> disiplin.DisciplineRules:
    return disiplin.DisciplineRules.from_config(section_config())


def week_label(week: str) -> str:
    """``2026-W46`` → ``pekan 46 (9–15 November 2026)``."""
    first, last = disiplin.parse_week(week)
    start = f"{first.day}" if first.month == last.month else f"{first.day} {MONTHS[first.month - 1]}"
    if first.year != last.year:
        start += f" {first.year}"
    return f"pekan {first.isocalendar().week} ({start}–{last.day} {MONTHS[last.month - 1]} {last.year})"


def week_record(session: Session, week: str, *, dag_id: str, run_id: str) -> DisciplineWeek:
    """The run's row, created on first use (:func:`~bapas_sop.store.db.insert_or_get`)."""
    return insert_or_get(session, DisciplineWeek, {"run_id": run_id},
                         {"week": week, "dag_id": dag_id, "created_at": utcnow()})


# --------------------------------------------------------------------------- the week


def plan_week(params: Mapping[str, Any], *, dag_id: str, run_id: str, logical_date: datetime | None = None) -> dict[str, Any]:
    """The week to recap: the run's ``pekan`` parameter, else the week before the run's date."""
    week = params.get("pekan") or disiplin.previous_week(wib_date(logical_date or utcnow()))
    first, last = disiplin.parse_week(week)  # an Indonesian error for a bad parameter
    week = disiplin.week_key(first)
    with session_scope() as session:
        week_record(session, week, dag_id=dag_id, run_id=run_id)
    return {"week": week, "label": week_label(week), "first": first.isoformat(), "last": last.isoformat()}


def _days(plan: Mapping[str, Any]) -> list[date]:
    return disiplin.working_days(date.fromisoformat(plan["first"]), date.fromisoformat(plan["last"]), discipline_rules())


def export_path(week: str) -> Path:
    return get_settings().data_dir / section_config().get("folder_absensi", "absensi") / f"{week}.csv"


# --------------------------------------------------------------------------- 1. data


def export_source(week: str) -> tuple[Any, str]:
    """Where the week's attendance comes from: the office's Google Sheet when
    ``[pekan_disiplin] spreadsheet_absensi`` names one (the week's tab, e.g. ``2026-W46``, read
    through :class:`bapas_sop.google.sheets.SheetsReader` with the Google connection), else the
    export file ``<data dir>/<folder_absensi>/<week>.csv``. Returns (source, its name)."""
    sheet = str(section_config().get("spreadsheet_absensi") or "").strip()
    if sheet:
        from bapas_sop.google.sheets import SheetsReader

        reader = SheetsReader.from_connection()
        text = io.StringIO(reader.read_sheet_as_csv(sheet, f"'{week}'"))
        text.name = reader.source_name(sheet, week)
        return text, text.name
    path = export_path(week)
    if not path.exists():
        raise FileNotFoundError(f"Ekspor absensi {week} belum ada: simpan ekspor mesin sidik jari sebagai "
                                f"{path} (kolom NIP, Tanggal, Scan Masuk, Scan Pulang), lalu jalankan ulang tugas ini.")
    return path, path.name


def _read_export(plan: Mapping[str, Any]) -> tuple[Any, str, list[Person]]:
    source, name = export_source(plan["week"])
    employees = get_directory().active_employees()
    result = disiplin.read_export(source, first=date.fromisoformat(plan["first"]), last=date.fromisoformat(plan["last"]),
                                  known_nips=[p.nip for p in employees])
    return result, name, employees


def check_export(plan: Mapping[str, Any], *, dag_id: str, run_id: str) -> dict[str, Any]:
    """*Data*: the week's export of the fingerprint machine, validated. Bad rows are left out
    and listed to the Kaur TU (who keeps the machine), all at once, each with its spreadsheet
    row number; the rest is used. A missing export fails the task saying where it is expected
    (a retry finds it once it is there)."""
    result, source, _ = _read_export(plan)
    with mailing() as batch:
        if result.errors:
            kaur = humantask.resolve_assignee("kaur_tu")[0]
            batch.email(key=f"{dag_id}/{run_id}/ekspor_bermasalah/{kaur.email}", to=kaur.email,
                        template="pekan_disiplin/ekspor_bermasalah",
                        context={"name": kaur.name, "week_label": plan["label"], "source": source,
                                 "errors": [str(e) for e in result.errors], "used": len(result.rows)})
        row = week_record(batch.session, plan["week"], dag_id=dag_id, run_id=run_id)
        row.source, row.rows, row.bad_rows = source[:500], len(result.rows), len(result.bad_rows)
    return {"week": plan["week"], "baris": len(result.rows), "baris_ditolak": len(result.bad_rows)}


def compute_week(plan: Mapping[str, Any], *, dag_id: str, run_id: str) -> dict[str, Any]:
    """*Compute*: every active employee's working days of the week against the office hours,
    the office calendar and the leave/travel register, stored (decisions already taken kept)."""
    result, _, employees = _read_export(plan)
    first, last = date.fromisoformat(plan["first"]), date.fromisoformat(plan["last"])
    days = _days(plan)
    frame = disiplin.attendance_days(result.rows, [p.nip for p in employees], days,
                                     get_absences().frame(first, last), discipline_rules())
    incidents = int(frame["insiden"].sum())
    with session_scope() as session:
        stored = _store_days(session, plan["week"], frame, {p.nip: p for p in employees})
        row = week_record(session, plan["week"], dag_id=dag_id, run_id=run_id)
        if row.loaded_at is None:
            audit.record(session, actor=ACTOR, action="pekan_disiplin_data", subject=subject(plan["week"]),
                         dag_id=dag_id, run_id=run_id, rows=len(result.rows), incidents=incidents)
        row.loaded_at, row.working_days, row.employees, row.incidents = utcnow(), len(days), len(employees), incidents
    return {"week": plan["week"], "hari_kerja": len(days), "pegawai": len(employees), "hari_pegawai": stored,
            "kejadian": incidents}


def _store_days(session: Session, week: str, frame: pd.DataFrame, people: Mapping[str, Person]) -> int:
    """Upsert the computed days; a decided incident keeps its decision, a day that is no longer
    an incident (a corrected export) loses it. Days of the week no longer computed (a
    holiday added late) are removed."""
    existing = {(r.nip, r.day): r for r in session.scalars(select(AttendanceDay).where(AttendanceDay.week == week))}
    seen = set()
    for record in frame.to_dict("records"):
        day = record["tanggal"].date()
        person = people[record["nip"]]
        row = existing.get((person.nip, day))
        if row is None:
            row = AttendanceDay(week=week, nip=person.nip, day=day)
            session.add(row)
        seen.add((person.nip, day))
        row.section, row.supervisor_nip = person.section, person.supervisor_nip
        row.masuk = None if pd.isna(record["masuk"]) else int(record["masuk"])
        row.pulang = None if pd.isna(record["pulang"]) else int(record["pulang"])
        row.terlambat_menit, row.pulang_cepat_menit = int(record["terlambat_menit"]), int(record["pulang_cepat_menit"])
        row.tidak_masuk, row.scan_tidak_lengkap = bool(record["tidak_masuk"]), bool(record["scan_tidak_lengkap"])
        kind = record["jenis_ketidakhadiran"]
        row.jenis_ketidakhadiran = None if pd.isna(kind) else str(kind)
        row.insiden = bool(record["insiden"])
        row.tidak_apel = bool(row.tidak_apel)
        row.tidak_berseragam = bool(row.tidak_berseragam)
        if not row.insiden:
            row.keputusan = row.bukti = row.decided_by = row.decided_at = None
    for key, row in existing.items():
        if key not in seen:
            session.delete(row)
    return len(seen)


def apel_policy() -> StepPolicy:
    """The checklist is due Monday noon (the officer fills it from the week's paper list);
    unanswered, nobody is marked."""
    return StepPolicy.from_config(due=timedelta(hours=6), remind_before=timedelta(hours=2), escalate_to_role="kaur_tu",
                                  expire_after=timedelta(days=2), default_answer={})


def open_apel_checklist(plan: Mapping[str, Any], *, dag_id: str, run_id: str) -> str:
    """The daily apel/uniform checklist of the week, to the officer on duty (``petugas_apel``)."""
    days = {d.weekday(): d for d in _days(plan)}
    notes = [f"{APEL_DAYS[i].capitalize()}: {'hari kerja' if i in days else 'libur'}" for i in range(5)]
    people = [{"value": p.nip, "label": p.name} for p in get_directory().active_employees()]
    with mailing() as batch:
        opened = humantask.open_request(
            key=humantask.request_key(dag_id, run_id, APEL_STEP), step=APEL_STEP, form_name=APEL_FORM,
            title=f"Daftar periksa apel dan seragam {plan['label']}", assignee="petugas_apel",
            context={"facts": [["Pekan", plan["label"]], ["Hari", "; ".join(notes)]], "pegawai": people,
                     "pekan": plan["week"]},
            policy=apel_policy(), dag_id=dag_id, run_id=run_id,
        )
        batch.include(opened.outbox_keys)
    return opened.key


def record_apel(plan: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    """The checklist's answer onto the week's days (None while it is still open)."""
    outcome = humantask.poll(key)
    if outcome["status"] == "open":
        return None
    answer = outcome.get("answer") or outcome.get("default_answer") or {}
    days = {d.weekday(): d for d in _days(plan)}
    marks: dict[tuple[str, date], set[str]] = {}
    for index, name in enumerate(APEL_DAYS):
        if index not in days:
            continue
        for kind in ("tidak_apel", "tidak_seragam"):
            for nip in answer.get(f"{kind}_{name}") or []:
                marks.setdefault((nip, days[index]), set()).add(kind)
    with session_scope() as session:
        for row in session.scalars(select(AttendanceDay).where(AttendanceDay.week == plan["week"])):
            kinds = marks.get((row.nip, row.day), set())
            row.tidak_apel, row.tidak_berseragam = "tidak_apel" in kinds, "tidak_seragam" in kinds
        for week in session.scalars(select(DisciplineWeek).where(DisciplineWeek.week == plan["week"],
                                                                 DisciplineWeek.apel_recorded_at.is_(None))):
            week.apel_recorded_at = utcnow()
    return {"week": plan["week"], "tidak_apel": sum("tidak_apel" in k for k in marks.values()),
            "tidak_berseragam": sum("tidak_seragam" in k for k in marks.values())}


# --------------------------------------------------------------------------- 3. supervisors decide


def decision_policy() -> StepPolicy:
    """Supervisors have ``hari_keputusan_atasan`` days; unanswered, nothing is excused."""
    days = int(section_config().get("hari_keputusan_atasan", 3))
    return StepPolicy.from_config(due=timedelta(days=days), remind_before=timedelta(days=1), escalate_after=None,
                                  expire_after=timedelta(0), default_answer={})


def incident_label(row: AttendanceDay, name: str) -> str:
    return f"{format_date_id(row.day)} — {name}: {disiplin.describe(_as_record(row))}"


def _as_record(row: AttendanceDay) -> dict[str, Any]:
    return {"tidak_masuk": row.tidak_masuk, "masuk": row.masuk, "pulang": row.pulang,
            "terlambat_menit": row.terlambat_menit, "pulang_cepat_menit": row.pulang_cepat_menit}


def open_supervisor_forms(plan: Mapping[str, Any], *, dag_id: str, run_id: str) -> list[str]:
    """*Supervisors decide*: one form per supervisor listing their own people's incidents of the
    week (built here from the stored days). Incidents of someone without a supervisor (the
    Kabapas) get no form: they stay undecided and count as not excused."""
    directory = get_directory()
    with session_scope() as session:
        rows = session.scalars(select(AttendanceDay).where(AttendanceDay.week == plan["week"], AttendanceDay.insiden,
                                                          AttendanceDay.keputusan.is_(None))
                               .order_by(AttendanceDay.day, AttendanceDay.nip)).all()
        groups: dict[str, list[dict[str, str]]] = {}
        for row in rows:
            person = directory.find(row.nip)
            if row.supervisor_nip and directory.find(row.supervisor_nip) is not None:
                groups.setdefault(row.supervisor_nip, []).append(
                    {"value": str(row.id), "label": incident_label(row, person.name if person else row.nip)})
    keys = []
    with mailing() as batch:
        for supervisor_nip, incidents in groups.items():
            opened = humantask.open_request(
                key=humantask.request_key(dag_id, run_id, f"{DECISION_STEP}/{supervisor_nip}"),
                step=DECISION_STEP, form_name=DECISION_FORM,
                title=f"Keputusan atasan: kehadiran bawahan {plan['label']}", assignee=f"nip:{supervisor_nip}",
                context={"facts": [["Pekan", plan["label"]], ["Kejadian", str(len(incidents))],
                                   *[["", i["label"]] for i in incidents]],
                         "kejadian": incidents, "pekan": plan["week"]},
                policy=decision_policy(), dag_id=dag_id, run_id=run_id,
            )
            keys.append(opened.key)
            batch.include(opened.outbox_keys)
        row = week_record(batch.session, plan["week"], dag_id=dag_id, run_id=run_id)
        row.forms_sent = len(keys)
    return keys


def settle_decision(key: str) -> dict[str, Any] | None:
    """One look at a supervisor's form: None while open; once answered (or expired: nothing
    excused) the decisions are written on the incidents and the counts returned."""
    outcome = humantask.poll(key)
    if outcome["status"] == "open":
        return None
    if outcome["status"] == "missing":
        raise LookupError(f"Permintaan formulir {key} tidak ditemukan.")
    with session_scope() as session:
        request = session.scalars(select(FormRequest).where(FormRequest.key == key)).one()
        ids = [int(i["value"]) for i in request.context.get("kejadian", [])]
        answered = outcome["status"] == "answered"
        answer = outcome.get("answer") or {}
        reasons = {int(v): name for name in EXCUSE_FIELDS for v in (answer.get(name) or [])}
        actor = str(outcome.get("answered_by") or ACTOR)
        excused = 0
        for row in session.scalars(select(AttendanceDay).where(AttendanceDay.id.in_(ids))):
            if row.decided_at is not None:  # a retry, or decided in an earlier run of the week
                excused += row.dimaafkan
                continue
            reason = reasons.get(row.id)
            row.keputusan = reason or (disiplin.NOT_EXCUSED if answered else disiplin.UNANSWERED)
            row.bukti = answer.get(f"bukti_{reason}") if reason else None
            row.decided_by, row.decided_at = actor, utcnow()
            excused += bool(reason)
        audit.record(session, actor=actor, action="pekan_disiplin_keputusan", subject=subject(request.context["pekan"]),
                     dag_id=request.dag_id, run_id=request.run_id, incidents=len(ids), excused=excused,
                     answered=answered)
    return {"kejadian": len(ids), "dimaafkan": excused, "dijawab": answered}


# --------------------------------------------------------------------------- 4. PP 94/2021


def year_frame(session: Session, year: int) -> pd.DataFrame:
    """Every incident of a calendar year with whether it was excused (undecided: not)."""
    rows = session.scalars(select(AttendanceDay).where(AttendanceDay.insiden, AttendanceDay.day >= date(year, 1, 1),
                                                       AttendanceDay.day <= date(year, 12, 31))).all()
    return pd.DataFrame(
        [{"nip": r.nip, "tanggal": pd.Timestamp(r.day), "tidak_masuk": r.tidak_masuk,
          "terlambat_menit": r.terlambat_menit, "pulang_cepat_menit": r.pulang_cepat_menit, "dimaafkan": r.dimaafkan}
         for r in rows],
        columns=["nip", "tanggal", "tidak_masuk", "terlambat_menit", "pulang_cepat_menit", "dimaafkan"])


@cache
def year_working_days(year: int) -> tuple[date, ...]:
    return tuple(disiplin.working_days(date(year, 1, 1), date(year, 12, 31), discipline_rules()))


def year_totals(session: Session, year: int) -> pd.DataFrame:
    return disiplin.accumulate(year_frame(session, year), year_working_days(year), discipline_rules())


def accumulate(plan: Mapping[str, Any], *, dag_id: str, run_id: str) -> dict[str, Any]:
    """*PP 94/2021 accumulation*: the year to date per person; a threshold reached for the first
    time sends the employee a coaching note and the supervisor a recommendation naming the
    article. Nothing is decided here: the crossing is recorded so that it is sent once."""
    rules, directory = discipline_rules(), get_directory()
    years = sorted({d.year for d in _days(plan)}) or [date.fromisoformat(plan["first"]).year]
    sent = 0
    with mailing() as batch:
        session = batch.session
        for year in years:
            totals = year_totals(session, year)
            recorded = {(c.nip, c.threshold) for c in session.scalars(
                select(ThresholdCrossing).where(ThresholdCrossing.year == year))}
            for nip, key in disiplin.new_crossings(disiplin.levels(totals, rules), recorded):
                person = directory.find(nip)
                if person is None:
                    continue
                threshold = rules.threshold(key)
                supervisor = directory.supervisor_of(person)
                figures = totals.loc[nip].to_dict()
                session.add(ThresholdCrossing(nip=nip, year=year, threshold=key, days=int(figures["hari_total"]),
                                              week=plan["week"], run_id=run_id,
                                              supervisor_nip=supervisor.nip if supervisor else None))
                _crossing_emails(batch, person, supervisor, threshold, figures, year, dag_id=dag_id, run_id=run_id)
                audit.record(session, actor=ACTOR, action="pekan_disiplin_ambang", subject=subject(plan["week"]),
                             dag_id=dag_id, run_id=run_id, nip=nip, threshold=key)
                sent += 1
        row = week_record(session, plan["week"], dag_id=dag_id, run_id=run_id)
        row.crossings = (row.crossings or 0) + sent
    return {"week": plan["week"], "ambang_baru": sent}


def _crossing_emails(batch: Any, person: Person, supervisor: Person | None, threshold: disiplin.Threshold,
                     figures: Mapping[str, Any], year: int, *, dag_id: str, run_id: str) -> None:
    facts = [
        ["Tahun", str(year)],
        ["Hari tidak masuk tanpa alasan sah", f"{int(figures['hari_tidak_masuk'])} hari kerja"],
        ["Terlambat dan pulang cepat", f"{int(figures['menit'])} menit (= {int(figures['hari_dari_menit'])} hari)"],
        ["Jumlah setara hari tidak masuk", f"{int(figures['hari_total'])} hari kerja"],
        ["Hari berturut-turut terpanjang", f"{int(figures['berturut_turut'])} hari kerja"],
    ]
    common = {"threshold": threshold, "facts": facts, "year": year, "employee": person.name}
    batch.email(key=f"{dag_id}/{run_id}/pembinaan/{person.nip}/{threshold.key}", to=person.email,
                template="pekan_disiplin/pembinaan", context={"name": person.name, **common})
    if supervisor is not None:
        batch.email(key=f"{dag_id}/{run_id}/rekomendasi/{person.nip}/{threshold.key}", to=supervisor.email,
                    template="pekan_disiplin/rekomendasi", context={"name": supervisor.name, **common})


# --------------------------------------------------------------------------- 5. recap


def week_frame(session: Session, week: str) -> pd.DataFrame:
    rows = session.scalars(select(AttendanceDay).where(AttendanceDay.week == week)).all()
    return pd.DataFrame([{
        "nip": r.nip, "section": r.section, "tanggal": r.day, "insiden": r.insiden, "tidak_masuk": r.tidak_masuk,
        "terlambat": r.terlambat_menit > 0 and not r.tidak_masuk, "pulang_cepat": r.pulang_cepat_menit > 0,
        "menit": r.terlambat_menit + r.pulang_cepat_menit, "dimaafkan": r.dimaafkan, "tidak_apel": r.tidak_apel,
        "tidak_berseragam": r.tidak_berseragam, "keputusan": r.keputusan,
    } for r in rows], columns=["nip", "section", "tanggal", "insiden", "tidak_masuk", "terlambat", "pulang_cepat",
                               "menit", "dimaafkan", "tidak_apel", "tidak_berseragam", "keputusan"])


def trend(session: Session, week: str, weeks: int = 8) -> list[tuple[str, int, int]]:
    """(week, incidents, unexcused) for the last ``weeks`` weeks up to ``week``."""
    first, _ = disiplin.parse_week(week)
    keys = [disiplin.week_key(first - timedelta(weeks=i)) for i in reversed(range(weeks))]
    rows = session.execute(select(AttendanceDay.week, AttendanceDay.keputusan)
                           .where(AttendanceDay.week.in_(keys), AttendanceDay.insiden)).all()
    counts = {k: [0, 0] for k in keys}
    for key, decision in rows:
        counts[key][0] += 1
        counts[key][1] += decision not in disiplin.EXCUSES
    return [(k, *counts[k]) for k in keys]


def render_recap_chart(by_section: pd.DataFrame, series: list[tuple[str, int, int]], title: str) -> bytes:
    """Incidents of the week by section (stacked by kind) and the trend of the last weeks."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3.8), dpi=100)
    FigureCanvasAgg(fig)
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    bottom = None
    colours = {"tidak_masuk": "#b91c1c", "terlambat": "#d97706", "pulang_cepat": "#2563eb"}
    labels = {"tidak_masuk": "Tidak masuk", "terlambat": "Terlambat", "pulang_cepat": "Pulang cepat"}
    names = [SECTIONS.get(s, s).replace("Subseksi ", "").replace("Urusan ", "") for s in by_section.index]
    for kind, colour in colours.items():
        values = by_section[kind].to_numpy() if len(by_section) else []
        left.barh(names, values, left=bottom, color=colour, label=labels[kind])
        bottom = values if bottom is None else bottom + values
    left.set_title("Kejadian per seksi", fontsize=10)
    left.xaxis.get_major_locator().set_params(integer=True)
    left.legend(fontsize=8, loc="lower right")
    weeks = [w.split("-")[1] for w, _, _ in series]
    right.plot(weeks, [n for _, n, _ in series], marker="o", color="#6b7280", label="Semua kejadian")
    right.plot(weeks, [u for _, _, u in series], marker="o", color="#b91c1c", label="Tidak sah")
    right.set_title("Tren 8 pekan", fontsize=10)
    right.yaxis.get_major_locator().set_params(integer=True)
    right.tick_params(axis="x", labelsize=8)
    right.legend(fontsize=8)
    for ax in (left, right):
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def recap(plan: Mapping[str, Any], *, dag_id: str, run_id: str) -> dict[str, Any]:
    """*Recap*: the week by section and person, the trend, and the year's standing, as a PDF with
    a chart to the Kabapas (the chart also attached as a picture)."""
    directory = get_directory()
    week = plan["week"]
    year = date.fromisoformat(plan["first"]).year
    with session_scope() as session:
        frame = week_frame(session, week)
        series = trend(session, week)
        totals = year_totals(session, year)
        crossings = session.scalars(select(ThresholdCrossing).where(ThresholdCrossing.week == week)).all()
        crossing_rows = [(c.nip, c.threshold) for c in crossings]
    rules = discipline_rules()
    incidents = frame[frame["insiden"]]
    by_section = incidents.groupby("section")[["tidak_masuk", "terlambat", "pulang_cepat"]].sum().astype(int)
    people = []
    for nip, group in frame.groupby("nip"):
        person = directory.find(nip)
        mine = group[group["insiden"]]
        if mine.empty and not group["tidak_apel"].any() and not group["tidak_berseragam"].any():
            continue
        people.append({
            "name": person.name if person else nip, "section": SECTIONS.get(group["section"].iloc[0] or "", ""),
            "tidak_masuk": int(mine["tidak_masuk"].sum()), "terlambat": int(mine["terlambat"].sum()),
            "pulang_cepat": int(mine["pulang_cepat"].sum()), "menit": int(mine["menit"].sum()),
            "dimaafkan": int(mine["dimaafkan"].sum()), "tidak_apel": int(group["tidak_apel"].sum()),
            "tidak_berseragam": int(group["tidak_berseragam"].sum()),
            "hari_total": int(totals.loc[nip, "hari_total"]) if nip in totals.index else 0,
        })
    people.sort(key=lambda p: (-p["hari_total"], -(p["tidak_masuk"] + p["terlambat"] + p["pulang_cepat"]), p["name"]))
    summary = {
        "kejadian": len(incidents), "dimaafkan": int(incidents["dimaafkan"].sum()),
        "tidak_masuk": int(incidents["tidak_masuk"].sum()), "terlambat": int(incidents["terlambat"].sum()),
        "pulang_cepat": int(incidents["pulang_cepat"].sum()), "tidak_apel": int(frame["tidak_apel"].sum()),
        "pegawai": frame["nip"].nunique(),
    }
    thresholds = [{"name": (directory.find(n).name if directory.find(n) else n), "threshold": rules.threshold(k)}
                  for n, k in crossing_rows]
    chart = render_recap_chart(by_section, series, f"Pekan Disiplin {week}")
    context = {
        "title": f"Rekap Pekan Disiplin {week}", "week_label": plan["label"], "summary": summary, "people": people,
        "thresholds": thresholds, "chart": png_data_uri(chart), "year": year,
        "generated_date": format_date_id(now_wib().date(), with_day=False),
    }
    kabapas = humantask.resolve_assignee("kabapas", directory)[0]
    facts = [["Pekan", plan["label"]], ["Kejadian", f"{summary['kejadian']} ({summary['dimaafkan']} dimaafkan atasan)"],
             ["Tidak masuk / terlambat / pulang cepat",
              f"{summary['tidak_masuk']} / {summary['terlambat']} / {summary['pulang_cepat']}"],
             ["Ambang PP 94/2021 tercapai pekan ini", str(len(thresholds))]]
    with mailing() as batch:
        batch.email(key=f"{dag_id}/{run_id}/rekap/{kabapas.email}", to=kabapas.email, template="pekan_disiplin/rekap",
                    context={"name": kabapas.name, "week_label": plan["label"], "facts": facts,
                             "people": people[:10], "thresholds": thresholds},
                    attachments=lambda: {f"rekap-pekan-disiplin-{week}.pdf": render_pdf("pekan_disiplin/rekap", context),
                                         f"grafik-pekan-disiplin-{week}.png": chart})
        row = week_record(batch.session, week, dag_id=dag_id, run_id=run_id)
        if row.recap_sent_at is None:
            row.recap_sent_at = utcnow()
            audit.record(batch.session, actor=ACTOR, action="pekan_disiplin_rekap", subject=subject(week),
                         dag_id=dag_id, run_id=run_id, incidents=summary["kejadian"])
    return {"week": week, "kejadian": summary["kejadian"], "ambang": len(thresholds)}


# --------------------------------------------------------------------------- pages


def admin_context(week: str | None = None, *, now: datetime | None = None) -> dict[str, Any]:
    """The admin page: the week's incidents with decisions, the year to date per person."""
    directory = get_directory()
    rules = discipline_rules()
    with session_scope() as session:
        weeks = [w for (w,) in session.execute(select(AttendanceDay.week).distinct().order_by(AttendanceDay.week.desc()))]
        week = week if week in weeks else (weeks[0] if weeks else None)
        rows = session.scalars(select(AttendanceDay).where(AttendanceDay.week == week, AttendanceDay.insiden)
                               .order_by(AttendanceDay.day, AttendanceDay.nip)).all() if week else []
        incidents = []
        for r in rows:
            person = directory.find(r.nip)
            supervisor = directory.find(r.supervisor_nip)
            incidents.append({
                "day": format_date_id(r.day), "name": person.name if person else r.nip,
                "what": disiplin.describe(_as_record(r)), "supervisor": supervisor.name if supervisor else "-",
                "decision": _decision_label(r.keputusan), "tag": _decision_tag(r.keputusan), "evidence": r.bukti,
            })
        year = disiplin.parse_week(week)[0].year if week else wib_date(now or utcnow()).year
        totals = year_totals(session, year)
        sent = {(c.nip, c.threshold) for c in session.scalars(select(ThresholdCrossing).where(ThresholdCrossing.year == year))}
    reached = disiplin.levels(totals, rules) if len(totals) else pd.DataFrame(columns=["ambang", "berturut"])
    standing = []
    for nip, figures in totals.sort_values(["hari_total", "berturut_turut"], ascending=False).iterrows():
        person = directory.find(nip)
        keys = [k for k in reached.loc[nip].tolist() if isinstance(k, str)] if nip in reached.index else []
        standing.append({
            "name": person.name if person else nip, **{k: int(v) for k, v in figures.items()},
            "thresholds": [{"title": rules.threshold(k).sanction, "sent": (nip, k) in sent} for k in keys],
        })
    return {"weeks": weeks, "week": week, "week_label": week_label(week) if week else None, "incidents": incidents,
            "year": year, "standing": standing, "minutes_per_day": rules.minutes_per_day}


def _decision_label(decision: str | None) -> str:
    if decision in disiplin.EXCUSES:
        return f"Dimaafkan: {disiplin.EXCUSES[decision].lower()}"
    return {disiplin.NOT_EXCUSED: "Tidak sah", disiplin.UNANSWERED: "Tidak dijawab (tidak sah)"}.get(decision or "",
                                                                                                    "Belum diputuskan")


def _decision_tag(decision: str | None) -> str:
    if decision in disiplin.EXCUSES:
        return "good"
    return "bad" if decision else "warn"


__all__ = [
    "accumulate", "admin_context", "check_export", "compute_week", "open_apel_checklist", "open_supervisor_forms", "plan_week",
    "recap", "record_apel", "settle_decision",
]

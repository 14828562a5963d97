"""What each task of the Pasjam School DAG does, as plain functions (the DAG file only wires them).

Records (:mod:`bapas_sop.sops.pasjam_school.models`): the run's visit row, the observations,
the risk ranking, each school asked and its answer, the anonymous quiz answers. Every step
also writes an audit row (``pasjam_school_*`` actions): the trail is a log, nothing here reads
it back. Every function is safe to run twice for the same run: a step whose columns are already
filled in for the run (or whose row is already there) changes nothing.

Airflow sees NPSNs, NIPs and counts: the names and emails of the schools' contacts stay in the
register, the form requests and the tables.

The juvenile cases per district come from SP2LO's records through its one documented seam,
:mod:`bapas_sop.sops.sp2lo.counts` (listed in the independence contract of ``pyproject.toml``).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from bapas_sop import audit, humantask
from bapas_sop.calendar import at_wib, end_of_day, next_working_day, now_wib, wib_date
from bapas_sop.directory import get_directory
from bapas_sop.documents import png_data_uri, render_pdf
from bapas_sop.humantask import RequestKey
from bapas_sop.invitation import CalendarEvent, invitation_attachment
from bapas_sop.kinerja import survey
from bapas_sop.mail.outbox import mailing
from bapas_sop.policy import StepPolicy
from bapas_sop.settings import get_settings
from bapas_sop.sops.pasjam_school import rules
from bapas_sop.sops.pasjam_school.models import (
    PasjamSchoolCoordination,
    PasjamSchoolObservation,
    PasjamSchoolQuizAnswer,
    PasjamSchoolRanking,
    PasjamSchoolVisit,
)
from bapas_sop.sops.sp2lo.counts import juvenile_cases_by_district
from bapas_sop.store.db import insert_or_get, session_scope
from bapas_sop.store.models import FormRequest, utcnow
from bapas_sop.textid import format_date_id

log = logging.getLogger(__name__)

ACTOR = "system"
KASUBSI = "kasubsi_bka"
OBSERVATION_STEP, CONTACT_STEP, FEEDBACK_STEP = "observasi_sekolah", "koordinasi_dengan_sekolah", "umpan_balik_guru"
WILLING, UNWILLING, UNANSWERED = "bersedia", "tidak_bersedia", "tidak_dijawab"
STATUS_LABELS = {WILLING: "bersedia", UNWILLING: "tidak bersedia", UNANSWERED: "tidak menjawab"}
QR_FILENAME = "kuis-qr.png"


@dataclass(frozen=True)
class Next:
    """What a waiting step does next (the loop sensors' ``LoopStep``): wait for ``key`` after
    sending ``outbox``, or end with ``result``."""

    key: str | None = None
    outbox: tuple[str, ...] = ()
    result: dict[str, Any] | None = None


class PlanError(ValueError):
    """The period cannot be planned as asked (the message is for the admin, in Indonesian)."""


def config() -> dict[str, Any]:
    """``[pasjam_school]`` of ``bapas.toml`` over the defaults."""
    return rules.merged_config(get_settings().config.get("pasjam_school"))


def subject(run_id: str) -> str:
    return f"pasjam_school/{run_id}"


def _policy(due: timedelta, default_answer: Mapping[str, Any] | None, *, escalate: bool = True) -> StepPolicy:
    return StepPolicy.from_config(due=due, remind_before=timedelta(days=1), expire_after=timedelta(days=2),
                                  escalate_after=timedelta(0) if escalate else None,
                                  escalate_to_role=KASUBSI, default_answer=default_answer)


# --------------------------------------------------------------------------- records




def _visit(session: Session, run_id: str, *, term: str | None = None, dag_id: str | None = None) -> PasjamSchoolVisit:
    return insert_or_get(session, PasjamSchoolVisit, {"run_id": run_id},
                          {"term": term or "", "dag_id": dag_id, "created_at": utcnow()})


def load_register() -> pd.DataFrame:
    """The active schools of the register (by NPSN); bad rows are logged with what to fix."""
    result = rules.read_register(data_dir=get_settings().data_dir)
    if result.raw.empty and not result.ok:
        result.raise_if_errors()  # no usable file at all: say why
    for error in result.errors:
        log.warning("%s: %s", rules.REGISTER_LABEL, error)
    frame = rules.register_frame(result)
    frame.attrs["bad_rows"] = len(result.bad_rows)
    return frame


def visit_history() -> list[dict[str, Any]]:
    """Every visit that took place (the next risk score reads it): NPSN and day."""
    with session_scope() as session:
        rows = session.execute(select(PasjamSchoolVisit.npsn, PasjamSchoolVisit.tanggal)
                               .where(PasjamSchoolVisit.held_at.is_not(None))).all()
    return [{"npsn": r.npsn, "tanggal": r.tanggal} for r in rows if r.npsn]


def district_cases(today: date, settings: Mapping[str, Any] | None = None) -> dict[str, int]:
    """Juvenile Litmas cases of the last ``kasus_bulan`` months per district (SP2LO's seam)."""
    section = dict(settings or config())
    mapping = dict(section["instansi_kabupaten"])
    since = at_wib(today - timedelta(days=round(30.4375 * int(section["kasus_bulan"]))))
    return juvenile_cases_by_district(since, lambda agency: rules.district_of(agency, mapping))


def rank(register: pd.DataFrame, incidents: Mapping[str, int], today: date,
         settings: Mapping[str, Any] | None = None) -> pd.DataFrame:
    section = settings or config()
    return rules.risk_scores(
        register, incidents=incidents, district_cases=district_cases(today, section),
        last_visit=rules.last_visits(register, visit_history()), today=today,
        config=rules.RiskConfig.from_config(section),
    )


def _school_facts(school: Mapping[str, Any]) -> list[list[str]]:
    return [
        ["Sekolah", f"{school['nama']} (NPSN {school['npsn']})"],
        ["Jenjang", str(school["jenjang"])],
        ["Alamat", f"{school['alamat']}, {school['kabupaten']}"],
    ]


# --------------------------------------------------------------------------- 1. observasi sekolah


def plan_term(params: Mapping[str, Any], *, dag_id: str, run_id: str,
              data_interval_start: datetime | None = None, logical_date: datetime | None = None) -> dict[str, Any]:
    """The period, and the candidate schools to observe: the top of a ranking without observations."""
    section = config()
    moment = data_interval_start or logical_date
    try:
        term = str(params.get("periode") or "") or rules.term_for(
            wib_date(moment) if moment else now_wib().date(), int(section["bulan_per_periode"]))
        label = rules.term_label(term)
    except ValueError as exc:
        raise PlanError(str(exc)) from None
    register = load_register()
    if register.empty:
        raise PlanError("Daftar sekolah tidak berisi sekolah aktif yang sah; periksa sekolah.csv.")
    count = int(params.get("kandidat") or section["kandidat"])
    ranked = rank(register, {}, now_wib().date(), section)
    candidates = rules.preliminary_candidates(ranked, count)
    observers = [p.nip for role in ("pk", "apk") for p in get_directory().by_role(role) if p.section == "bka"]
    if not observers:
        raise PlanError("Tidak ada PK/APK seksi BKA yang aktif di daftar pegawai untuk observasi sekolah.")
    with session_scope() as session:
        visit = _visit(session, run_id, term=term, dag_id=dag_id)
        if visit.candidates is None:
            visit.candidates = candidates
            audit.record(session, actor=ACTOR, action="pasjam_school_candidates", subject=subject(run_id),
                         dag_id=dag_id, run_id=run_id, term=term, candidates=candidates)
    slots = [{"slot": i, "npsn": npsn, "observer": observers[(i - 1) % len(observers)]}
             for i, npsn in enumerate(candidates, start=1)]
    return {"term": term, "term_label": label, "slots": slots, "count": len(slots)}


def open_observation(slot: Mapping[str, Any], *, dag_id: str, run_id: str) -> Next:
    school = load_register().loc[slot["npsn"]]
    opened = humantask.open_request(
        key=humantask.request_key(dag_id, run_id, f"{OBSERVATION_STEP}/{slot['npsn']}"),
        step=OBSERVATION_STEP, form_name="pasjam_school_observasi",
        title=f"Observasi sekolah Pasjam School: {school['nama']}",
        assignee=f"nip:{slot['observer']}",
        context={"facts": [*_school_facts(school), ["Kontak sekolah", str(school["kontak_nama"])]],
                 "npsn": slot["npsn"]},
        policy=_policy(timedelta(days=5), {"insiden": 0}), dag_id=dag_id, run_id=run_id,
    )
    return Next(key=opened.key, outbox=opened.outbox_keys)


def after_observation(slot: Mapping[str, Any], outcome: Mapping[str, Any], *, dag_id: str, run_id: str) -> Next:
    """The observation on its row (an unanswered step counts no incident, marked as such)."""
    answer = dict(outcome.get("answer") or {})
    defaulted = bool(outcome.get("defaulted")) or outcome.get("status") != "answered"
    incidents = int(float(answer.get("insiden") or 0))
    actor = str(outcome.get("answered_by") or ACTOR)
    with session_scope() as session:
        row = insert_or_get(session, PasjamSchoolObservation, {"run_id": run_id, "npsn": slot["npsn"]}, {
            "observed_on": date.fromisoformat(answer["tanggal_observasi"]) if answer.get("tanggal_observasi") else None,
            "incidents": incidents, "kinds": list(answer.get("jenis_insiden") or []), "note": answer.get("catatan"),
            "observer": actor, "defaulted": defaulted, "created_at": utcnow(),
        })
        audit.record(session, actor=actor, action="pasjam_school_observation", subject=f"{subject(run_id)}/{slot['npsn']}",
                     dag_id=dag_id, run_id=run_id, incidents=row.incidents, defaulted=defaulted)
    return Next(result={"npsn": slot["npsn"], "incidents": row.incidents, "defaulted": row.defaulted})


# --------------------------------------------------------------------------- 2. analisis tingkat risiko


def analyse(plan: Mapping[str, Any], observations: Iterable[Mapping[str, Any]], *, dag_id: str, run_id: str) -> dict[str, Any]:
    """The risk ranking of the observed schools, each factor's contribution shown and kept."""
    section = config()
    observed = {str(o["npsn"]): int(o["incidents"]) for o in observations}
    register = load_register()
    candidates = register[register["npsn"].isin(list(observed))]
    today = now_wib().date()
    ranked = rank(candidates, observed, today, section)
    cases = district_cases(today, section)
    with session_scope() as session:
        visit = _visit(session, run_id, term=plan["term"], dag_id=dag_id)
        if visit.ranked_at is None:
            for row in ranked.to_dict("records"):
                insert_or_get(session, PasjamSchoolRanking, {"run_id": run_id, "npsn": row["npsn"]}, {
                    "rank": int(row["peringkat"]), "score": float(row["skor"]), "created_at": utcnow(),
                    "factors": {"insiden": int(row["insiden"]), "kasus_anak": int(row["kasus_anak"]),
                                "jenjang": row["jenjang"], "bulan_sejak_kunjungan": row["bulan_sejak_kunjungan"]},
                    "contributions": {f: float(row[f"kontribusi_{f}"]) for f in rules.FACTORS},
                })
            visit.ranked_at = utcnow()
            audit.record(session, actor=ACTOR, action="pasjam_school_ranking", subject=subject(run_id), dag_id=dag_id,
                         run_id=run_id, order=list(ranked["npsn"]), scores=[float(s) for s in ranked["skor"]])
    weights = rules.RiskConfig.from_config(section).weights
    facts = [
        ["Periode", plan["term_label"]],
        ["Bobot skor", " · ".join(f"{rules.FACTOR_LABELS[f]} {rules.number_id(weights[f])}" for f in rules.FACTORS)],
        [f"Kasus anak (SP2LO, {section['kasus_bulan']} bulan)",
         " · ".join(f"{k} {v}" for k, v in sorted(cases.items())) or "tidak ada"],
    ]
    options = []
    for row in ranked.to_dict("records"):
        months = row["bulan_sejak_kunjungan"]
        since = "belum pernah dikunjungi" if months is None else f"{rules.number_id(months)} bulan sejak kunjungan"
        facts.append([f"{row['peringkat']}. {row['nama']}",
                      f"skor {rules.number_id(row['skor'])} = {rules.contributions_text(row)} "
                      f"({row['insiden']} insiden; {row['kasus_anak']} kasus anak di {row['kabupaten']}; {since})"])
        options.append({"value": row["npsn"], "label": f"{row['nama']} — skor {rules.number_id(row['skor'])}"})
    return {"facts": facts, "options": options, "top": options[0]["value"] if options else None,
            "order": list(ranked["npsn"])}


def record_pick(plan: Mapping[str, Any], analysis: Mapping[str, Any], outcome: Mapping[str, Any], *,
                dag_id: str, run_id: str) -> dict[str, Any]:
    """The Kasubsi's pick (the top of the ranking when unanswered), and the order schools are asked in."""
    answer = dict(outcome.get("answer") or {})
    picked = answer.get("sekolah") if answer.get("sekolah") in analysis["order"] else analysis["top"]
    if picked is None:
        raise PlanError("Tidak ada sekolah yang diobservasi periode ini.")
    actor = str(outcome.get("answered_by") or ACTOR)
    with session_scope() as session:
        visit = _visit(session, run_id, term=plan["term"], dag_id=dag_id)
        if visit.picked_at is None:
            visit.picked_npsn, visit.pick_note, visit.picked_by, visit.picked_at = (
                picked, answer.get("catatan"), actor, utcnow())
            audit.record(session, actor=actor, action="pasjam_school_pick", subject=subject(run_id), dag_id=dag_id,
                         run_id=run_id, picked=picked, top=analysis["top"], defaulted=bool(outcome.get("defaulted")))
    return {"picked": visit.picked_npsn, "order": rules.contact_order(analysis["order"], visit.picked_npsn),
            "term": plan["term"], "term_label": plan["term_label"]}


# --------------------------------------------------------------------------- 3. koordinasi


def _contact_requests(dag_id: str, run_id: str) -> list[FormRequest]:
    with session_scope() as session:
        rows = list(session.scalars(select(FormRequest).where(
            FormRequest.dag_id == dag_id, FormRequest.run_id == run_id, FormRequest.step == CONTACT_STEP,
        ).order_by(FormRequest.id)))
        session.expunge_all()
    return rows


def _ask_school(pick: Mapping[str, Any], npsn: str, attempt: int, *, dag_id: str, run_id: str) -> Next:
    school = load_register().loc[npsn]
    office = get_settings().office
    opened = humantask.open_request(
        key=humantask.request_key(dag_id, run_id, f"{CONTACT_STEP}/{npsn}"),
        step=CONTACT_STEP, form_name="pasjam_school_koordinasi",
        title=f"Penyuluhan hukum {office.get('short_name', 'Bapas')} di {school['nama']}",
        assignee={"name": str(school["kontak_nama"]), "email": str(school["kontak_email"])},
        context={"facts": [*_school_facts(school), ["Periode", pick["term_label"]],
                           ["Kegiatan", "Penyuluhan hukum bagi siswa/siswi (sekitar 2 jam), dengan kuis singkat"]],
                 "npsn": npsn, "attempt": attempt},
        policy=_policy(timedelta(days=4), {"bersedia": False}), dag_id=dag_id, run_id=run_id,
    )
    return Next(key=opened.key, outbox=opened.outbox_keys)


def open_coordination(pick: Mapping[str, Any], *, dag_id: str, run_id: str) -> Next:
    """Ask the first school (or, on a retry, wait again for the latest asked)."""
    asked = _contact_requests(dag_id, run_id)
    if asked:
        return Next(key=asked[-1].key)
    return _ask_school(pick, pick["order"][0], 1, dag_id=dag_id, run_id=run_id)


def after_coordination(pick: Mapping[str, Any], outcome: Mapping[str, Any], *, dag_id: str, run_id: str,
                       max_attempts: int) -> Next:
    """A school answered (or did not): willing ends the loop, anything else asks the next school."""
    key = str(outcome["key"])
    npsn = RequestKey.parse(key).subject
    answer = dict(outcome.get("answer") or {})
    status = (UNANSWERED if outcome.get("defaulted") or outcome.get("status") != "answered"
              else WILLING if answer.get("bersedia") is True else UNWILLING)
    asked = _contact_requests(dag_id, run_id)
    with session_scope() as session:
        row = insert_or_get(session, PasjamSchoolCoordination, {"run_id": run_id, "npsn": npsn}, {
            "attempt": len(asked), "status": status, "answered_at": utcnow(),
            "preferred_dates": [d for d in (answer.get("tanggal_1"), answer.get("tanggal_2")) if d] or None,
            "jam": (answer.get("jam") or "").replace(":", ".") or None,
            "students": int(float(answer["jumlah_siswa"])) if answer.get("jumlah_siswa") else None,
            "contact_person": answer.get("narahubung"), "contact_phone": answer.get("telepon"),
            "note": answer.get("catatan"),
        })
        audit.record(session, actor=str(outcome.get("answered_by") or ACTOR), action="pasjam_school_coordination",
                     subject=f"{subject(run_id)}/{npsn}", dag_id=dag_id, run_id=run_id, status=row.status)
        if row.status == WILLING:
            visit = _visit(session, run_id, term=pick["term"], dag_id=dag_id)
            if visit.coordinated_at is None:
                visit.npsn, visit.coordinated_at = npsn, utcnow()
                visit.tanggal = date.fromisoformat(row.preferred_dates[0])
                visit.jam, visit.students_planned = row.jam or "08.00", row.students
        status = row.status
    if asked and asked[-1].key != key:
        return Next(key=asked[-1].key)  # a retried task: the loop already moved on
    if status == WILLING:
        return Next(result={"npsn": npsn, "status": status, "attempts": len(asked)})
    following = rules.next_school(pick["order"], [r.context.get("npsn") for r in asked])
    if following is None or len(asked) >= max_attempts:
        return Next(result={"npsn": None, "status": "tidak_ada", "attempts": len(asked)})
    log.info("School %s did not agree; asking %s next", npsn, following)
    return _ask_school(pick, following, len(asked) + 1, dag_id=dag_id, run_id=run_id)


# --------------------------------------------------------------------------- 4. jadwal


def quiz_url(code: str) -> str:
    return f"{get_settings().public_url}/pasjam-school/kuis/{code}"


def projector_url(code: str) -> str:
    return f"{quiz_url(code)}/qr"


def quiz_qr_png(code: str, scale: int = 10) -> bytes:
    """The quiz link as a QR code (``segno``), for the projector and the team's email."""
    import io

    import segno

    buffer = io.BytesIO()
    segno.make(quiz_url(code), error="m").save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()


def _kasubsi_and_kabapas() -> tuple[humantask.Recipient, humantask.Recipient]:
    directory = get_directory()
    return (humantask.resolve_assignee(KASUBSI, directory)[0], humantask.resolve_assignee("kabapas", directory)[0])


def schedule(pick: Mapping[str, Any], coordination: Mapping[str, Any], *, dag_id: str, run_id: str) -> dict[str, Any] | None:
    """*Memberitahukan jadwal*: the schedule letter (PDF) and a calendar invitation to the school;
    the team's copy with the quiz link and its QR code. None when no school agreed."""
    if not coordination.get("npsn"):
        with session_scope() as session:
            audit.record(session, actor=ACTOR, action="pasjam_school_no_school", subject=subject(run_id),
                         dag_id=dag_id, run_id=run_id, attempts=coordination.get("attempts"))
        return None
    npsn = str(coordination["npsn"])
    school = load_register().loc[npsn]
    section = config()
    with session_scope() as session:
        visit = _visit(session, run_id, term=pick["term"], dag_id=dag_id)
        coord = session.scalars(select(PasjamSchoolCoordination).filter_by(run_id=run_id, npsn=npsn)).one()
        if visit.quiz_code is None:
            visit.quiz_code = secrets.token_urlsafe(12)
            visit.letter_number = section["nomor_surat"].format(nomor=f"{visit.id:03d}", tahun=visit.tanggal.year)
        day, jam, code, number = visit.tanggal, visit.jam or "08.00", visit.quiz_code, visit.letter_number
        students, contact_person, contact_phone = visit.students_planned, coord.contact_person, coord.contact_phone
    hour, minute = (int(p) for p in jam.split("."))
    starts = at_wib(day, time(hour, minute))
    kasubsi, kabapas = _kasubsi_and_kabapas()
    office = get_settings().office
    facts = [
        *_school_facts(school),
        ["Hari, tanggal", f"{format_date_id(day)}, pukul {jam} WIB"],
        ["Perkiraan jumlah siswa", str(students or "-")],
    ]
    # The contact person the school named is personal data: in the emails, not in what Airflow keeps.
    mail_facts = [*facts, ["Narahubung sekolah", f"{contact_person or '-'}{f' ({contact_phone})' if contact_phone else ''}"]]
    letter = {
        "title": f"Pemberitahuan Jadwal Penyuluhan Hukum {school['nama']}", "number": number, "school": dict(school),
        "day_label": format_date_id(day), "jam": jam, "students": students, "contact_person": contact_person,
        "term_label": pick["term_label"], "kabapas": kabapas.name, "kabapas_nip": kabapas.nip,
        "kasubsi": kasubsi.name, "date_label": format_date_id(now_wib().date(), with_day=False),
        "city": office.get("city", "Jambi"),
    }
    event = CalendarEvent(
        uid=f"pasjam_school/{run_id}", summary=f"Penyuluhan hukum {office.get('short_name', 'Bapas')} di {school['nama']}",
        start=starts, end=starts + timedelta(hours=2), location=f"{school['nama']}, {school['alamat']}, {school['kabupaten']}",
        description=f"Penyuluhan hukum Pasjam School ({pick['term_label']}). Surat nomor {number}.",
        organizer_email=get_settings().mail_sender, attendees=(str(school["kontak_email"]), kasubsi.email),
    )
    slug = f"pasjam-school-{pick['term']}-{npsn}"

    def school_attachments() -> dict[str, bytes]:
        return {f"surat-jadwal-{slug}.pdf": render_pdf("pasjam_school/surat_jadwal", letter),
                **invitation_attachment(event)}

    def team_attachments() -> dict[str, bytes]:
        return {QR_FILENAME: quiz_qr_png(code), **invitation_attachment(event)}

    with mailing() as batch:
        batch.email(key=f"{dag_id}/{run_id}/jadwal/{npsn}", to=str(school["kontak_email"]), cc=[kasubsi.email],
                    template="pasjam_school/jadwal_sekolah", attachments=school_attachments,
                    context={"name": str(school["kontak_nama"]), "school": str(school["nama"]), "facts": mail_facts,
                             "number": number})
        batch.email(key=f"{dag_id}/{run_id}/jadwal_tim/{kasubsi.email}", to=kasubsi.email, cc=[kabapas.email],
                    template="pasjam_school/jadwal_tim", attachments=team_attachments,
                    context={"name": kasubsi.name, "school": str(school["nama"]), "facts": mail_facts,
                             "quiz_url": quiz_url(code), "projector_url": projector_url(code)})
        visit = _visit(batch.session, run_id)
        if visit.letter_sent_at is None:
            visit.letter_sent_at = utcnow()
            audit.record(batch.session, actor=ACTOR, action="pasjam_school_schedule", subject=subject(run_id),
                         dag_id=dag_id, run_id=run_id, npsn=npsn, tanggal=day.isoformat(), letter=number)
    directory = get_directory()
    team = [p for role in ("pk", "apk") for p in directory.by_role(role) if p.section == "bka"]
    return {
        "npsn": npsn, "tanggal": day.isoformat(), "facts": facts, "students": students,
        "day_starts": _day_opens(day).isoformat(),
        "session_due": end_of_day(next_working_day(day)).isoformat(),
        "tim_options": [{"value": p.nip, "label": f"{p.name} ({p.title or p.section.upper()})"} for p in team],
    }


def _day_opens(day: date, now: datetime | None = None) -> datetime:
    """The day's form goes out at 06.00 WIB on the day; at once when planned that very day."""
    opens = at_wib(day, time(6, 0))
    current = now or now_wib()
    return min(opens, current) if day == current.astimezone(opens.tzinfo).date() else opens


# --------------------------------------------------------------------------- 5. penyuluhan, 6. evaluasi


def open_feedback(payload: Mapping[str, Any], *, dag_id: str, run_id: str) -> Next:
    """The day's record on the visit (team, students), then the teachers' feedback form to the school."""
    jadwal, session_outcome = payload["schedule"], payload["session"]
    answer = dict(session_outcome.get("answer") or {})
    actor = str(session_outcome.get("answered_by") or ACTOR)
    with session_scope() as session:
        visit = _visit(session, run_id)
        if visit.held_at is None:
            visit.team = list(answer.get("tim") or [])
            visit.students_present = int(float(answer.get("jumlah_siswa_hadir") or 0))
            visit.held_note = "\n".join(str(answer[k]) for k in ("materi", "catatan", "tautan_dokumentasi") if answer.get(k))
            visit.held_by, visit.held_at = actor, utcnow()
            audit.record(session, actor=actor, action="pasjam_school_session", subject=subject(run_id), dag_id=dag_id,
                         run_id=run_id, team=visit.team, students=visit.students_present)
    school = load_register().loc[jadwal["npsn"]]
    opened = humantask.open_request(
        key=humantask.request_key(dag_id, run_id, f"{FEEDBACK_STEP}/{jadwal['npsn']}"),
        step=FEEDBACK_STEP, form_name="pasjam_school_umpan_balik",
        title=f"Umpan balik penyuluhan hukum Bapas Jambi di {school['nama']}",
        assignee={"name": str(school["kontak_nama"]), "email": str(school["kontak_email"])},
        context={"facts": jadwal["facts"], "npsn": jadwal["npsn"]},
        policy=_policy(timedelta(days=3), {}, escalate=False), dag_id=dag_id, run_id=run_id,
    )
    return Next(key=opened.key, outbox=opened.outbox_keys)


def after_feedback(payload: Mapping[str, Any], outcome: Mapping[str, Any], *, dag_id: str, run_id: str) -> Next:
    answered = outcome.get("status") == "answered" and not outcome.get("defaulted")
    with session_scope() as session:
        visit = _visit(session, run_id)
        if visit.feedback_at is None:
            visit.feedback = dict(outcome.get("answer") or {}) if answered else None
            visit.feedback_at = utcnow()
            audit.record(session, actor=str(outcome.get("answered_by") or ACTOR), action="pasjam_school_feedback",
                         subject=subject(run_id), dag_id=dag_id, run_id=run_id, answered=answered)
    return Next(result={"answered": answered})


def quiz_rows(code: str) -> list[dict[str, Any]]:
    with session_scope() as session:
        rows = session.scalars(select(PasjamSchoolQuizAnswer).where(PasjamSchoolQuizAnswer.quiz_code == code)
                               .order_by(PasjamSchoolQuizAnswer.id))
        return [{"stage": r.stage, "answers": dict(r.answers)} for r in rows]


def evaluate(jadwal: Mapping[str, Any], *, dag_id: str, run_id: str) -> dict[str, Any]:
    """*Mengevaluasi hasil kegiatan*: the quiz closes; scores and the improvement are computed."""
    with session_scope() as session:
        visit = _visit(session, run_id)
        code, done = visit.quiz_code, visit.evaluation
    summary = done or rules.summarise_quiz(quiz_rows(code or "")).as_dict()
    with session_scope() as session:
        visit = _visit(session, run_id)
        if visit.evaluated_at is None:
            visit.evaluation, visit.evaluated_at = summary, utcnow()
            audit.record(session, actor=ACTOR, action="pasjam_school_evaluation", subject=subject(run_id),
                         dag_id=dag_id, run_id=run_id, **{k: v for k, v in summary.items() if k != "per_question"})
    return {k: v for k, v in summary.items() if k != "per_question"}


def quiz_is_open(code: str) -> tuple[PasjamSchoolVisit | None, bool]:
    """The visit of a quiz code, and whether its quiz takes answers (scheduled, not yet evaluated)."""
    with session_scope() as session:
        visit = session.scalars(select(PasjamSchoolVisit).where(PasjamSchoolVisit.quiz_code == code)).first()
        if visit is not None:
            session.expunge(visit)
    return visit, bool(visit and visit.letter_sent_at and visit.evaluated_at is None)


def record_quiz(code: str, values: Mapping[str, Any], submission_key: str) -> tuple[float, bool]:
    """One anonymous submission; a repeat of the same page (same key) is stored once. Returns
    the score and whether this post stored it."""
    answers = {q.name: values.get(q.name) for q in rules.QUIZ}
    score = rules.quiz_score(answers)
    with session_scope() as session:
        existing = session.scalars(select(PasjamSchoolQuizAnswer).filter_by(submission_key=submission_key)).first()
        if existing is not None:
            return existing.score, False
        row = insert_or_get(session, PasjamSchoolQuizAnswer, {"submission_key": submission_key}, {
            "quiz_code": code, "stage": str(values["tahap"]), "answers": answers, "score": score, "created_at": utcnow()})
        return row.score, True


# --------------------------------------------------------------------------- 7. laporan


def report(pick: Mapping[str, Any], jadwal: Mapping[str, Any], *, dag_id: str, run_id: str) -> str:
    """*Membuat laporan hasil kegiatan*: the PDF with the evaluation chart to the Kabapas."""
    school = load_register().loc[jadwal["npsn"]]
    names = {p.nip: p.name for p in get_directory()}
    with session_scope() as session:
        visit = _visit(session, run_id)
        observations = list(session.scalars(select(PasjamSchoolObservation).filter_by(run_id=run_id)))
        ranking = list(session.scalars(select(PasjamSchoolRanking).filter_by(run_id=run_id).order_by(PasjamSchoolRanking.rank)))
        coordination = list(session.scalars(select(PasjamSchoolCoordination).filter_by(run_id=run_id)
                                            .order_by(PasjamSchoolCoordination.attempt)))
        session.expunge_all()
    register = load_register()
    school_names = {str(n): str(register.loc[n, "nama"]) if n in register.index else n
                    for n in [*(r.npsn for r in ranking), *(c.npsn for c in coordination)]}
    summary = rules.QuizSummary(**{**visit.evaluation, "per_question": tuple(tuple(q) for q in visit.evaluation["per_question"])})
    chart = rules.quiz_chart(summary, f"Kuis sebelum dan sesudah penyuluhan — {school['nama']}")
    kasubsi, kabapas = _kasubsi_and_kabapas()
    feedback = visit.feedback or {}
    context = {
        "title": f"Laporan Pasjam School {school['nama']}", "term_label": pick["term_label"], "school": dict(school),
        "facts": jadwal["facts"], "team": [names.get(n, n) for n in visit.team or []],
        "students_present": visit.students_present, "held_note": visit.held_note, "summary": summary,
        "questions": [{"text": q.text, "before": b, "after": a} for q, (_, b, a) in zip(rules.QUIZ, summary.per_question, strict=True)],
        "chart": png_data_uri(chart), "feedback": feedback, "feedback_answered": visit.feedback is not None,
        "ranking": [{"rank": r.rank, "name": school_names[r.npsn], "score": r.score, "contributions": r.contributions,
                     "factors": r.factors} for r in ranking],
        "factor_labels": rules.FACTOR_LABELS, "factors": rules.FACTORS,
        "coordination": [{"name": school_names[c.npsn], "status": STATUS_LABELS.get(c.status, c.status)} for c in coordination],
        "observations": len(observations), "number": rules.number_id,
        "generated_date": format_date_id(now_wib().date(), with_day=False), "kabapas": kabapas.name,
    }
    key = f"{dag_id}/{run_id}/laporan/{kabapas.email}"
    with mailing() as batch:
        batch.email(
            key=key, to=kabapas.email, cc=[kasubsi.email], template="pasjam_school/laporan",
            context={"name": kabapas.name, "school": str(school["nama"]), "term_label": pick["term_label"], "facts": [
                *jadwal["facts"], ["Siswa hadir", str(visit.students_present)],
                ["Nilai rata-rata kuis", f"{rules.number_id(summary.before_mean)} → {rules.number_id(summary.after_mean)}"],
            ]},
            attachments=lambda: {f"laporan-pasjam-school-{pick['term']}-{jadwal['npsn']}.pdf":
                                 render_pdf("pasjam_school/laporan", context)},
        )
        # The visit for the school is done: its contact rates the service (SKM, PermenPANRB 14/2017).
        survey.invite(batch, service="pasjam_school", service_title="Pasjam School (penyuluhan ke sekolah)",
                      subject=f"{pick['term']} NPSN {jadwal['npsn']}", to=str(school["kontak_email"]),
                      name=str(school["kontak_nama"]))
        visit = _visit(batch.session, run_id)
        if visit.reported_at is None:
            visit.reported_at = utcnow()
            audit.record(batch.session, actor=ACTOR, action="pasjam_school_report", subject=subject(run_id),
                         dag_id=dag_id, run_id=run_id, npsn=jadwal["npsn"])
    return key


__all__ = [
    "PlanError",
    "after_coordination",
    "after_feedback",
    "after_observation",
    "analyse",
    "config",
    "district_cases",
    "evaluate",
    "load_register",
    "open_coordination",
    "open_feedback",
    "open_observation",
    "plan_term",
    "quiz_is_open",
    "quiz_qr_png",
    "quiz_url",
    "rank",
    "record_pick",
    "record_quiz",
    "report",
    "schedule",
    "visit_history",
]

"""What each task of the Peterpan DAG does, as plain functions (the DAG file only wires them).

Records: every ballot is a form request with its answer (``form_request``/``form_response``:
who was asked, when, what they chose, from which link); the run itself is one
:class:`~bapas_sop.sops.peterpan.models.PeterpanSurvey` row that each step fills in (the
survey, the tally, the winner, the certificate, the rewards), so the winners of past quarters
are :func:`winners_history`. Each step also writes an audit row (subject ``peterpan/<quarter>``)
as the log of who did what; nothing reads those back.

Every function is safe to run twice for the same run (a retried task): the row is keyed by
run and a step fills its part once, requests are keyed by run and step, emails by run, purpose
and recipient, so nothing is recorded, asked or sent twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bapas_sop import audit, humantask
from bapas_sop.humantask import RequestKey
from bapas_sop.calendar import WIB, now_wib, to_wib
from bapas_sop.directory import Directory, Person, get_directory
from bapas_sop.documents import percent_id, render_pdf
from bapas_sop.mail.outbox import mailing
from bapas_sop.policy import StepPolicy
from bapas_sop.settings import get_settings
from bapas_sop.sops.peterpan import rules as peterpan
from bapas_sop.sops.peterpan.models import PeterpanSurvey
from bapas_sop.sops.peterpan.rules import Quarter
from bapas_sop.store.db import session_scope
from bapas_sop.store.models import utcnow
from bapas_sop.textid import format_date_id, format_datetime_id

log = logging.getLogger(__name__)

VOTE_STEP = "pengisian_survei"
VOTE_FORM = "peterpan_suara"
ACTOR = "system"
DEFAULT_VOTING_WORKING_DAYS = 5


class SurveyError(ValueError):
    """A survey that cannot be run as asked (the message is for the admin, in Indonesian)."""


def subject(quarter: Quarter | str) -> str:
    return f"peterpan/{quarter}"


def vote_policy(*, google: bool = False) -> StepPolicy:
    """Ballots: a reminder a day before closing to those who have not voted; no escalation
    (voting is free); at the deadline an unanswered ballot becomes an abstention.

    On Google Forms the collecting task closes the ballots itself, after its last read of the
    form: only if that task cannot run at all do the ballots expire on their own, two weeks on.
    """
    return StepPolicy.from_config(
        remind_before=timedelta(days=1), escalate_after=None,
        expire_after=GOOGLE_SAFETY_NET if google else timedelta(0),
        default_answer={"abstain": True},
    )


BUILTIN = "bawaan"
GOOGLE = "google"
GOOGLE_SAFETY_NET = timedelta(days=14)


def forms_backend(params: Mapping[str, Any]) -> str:
    """Where employees vote: the run's ``formulir`` parameter, else ``[peterpan] formulir``."""
    chosen = params.get("formulir") or get_settings().config.get("peterpan", {}).get("formulir") or BUILTIN
    if chosen not in (BUILTIN, GOOGLE):
        raise SurveyError(f"Formulir survei '{chosen}' tidak dikenal: pilih '{BUILTIN}' atau '{GOOGLE}'.")
    return str(chosen)


def refuse_self_vote(voter: str, values: Mapping[str, Any]) -> str | None:
    """The one shared Google Form lists everyone, so a vote for oneself is refused on reading."""
    if values.get("pilihan") == voter:
        return ("Anda memilih diri sendiri, padahal setiap pegawai hanya dapat memilih rekan kerja lain. "
                "Suara ini tidak dihitung.")
    return None


# --------------------------------------------------------------------------- 1. survey


def create_survey(
    params: Mapping[str, Any],
    *,
    dag_id: str,
    run_id: str,
    data_interval_start: datetime | None = None,
    logical_date: datetime | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """*Pembuatan tautan survey*: the quarter's candidates and voters; Pokja 3 is told."""
    now = now or utcnow()
    try:
        quarter = peterpan.quarter_for_run(params.get("triwulan"), data_interval_start, logical_date)
    except ValueError as exc:
        raise SurveyError(str(exc)) from None
    if not params.get("ulangi"):
        _refuse_second_survey(quarter, run_id)
    directory = get_directory()
    voters = peterpan.eligible_voters(directory)
    candidates = peterpan.eligible_candidates(directory)
    if len(candidates) < 2 or not voters:
        raise SurveyError(f"Survei {quarter.label} tidak dapat dibuat: kandidat atau pemilih kurang.")
    closes_at = _closing(params, now)
    backend = forms_backend(params)
    options = [peterpan.candidate_option(p) for p in candidates]
    facts = [
        ["Triwulan", f"{quarter.label} ({quarter.months_label})"],
        ["Survei ditutup", format_datetime_id(closes_at)],
    ]
    google_form = None
    if backend == GOOGLE:
        google_form = _create_google_form(quarter, options, directory, dag_id=dag_id, run_id=run_id)
    summary = [
        *facts,
        ["Jumlah kandidat", str(len(candidates))],
        ["Jumlah pemilih", str(len(voters))],
    ]
    survey = {
        "quarter": quarter.key,
        "quarter_label": quarter.label,
        "closes_at": closes_at.isoformat(),
        "candidates": options,
        "voters": [p.nip for p in voters],
        "facts": facts,
        "formulir": backend,
        "google_form": google_form,
    }
    with mailing() as batch:
        _row, new = _survey_row(batch.session, survey, dag_id=dag_id, run_id=run_id)
        if new:
            audit.record(
                batch.session, actor=ACTOR, action="peterpan_survey_created", subject=subject(quarter),
                dag_id=dag_id, run_id=run_id, quarter=quarter.key, closes_at=closes_at.isoformat(),
                candidates=[p.nip for p in candidates], voters=[p.nip for p in voters],
            )
        for member in _team(directory, "pokja3"):
            batch.email(
                key=f"{dag_id}/{run_id}/survei_dibuat/{member.email}", to=member.email,
                template="peterpan/survei_dibuat",
                context={
                    "name": member.name, "quarter_label": quarter.label, "facts": summary,
                    "candidates": [o["label"] for o in options],
                    "voters": [p.name for p in voters],
                    "google_form": google_form,
                },
            )
    return survey


def _create_google_form(quarter: Quarter, options: list[dict[str, str]], directory: Directory, *,
                        dag_id: str, run_id: str) -> dict[str, Any]:
    """One published Google Form listing every candidate, shared with the survey committee."""
    from bapas_sop.google import form_steps

    roles = get_settings().config.get("peterpan", {}).get("google_editor_roles", ["pokja3"])
    editors = list(dict.fromkeys(p.email for role in roles for p in _team(directory, role)))
    return form_steps.create_form(
        VOTE_FORM, title=f"Survei Peterpan {quarter.label}: pilih pegawai terbaik",
        context={"kandidat": options}, subject=subject(quarter), dag_id=dag_id, run_id=run_id, editors=editors,
    )


def google_binding(survey: Mapping[str, Any], keys: Sequence[str]) -> dict[str, Any] | None:
    """What the collecting task needs to bring the Google answers into the ballots (None: built-in forms)."""
    if not survey.get("google_form"):
        return None
    from bapas_sop.google.form_steps import FormBinding
    from bapas_sop.google.forms import CreatedForm

    return FormBinding(
        form=CreatedForm.from_dict(survey["google_form"]["form"]),
        spec_name=VOTE_FORM,
        steps={RequestKey.parse(key).subject: key for key in keys},
        closes_at=datetime.fromisoformat(survey["closes_at"]),
        subject=subject(survey["quarter"]),
        context={"kandidat": survey["candidates"]},
        voter_check=f"{__name__}.refuse_self_vote",
    ).to_dict()


def _google_links(survey: Mapping[str, Any]) -> dict[str, str]:
    """Each voter's prefilled Google link (none with the built-in forms)."""
    if not survey.get("google_form"):
        return {}
    from bapas_sop.google.form_steps import personal_links
    from bapas_sop.google.forms import CreatedForm

    return personal_links(CreatedForm.from_dict(survey["google_form"]["form"]), survey["voters"])


def _closing(params: Mapping[str, Any], now: datetime) -> datetime:
    chosen = params.get("ditutup_pada")
    if chosen:
        closes = datetime.fromisoformat(str(chosen).replace("Z", "+00:00"))
        closes = closes.replace(tzinfo=WIB) if closes.tzinfo is None else closes
        if closes <= now:
            raise SurveyError(f"Waktu penutupan survei {format_datetime_id(closes)} sudah lewat.")
        return to_wib(closes)
    days = int(params.get("lama_hari_kerja") or DEFAULT_VOTING_WORKING_DAYS)
    return peterpan.closing_time(now, days)


def _refuse_second_survey(quarter: Quarter, run_id: str) -> None:
    with session_scope() as session:
        earlier = session.scalars(
            select(PeterpanSurvey).where(PeterpanSurvey.quarter == quarter.key, PeterpanSurvey.run_id != run_id)
            .order_by(PeterpanSurvey.created_at, PeterpanSurvey.id)
        ).first()
        if earlier is not None:
            raise SurveyError(
                f"Survei Peterpan {quarter.label} sudah dibuat oleh run {earlier.run_id} "
                f"({format_datetime_id(earlier.created_at)}). Untuk membuatnya lagi, jalankan dengan parameter "
                "'ulangi' dicentang."
            )


def _survey_row(session: Session, survey: Mapping[str, Any], *, dag_id: str, run_id: str) -> tuple[PeterpanSurvey, bool]:
    """This run's row, and whether it was made now (by the first step that records anything).

    Made from the survey the tasks pass along, so a later step still finds a row to fill in
    should the survey have been created before this table existed.
    """
    row = session.scalar(select(PeterpanSurvey).where(PeterpanSurvey.run_id == run_id))
    if row is not None:
        return row, False
    row = PeterpanSurvey(
        quarter=str(survey["quarter"]), dag_id=dag_id, run_id=run_id, created_at=utcnow(),
        closes_at=_aware(survey.get("closes_at")), forms_backend=survey.get("formulir"),
        google_form=survey.get("google_form"),
        candidates=[str(c["value"]) for c in survey.get("candidates") or []],
        voters=[str(nip) for nip in survey.get("voters") or []],
    )
    session.add(row)
    session.flush()
    return row, True


def _aware(value: Any) -> datetime | None:
    if not value:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=WIB)


def _date(value: Any) -> date | None:
    """A form's date answer (ISO text) as a date; None when empty or not a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _team(directory: Directory, role: str) -> list[Person]:
    """Everyone acting for a role's holders (stand-ins for those on leave), once each."""
    return [a.person for a in directory.assignees_for_role(role)]


# --------------------------------------------------------------------------- 2. ballots


def most_disciplined_facts(quarter: str, directory: Directory) -> list[list[str]]:
    """Pekan Disiplin's most disciplined employees of the quarter, shown on each ballot beside
    the candidates (read through its seam module ``teladan``); nothing when no attendance was
    recorded. The names go into the ballots' context in our database, never into the run's XCom."""
    from bapas_sop.sops.pekan_disiplin import teladan

    names = [p.name for r in teladan.most_disciplined(quarter) if (p := directory.find(r["nip"])) is not None]
    return [["Paling disiplin triwulan ini (Pekan Disiplin)", ", ".join(names)]] if names else []


def open_ballots(survey: Mapping[str, Any], *, dag_id: str, run_id: str) -> list[str]:
    """*Pengisian survey*: one personal ballot per voter, all emailed through one connection.

    A ballot lists every candidate except its voter. Someone who left or went on leave since
    the survey was created gets no ballot (a vote is never given to a stand-in).
    """
    directory = get_directory()
    closes_at = datetime.fromisoformat(survey["closes_at"])
    policy = vote_policy(google=bool(survey.get("google_form")))
    google_links = _google_links(survey)
    exemplary = most_disciplined_facts(survey["quarter"], directory)
    keys: list[str] = []
    with mailing() as batch:
        for nip in survey["voters"]:
            person = directory.find(nip)
            if person is None or not person.available:
                log.info("No ballot for %s: no longer active or on leave", nip)
                continue
            opened = humantask.open_request(
                key=humantask.request_key(dag_id, run_id, f"{VOTE_STEP}/{nip}"),
                step=VOTE_STEP,
                form_name=VOTE_FORM,
                title=f"Survei Peterpan {survey['quarter_label']}: pilih pegawai terbaik",
                assignee=f"nip:{nip}",
                context={
                    "facts": [*survey["facts"], *exemplary],
                    "kandidat": peterpan.ballot_choices(survey["candidates"], nip),
                    "triwulan": survey["quarter"],
                },
                policy=policy,
                due_at=closes_at,
                dag_id=dag_id,
                run_id=run_id,
                external_url=google_links.get(nip),
            )
            keys.append(opened.key)
            batch.include(opened.outbox_keys)
    sent, remaining = (batch.result.sent, batch.result.remaining) if batch.result else (0, 0)
    log.info("Ballots: %d opened, %d emails sent, %d still queued", len(keys), sent, remaining)
    return keys


# --------------------------------------------------------------------------- 3. tally


def ballot_rows(outcomes: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The sensors' outcomes as ballots, in the order they were cast.

    The voter is who actually answered (``answered_by``): should a ballot ever be answered by
    someone else than the person it was sent to, the tally's own checks see that person's
    self-vote or second vote. An expired ballot is an abstention of its addressee.
    """
    rows = []
    for outcome in outcomes:
        addressee = RequestKey.parse(str(outcome["key"])).subject
        answer = outcome.get("answer") or {}
        if outcome.get("defaulted") or answer.get("abstain") or outcome.get("status") != "answered":
            rows.append({"voter": addressee, "candidate": None, "at": "9999", "reason": None})
        else:
            rows.append({
                "voter": str(outcome.get("answered_by") or addressee),
                "candidate": answer.get("pilihan"),
                "at": str(outcome.get("answered_at") or ""),
                "reason": answer.get("alasan"),
            })
    return sorted(rows, key=lambda r: r["at"])


def tally_votes(survey: Mapping[str, Any], outcomes: Iterable[Mapping[str, Any]], *, dag_id: str, run_id: str) -> dict[str, Any]:
    """*Terpilih 1 orang pegawai dengan hasil survey terbanyak*: the count and participation."""
    rows = ballot_rows(outcomes)
    result = peterpan.tally(
        peterpan.ballots_frame(rows), survey["voters"], [c["value"] for c in survey["candidates"]]
    )
    names = _names(survey)
    data = result.as_dict()
    data["rows"] = [{"nip": c["nip"], "name": names.get(c["nip"], c["nip"]), "votes": c["votes"]} for c in data["counts"]]
    accepted = {(r["voter"], r["candidate"]) for r in rows if r["candidate"]}
    rejected = {(r["voter"], r["candidate"]) for r in data["rejected"]}
    reasons: dict[str, list[str]] = {}
    for r in rows:
        if r["candidate"] and r.get("reason") and (r["voter"], r["candidate"]) in accepted - rejected:
            reasons.setdefault(r["candidate"], []).append(str(r["reason"]))
    data["reasons"] = reasons
    data["facts"] = [
        *survey["facts"][:1],
        ["Pemilih", f"{data['voted']} dari {data['voters']} pegawai ({percent_id(data['participation'])})"],
        ["Suara sah", str(data["total_votes"])],
        ["Suara tidak sah", str(len(data["rejected"]))],
    ]
    if data["status"] != peterpan.WINNER:
        tied = data["top"]
        data["tie_options"] = [{"value": nip, "label": f"{names.get(nip, nip)} ({_votes(data, nip)} suara)"} for nip in tied]
        data["tie_facts"] = [
            *data["facts"],
            ["Perolehan tertinggi", ", ".join(f"{names.get(n, n)} ({_votes(data, n)})" for n in tied)
             if data["status"] == peterpan.TIE else "Belum ada suara sah yang masuk"],
        ]
    with session_scope() as session:
        row, _new = _survey_row(session, survey, dag_id=dag_id, run_id=run_id)
        if row.tallied_at is None:  # a retried count records nothing again
            row.tally_status, row.top, row.rejected = data["status"], data["top"], data["rejected"]
            row.voter_count, row.voted, row.participation = data["voters"], data["voted"], data["participation"]
            row.total_votes, row.tally, row.tallied_at = int(data["total_votes"]), data["rows"], utcnow()
            audit.record(
                session, actor=ACTOR, action="peterpan_tally", subject=subject(survey["quarter"]),
                dag_id=dag_id, run_id=run_id, status=data["status"], top=data["top"], counts=data["counts"],
                voters=data["voters"], voted=data["voted"], participation=data["participation"],
                rejected=data["rejected"],
            )
    log.info("Tally %s: %s, top %s, participation %s", survey["quarter"], data["status"], data["top"],
             percent_id(data["participation"]))
    return data


def _votes(result: Mapping[str, Any], nip: str) -> int:
    return next((c["votes"] for c in result["counts"] if c["nip"] == nip), 0)


def _names(survey: Mapping[str, Any]) -> dict[str, str]:
    directory = get_directory()
    names = {}
    for c in survey["candidates"]:
        person = directory.find(c["value"])
        names[c["value"]] = person.name if person else c["label"]
    return names


def needs_decision(result: Mapping[str, Any]) -> bool:
    return result["status"] != peterpan.WINNER


# --------------------------------------------------------------------------- winner


def decide_winner(
    survey: Mapping[str, Any], result: Mapping[str, Any], decision: Mapping[str, Any] | None, *, dag_id: str, run_id: str
) -> dict[str, Any]:
    """The winner: by the votes, or by the Kabapas when the votes were tied."""
    if result["status"] == peterpan.WINNER:
        nip, decided_by, note = result["winner"], "suara", None
    else:
        if not decision or not decision.get("answer"):
            raise SurveyError("Perolehan suara sama, tetapi putusan Kepala Bapas tidak ditemukan.")
        nip = decision["answer"]["pemenang"]
        if nip not in result["top"]:
            raise SurveyError(f"Pegawai {nip} yang ditetapkan bukan salah satu peraih suara terbanyak.")
        decided_by, note = "kabapas", decision["answer"].get("alasan")
    person = get_directory().get(nip)
    votes = _votes(result, nip)
    actor = str((decision or {}).get("answered_by") or ACTOR)
    with session_scope() as session:
        row, _new = _survey_row(session, survey, dag_id=dag_id, run_id=run_id)
        if row.winner_nip is None:  # the first decision of the run stands
            row.winner_nip, row.winner_name, row.winner_votes = nip, person.name, votes
            row.winner_decided_by, row.winner_note, row.winner_actor = decided_by, note, actor
            row.winner_decided_at = utcnow()
            audit.record(
                session, actor=actor, action="peterpan_winner",
                subject=subject(survey["quarter"]), dag_id=dag_id, run_id=run_id, nip=nip, name=person.name,
                votes=votes, decided_by=decided_by, note=note,
            )
    facts = [
        *survey["facts"][:1],
        ["Pegawai terbaik", person.name],
        ["Jabatan", person.title or "-"],
        ["Perolehan suara", f"{votes} suara"],
    ]
    if decided_by == "kabapas":
        facts.append(["Ditetapkan oleh", "Kepala Bapas (perolehan suara sama)"])
    return {
        "nip": nip, "name": person.name, "title": person.title, "email": person.email, "votes": votes,
        "decided_by": decided_by, "note": note, "facts": facts,
        # The winner is asked in person (not a stand-in): the photo is theirs.
        "assignee": {"name": person.name, "email": person.email},
    }


# --------------------------------------------------------------------------- 4. certificate


def _signer(directory: Directory) -> tuple[Person, bool]:
    """Who signs: the Kabapas, or the stand-in (Plh) while the Kabapas is on leave."""
    head = directory.one("kabapas")
    acting = directory.acting_for(head)
    return acting, acting.nip != head.nip


def certificate_context(
    survey: Mapping[str, Any], winner: Mapping[str, Any], *, citation: str | None = None,
    approved: bool = False, issued_on: datetime | None = None,
) -> dict[str, Any]:
    quarter = Quarter.parse(survey["quarter"])
    settings = get_settings()
    signer, plh = _signer(get_directory())
    return {
        "title": f"Sertifikat Pegawai Terbaik {quarter.label}",
        "number": peterpan.certificate_number(quarter),
        "quarter_label": quarter.label,
        "months_label": quarter.months_label,
        "name": winner["name"],
        "nip": winner["nip"],
        "position": winner.get("title") or "",
        "citation": citation or peterpan.default_citation(quarter, settings.office["name"]),
        "place": settings.office.get("city") or "",
        "date": format_date_id((issued_on or now_wib()).date(), with_day=False),
        "signer_name": signer.name,
        "signer_nip": signer.nip,
        "signer_title": ("Plh. " if plh else "") + f"Kepala {settings.office['name']}",
        "draft": not approved,
    }


def render_certificate(context: Mapping[str, Any]) -> bytes:
    return render_pdf("peterpan/sertifikat", context)


def prepare_certificate(survey: Mapping[str, Any], winner: Mapping[str, Any], *, dag_id: str, run_id: str) -> dict[str, Any]:
    """The draft certificate (PDF) goes to the Kabapas with the approval form next to it."""
    context = certificate_context(survey, winner)
    signer, _plh = _signer(get_directory())
    with mailing() as batch:
        row, _new = _survey_row(batch.session, survey, dag_id=dag_id, run_id=run_id)
        if row.certificate_status is None:
            row.certificate_status, row.certificate_number = "draft", context["number"]
        batch.email(
            key=f"{dag_id}/{run_id}/draf_sertifikat/{signer.email}", to=signer.email,
            template="peterpan/draf_sertifikat",
            context={"name": signer.name, "quarter_label": survey["quarter_label"], "facts": winner["facts"]},
            attachments=lambda: {f"draf-sertifikat-peterpan-{survey['quarter']}.pdf": render_certificate(context)},
        )
    return {
        "facts": [*winner["facts"], ["Nomor sertifikat", context["number"]]],
        "prefill": {"keputusan": "setuju", "kutipan": context["citation"]},
    }


def issue_certificate(
    survey: Mapping[str, Any], winner: Mapping[str, Any], approval: Mapping[str, Any], *, dag_id: str, run_id: str
) -> dict[str, Any] | None:
    """*Pemberian sertifikat*: approved, the PDF goes to Staf TU to print; refused, nothing
    is issued (the reward steps are skipped) and Pokja 3 is told why."""
    answer = approval.get("answer") or {}
    directory = get_directory()
    by = str(approval.get("answered_by") or ACTOR)
    if answer.get("keputusan") != "setuju":
        with mailing() as batch:
            row, _new = _survey_row(batch.session, survey, dag_id=dag_id, run_id=run_id)
            if row.certificate_status != "refused":  # a retry changes nothing; a later decision stands
                row.certificate_status, row.certificate_note = "refused", answer.get("catatan")
                row.certificate_citation = None
                row.certificate_actor, row.certificate_decided_at = by, utcnow()
                audit.record(batch.session, actor=by, action="peterpan_certificate_refused",
                             subject=subject(survey["quarter"]), dag_id=dag_id, run_id=run_id, nip=winner["nip"],
                             note=answer.get("catatan"))
            for member in _team(directory, "pokja3"):
                batch.email(
                    key=f"{dag_id}/{run_id}/sertifikat_ditolak/{member.email}", to=member.email,
                    template="peterpan/sertifikat_ditolak", context={
                        "name": member.name, "quarter_label": survey["quarter_label"],
                        "facts": [*winner["facts"], ["Catatan Kepala Bapas", answer.get("catatan") or "-"]],
                    },
                )
        return None
    approved_at = datetime.fromisoformat(approval["answered_at"]) if approval.get("answered_at") else utcnow()
    context = certificate_context(survey, winner, citation=answer.get("kutipan"), approved=True, issued_on=approved_at)
    tu = _team(directory, "staff_tu")
    lead = humantask.resolve_assignee("staff_tu", directory)[0]
    recipients = [lead.email] + [p.email for p in tu if p.email != lead.email]
    facts = [*winner["facts"], ["Nomor sertifikat", context["number"]],
             ["Disetujui", f"{approval.get('answered_by_name') or 'Kepala Bapas'}, {format_datetime_id(approved_at)}"]]
    with mailing() as batch:
        row, _new = _survey_row(batch.session, survey, dag_id=dag_id, run_id=run_id)
        if row.certificate_status != "issued":  # a retry changes nothing; a later decision stands
            row.certificate_status, row.certificate_number = "issued", context["number"]
            row.certificate_citation, row.certificate_note = context["citation"], None
            row.certificate_actor, row.certificate_decided_at = by, utcnow()
            audit.record(batch.session, actor=by, action="peterpan_certificate_issued",
                         subject=subject(survey["quarter"]), dag_id=dag_id, run_id=run_id, nip=winner["nip"],
                         number=context["number"], citation=context["citation"])
        batch.email(
            key=f"{dag_id}/{run_id}/sertifikat_tu/{lead.email}", to=lead.email, cc=recipients[1:] or None,
            template="peterpan/sertifikat_tu",
            context={"name": lead.name, "quarter_label": survey["quarter_label"], "facts": facts},
            attachments=lambda: {f"sertifikat-peterpan-{survey['quarter']}.pdf": render_certificate(context)},
        )
    return {"number": context["number"], "citation": context["citation"], "facts": facts}


# --------------------------------------------------------------------------- 5. rewards


def send_caption(
    survey: Mapping[str, Any], result: Mapping[str, Any], winner: Mapping[str, Any],
    photo: Mapping[str, Any] | None, *, dag_id: str, run_id: str,
) -> str:
    """Tim Humas gets a ready caption for social media and the winner's photo link."""
    answer = (photo or {}).get("answer") or {}
    link = answer.get("tautan_foto")
    caption = peterpan_caption(survey, result, winner)
    directory = get_directory()
    with mailing() as batch:
        row, _new = _survey_row(batch.session, survey, dag_id=dag_id, run_id=run_id)
        if row.photo_url is None and link:
            row.photo_url = link
        for member in _team(directory, "humas"):
            batch.email(
                key=f"{dag_id}/{run_id}/bahan_humas/{member.email}", to=member.email,
                template="peterpan/bahan_humas", context={
                    "name": member.name, "quarter_label": survey["quarter_label"], "caption": caption,
                    "photo_url": link, "winner_note": answer.get("catatan"),
                    "facts": winner["facts"],
                },
            )
    return caption


def peterpan_caption(survey: Mapping[str, Any], result: Mapping[str, Any], winner: Mapping[str, Any]) -> str:
    office = get_settings().office
    short = office.get("short_name") or office["name"]
    tag = "".join(part[:1].upper() + part[1:] for part in short.split())
    title = f" ({winner['title']})" if winner.get("title") else ""
    return (
        f"Selamat kepada {winner['name']}{title}, Pegawai Terbaik Jadi Panutan (PETERPAN) "
        f"{survey['quarter_label']} {short}! Terpilih melalui survei yang diikuti {result['voted']} dari "
        f"{result['voters']} pegawai, beliau menjadi teladan dalam disiplin, integritas dan pelayanan kepada "
        f"masyarakat. Terima kasih atas dedikasinya; semoga menginspirasi kita semua. "
        f"#Peterpan #{tag} #PemasyarakatanPASTI"
    )


def results_chart(survey: Mapping[str, Any], result: Mapping[str, Any], winner: Mapping[str, Any]) -> bytes:
    return peterpan.render_results_chart(
        result["rows"], title=f"Hasil Survei Peterpan {survey['quarter_label']}",
        participation=result["participation"], highlight=winner["nip"],
    )


def announce(survey: Mapping[str, Any], result: Mapping[str, Any], winner: Mapping[str, Any], *, dag_id: str, run_id: str) -> int:
    """All staff get the announcement with the results chart (PNG attached)."""
    directory = get_directory()
    chart: dict[str, bytes] = {}

    def attachment() -> dict[str, bytes]:
        if not chart:
            chart[f"hasil-peterpan-{survey['quarter']}.png"] = results_chart(survey, result, winner)
        return chart

    ranking = [r for r in result["rows"] if r["votes"] > 0][:5]
    facts = [
        *survey["facts"][:1],
        ["Pegawai terbaik", winner["name"]],
        ["Partisipasi", f"{result['voted']} dari {result['voters']} pegawai ({percent_id(result['participation'])})"],
    ]
    quotes = list(dict.fromkeys((result.get("reasons") or {}).get(winner["nip"], [])))[:3]
    with mailing() as batch:
        row, _new = _survey_row(batch.session, survey, dag_id=dag_id, run_id=run_id)
        if row.announced_at is None:
            row.announced_at = utcnow()
        for person in directory.active_employees():
            batch.email(
                key=f"{dag_id}/{run_id}/pengumuman/{person.email}", to=person.email,
                template="peterpan/pengumuman", context={
                    "name": person.name, "quarter_label": survey["quarter_label"], "winner": winner,
                    "facts": facts, "ranking": ranking, "quotes": quotes,
                    "decided_by_kabapas": winner["decided_by"] == "kabapas",
                }, attachments=attachment,
            )
    return batch.result.sent if batch.result else 0


def close(survey: Mapping[str, Any], winner: Mapping[str, Any], photo: Mapping[str, Any] | None,
          gift: Mapping[str, Any] | None, *, dag_id: str, run_id: str) -> dict[str, Any]:
    """The quarter's record: winner, photo, gift handed over."""
    photo_answer = (photo or {}).get("answer") or {}
    gift_answer = (gift or {}).get("answer") or {}
    detail = {
        "nip": winner["nip"], "name": winner["name"], "votes": winner["votes"], "decided_by": winner["decided_by"],
        "photo_url": photo_answer.get("tautan_foto"), "gift": gift_answer.get("bingkisan"),
        "handed_over_on": gift_answer.get("tanggal_penyerahan"),
    }
    with session_scope() as session:
        row, _new = _survey_row(session, survey, dag_id=dag_id, run_id=run_id)
        if row.closed_at is None:  # a retried closing records nothing again
            row.photo_url = detail["photo_url"] or row.photo_url
            row.gift, row.handed_over_on = detail["gift"], _date(detail["handed_over_on"])
            row.closed_at = utcnow()
            audit.record(session, actor=ACTOR, action="peterpan_closed", subject=subject(survey["quarter"]),
                         dag_id=dag_id, run_id=run_id, **detail)
    return detail


def winners_history(limit: int = 12) -> list[dict[str, Any]]:
    """Winners of past runs, the latest decision first (a repeated survey's quarter appears twice)."""
    with session_scope() as session:
        rows = session.scalars(
            select(PeterpanSurvey).where(PeterpanSurvey.winner_nip.is_not(None))
            .order_by(PeterpanSurvey.winner_decided_at.desc(), PeterpanSurvey.id.desc()).limit(limit)
        ).all()
        return [
            {"quarter": r.quarter, "run_id": r.run_id, "at": r.winner_decided_at, "nip": r.winner_nip,
             "name": r.winner_name, "votes": r.winner_votes, "decided_by": r.winner_decided_by, "note": r.winner_note}
            for r in rows
        ]


__all__ = [
    "SurveyError",
    "announce",
    "ballot_rows",
    "certificate_context",
    "close",
    "create_survey",
    "decide_winner",
    "forms_backend",
    "google_binding",
    "issue_certificate",
    "needs_decision",
    "open_ballots",
    "peterpan_caption",
    "refuse_self_vote",
    "prepare_certificate",
    "render_certificate",
    "results_chart",
    "send_caption",
    "tally_votes",
    "vote_policy",
    "winners_history",
]

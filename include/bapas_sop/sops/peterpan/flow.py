"""What each task of the Peterpan DAG does, as plain functions (the DAG file only wires them).

Records: Peterpan needs no table of its own. Every ballot is a form request with its answer
(``form_request``/``form_response``: who was asked, when, what they chose, from which link),
and every decision of the run is an audit row with subject ``peterpan/<quarter>``
(``peterpan_survey_created``, ``peterpan_tally``, ``peterpan_winner``,
``peterpan_certificate_issued``/``_refused``, ``peterpan_closed``), so the winners of past
quarters are :func:`winners_history`.

Every function is safe to run twice for the same run (a retried task): requests are keyed by
run and step, emails by run, purpose and recipient, so nothing is asked or sent twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bapas_sop import audit, humantask
from bapas_sop.calendar import WIB, now_wib, to_wib
from bapas_sop.directory import Directory, Person, get_directory
from bapas_sop.documents import percent_id, render_pdf
from bapas_sop.mail.outbox import enqueue_email, flush
from bapas_sop.policy import StepPolicy
from bapas_sop.settings import get_settings
from bapas_sop.sops.peterpan import rules as peterpan
from bapas_sop.sops.peterpan.rules import Quarter
from bapas_sop.store.db import session_scope
from bapas_sop.store.models import AuditEvent, utcnow
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
    keys: list[str] = []
    with session_scope() as session:
        if not audit.has_event(session, subject(quarter), "peterpan_survey_created", run_id):
            audit.record(
                session, actor=ACTOR, action="peterpan_survey_created", subject=subject(quarter),
                dag_id=dag_id, run_id=run_id, quarter=quarter.key, closes_at=closes_at.isoformat(),
                candidates=[p.nip for p in candidates], voters=[p.nip for p in voters],
            )
        for member in _team(directory, "pokja3"):
            key = f"{dag_id}/{run_id}/survei_dibuat/{member.email}"
            enqueue_email(
                session, key=key, to=member.email, template="peterpan/survei_dibuat",
                context={
                    "name": member.name, "quarter_label": quarter.label, "facts": summary,
                    "candidates": [o["label"] for o in options],
                    "voters": [p.name for p in voters],
                    "google_form": google_form,
                },
            )
            keys.append(key)
    flush(keys=keys)
    return {
        "quarter": quarter.key,
        "quarter_label": quarter.label,
        "closes_at": closes_at.isoformat(),
        "candidates": options,
        "voters": [p.nip for p in voters],
        "facts": facts,
        "formulir": backend,
        "google_form": google_form,
    }


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
        steps={key.rsplit("/", 1)[-1]: key for key in keys},
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
            select(AuditEvent).where(
                AuditEvent.subject == subject(quarter), AuditEvent.action == "peterpan_survey_created",
                AuditEvent.run_id != run_id,
            )
        ).first()
        if earlier is not None:
            raise SurveyError(
                f"Survei Peterpan {quarter.label} sudah dibuat oleh run {earlier.run_id} "
                f"({format_datetime_id(earlier.at)}). Untuk membuatnya lagi, jalankan dengan parameter "
                "'ulangi' dicentang."
            )


def _team(directory: Directory, role: str) -> list[Person]:
    """Everyone acting for a role's holders (stand-ins for those on leave), once each."""
    return [a.person for a in directory.assignees_for_role(role)]


# --------------------------------------------------------------------------- 2. ballots


def open_ballots(survey: Mapping[str, Any], *, dag_id: str, run_id: str) -> list[str]:
    """*Pengisian survey*: one personal ballot per voter, all emailed through one connection.

    A ballot lists every candidate except its voter. Someone who left or went on leave since
    the survey was created gets no ballot (a vote is never given to a stand-in).
    """
    directory = get_directory()
    closes_at = datetime.fromisoformat(survey["closes_at"])
    policy = vote_policy(google=bool(survey.get("google_form")))
    google_links = _google_links(survey)
    keys: list[str] = []
    outbox: list[str] = []
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
                "facts": survey["facts"],
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
        outbox.extend(opened.outbox_keys)
    result = flush(keys=outbox)
    log.info("Ballots: %d opened, %d emails sent, %d still queued", len(keys), result.sent, result.remaining)
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
        addressee = str(outcome["key"]).rsplit("/", 1)[-1]
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
        if not audit.has_event(session, subject(survey["quarter"]), "peterpan_tally", run_id):
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
    with session_scope() as session:
        if not audit.has_event(session, subject(survey["quarter"]), "peterpan_winner", run_id):
            audit.record(
                session, actor=str((decision or {}).get("answered_by") or ACTOR), action="peterpan_winner",
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
    key = f"{dag_id}/{run_id}/draf_sertifikat/{signer.email}"
    _send_one(
        key, to=signer.email, template="peterpan/draf_sertifikat",
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
        with session_scope() as session:
            if not audit.has_event(session, subject(survey["quarter"]), "peterpan_certificate_refused", run_id):
                audit.record(session, actor=by, action="peterpan_certificate_refused", subject=subject(survey["quarter"]),
                             dag_id=dag_id, run_id=run_id, nip=winner["nip"], note=answer.get("catatan"))
        keys = []
        with session_scope() as session:
            for member in _team(directory, "pokja3"):
                key = f"{dag_id}/{run_id}/sertifikat_ditolak/{member.email}"
                enqueue_email(session, key=key, to=member.email, template="peterpan/sertifikat_ditolak", context={
                    "name": member.name, "quarter_label": survey["quarter_label"],
                    "facts": [*winner["facts"], ["Catatan Kepala Bapas", answer.get("catatan") or "-"]],
                })
                keys.append(key)
        flush(keys=keys)
        return None
    approved_at = datetime.fromisoformat(approval["answered_at"]) if approval.get("answered_at") else utcnow()
    context = certificate_context(survey, winner, citation=answer.get("kutipan"), approved=True, issued_on=approved_at)
    tu = _team(directory, "staff_tu")
    lead = humantask.resolve_assignee("staff_tu", directory)[0]
    recipients = [lead.email] + [p.email for p in tu if p.email != lead.email]
    key = f"{dag_id}/{run_id}/sertifikat_tu/{lead.email}"
    facts = [*winner["facts"], ["Nomor sertifikat", context["number"]],
             ["Disetujui", f"{approval.get('answered_by_name') or 'Kepala Bapas'}, {format_datetime_id(approved_at)}"]]
    _send_one(
        key, to=lead.email, cc=recipients[1:] or None, template="peterpan/sertifikat_tu",
        context={"name": lead.name, "quarter_label": survey["quarter_label"], "facts": facts},
        attachments=lambda: {f"sertifikat-peterpan-{survey['quarter']}.pdf": render_certificate(context)},
    )
    with session_scope() as session:
        if not audit.has_event(session, subject(survey["quarter"]), "peterpan_certificate_issued", run_id):
            audit.record(session, actor=by, action="peterpan_certificate_issued", subject=subject(survey["quarter"]),
                         dag_id=dag_id, run_id=run_id, nip=winner["nip"], number=context["number"],
                         citation=context["citation"])
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
    keys = []
    with session_scope() as session:
        for member in _team(directory, "humas"):
            key = f"{dag_id}/{run_id}/bahan_humas/{member.email}"
            enqueue_email(session, key=key, to=member.email, template="peterpan/bahan_humas", context={
                "name": member.name, "quarter_label": survey["quarter_label"], "caption": caption,
                "photo_url": link, "winner_note": answer.get("catatan"),
                "facts": winner["facts"],
            })
            keys.append(key)
    flush(keys=keys)
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
    keys = []
    with session_scope() as session:
        for person in directory.active_employees():
            key = f"{dag_id}/{run_id}/pengumuman/{person.email}"
            enqueue_email(session, key=key, to=person.email, template="peterpan/pengumuman", context={
                "name": person.name, "quarter_label": survey["quarter_label"], "winner": winner,
                "facts": facts, "ranking": ranking, "quotes": quotes,
                "decided_by_kabapas": winner["decided_by"] == "kabapas",
            }, attachments=attachment())
            keys.append(key)
    return flush(keys=keys).sent


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
        if not audit.has_event(session, subject(survey["quarter"]), "peterpan_closed", run_id):
            audit.record(session, actor=ACTOR, action="peterpan_closed", subject=subject(survey["quarter"]),
                         dag_id=dag_id, run_id=run_id, **detail)
    return detail


def winners_history(limit: int = 12) -> list[dict[str, Any]]:
    """Winners of past quarters, newest first (from the audit trail)."""
    with session_scope() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "peterpan_winner").order_by(AuditEvent.at.desc()).limit(limit)
        ).all()
        return [{"quarter": e.subject.split("/", 1)[1], "at": e.at, **e.detail} for e in events]


# --------------------------------------------------------------------------- helpers


def _send_one(key: str, *, to: str, template: str, context: dict[str, Any], cc: Sequence[str] | None = None,
              attachments: Any = None) -> None:
    """Queue one email (attachments built only when the key is new) and try to send it now."""
    with session_scope() as session:
        from bapas_sop.store.models import OutboxMessage

        exists = session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key)) is not None
        if not exists:
            enqueue_email(session, key=key, to=to, cc=cc, template=template, context=context,
                          attachments=attachments() if callable(attachments) else attachments)
    flush(keys=[key])


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

"""A Google Form behind human steps (:mod:`bapas_sop.google.form_steps`), without Airflow.

The real google-api-python-client talks over HTTP to the local fake of Google; the steps,
audit trail and outbox live in a fresh project database; emails go through the real dev SMTP
server into a maildir. Each person gets their own step (``open_request(external_url=)``)
whose emails carry their own prefilled Google link; :func:`form_steps.collect` brings the
Google answers into those steps, refuses what must be refused, and at the closing time
closes the form, reads everything once more and expires the steps still open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from tests.support.fake_google import FakeGoogle
from google.auth.credentials import AnonymousCredentials
from sqlalchemy import select

from bapas_sop import humantask
from bapas_sop.google import form_steps
from bapas_sop.google.calls import RetryPolicy
from bapas_sop.google.credentials import build_service
from bapas_sop.google.drive import DriveSharing, drive_endpoint
from bapas_sop.google.errors import GoogleApiError, GoogleNotFoundError, GoogleQuotaError
from bapas_sop.google.forms import TOKEN_TITLE, CreatedForm, GoogleFormsBackend, issue_tokens
from bapas_sop.google.timefmt import to_rfc3339
from bapas_sop.mail.devserver import InboxMessage, read_inbox
from bapas_sop.mail.outbox import flush
from bapas_sop.store.db import session_scope
from bapas_sop.store.models import AuditEvent, FormRequest, FormResponse, utcnow

from tests.support import people

# The demo staff (tests/support/people.py): the voters by NIP, EMAIL[nip] their address.
RINA, DEDI, PUTRI, SITI, BAMBANG = (p.nip for p in (people.RINA, people.DEDI, people.PUTRI, people.SITI, people.BAMBANG))
VOTERS = (RINA, DEDI, PUTRI, SITI, BAMBANG)
EMAIL = {nip: people.person(nip).email for nip in VOTERS}
HASAN_EMAIL = people.HASAN.email  # Pokja 3: runs the survey
LESTARI_EMAIL = people.LESTARI.email

DAG, RUN = "peterpan", "manual__google_form_steps"
SUBJECT = "peterpan/2026-Q3"
SPEC_NAME = "peterpan_suara"
FORM_TITLE = "Survei Peterpan Triwulan III 2026: pilih pegawai terbaik"
VOTER_CHECK = "bapas_sop.sops.peterpan.flow.refuse_self_vote"
CHOICE_TITLE = "Pegawai yang Anda pilih"
REASON_TITLE = "Alasan Anda memilihnya"
REFUSED_SUBJECT = "Jawaban Anda belum dihitung"
RESPONSES_LIST = "forms.forms.responses.list"


# --- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture
def sharing(fake: FakeGoogle, retry: RetryPolicy) -> DriveSharing:
    service = build_service("drive", "v3", credentials=AnonymousCredentials(), endpoint=drive_endpoint(fake.url))
    return DriveSharing(service, retry=retry, conn_id="google_test")


@pytest.fixture
def options(project) -> list[dict[str, str]]:
    from bapas_sop.directory import get_directory
    from bapas_sop.sops.peterpan import rules as peterpan

    return [peterpan.candidate_option(p) for p in peterpan.eligible_candidates(get_directory())]


def create(forms: GoogleFormsBackend, sharing: Any, options: list[dict[str, str]], *,
           editors: tuple[str, ...] = (HASAN_EMAIL,)) -> dict[str, Any]:
    return form_steps.create_form(
        SPEC_NAME, title=FORM_TITLE, context={"kandidat": options}, subject=SUBJECT, dag_id=DAG, run_id=RUN,
        editors=list(editors), backend=forms, sharing=sharing,
    )


@dataclass
class Survey:
    created: dict[str, Any]
    binding: form_steps.FormBinding
    keys: dict[str, str]
    links: dict[str, str]
    labels: dict[str, str]
    opened_at: datetime
    closes_at: datetime

    @property
    def form_id(self) -> str:
        return self.binding.form.form_id

    def token(self, nip: str) -> str:
        """The token the person's own link carries (what Google prefills)."""
        query = parse_qs(urlsplit(self.links[nip]).query)
        return query[f"entry.{self.binding.form.token_entry_id}"][0]


@pytest.fixture
def survey(fake: FakeGoogle, forms: GoogleFormsBackend, sharing: DriveSharing, options, smtp_server) -> Survey:
    """The form created and shared, one step per voter opened like ``peterpan_flow.open_ballots``."""
    from bapas_sop.sops.peterpan import rules as peterpan
    from bapas_sop.sops.peterpan import flow as peterpan_flow

    created = create(forms, sharing, options)
    opened_at = utcnow().replace(microsecond=0)
    closes_at = opened_at + timedelta(days=3)
    keys = {nip: humantask.request_key(DAG, RUN, f"{peterpan_flow.VOTE_STEP}/{nip}") for nip in VOTERS}
    # What peterpan_flow.google_binding builds (its steps map the key's last part, the NIP).
    binding = form_steps.FormBinding(
        form=CreatedForm.from_dict(created["form"]), spec_name=SPEC_NAME,
        steps={key.rsplit("/", 1)[-1]: key for key in keys.values()}, closes_at=closes_at, subject=SUBJECT,
        context={"kandidat": options}, voter_check=VOTER_CHECK,
    )
    links = binding.links()
    outbox: list[str] = []
    for nip in VOTERS:
        opened = humantask.open_request(
            key=keys[nip], step=peterpan_flow.VOTE_STEP, form_name=SPEC_NAME, title=FORM_TITLE,
            assignee=f"nip:{nip}", context={"kandidat": peterpan.ballot_choices(options, nip)},
            policy=peterpan_flow.vote_policy(google=True), due_at=closes_at, dag_id=DAG, run_id=RUN,
            now=opened_at, external_url=links[nip],
        )
        outbox.extend(opened.outbox_keys)
    assert flush(keys=outbox).sent == len(VOTERS)
    fake.clear()
    return Survey(created, binding, keys, links, {o["value"]: o["label"] for o in options}, opened_at, closes_at)


def vote(fake: FakeGoogle, survey: Survey, voter: str, choice: str, at: datetime, *, reason: str = "",
         token: str | None = None, force: bool = False) -> str:
    """``voter`` submits the Google form from their own link (its prefilled token) at ``at``."""
    answers = {CHOICE_TITLE: survey.labels[choice], TOKEN_TITLE: token or survey.token(voter)}
    if reason:
        answers[REASON_TITLE] = reason
    return fake.submit(survey.form_id, answers, at=at, force=force)


def events(action: str, subject: str | None = None) -> list[AuditEvent]:
    with session_scope() as session:
        stmt = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        if subject is not None:
            stmt = stmt.where(AuditEvent.subject == subject)
        found = session.scalars(stmt).all()
        session.expunge_all()
        return list(found)


def responses_of(key: str) -> list[FormResponse]:
    with session_scope() as session:
        found = session.scalars(
            select(FormResponse).join(FormRequest, FormResponse.request_id == FormRequest.id)
            .where(FormRequest.key == key)
        ).all()
        session.expunge_all()
        return list(found)


def inbox(smtp_server, to: str, subject_contains: str) -> list[InboxMessage]:
    return [m for m in read_inbox(smtp_server.maildir)
            if to in m.to and subject_contains.lower() in m.subject.lower()]


def list_filters(fake: FakeGoogle) -> list[str | None]:
    return [c.param("filter") for c in fake.calls(RESPONSES_LIST)]


# --- 1. creating and sharing the form ----------------------------------------------------------


def test_form_is_created_published_and_shared_once_per_run(
    fake: FakeGoogle, forms: GoogleFormsBackend, sharing: DriveSharing, options
) -> None:
    fake.refuse_sharing_with(LESTARI_EMAIL)  # no Google account behind this address
    first = create(forms, sharing, options, editors=(HASAN_EMAIL, LESTARI_EMAIL))
    form_id = first["form"]["form_id"]
    assert list(fake.forms) == [form_id]
    assert fake.forms[form_id]["publishSettings"]["publishState"] == {
        "isPublished": True, "isAcceptingResponses": True}
    assert first["edit_url"] == f"https://docs.google.com/forms/d/{form_id}/edit"
    assert first["form"]["token_question_id"] == fake.question_id(form_id, TOKEN_TITLE)
    # Every candidate is an option of the one shared form.
    choice = next(i for i in fake.forms[form_id]["items"] if i["title"] == CHOICE_TITLE)
    assert [o["value"] for o in choice["questionItem"]["question"]["choiceQuestion"]["options"]] == \
        [o["label"] for o in options]

    # The committee can edit it; the refused address is reported, in Indonesian, the other shared.
    roles = {p["emailAddress"]: p["role"] for p in fake.permissions(form_id)}
    assert roles[HASAN_EMAIL] == "writer" and LESTARI_EMAIL not in roles
    assert first["shared"] == [HASAN_EMAIL]
    assert list(first["share_failed"]) == [LESTARI_EMAIL]
    assert "tidak terhubung dengan akun Google" in first["share_failed"][LESTARI_EMAIL]
    assert all(c.param("sendNotificationEmail") == "false" for c in fake.calls("drive.permissions.create"))
    assert [e.detail["form"]["form_id"] for e in events(form_steps.CREATED, SUBJECT)] == [form_id]

    # The task retried: the same form, found in the audit trail; nothing created again.
    again = create(forms, sharing, options, editors=(HASAN_EMAIL, LESTARI_EMAIL))
    assert again["form"]["form_id"] == form_id and again == first
    assert list(fake.forms) == [form_id]
    assert fake.count("forms.forms.create") == 1 and fake.count("forms.forms.batchUpdate") == 1
    # Hasan is not shared twice; Lestari's refused address is tried again (the admin may have fixed it).
    creates = [c.body["emailAddress"] for c in fake.calls("drive.permissions.create")]
    assert sorted(creates) == sorted([HASAN_EMAIL, LESTARI_EMAIL, LESTARI_EMAIL])
    assert len(events(form_steps.CREATED, SUBJECT)) == 1 and len(events(form_steps.SHARED, SUBJECT)) == 2


# --- 2. Drive failing altogether ----------------------------------------------------------------


def test_drive_down_does_not_stop_the_survey_and_a_retry_creates_no_second_form(
    fake: FakeGoogle, forms: GoogleFormsBackend, sharing: DriveSharing, options, sleeps: list[float]
) -> None:
    fake.fail_next(4, 503, operation="drive.permissions.list")  # the first try and all 3 retries
    result = create(forms, sharing, options, editors=(HASAN_EMAIL, LESTARI_EMAIL))
    form_id = result["form"]["form_id"]
    assert fake.forms[form_id]["publishSettings"]["publishState"]["isAcceptingResponses"] is True
    assert result["shared"] == [] and set(result["share_failed"]) == {HASAN_EMAIL, LESTARI_EMAIL}
    assert "Layanan Google sedang bermasalah" in result["share_failed"][HASAN_EMAIL]
    assert fake.count("drive.permissions.list") == 4 and fake.count("drive.permissions.create") == 0
    assert len(sleeps) == 3

    retried = create(forms, sharing, options, editors=(HASAN_EMAIL, LESTARI_EMAIL))
    assert retried["form"]["form_id"] == form_id
    assert list(fake.forms) == [form_id] and fake.count("forms.forms.create") == 1


def test_a_sharing_object_that_raises_is_reported_for_every_editor(
    fake: FakeGoogle, forms: GoogleFormsBackend, options
) -> None:
    class BrokenDrive:
        calls = 0

        def share(self, *args: Any, **kwargs: Any) -> Any:
            BrokenDrive.calls += 1
            raise GoogleApiError("drive.permissions.list: HTTP 500", hint="Google Drive sedang bermasalah.")

    result = create(forms, BrokenDrive(), options, editors=(HASAN_EMAIL, LESTARI_EMAIL))
    assert result["form"]["form_id"] in fake.forms
    assert result["share_failed"] == {HASAN_EMAIL: "Google Drive sedang bermasalah.",
                                      LESTARI_EMAIL: "Google Drive sedang bermasalah."}
    assert create(forms, BrokenDrive(), options, editors=(HASAN_EMAIL,))["form"] == result["form"]
    assert fake.count("forms.forms.create") == 1


@pytest.mark.parametrize("status, tries, error", [
    (404, 1, GoogleNotFoundError),  # not retried
    (429, 4, GoogleQuotaError),  # the first try and all 3 retries
])
def test_drive_refusing_the_file_or_quota_still_returns_the_form(
    fake: FakeGoogle, forms: GoogleFormsBackend, sharing: DriveSharing, options, status: int, tries: int, error: type
) -> None:
    fake.fail_next(tries, status, operation="drive.permissions.list")
    try:
        result = create(forms, sharing, options)
    except error:
        # Even then the retried task finds the form again (no second form) and shares it.
        retried = create(forms, sharing, options)
        assert retried["shared"] == [HASAN_EMAIL]
        assert len(fake.forms) == 1 and fake.count("forms.forms.create") == 1
        raise
    assert result["form"]["form_id"] in fake.forms and list(result["share_failed"]) == [HASAN_EMAIL]


def test_a_retried_task_shares_with_the_editors_that_failed_before(
    fake: FakeGoogle, forms: GoogleFormsBackend, sharing: DriveSharing, options
) -> None:
    fake.fail_next(4, 503, operation="drive.permissions.list")
    assert create(forms, sharing, options)["share_failed"].keys() == {HASAN_EMAIL}
    retried = create(forms, sharing, options)  # Drive is back
    assert retried["shared"] == [HASAN_EMAIL] and retried["share_failed"] == {}


def test_a_retry_after_a_failed_publish_creates_no_second_form(
    fake: FakeGoogle, forms: GoogleFormsBackend, sharing: DriveSharing, options
) -> None:
    fake.fail_next(4, 503, operation="forms.forms.setPublishSettings")
    with pytest.raises(GoogleApiError):
        create(forms, sharing, options)
    retried = create(forms, sharing, options)
    assert fake.count("forms.forms.create") == 1 and list(fake.forms) == [retried["form"]["form_id"]]


# --- 3. collecting answers ------------------------------------------------------------------------


def test_a_google_answer_becomes_the_answer_of_the_voters_step_once(fake: FakeGoogle, forms, survey: Survey) -> None:
    at = survey.opened_at + timedelta(hours=2, seconds=7)
    response_id = vote(fake, survey, RINA, DEDI, at, reason="Selalu membantu rekan.")

    result = form_steps.collect(survey.binding.to_dict(), final=False, backend=forms)  # as the XCom carries it
    assert result.counted == [survey.keys[RINA]]
    assert result.refused == result.too_late == result.expired == [] and result.pages == 1

    outcome = humantask.poll(survey.keys[RINA])
    assert outcome["status"] == "answered" and outcome["answered_by"] == RINA
    assert outcome["answer"] == {"pilihan": DEDI, "alasan": "Selalu membantu rekan."}
    assert datetime.fromisoformat(outcome["answered_at"]) == at  # Google's submission time, not ours
    [stored] = responses_of(survey.keys[RINA])
    assert stored.link_id == f"google:{response_id}" and stored.link_id.startswith(form_steps.LINK_PREFIX)
    [answered] = [e for e in events("answered") if e.subject == survey.keys[RINA]]
    assert answered.detail["channel"] == form_steps.CHANNEL and answered.actor == RINA
    for nip in (DEDI, PUTRI, SITI, BAMBANG):
        assert humantask.poll(survey.keys[nip])["status"] == "open"
    assert list_filters(fake) == [None]  # nothing imported yet: the first read is a full one

    # The next pass counts nothing twice, and asks Google only for what is newer.
    again = form_steps.collect(survey.binding, final=False, backend=forms)
    assert again.counted == [] and again.refused == [] and again.too_late == []
    assert len(responses_of(survey.keys[RINA])) == 1
    assert list_filters(fake) == [None, f"timestamp > {to_rfc3339(at)}"]
    assert fake.forms[survey.form_id]["publishSettings"]["publishState"]["isAcceptingResponses"] is True

    later = at + timedelta(minutes=30)
    vote(fake, survey, DEDI, RINA, later)
    third = form_steps.collect(survey.binding, final=False, backend=forms)
    assert third.counted == [survey.keys[DEDI]]
    assert humantask.poll(survey.keys[DEDI])["answer"]["pilihan"] == RINA
    assert list_filters(fake)[-1] == f"timestamp > {to_rfc3339(at)}"
    assert form_steps.collect(survey.binding, final=False, backend=forms).counted == []
    assert list_filters(fake)[-1] == f"timestamp > {to_rfc3339(later)}"


# --- 4. a vote for oneself -----------------------------------------------------------------------


def test_a_self_vote_is_refused_told_once_with_the_same_link_then_the_real_vote_counts(
    fake: FakeGoogle, forms, survey: Survey, smtp_server
) -> None:
    at = survey.opened_at + timedelta(hours=1)
    own = vote(fake, survey, PUTRI, PUTRI, at, reason="Saya rajin.")

    first = form_steps.collect(survey.binding, final=False, backend=forms)
    assert first.counted == [] and first.refused == [own]
    assert humantask.poll(survey.keys[PUTRI])["status"] == "open"
    assert responses_of(survey.keys[PUTRI]) == []
    [refusal] = events(form_steps.REJECTED, SUBJECT)
    assert refusal.detail["reason"] == "not_allowed" and refusal.detail["response_id"] == own
    assert refusal.detail["voter"] == PUTRI and refusal.actor == PUTRI
    assert "memilih diri sendiri" in refusal.detail["message"]

    [mail] = inbox(smtp_server, EMAIL[PUTRI], REFUSED_SUBJECT)
    assert FORM_TITLE in mail.subject  # the step's own title
    assert survey.links[PUTRI] in mail.links  # the same personal link, to vote again
    assert "memilih diri sendiri" in mail.text

    # Read again (a later pass, a retried task): nothing recorded or told twice.
    second = form_steps.collect(survey.binding, final=False, backend=forms)
    assert second.refused == [] and second.counted == []
    assert len(events(form_steps.REJECTED, SUBJECT)) == 1
    assert len(inbox(smtp_server, EMAIL[PUTRI], REFUSED_SUBJECT)) == 1

    # The refused answer did not use up her vote: she votes again from the same link.
    proper = vote(fake, survey, PUTRI, RINA, at + timedelta(minutes=10))
    third = form_steps.collect(survey.binding, final=False, backend=forms)
    assert third.counted == [survey.keys[PUTRI]] and third.refused == []
    outcome = humantask.poll(survey.keys[PUTRI])
    assert outcome["status"] == "answered" and outcome["answer"]["pilihan"] == RINA
    assert [r.link_id for r in responses_of(survey.keys[PUTRI])] == [f"google:{proper}"]
    assert len(inbox(smtp_server, EMAIL[PUTRI], REFUSED_SUBJECT)) == 1
    assert inbox(smtp_server, EMAIL[RINA], REFUSED_SUBJECT) == []


# --- 5. the final pass ---------------------------------------------------------------------------


def test_final_pass_closes_rereads_everything_and_expires_the_rest(
    fake: FakeGoogle, forms, survey: Survey, smtp_server
) -> None:
    t1 = survey.opened_at + timedelta(hours=5)
    vote(fake, survey, RINA, DEDI, t1)
    assert form_steps.collect(survey.binding, final=False, backend=forms).counted == [survey.keys[RINA]]

    # A response Google recorded earlier than the newest one already imported (it shows up
    # late in the list): the incremental read cannot see it ...
    older = t1 - timedelta(hours=1)
    late_shown = vote(fake, survey, DEDI, RINA, older, force=True)
    assert form_steps.collect(survey.binding, final=False, backend=forms).counted == []
    # ... and Siti votes for herself just before closing.
    vote(fake, survey, SITI, SITI, t1 + timedelta(minutes=1))
    fake.clear()

    final = form_steps.collect(survey.binding, final=True, backend=forms, now=survey.closes_at)

    # The form no longer takes answers; it was closed before the last read.
    [closing] = fake.calls("forms.forms.setPublishSettings")
    assert closing.body["publishSettings"]["publishState"] == {"isPublished": True, "isAcceptingResponses": False}
    assert fake.operations().index("forms.forms.setPublishSettings") < fake.operations().index(RESPONSES_LIST)
    with pytest.raises(RuntimeError, match="does not accept responses"):
        vote(fake, survey, BAMBANG, RINA, survey.closes_at)
    # Everything was read again, without the "newer than" filter.
    assert list_filters(fake) == [None]
    assert final.final and final.counted == [survey.keys[DEDI]]
    outcome = humantask.poll(survey.keys[DEDI])
    assert outcome["status"] == "answered" and outcome["answer"]["pilihan"] == RINA
    assert [r.link_id for r in responses_of(survey.keys[DEDI])] == [f"google:{late_shown}"]
    assert len(responses_of(survey.keys[RINA])) == 1  # read again, not counted again

    # Only then are the steps still open expired, with the ballot's default answer.
    assert sorted(final.expired) == sorted(survey.keys[n] for n in (PUTRI, SITI, BAMBANG))
    for nip in (PUTRI, SITI, BAMBANG):
        outcome = humantask.poll(survey.keys[nip])
        assert outcome["status"] == "expired" and outcome["default_answer"] == {"abstain": True}

    # Siti's refusal is in the audit trail, but she is not invited to vote again after closing.
    [refusal] = events(form_steps.REJECTED, SUBJECT)
    assert refusal.detail["voter"] == SITI and refusal.detail["reason"] == "not_allowed"
    assert final.refused == [refusal.detail["response_id"]]
    assert [m for m in read_inbox(smtp_server.maildir) if REFUSED_SUBJECT in m.subject] == []
    [closed] = events(form_steps.CLOSED, SUBJECT)
    assert closed.detail["counted"] == 2 and closed.detail["expired"] == 3

    # A retried final pass changes nothing and records the closing once.
    again = form_steps.collect(survey.binding, final=True, backend=forms, now=survey.closes_at)
    assert again.counted == again.expired == again.refused == []
    assert len(events(form_steps.CLOSED, SUBJECT)) == 1


# --- 6. an answer after the step expired -----------------------------------------------------------


def test_an_answer_for_an_expired_step_is_kept_in_the_audit_trail_not_counted(
    fake: FakeGoogle, forms, survey: Survey
) -> None:
    # The collecting task could not run: Bambang's ballot expired on its own (the safety net).
    with session_scope() as session:
        expires_at = session.scalar(select(FormRequest.expires_at).where(FormRequest.key == survey.keys[BAMBANG]))
    assert humantask.poll(survey.keys[BAMBANG], now=expires_at)["status"] == "expired"
    at = survey.opened_at + timedelta(hours=3)
    response_id = vote(fake, survey, BAMBANG, SITI, at, reason="Teliti.")
    vote(fake, survey, SITI, BAMBANG, at + timedelta(minutes=1))

    result = form_steps.collect(survey.binding, final=False, backend=forms)
    assert result.too_late == [survey.keys[BAMBANG]]
    assert result.counted == [survey.keys[SITI]]
    assert survey.keys[BAMBANG] not in result.counted
    outcome = humantask.poll(survey.keys[BAMBANG])
    assert outcome["status"] == "expired" and outcome["default_answer"] == {"abstain": True}
    assert responses_of(survey.keys[BAMBANG]) == []
    [late] = events("answer_too_late", survey.keys[BAMBANG])
    assert late.actor == BAMBANG
    assert late.detail["answer"] == {"pilihan": SITI, "alasan": "Teliti."}
    assert late.detail["link_id"] == f"google:{response_id}" and late.detail["channel"] == form_steps.CHANNEL
    assert datetime.fromisoformat(late.detail["answered_at"]) == at


def test_a_too_late_answer_is_recorded_once_however_often_collect_runs(fake: FakeGoogle, forms, survey: Survey) -> None:
    humantask.expire_now([survey.keys[BAMBANG]], now=survey.opened_at + timedelta(hours=1))
    vote(fake, survey, BAMBANG, SITI, survey.opened_at + timedelta(hours=3))
    assert form_steps.collect(survey.binding, final=False, backend=forms).too_late == [survey.keys[BAMBANG]]
    again = form_steps.collect(survey.binding, final=False, backend=forms)
    assert again.too_late == []
    assert len(events("answer_too_late", survey.keys[BAMBANG])) == 1


def test_the_audit_trail_is_only_a_log_emptied_it_changes_no_decision(
    fake: FakeGoogle, forms, sharing: DriveSharing, options, survey: Survey, smtp_server
) -> None:
    humantask.expire_now([survey.keys[BAMBANG]], now=survey.opened_at + timedelta(hours=1))
    at = survey.opened_at + timedelta(hours=2)
    vote(fake, survey, BAMBANG, SITI, at)
    own = vote(fake, survey, PUTRI, PUTRI, at)
    first = form_steps.collect(survey.binding, final=True, backend=forms, now=survey.closes_at)
    assert first.too_late == [survey.keys[BAMBANG]] and first.refused == [own]
    with session_scope() as session:
        session.query(AuditEvent).delete()  # someone prunes the log

    # A retried creating task still finds its form; a repeated final pass closes, refuses
    # and keeps nothing twice.
    again = create(forms, sharing, options)
    assert again["form"]["form_id"] == survey.form_id and list(fake.forms) == [survey.form_id]
    assert fake.count("forms.forms.create") == 0  # the calls were counted from the survey's opening
    second = form_steps.collect(survey.binding, final=True, backend=forms, now=survey.closes_at)
    assert second.too_late == [] and second.refused == [] and second.counted == []
    assert events(form_steps.CLOSED) == [] and events(form_steps.REJECTED) == []
    assert events("answer_too_late") == [] and events(form_steps.CREATED) == []


# --- 7. forged codes and second submissions ----------------------------------------------------------


def test_a_forged_code_and_a_second_submission_are_refused_only_the_first_counts(
    fake: FakeGoogle, forms, survey: Survey, smtp_server
) -> None:
    t = survey.opened_at + timedelta(hours=1)
    first = vote(fake, survey, DEDI, RINA, t, reason="Pertama.")
    second = vote(fake, survey, DEDI, PUTRI, t + timedelta(minutes=5), reason="Berubah pikiran.")
    forged_token = issue_tokens(survey.form_id, ["199999999999999999"])["199999999999999999"]
    forged = vote(fake, survey, SITI, RINA, t + timedelta(minutes=6), token=forged_token)
    assert forged_token not in {survey.token(n) for n in VOTERS}

    result = form_steps.collect(survey.binding, final=False, backend=forms)
    assert result.counted == [survey.keys[DEDI]]
    assert sorted(result.refused) == sorted([second, forged])
    outcome = humantask.poll(survey.keys[DEDI])
    assert outcome["answer"] == {"pilihan": RINA, "alasan": "Pertama."}
    assert [r.link_id for r in responses_of(survey.keys[DEDI])] == [f"google:{first}"]
    assert humantask.poll(survey.keys[SITI])["status"] == "open"  # a forged code votes for nobody

    reasons = {e.detail["response_id"]: e.detail for e in events(form_steps.REJECTED, SUBJECT)}
    assert reasons[second]["reason"] == "duplicate_vote" and reasons[second]["voter"] == DEDI
    assert reasons[forged]["reason"] == "unknown_token" and reasons[forged]["voter"] is None
    assert forged_token in reasons[forged]["message"]
    # Nobody is invited to answer again for these: the vote is used up / the sender is unknown.
    assert [m for m in read_inbox(smtp_server.maildir) if REFUSED_SUBJECT in m.subject] == []

    # Rina votes; later she submits again: her counted vote stands.
    vote(fake, survey, RINA, DEDI, t + timedelta(hours=1))
    assert form_steps.collect(survey.binding, final=False, backend=forms).counted == [survey.keys[RINA]]
    again = vote(fake, survey, RINA, PUTRI, t + timedelta(hours=2))
    later = form_steps.collect(survey.binding, final=False, backend=forms)
    assert later.counted == [] and later.refused == [again]
    assert humantask.poll(survey.keys[RINA])["answer"]["pilihan"] == DEDI
    assert events(form_steps.REJECTED, SUBJECT)[-1].detail["reason"] == "duplicate_vote"
    # The final pass reads all of it again: still only the first submissions count.
    final = form_steps.collect(survey.binding, final=True, backend=forms, now=survey.closes_at)
    assert final.counted == [] and final.refused == []
    assert humantask.poll(survey.keys[DEDI])["answer"]["pilihan"] == RINA
    assert len(events(form_steps.REJECTED, SUBJECT)) == 3


# --- 8. the emails carry the Google link ----------------------------------------------------------


def test_invitation_and_reminder_carry_the_personal_google_link(fake: FakeGoogle, survey: Survey, smtp_server) -> None:
    [invitation] = inbox(smtp_server, EMAIL[SITI], FORM_TITLE)
    link = survey.links[SITI]
    assert link.startswith("https://docs.google.com/forms/d/e/") and "usp=pp_url" in link
    assert link in invitation.links
    assert not any("/bapas/f/" in href for href in invitation.links) and "/bapas/f/" not in invitation.html
    assert survey.token(SITI) != survey.token(RINA)
    with session_scope() as session:
        request = session.scalar(select(FormRequest).where(FormRequest.key == survey.keys[SITI]))
        assert humantask.personal_url(request) == link and humantask.is_external(request)

    # A day before closing, the reminder goes to those who have not answered, with the same link.
    swept = humantask.sweep(now=survey.closes_at - timedelta(hours=12))
    assert sorted(swept.reminded) == sorted(survey.keys.values()) and swept.escalated == swept.expired == []
    assert flush(keys=swept.outbox_keys).sent == len(VOTERS)
    reminders = [m for m in inbox(smtp_server, EMAIL[SITI], FORM_TITLE) if m.id != invitation.id]
    [reminder] = reminders
    assert link in reminder.links
    assert not any("/bapas/f/" in href for href in reminder.links) and "/bapas/f/" not in reminder.html

"""Google Forms as the production backend of a FormSpec: create, publish, read, one vote each.

Creating a form takes exactly three writes, whatever its size:

1. ``forms.create`` with only ``info.title`` (the API refuses anything else on create), and
   ``unpublished=true`` so that nobody opens a half-built form;
2. **one** ``forms.batchUpdate`` holding the description and every item, generated from the
   FormSpec (the API applies a batch all-or-nothing);
3. ``forms.setPublishSettings`` with ``isPublished`` and ``isAcceptingResponses`` true. Forms
   created through the API after mid-2026 (Google's notice names 30 June 2026; earlier
   notices said 31 March) start unpublished and accept no responses until published
   explicitly; we rely on neither default.

Knowing who answered: Google Forms only records a respondent's email inside a Workspace
domain with sign-in required. For everyone else the form gets a required text question
"Kode pribadi (jangan diubah)" and every person gets a *prefilled* link carrying their own
token (:func:`issue_tokens`, :func:`prefilled_url`). On read, a response whose token we did
not issue, or whose person already has a counted response, is rejected and reported with
the reason, so one vote per person holds although Google itself cannot enforce it.

Answers come back as the option *labels* the person saw; they are mapped back to choice
values and run through :meth:`FormSpec.validate`, so a Google answer obeys the same rules
(and gets the same Indonesian messages) as one typed into the local form page. What Google
Forms cannot express (patterns, max lengths, conditional requirements, cross-field checks)
is therefore still enforced, on read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bapas_sop.forms.spec import Field, FormSpec, Kind
from bapas_sop.google.calls import ApiCaller, RetryPolicy
from bapas_sop.google.credentials import FORMS_NEEDS, GoogleClient
from bapas_sop.google.errors import FormNotPublishedError, GoogleApiError
from bapas_sop.google.timefmt import parse_rfc3339, to_rfc3339

log = logging.getLogger(__name__)

TOKEN_TITLE = "Kode pribadi (jangan diubah)"
TOKEN_HELP = (
    "Kode ini terisi otomatis dari tautan pribadi Anda. Jangan diubah atau dihapus: "
    "tanpa kode yang benar, jawaban Anda tidak dihitung."
)

_CHOICE_KINDS = (Kind.CHOICE, Kind.PERSON, Kind.YES_NO, Kind.MULTI_CHOICE, Kind.RATING)
_FORMAT_HINTS: dict[Kind, str] = {
    Kind.NUMBER: "Isi dengan angka.",
    Kind.URL: "Isi dengan tautan yang diawali https://.",
    Kind.FILE_LINK: "Isi dengan tautan berkas (Google Drive dsb.) yang diawali https://.",
    Kind.EMAIL: "Isi dengan alamat email.",
}


class FormSpecError(ValueError):
    """A FormSpec that cannot become a Google Form (no choices, two options with one label, …)."""


# --- tokens and links ------------------------------------------------------------------------


def entry_id(question_id: str) -> int:
    """The ``entry.N`` number of a prefilled link: the API's question id is N in hexadecimal."""
    try:
        return int(question_id, 16)
    except ValueError:
        raise ValueError(f"question id {question_id!r} is not hexadecimal; cannot build a prefilled link") from None


def prefilled_url(responder_uri: str, token_entry_id: int | str, token: str) -> str:
    """The responder link with the token question filled in (``?usp=pp_url&entry.N=token``).

    ``token_entry_id`` is the decimal entry number, or the hexadecimal question id as the
    API returns it (a ``str`` that is not all digits).
    """
    if isinstance(token_entry_id, str) and not token_entry_id.isdigit():
        token_entry_id = entry_id(token_entry_id)
    parts = urlsplit(responder_uri)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k != "usp" and k != f"entry.{token_entry_id}"]
    query = [("usp", "pp_url"), *query, (f"entry.{token_entry_id}", token)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def issue_tokens(form_id: str, voters: Iterable[str], *, secret: str | None = None) -> dict[str, str]:
    """A personal token per voter (voter key, e.g. NIP → token), derived, not stored.

    HMAC of the form id and voter under the installation's secret key: the same person gets
    the same link when the mail task is retried, a token cannot be guessed from another
    one, and the mapping can be rebuilt at tally time from the voter list alone.
    """
    if secret is None:
        from bapas_sop.settings import get_settings

        secret = get_settings().secret_key
    tokens = {}
    for voter in voters:
        digest = hmac.new(secret.encode(), f"google-form:{form_id}:{voter}".encode(), hashlib.sha256).digest()
        tokens[voter] = base64.b32encode(digest[:10]).decode().lower()
    return tokens


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishState:
    """Whether respondents can open the form, and whether it takes answers."""

    published: bool
    accepting_responses: bool

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> PublishState | None:
        """From ``publishSettings``; None for a legacy form, which has no publish settings."""
        if not settings:
            return None
        state = settings.get("publishState") or {}
        return cls(bool(state.get("isPublished")), bool(state.get("isAcceptingResponses")))

    def describe(self) -> str:
        if not self.published:
            return "belum diterbitkan (responden tidak dapat membuka formulir)"
        if not self.accepting_responses:
            return "diterbitkan, tetapi tidak menerima jawaban (ditutup)"
        return "diterbitkan dan menerima jawaban"


@dataclass(frozen=True)
class CreatedForm:
    """A form we created, and where each field landed: enough to read it back later.

    JSON-friendly (:meth:`to_dict`) so that it can travel as an XCom from the task that
    creates the form to the one that reads the answers.
    """

    form_id: str
    responder_uri: str
    token_item_id: str | None
    token_question_id: str | None = None
    question_ids: Mapping[str, str] = field(default_factory=dict)
    title: str = ""
    publish_state: PublishState | None = None

    @property
    def token_entry_id(self) -> int | None:
        return entry_id(self.token_question_id) if self.token_question_id else None

    def link_for(self, token: str) -> str:
        """The personal prefilled link for ``token``."""
        if self.token_entry_id is None:
            raise ValueError(f"form {self.form_id} has no personal-token question")
        return prefilled_url(self.responder_uri, self.token_entry_id, token)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["question_ids"] = dict(self.question_ids)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CreatedForm:
        state = data.get("publish_state")
        return cls(
            form_id=data["form_id"],
            responder_uri=data["responder_uri"],
            token_item_id=data.get("token_item_id"),
            token_question_id=data.get("token_question_id"),
            question_ids=dict(data.get("question_ids") or {}),
            title=data.get("title", ""),
            publish_state=PublishState(**state) if state else None,
        )


#: ``(voter, typed values) -> Indonesian refusal or None``; see ``list_responses(voter_check=)``.
VoterCheck = Callable[[str, Mapping[str, Any]], "str | None"]


class RejectReason(StrEnum):
    MISSING_TOKEN = "missing_token"
    UNKNOWN_TOKEN = "unknown_token"
    DUPLICATE_VOTE = "duplicate_vote"
    INVALID = "invalid"
    NOT_ALLOWED = "not_allowed"


@dataclass(frozen=True)
class FormResponse:
    """One counted response: typed values as :meth:`FormSpec.validate` returns them."""

    response_id: str
    submitted_at: datetime
    values: dict[str, Any]
    voter: str | None = None
    token: str | None = None
    respondent_email: str | None = None


@dataclass(frozen=True)
class RejectedResponse:
    """A response that does not count, with the reason and an Indonesian explanation."""

    response_id: str
    submitted_at: datetime
    reason: RejectReason
    message: str
    token: str | None = None
    voter: str | None = None
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class ResponseBatch:
    """What one read of the responses found.

    ``latest`` is the newest submission time seen: pass it as ``since`` next time.
    ``ignored`` lists response ids already counted earlier (a re-delivery or an edit).
    """

    accepted: list[FormResponse] = field(default_factory=list)
    rejected: list[RejectedResponse] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    latest: datetime | None = None
    publish_state: PublishState | None = None
    pages: int = 0

    @property
    def voted(self) -> dict[str, str]:
        """Voter → counted response id, for the next read's ``already_voted``."""
        return {r.voter: r.response_id for r in self.accepted if r.voter is not None}


# --- FormSpec → Google Forms items -----------------------------------------------------------


def _unique_labels(f: Field, labels: Sequence[str]) -> None:
    if not labels:
        raise FormSpecError(
            f"field {f.name!r}: no choices to offer (choices_from={f.choices_from!r} missing from context?)"
        )
    counts = Counter(labels)
    duplicated = [label for label, n in counts.items() if n > 1]
    if duplicated:
        raise FormSpecError(
            f"field {f.name!r}: Google Forms needs distinct option labels; repeated: {sorted(set(duplicated))} "
            "(add something distinguishing to the label, e.g. the NIP)"
        )


def _scale(f: Field, spec: FormSpec, context: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A rating as a linear scale when its values are consecutive numbers (1..5 by default)."""
    choices = spec.choices_for(f, context)
    try:
        numbers = [int(c.value) for c in choices]
    except ValueError:
        return None
    low, high = min(numbers), max(numbers)
    if numbers != list(range(low, high + 1)) or low not in (0, 1) or not 2 <= high <= 10:
        return None
    scale: dict[str, Any] = {"low": low, "high": high}
    first, last = choices[0], choices[-1]
    if first.label != first.value:
        scale["lowLabel"] = first.label
    if last.label != last.value:
        scale["highLabel"] = last.label
    return scale


def _description(f: Field, spec: FormSpec, context: Mapping[str, Any] | None) -> str:
    parts = [f.help] if f.help else []
    hint = _FORMAT_HINTS.get(f.kind)
    if hint:
        if f.kind == Kind.NUMBER and (f.min_value is not None or f.max_value is not None):
            low = "" if f.min_value is None else f"paling sedikit {f.min_value:g}"
            high = "" if f.max_value is None else f"paling banyak {f.max_value:g}"
            hint = f"Isi dengan angka ({', '.join(p for p in (low, high) if p)})."
        parts.append(hint)
    if f.required_if is not None:
        other_name, expected = f.required_if
        other = spec.field(other_name)
        labels = {c.value: c.label for c in spec.choices_for(other, context)}
        parts.append(f"Wajib diisi bila '{other.label}' = {labels.get(expected, expected)}.")
    return " ".join(parts)


def question_for_field(spec: FormSpec, f: Field, context: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``Question`` JSON of one field (without ids: Google assigns them)."""
    question: dict[str, Any] = {"required": bool(f.required and f.required_if is None)}
    if f.kind == Kind.LONG_TEXT:
        question["textQuestion"] = {"paragraph": True}
    elif f.kind == Kind.DATE:
        question["dateQuestion"] = {"includeYear": True, "includeTime": False}
    elif f.kind == Kind.DATETIME:
        question["dateQuestion"] = {"includeYear": True, "includeTime": True}
    elif f.kind == Kind.RATING and (scale := _scale(f, spec, context)) is not None:
        question["scaleQuestion"] = scale
    elif f.kind in _CHOICE_KINDS:
        labels = [c.label for c in spec.choices_for(f, context)]
        _unique_labels(f, labels)
        question["choiceQuestion"] = {
            "type": "CHECKBOX" if f.kind == Kind.MULTI_CHOICE else "RADIO",
            "options": [{"value": label} for label in labels],
        }
    else:  # text, number, url, email, file link: free text, checked on read
        question["textQuestion"] = {"paragraph": False}
    return question


def item_for_field(spec: FormSpec, f: Field, context: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``Item`` JSON of one field: title = label, description = help + format hints."""
    item: dict[str, Any] = {"title": f.label, "questionItem": {"question": question_for_field(spec, f, context)}}
    description = _description(f, spec, context)
    if description:
        item["description"] = description
    return item


def token_item() -> dict[str, Any]:
    return {
        "title": TOKEN_TITLE,
        "description": TOKEN_HELP,
        "questionItem": {"question": {"required": True, "textQuestion": {"paragraph": False}}},
    }


def batch_update_requests(
    spec: FormSpec,
    *,
    description: str = "",
    per_person_token: bool = True,
    context: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Every request of the one ``batchUpdate``: description, the fields in order, the token last."""
    requests: list[dict[str, Any]] = []
    if description:
        requests.append({"updateFormInfo": {"info": {"description": description}, "updateMask": "description"}})
    items = [item_for_field(spec, f, context) for f in spec.fields]
    if per_person_token:
        items.append(token_item())
    for index, item in enumerate(items):
        requests.append({"createItem": {"item": item, "location": {"index": index}}})
    return requests


# --- the backend -------------------------------------------------------------------------------


class GoogleFormsBackend(GoogleClient):
    """Creates, publishes and reads Google Forms for FormSpecs.

    ``service`` is a built ``forms v1`` Resource (see :func:`build_service`); use
    :meth:`from_connection` in tasks. ``page_size`` None lets Google choose (up to 5,000
    responses per page: usually one request per read).
    """

    API, VERSION, NEEDS, PURPOSE = "forms", "v1", FORMS_NEEDS, "Google Forms"

    def __init__(
        self,
        service: Any,
        *,
        retry: RetryPolicy | None = None,
        conn_id: str | None = None,
        page_size: int | None = None,
    ) -> None:
        self._forms = service.forms()
        self.caller = ApiCaller(retry, conn_id=conn_id)
        self.page_size = page_size

    # --- create ----------------------------------------------------------------------------

    def create_form(
        self,
        spec: FormSpec,
        *,
        title: str,
        description: str | None = None,
        per_person_token: bool = True,
        context: Mapping[str, Any] | None = None,
        on_created: Callable[[str], None] | None = None,
        resume_form_id: str | None = None,
    ) -> CreatedForm:
        """Create, fill (one batchUpdate) and publish a form for ``spec``; three requests.

        ``description`` defaults to the spec's intro. ``context`` supplies the choices of
        ``choices_from`` fields (e.g. the Peterpan candidates). The spec is turned into
        requests before anything is sent, so a spec Google cannot take fails without
        leaving an empty form behind.

        ``on_created(form_id)`` is called as soon as the form exists, so that the caller can
        record it; a retry after a failed fill or publish then passes ``resume_form_id`` and
        finishes that form (filling it only if the earlier batch did not land) instead of
        leaving it behind and creating a second one.
        """
        requests = batch_update_requests(
            spec,
            description=spec.intro if description is None else description,
            per_person_token=per_person_token,
            context=context,
        )
        if resume_form_id:
            form_id = resume_form_id
            created = self.get_form(form_id)
            log.info("resuming Google Form %s created by an earlier try", form_id)
        else:
            created = self.caller.execute(
                self._forms.create(body={"info": {"title": title}}, unpublished=True), operation="forms.create"
            )
            form_id = created["formId"]
            if on_created is not None:
                on_created(form_id)
        if created.get("items"):  # the earlier try's batch landed (a batch is all-or-nothing)
            layout = layout_from_form(spec, created)
            question_ids = dict(layout.question_ids)
            token_item_id, token_question_id = layout.token_item_id, layout.token_question_id
        else:
            question_ids, token_item_id, token_question_id = self._fill(form_id, spec, requests, per_person_token)
        state = self.publish(form_id)
        if not state.published or not state.accepting_responses:
            raise FormNotPublishedError(
                f"forms.setPublishSettings on {form_id} returned {state}; the form cannot take responses.",
                hint=f"Formulir Google '{title}' {state.describe()}. Terbitkan manual di Google Forms "
                "(tombol Terbitkan/Publish), lalu lanjutkan tugas ini.",
                operation="forms.setPublishSettings",
            )
        responder_uri = created.get("responderUri") or self.get_form(form_id).get("responderUri", "")
        log.info("Google Form %s created and published (%s)", form_id, self.stats.summary())
        return CreatedForm(
            form_id=form_id,
            responder_uri=responder_uri,
            token_item_id=token_item_id,
            token_question_id=token_question_id,
            question_ids=question_ids,
            title=title,
            publish_state=state,
        )

    def _fill(
        self, form_id: str, spec: FormSpec, requests: list[dict[str, Any]], per_person_token: bool
    ) -> tuple[dict[str, str], str | None, str | None]:
        """The one batchUpdate; returns where each field landed and the token question."""
        try:
            reply = self.caller.execute(
                self._forms.batchUpdate(formId=form_id, body={"requests": requests}),
                operation="forms.batchUpdate",
            )
        except Exception as exc:
            log.error("form %s was created but could not be filled; it stays unpublished: %s", form_id, exc)
            raise
        item_replies = [r.get("createItem") for r in reply.get("replies", []) if "createItem" in r]
        expected = len(spec.fields) + (1 if per_person_token else 0)
        if len(item_replies) != expected:
            raise GoogleApiError(
                f"forms.batchUpdate on {form_id}: expected {expected} createItem replies, got {len(item_replies)}",
                hint="Formulir Google terbentuk tidak lengkap. Laporkan ke pengembang beserta log ini.",
                operation="forms.batchUpdate",
            )
        question_ids = {
            f.name: r["questionId"][0] for f, r in zip(spec.fields, item_replies[: len(spec.fields)], strict=True)
        }
        token_item_id = token_question_id = None
        if per_person_token:
            token_reply = item_replies[-1]
            token_item_id = token_reply["itemId"]
            token_question_id = token_reply["questionId"][0]
        return question_ids, token_item_id, token_question_id

    def publish(self, form_id: str, *, accepting_responses: bool = True) -> PublishState:
        """Publish the form (``accepting_responses=False`` closes it but keeps it visible)."""
        body = {
            "publishSettings": {
                "publishState": {"isPublished": True, "isAcceptingResponses": accepting_responses}
            },
            "updateMask": "publishState",
        }
        reply = self.caller.execute(
            self._forms.setPublishSettings(formId=form_id, body=body), operation="forms.setPublishSettings"
        )
        state = PublishState.from_settings(reply.get("publishSettings"))
        return state or PublishState(True, accepting_responses)

    def close(self, form_id: str) -> PublishState:
        """Stop taking responses at the deadline; answers given so far stay readable."""
        return self.publish(form_id, accepting_responses=False)

    def get_form(self, form_id: str) -> dict[str, Any]:
        return self.caller.execute(self._forms.get(formId=form_id), operation="forms.get")

    def publish_state(self, form_id: str) -> PublishState | None:
        """Current publish state (one ``forms.get``); None for a legacy form."""
        return PublishState.from_settings(self.get_form(form_id).get("publishSettings"))

    # --- read --------------------------------------------------------------------------------

    def list_responses(
        self,
        form_id: str,
        *,
        spec: FormSpec,
        since: datetime | None = None,
        layout: CreatedForm | None = None,
        tokens: Mapping[str, str] | None = None,
        already_voted: Mapping[str, str] | None = None,
        context: Mapping[str, Any] | None = None,
        require_published: bool = True,
        voter_check: VoterCheck | None = None,
    ) -> ResponseBatch:
        """Read responses submitted after ``since`` (all when None), typed and checked.

        One ``forms.get`` (publish state; field layout when ``layout`` is not given) plus
        one ``responses.list`` per page with ``filter="timestamp > since"``. ``tokens`` maps
        voter → issued token (from :func:`issue_tokens`) and is required when the form has
        a personal-token question; ``already_voted`` maps voter → response id counted in an
        earlier read. An unpublished form raises :class:`FormNotPublishedError` unless
        ``require_published`` is False (it can then still be read; the state is reported).

        ``voter_check(voter, values)`` returns an Indonesian message when a valid answer is
        still not acceptable from that person (Peterpan: no vote for oneself, which the
        shared Google form cannot hide per person). Such a response is rejected as
        ``NOT_ALLOWED`` and, like an invalid one, does not use up the person's vote.
        """
        state: PublishState | None = None
        if layout is None or require_published:
            form = self.get_form(form_id)
            state = PublishState.from_settings(form.get("publishSettings"))
            if layout is None:
                layout = layout_from_form(spec, form)
            if state is None:
                log.warning("Google Form %s is a legacy form without publish settings", form_id)
            elif not state.published:
                title = (form.get("info") or {}).get("title") or layout.title or form_id
                message = f"Google Form {form_id} is not published (isPublished=false): respondents cannot open it."
                hint = (
                    f"Formulir Google '{title}' {state.describe()}, sehingga pegawai tidak bisa mengisinya. "
                    "Buka formulir di Google Forms lalu klik Terbitkan (Publish), atau jalankan ulang "
                    "tugas pembuatan survei."
                )
                if require_published:
                    raise FormNotPublishedError(message, hint=hint, operation="forms.get")
                log.warning("%s %s", message, hint)
        if layout.token_question_id and tokens is None:
            raise ValueError(
                f"form {form_id} has a personal-token question: pass tokens= (voter → token) "
                "so that one vote per person can be checked"
            )
        raw_responses, pages = self._fetch(form_id, since)
        batch = self._judge(spec, layout, raw_responses, tokens, already_voted, context, voter_check)
        batch.publish_state = state
        batch.pages = pages
        log.info(
            "Google Form %s: %d accepted, %d rejected, %d already counted (%s)",
            form_id, len(batch.accepted), len(batch.rejected), len(batch.ignored), self.stats.summary(),
        )
        return batch

    def _fetch(self, form_id: str, since: datetime | None) -> tuple[list[dict[str, Any]], int]:
        params: dict[str, Any] = {"formId": form_id}
        if since is not None:
            params["filter"] = f"timestamp > {to_rfc3339(since)}"
        if self.page_size:
            params["pageSize"] = self.page_size
        found: list[dict[str, Any]] = []
        pages = 0
        while True:
            page = self.caller.execute(self._forms.responses().list(**params), operation="forms.responses.list")
            pages += 1
            found.extend(page.get("responses") or [])
            token = page.get("nextPageToken")
            if not token:
                return found, pages
            params["pageToken"] = token

    def _judge(
        self,
        spec: FormSpec,
        layout: CreatedForm,
        responses: list[dict[str, Any]],
        tokens: Mapping[str, str] | None,
        already_voted: Mapping[str, str] | None,
        context: Mapping[str, Any] | None,
        voter_check: VoterCheck | None = None,
    ) -> ResponseBatch:
        """Oldest first, so that a person's first submission is the one that counts."""
        voter_of = {str(t).strip(): v for v, t in (tokens or {}).items()}
        voted: dict[str, tuple[str, datetime | None]] = {v: (rid, None) for v, rid in (already_voted or {}).items()}
        batch = ResponseBatch()
        ordered = sorted(
            ((_submitted_at(r), r) for r in responses), key=lambda pair: (pair[0], pair[1].get("responseId", ""))
        )
        for submitted_at, response in ordered:
            response_id = str(response.get("responseId", ""))
            batch.latest = submitted_at if batch.latest is None else max(batch.latest, submitted_at)
            raw, token = answers_to_raw(spec, layout, response, context)
            voter: str | None = None
            if layout.token_question_id:
                if not token:
                    batch.rejected.append(_rejection(
                        response_id, submitted_at, RejectReason.MISSING_TOKEN,
                        "Jawaban tanpa kode pribadi: pengirimnya tidak dapat dipastikan, jadi tidak dihitung.",
                    ))
                    continue
                voter = voter_of.get(token)
                if voter is None:
                    batch.rejected.append(_rejection(
                        response_id, submitted_at, RejectReason.UNKNOWN_TOKEN,
                        f"Kode pribadi '{token}' bukan kode yang dibagikan (diubah atau dipalsukan): "
                        "jawaban tidak dihitung.",
                        token=token,
                    ))
                    continue
                if voter in voted:
                    first_id, first_at = voted[voter]
                    if first_id == response_id:
                        batch.ignored.append(response_id)
                        continue
                    when = f" pada {_wib_text(first_at)}" if first_at else ""
                    batch.rejected.append(_rejection(
                        response_id, submitted_at, RejectReason.DUPLICATE_VOTE,
                        f"Pemilik kode ini ({voter}) sudah menjawab sebelumnya{when}; "
                        "hanya jawaban pertama yang dihitung.",
                        token=token, voter=voter,
                    ))
                    continue
            validation = spec.validate(raw, context)
            if not validation.ok:
                batch.rejected.append(_rejection(
                    response_id, submitted_at, RejectReason.INVALID,
                    "Jawaban tidak memenuhi aturan formulir: " + " ".join(validation.errors.values()),
                    token=token, voter=voter, errors=dict(validation.errors),
                ))
                continue
            if voter is not None and voter_check is not None:
                refusal = voter_check(voter, validation.values)
                if refusal:
                    batch.rejected.append(_rejection(
                        response_id, submitted_at, RejectReason.NOT_ALLOWED, refusal, token=token, voter=voter,
                    ))
                    continue
            if voter is not None:
                voted[voter] = (response_id, submitted_at)
            batch.accepted.append(FormResponse(
                response_id=response_id,
                submitted_at=submitted_at,
                values=validation.values,
                voter=voter,
                token=token,
                respondent_email=response.get("respondentEmail"),
            ))
        return batch


def _rejection(
    response_id: str,
    submitted_at: datetime,
    reason: RejectReason,
    message: str,
    *,
    token: str | None = None,
    voter: str | None = None,
    errors: dict[str, str] | None = None,
) -> RejectedResponse:
    log.info("response %s rejected (%s): %s", response_id, reason, message)
    return RejectedResponse(response_id, submitted_at, reason, message, token, voter, errors or {})


def _submitted_at(response: Mapping[str, Any]) -> datetime:
    stamp = response.get("lastSubmittedTime") or response.get("createTime")
    if not stamp:
        raise GoogleApiError(
            f"response {response.get('responseId')!r} has no submission time",
            hint="Data jawaban dari Google tidak lengkap. Laporkan ke pengembang beserta log ini.",
        )
    return parse_rfc3339(str(stamp))


def _wib_text(dt: datetime) -> str:
    from bapas_sop.calendar import to_wib

    return to_wib(dt).strftime("%d-%m-%Y %H:%M WIB")


def _text_answers(response: Mapping[str, Any], question_id: str | None) -> list[str]:
    if not question_id:
        return []
    answer = (response.get("answers") or {}).get(question_id) or {}
    return [str(a.get("value", "")) for a in (answer.get("textAnswers") or {}).get("answers") or []]


def answers_to_raw(
    spec: FormSpec,
    layout: CreatedForm,
    response: Mapping[str, Any],
    context: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], str | None]:
    """A Google response → the raw input :meth:`FormSpec.validate` takes, and its token.

    Option labels are mapped back to choice values; a label we do not know is passed on
    unchanged so that validation reports it instead of it vanishing.
    """
    raw: dict[str, Any] = {}
    for f in spec.fields:
        texts = _text_answers(response, layout.question_ids.get(f.name))
        if f.kind in _CHOICE_KINDS:
            by_label = {c.label: c.value for c in spec.choices_for(f, context)}
            mapped = [by_label.get(t, t) for t in texts]
            raw[f.name] = mapped if f.kind == Kind.MULTI_CHOICE else (mapped[0] if mapped else "")
        else:
            raw[f.name] = texts[0] if texts else ""
    token_texts = _text_answers(response, layout.token_question_id)
    token = token_texts[0].strip() if token_texts and token_texts[0].strip() else None
    return raw, token


def layout_from_form(spec: FormSpec, form: Mapping[str, Any]) -> CreatedForm:
    """Where the spec's fields are in an existing form, matched by item title = field label.

    Used when the :class:`CreatedForm` of the creating task is not at hand.
    """
    by_title: dict[str, list[dict[str, Any]]] = {}
    for item in form.get("items") or []:
        if "questionItem" in item:
            by_title.setdefault(str(item.get("title", "")).strip(), []).append(item)
    question_ids: dict[str, str] = {}
    missing: list[str] = []
    for f in spec.fields:
        matches = by_title.get(f.label.strip(), [])
        if len(matches) != 1:
            missing.append(f.label)
            continue
        question_ids[f.name] = matches[0]["questionItem"]["question"]["questionId"]
    if missing:
        raise FormSpecError(
            f"form {form.get('formId')}: no single question titled {missing}; "
            "was the form edited by hand? Pass the CreatedForm of the creating task as layout="
        )
    token_items = by_title.get(TOKEN_TITLE, [])
    token = token_items[0] if len(token_items) == 1 else None
    return CreatedForm(
        form_id=str(form.get("formId", "")),
        responder_uri=str(form.get("responderUri", "")),
        token_item_id=token.get("itemId") if token else None,
        token_question_id=token["questionItem"]["question"]["questionId"] if token else None,
        question_ids=question_ids,
        title=str((form.get("info") or {}).get("title", "")),
        publish_state=PublishState.from_settings(form.get("publishSettings")),
    )

"""Google Forms backend: the real client over HTTP against the fake.

Covers creation (items generated from the FormSpec, one batchUpdate, explicit publish),
reading (typed values, pagination, the ``timestamp >`` filter), one vote per person with
the prefilled token, and the unpublished-form report.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from tests.support.fake_google import FakeGoogle

from bapas_sop.forms.spec import Choice, Field, FormSpec, Kind
from bapas_sop.google.errors import FormNotPublishedError
from bapas_sop.google.forms import (
    TOKEN_TITLE,
    CreatedForm,
    FormSpecError,
    GoogleFormsBackend,
    RejectReason,
    entry_id,
    issue_tokens,
    prefilled_url,
)

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 09:00 WIB

CANDIDATES = [
    {"value": "198607212010122003", "label": "Rina Marlina (PK Ahli Muda)"},
    {"value": "199001012015031001", "label": "Budi Santoso (Staf TU)"},
    {"value": "199205052018012002", "label": "Dewi Lestari (APK)"},
]

SPEC = FormSpec(
    name="peterpan_vote",
    title="Survei Pegawai Teladan",
    intro="Pilih satu pegawai yang paling layak jadi panutan triwulan ini.",
    fields=(
        Field("calon", "Pegawai pilihan Anda", Kind.PERSON, choices_from="candidates",
              help="Anda tidak dapat memilih diri sendiri."),
        Field("alasan", "Alasan memilih", Kind.LONG_TEXT, max_length=500),
        Field("nilai_disiplin", "Nilai kedisiplinan", Kind.RATING),
        Field("aspek", "Aspek yang menonjol", Kind.MULTI_CHOICE,
              choices=(Choice("disiplin", "Disiplin"), Choice("pelayanan", "Pelayanan"), Choice("kerjasama", "Kerja sama"))),
        Field("setuju", "Bersedia namanya diumumkan?", Kind.YES_NO),
        Field("jumlah_kegiatan", "Jumlah kegiatan diikuti", Kind.NUMBER, required=False, min_value=0, max_value=100),
        Field("tanggal", "Tanggal pengisian", Kind.DATE, required=False),
        Field("waktu", "Waktu rapat", Kind.DATETIME, required=False),
        Field("bukti", "Tautan bukti", Kind.URL, required=False),
        Field("email", "Email Anda", Kind.EMAIL, required=False),
        Field("catatan", "Catatan", Kind.TEXT, required=False, required_if=("setuju", "tidak")),
        Field("foto", "Tautan foto", Kind.FILE_LINK, required=False),
        Field("kategori", "Kategori", Kind.CHOICE, choices=(Choice("a", "Struktural"), Choice("b", "Fungsional"))),
    ),
)
CONTEXT = {"candidates": CANDIDATES}
VOTERS = ["198607212010122003", "199001012015031001", "199205052018012002", "197408121999031002"]


def vote(label: str = "Rina Marlina (PK Ahli Muda)", **overrides: object) -> dict[str, object]:
    """A complete answer as a respondent would give it on the Google form (labels)."""
    answer: dict[str, object] = {
        "Pegawai pilihan Anda": label,
        "Alasan memilih": "Selalu tepat waktu dan membantu rekan.",
        "Nilai kedisiplinan": "5",
        "Aspek yang menonjol": ["Disiplin", "Kerja sama"],
        "Bersedia namanya diumumkan?": "Ya",
        "Kategori": "Fungsional",
    }
    answer.update(overrides)
    return answer


@pytest.fixture
def created(forms: GoogleFormsBackend) -> CreatedForm:
    return forms.create_form(SPEC, title="Peterpan Triwulan I 2026", per_person_token=True, context=CONTEXT)


@pytest.fixture
def tokens(created: CreatedForm) -> dict[str, str]:
    return issue_tokens(created.form_id, VOTERS, secret="test-secret")


def submit(fake: FakeGoogle, form: CreatedForm, token: str | None, at: datetime, **overrides: object) -> str:
    answer = vote(**overrides)  # type: ignore[arg-type]
    if token is not None:
        answer[TOKEN_TITLE] = token
    return fake.submit(form.form_id, answer, at=at, force=token is None)  # type: ignore[arg-type]


# --- creation ------------------------------------------------------------------------------


def test_create_form_is_three_requests_and_items_match_the_spec(fake: FakeGoogle, created: CreatedForm) -> None:
    assert fake.operations() == [
        "forms.forms.create",
        "forms.forms.batchUpdate",
        "forms.forms.setPublishSettings",
    ]
    create, batch, publish = fake.requests
    assert create.path == "/v1/forms"
    assert create.body == {"info": {"title": "Peterpan Triwulan I 2026"}}
    assert create.param("unpublished") == "true"
    assert batch.path == f"/v1/forms/{created.form_id}:batchUpdate"
    requests = batch.body["requests"]
    assert requests[0] == {"updateFormInfo": {"info": {"description": SPEC.intro}, "updateMask": "description"}}
    assert len(requests) == 1 + len(SPEC.fields) + 1
    assert publish.path == f"/v1/forms/{created.form_id}:setPublishSettings"
    assert publish.body["publishSettings"] == {"publishState": {"isPublished": True, "isAcceptingResponses": True}}

    form = fake.forms[created.form_id]
    assert form["publishSettings"]["publishState"] == {"isPublished": True, "isAcceptingResponses": True}
    assert form["info"]["description"] == SPEC.intro
    items = form["items"]
    assert [i["title"] for i in items] == [f.label for f in SPEC.fields] + [TOKEN_TITLE]
    questions = {i["title"]: i["questionItem"]["question"] for i in items}

    def kind(title: str) -> str:
        return next(k for k in questions[title] if k.endswith("Question"))

    assert questions["Pegawai pilihan Anda"]["choiceQuestion"] == {
        "type": "RADIO", "options": [{"value": c["label"]} for c in CANDIDATES]}
    assert questions["Alasan memilih"]["textQuestion"] == {"paragraph": True}
    assert questions["Nilai kedisiplinan"]["scaleQuestion"] == {"low": 1, "high": 5}
    assert questions["Aspek yang menonjol"]["choiceQuestion"]["type"] == "CHECKBOX"
    assert questions["Bersedia namanya diumumkan?"]["choiceQuestion"]["options"] == [{"value": "Ya"}, {"value": "Tidak"}]
    assert questions["Tanggal pengisian"]["dateQuestion"] == {"includeYear": True, "includeTime": False}
    assert questions["Waktu rapat"]["dateQuestion"] == {"includeYear": True, "includeTime": True}
    for title in ("Jumlah kegiatan diikuti", "Tautan bukti", "Email Anda", "Catatan", "Tautan foto"):
        assert kind(title) == "textQuestion"
        assert questions[title]["textQuestion"] == {"paragraph": False}
    assert kind("Kategori") == "choiceQuestion"

    # Required flags: as in the spec; a conditional requirement cannot be expressed in Google.
    for f in SPEC.fields:
        assert questions[f.label]["required"] is (f.required and f.required_if is None), f.name
    assert questions[TOKEN_TITLE]["required"] is True

    # Help texts and format hints end up in the item descriptions.
    descriptions = {i["title"]: i.get("description", "") for i in items}
    assert descriptions["Pegawai pilihan Anda"] == "Anda tidak dapat memilih diri sendiri."
    assert "angka" in descriptions["Jumlah kegiatan diikuti"] and "100" in descriptions["Jumlah kegiatan diikuti"]
    assert "https://" in descriptions["Tautan bukti"]
    assert "email" in descriptions["Email Anda"]
    assert "Wajib diisi bila 'Bersedia namanya diumumkan?' = Tidak" in descriptions["Catatan"]
    assert "Jangan diubah" in descriptions[TOKEN_TITLE]

    # The CreatedForm knows where everything landed.
    assert created.question_ids == {f.name: fake.question_id(created.form_id, f.label) for f in SPEC.fields}
    assert created.token_question_id == fake.question_id(created.form_id, TOKEN_TITLE)
    assert created.token_item_id == items[-1]["itemId"]
    assert created.publish_state is not None and created.publish_state.published
    assert created.responder_uri == form["responderUri"]
    assert CreatedForm.from_dict(created.to_dict()) == created


def test_personal_link_prefills_the_token_question(created: CreatedForm, tokens: dict[str, str]) -> None:
    link = created.link_for(tokens[VOTERS[0]])
    parts = urlsplit(link)
    assert link.startswith(created.responder_uri + "?")
    query = parse_qs(parts.query)
    assert query["usp"] == ["pp_url"]
    assert query[f"entry.{int(created.token_question_id, 16)}"] == [tokens[VOTERS[0]]]
    assert created.token_entry_id == entry_id(created.token_question_id)


def test_prefilled_url_accepts_hex_question_id_and_keeps_other_parameters() -> None:
    url = prefilled_url("https://docs.google.com/forms/d/e/XYZ/viewform?hl=id", "00ff", "kode 1/2")
    query = parse_qs(urlsplit(url).query)
    assert query == {"usp": ["pp_url"], "hl": ["id"], "entry.255": ["kode 1/2"]}
    assert prefilled_url("https://f/viewform", 255, "a") == prefilled_url("https://f/viewform", "255", "a")


def test_tokens_are_stable_per_form_and_distinct_per_person() -> None:
    first = issue_tokens("form-1", VOTERS, secret="s")
    assert first == issue_tokens("form-1", VOTERS, secret="s")
    assert len(set(first.values())) == len(VOTERS)
    assert first != issue_tokens("form-2", VOTERS, secret="s")
    assert first != issue_tokens("form-1", VOTERS, secret="other")


def test_spec_google_cannot_take_is_refused_before_any_request(fake: FakeGoogle, forms: GoogleFormsBackend) -> None:
    twins = [{"value": "1", "label": "Andi"}, {"value": "2", "label": "Andi"}]
    with pytest.raises(FormSpecError, match="distinct option labels"):
        forms.create_form(SPEC, title="x", context={"candidates": twins})
    with pytest.raises(FormSpecError, match="no choices"):
        forms.create_form(SPEC, title="x", context={})
    assert fake.requests == []


def test_form_without_token_question(fake: FakeGoogle, forms: GoogleFormsBackend) -> None:
    created = forms.create_form(SPEC, title="Tanpa kode", per_person_token=False, context=CONTEXT, description="")
    assert created.token_item_id is None and created.token_entry_id is None
    batch = fake.calls("forms.forms.batchUpdate")[0].body["requests"]
    assert len(batch) == len(SPEC.fields)  # no description request, no token item
    fake.submit(created.form_id, vote(), at=T0)
    result = forms.list_responses(created.form_id, spec=SPEC, context=CONTEXT)
    assert [r.voter for r in result.accepted] == [None]


# --- reading -------------------------------------------------------------------------------


def test_answers_come_back_typed_through_formspec_validation(
    fake: FakeGoogle, forms: GoogleFormsBackend, created: CreatedForm, tokens: dict[str, str]
) -> None:
    submit(fake, created, tokens[VOTERS[3]], T0, **{
        "Jumlah kegiatan diikuti": "12",
        "Tanggal pengisian": "2026-03-02",
        "Waktu rapat": "2026-03-05 09:30",
        "Tautan bukti": "https://drive.example/bukti",
        "Email Anda": "hendra.siregar@bapas-jambi.example",
    })
    fake.clear()
    result = forms.list_responses(created.form_id, spec=SPEC, tokens=tokens, context=CONTEXT, layout=created)
    assert result.rejected == []
    (response,) = result.accepted
    assert response.voter == VOTERS[3]
    assert response.token == tokens[VOTERS[3]]
    assert response.submitted_at == T0 and response.submitted_at.tzinfo is not None
    assert response.values == {
        "calon": "198607212010122003",
        "alasan": "Selalu tepat waktu dan membantu rekan.",
        "nilai_disiplin": 5,
        "aspek": ["disiplin", "kerjasama"],
        "setuju": True,
        "jumlah_kegiatan": 12,
        "tanggal": "2026-03-02",
        "waktu": "2026-03-05T09:30:00",
        "bukti": "https://drive.example/bukti",
        "email": "hendra.siregar@bapas-jambi.example",
        "catatan": None,
        "foto": None,
        "kategori": "b",
    }
    assert result.publish_state is not None and result.publish_state.accepting_responses
    # With the layout at hand, a read is one forms.get (publish state) + one responses.list.
    assert fake.operations() == ["forms.forms.get", "forms.forms.responses.list"]
    assert fake.calls("forms.forms.responses.list")[0].path == f"/v1/forms/{created.form_id}/responses"


def test_layout_is_recovered_from_the_form_when_not_given(
    fake: FakeGoogle, forms: GoogleFormsBackend, created: CreatedForm, tokens: dict[str, str]
) -> None:
    submit(fake, created, tokens[VOTERS[1]], T0)
    result = forms.list_responses(created.form_id, spec=SPEC, tokens=tokens, context=CONTEXT)
    assert [r.voter for r in result.accepted] == [VOTERS[1]]


def test_responses_are_paged_through(
    fake: FakeGoogle, forms: GoogleFormsBackend, created: CreatedForm, tokens: dict[str, str]
) -> None:
    for n, voter in enumerate(VOTERS):
        submit(fake, created, tokens[voter], T0 + timedelta(minutes=n))
    fake.submit(created.form_id, vote(), at=T0 + timedelta(minutes=9), force=True)  # no token: 5th response
    fake.clear()
    forms.page_size = 2
    result = forms.list_responses(created.form_id, spec=SPEC, tokens=tokens, context=CONTEXT, layout=created,
                                  since=T0 - timedelta(days=1))
    assert result.pages == 3
    assert sorted(r.voter for r in result.accepted) == sorted(VOTERS)
    assert [r.reason for r in result.rejected] == [RejectReason.MISSING_TOKEN]
    pages = fake.calls("forms.forms.responses.list")
    assert [p.param("pageSize") for p in pages] == ["2", "2", "2"]
    assert [p.param("pageToken") is None for p in pages] == [True, False, False]
    assert len({p.param("filter") for p in pages}) == 1  # the filter stays the same on every page
    assert result.latest == T0 + timedelta(minutes=9)


def test_timestamp_filter_reads_only_newer_responses(
    fake: FakeGoogle, forms: GoogleFormsBackend, created: CreatedForm, tokens: dict[str, str]
) -> None:
    first = submit(fake, created, tokens[VOTERS[0]], T0)
    submit(fake, created, tokens[VOTERS[1]], T0 + timedelta(hours=1))
    submit(fake, created, tokens[VOTERS[2]], T0 + timedelta(hours=2))
    fake.clear()

    everything = forms.list_responses(created.form_id, spec=SPEC, tokens=tokens, context=CONTEXT, layout=created)
    assert fake.calls("forms.forms.responses.list")[0].param("filter") is None
    assert len(everything.accepted) == 3

    since = T0 + timedelta(hours=1)
    newer = forms.list_responses(created.form_id, spec=SPEC, tokens=tokens, context=CONTEXT, layout=created,
                                 since=since, already_voted={VOTERS[0]: first})
    assert fake.calls("forms.forms.responses.list")[-1].param("filter") == "timestamp > 2026-03-02T03:00:00Z"
    assert [r.voter for r in newer.accepted] == [VOTERS[2]]

    # A WIB time is converted to UTC "Zulu" for the filter.
    from bapas_sop.calendar import WIB

    forms.list_responses(created.form_id, spec=SPEC, tokens=tokens, context=CONTEXT, layout=created,
                         since=datetime(2026, 3, 2, 10, 0, 0, 250000, tzinfo=WIB))
    assert fake.calls("forms.forms.responses.list")[-1].param("filter") == "timestamp > 2026-03-02T03:00:00.250000Z"
    with pytest.raises(ValueError, match="naive"):
        forms.list_responses(created.form_id, spec=SPEC, tokens=tokens, context=CONTEXT, layout=created,
                             since=datetime(2026, 3, 2))


def test_polling_with_latest_never_skips_and_never_counts_twice(
    fake: FakeGoogle, forms: GoogleFormsBackend, created: CreatedForm, tokens: dict[str, str]
) -> None:
    # Google's timestamps carry nanoseconds; Python keeps microseconds.
    fake.submit(created.form_id, {**vote(), TOKEN_TITLE: tokens[VOTERS[0]]}, at=T0, nanos=789)
    first = forms.list_responses(created.form_id, spec=SPEC, tokens=tokens, context=CONTEXT, layout=created)
    assert len(first.accepted) == 1
    submit(fake, created, tokens[VOTERS[1]], T0 + timedelta(seconds=1))
    second = forms.list_responses(created.form_id, spec=SPEC, tokens=tokens, context=CONTEXT, layout=created,
                                  since=first.latest, already_voted=first.voted)
    # The truncated cursor brings the first response back once: recognised, not counted again.
    assert second.ignored == [first.accepted[0].response_id]
    assert [r.voter for r in second.accepted] == [VOTERS[1]]
    assert second.rejected == []


# --- one vote per person -------------------------------------------------------------------


def test_forged_token_second_vote_and_missing_token_are_rejected(
    fake: FakeGoogle, forms: GoogleFormsBackend, created: CreatedForm, tokens: dict[str, str]
) -> None:
    voter = VOTERS[1]
    counted = submit(fake, created, tokens[voter], T0, **{"Pegawai pilihan Anda": "Dewi Lestari (APK)"})
    second = submit(fake, created, tokens[voter], T0 + timedelta(minutes=5))
    forged = submit(fake, created, tokens[voter][:-2] + "zz", T0 + timedelta(minutes=6))
    anonymous = submit(fake, created, None, T0 + timedelta(minutes=7))
    other = submit(fake, created, tokens[VOTERS[2]], T0 + timedelta(minutes=8))

    result = forms.list_responses(created.form_id, spec=SPEC, tokens=tokens, context=CONTEXT, layout=created)

    # The fake lists newest first; the first submission still is the one that counts.
    assert {r.response_id: r.voter for r in result.accepted} == {counted: voter, other: VOTERS[2]}
    assert result.accepted[0].values["calon"] == "199205052018012002"
    rejected = {r.response_id: r for r in result.rejected}
    assert rejected[second].reason == RejectReason.DUPLICATE_VOTE
    assert rejected[second].voter == voter
    assert "sudah menjawab sebelumnya" in rejected[second].message
    assert "WIB" in rejected[second].message
    assert rejected[forged].reason == RejectReason.UNKNOWN_TOKEN
    assert rejected[forged].voter is None
    assert "bukan kode yang dibagikan" in rejected[forged].message
    assert rejected[anonymous].reason == RejectReason.MISSING_TOKEN
    assert result.voted == {voter: counted, VOTERS[2]: other}

    # A later read: a new vote of someone who already voted is rejected as well.
    late = submit(fake, created, tokens[voter], T0 + timedelta(hours=3))
    later = forms.list_responses(created.form_id, spec=SPEC, tokens=tokens, context=CONTEXT, layout=created,
                                 since=result.latest, already_voted=result.voted)
    assert later.accepted == []
    assert [(r.response_id, r.reason) for r in later.rejected] == [(late, RejectReason.DUPLICATE_VOTE)]


def test_invalid_answer_is_rejected_with_the_formspec_message_and_does_not_use_up_the_vote(
    fake: FakeGoogle, forms: GoogleFormsBackend, created: CreatedForm, tokens: dict[str, str]
) -> None:
    voter = VOTERS[0]
    bad = submit(fake, created, tokens[voter], T0, **{"Jumlah kegiatan diikuti": "banyak",
                                                        "Bersedia namanya diumumkan?": "Tidak"})
    good = submit(fake, created, tokens[voter], T0 + timedelta(minutes=1))
    result = forms.list_responses(created.form_id, spec=SPEC, tokens=tokens, context=CONTEXT, layout=created)
    (rejected,) = result.rejected
    assert rejected.response_id == bad and rejected.reason == RejectReason.INVALID
    assert rejected.errors == {
        "jumlah_kegiatan": "Jumlah kegiatan diikuti: harus berupa angka.",
        "catatan": "Catatan wajib diisi.",
    }
    assert [r.response_id for r in result.accepted] == [good]


def test_reading_a_token_form_without_tokens_is_a_programming_error(
    forms: GoogleFormsBackend, created: CreatedForm
) -> None:
    with pytest.raises(ValueError, match="tokens="):
        forms.list_responses(created.form_id, spec=SPEC, context=CONTEXT, layout=created)


# --- publish state ---------------------------------------------------------------------------


def test_unpublished_form_is_reported(
    fake: FakeGoogle, forms: GoogleFormsBackend, created: CreatedForm, tokens: dict[str, str]
) -> None:
    submit(fake, created, tokens[VOTERS[0]], T0)
    fake.set_publish_state(created.form_id, published=False, accepting=False)
    with pytest.raises(FormNotPublishedError) as caught:
        forms.list_responses(created.form_id, spec=SPEC, tokens=tokens, context=CONTEXT, layout=created)
    error = caught.value
    assert "not published" in error.message
    assert "Peterpan Triwulan I 2026" in error.hint and "belum diterbitkan" in error.hint
    assert "Petunjuk untuk admin" in str(error)

    # Reading anyway is possible when asked for; the state is part of the result whenever
    # the form was fetched (here: no layout given) ...
    result = forms.list_responses(created.form_id, spec=SPEC, tokens=tokens, context=CONTEXT,
                                  require_published=False)
    assert result.publish_state is not None and not result.publish_state.published
    assert len(result.accepted) == 1
    # ... and with the layout at hand and no check asked for, the read costs no forms.get.
    fake.clear()
    result = forms.list_responses(created.form_id, spec=SPEC, tokens=tokens, context=CONTEXT, layout=created,
                                  require_published=False)
    assert result.publish_state is None and len(result.accepted) == 1
    assert fake.operations() == ["forms.forms.responses.list"]
    state = forms.publish_state(created.form_id)
    assert state is not None and not state.published


def test_close_keeps_the_form_readable(
    fake: FakeGoogle, forms: GoogleFormsBackend, created: CreatedForm, tokens: dict[str, str]
) -> None:
    submit(fake, created, tokens[VOTERS[0]], T0)
    state = forms.close(created.form_id)
    assert state.published and not state.accepting_responses
    with pytest.raises(RuntimeError, match="does not accept"):
        submit(fake, created, tokens[VOTERS[1]], T0 + timedelta(minutes=1))
    result = forms.list_responses(created.form_id, spec=SPEC, tokens=tokens, context=CONTEXT, layout=created)
    assert len(result.accepted) == 1
    assert result.publish_state is not None and not result.publish_state.accepting_responses


def test_publish_that_does_not_take_effect_fails_clearly(fake: FakeGoogle, forms: GoogleFormsBackend,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    original = fake._forms_publish

    def stuck(query, body, path):  # noqa: ANN001, ANN202 - the fake's route signature
        reply = original(query, body, path)
        form = fake._form(path)
        form["publishSettings"] = {"publishState": {"isPublished": False, "isAcceptingResponses": False}}
        return {**reply, "publishSettings": form["publishSettings"]}

    monkeypatch.setattr(fake, "_forms_publish", stuck)
    with pytest.raises(FormNotPublishedError, match="cannot take responses") as caught:
        forms.create_form(SPEC, title="Tidak terbit", context=CONTEXT)
    assert "Terbitkan" in caught.value.hint


def test_voter_check_rejects_a_vote_for_oneself_without_using_up_the_vote(
    fake: FakeGoogle, forms: GoogleFormsBackend, created: CreatedForm, tokens: dict[str, str]
) -> None:
    rina = VOTERS[0]  # Rina Marlina's NIP is also a candidate value
    own = submit(fake, created, tokens[rina], T0)  # votes for "Rina Marlina (PK Ahli Muda)"
    other = submit(fake, created, tokens[rina], T0 + timedelta(minutes=1), **{"Pegawai pilihan Anda": "Dewi Lestari (APK)"})

    def no_self_vote(voter: str, values: object) -> str | None:
        return "Anda tidak dapat memilih diri sendiri." if values["calon"] == voter else None  # type: ignore[index]

    result = forms.list_responses(created.form_id, spec=SPEC, tokens=tokens, context=CONTEXT, layout=created,
                                  voter_check=no_self_vote)
    assert [(r.response_id, r.reason, r.message) for r in result.rejected] == [
        (own, RejectReason.NOT_ALLOWED, "Anda tidak dapat memilih diri sendiri.")]
    assert [(r.response_id, r.values["calon"]) for r in result.accepted] == [(other, "199205052018012002")]

"""Retries with exponential backoff on 429/5xx, through the library's own retry loop."""

from __future__ import annotations

import pytest
from tests.support.fake_google import FakeGoogle

from bapas_sop.forms.spec import Field, FormSpec
from bapas_sop.google.calls import RetryPolicy
from bapas_sop.google.credentials import GoogleConnection, num_retries_default
from bapas_sop.google.errors import GoogleApiError, GoogleCredentialsError, GoogleQuotaError
from bapas_sop.google.forms import GoogleFormsBackend
from bapas_sop.google.youtube import YouTubeBackend

SPEC = FormSpec(name="mini", title="Mini", fields=(Field("nama", "Nama"),))


def test_429_then_503_then_success(fake: FakeGoogle, forms: GoogleFormsBackend, sleeps: list[float]) -> None:
    fake.fail_next(1, 429, operation="forms.forms.create")
    fake.fail_next(1, 503, operation="forms.forms.create")
    created = forms.create_form(SPEC, title="Coba ulang")
    assert created.form_id in fake.forms
    attempts = fake.calls("forms.forms.create")
    assert [a.status for a in attempts] == [429, 503, 200]
    assert sleeps == [2.0, 4.0]  # rand() * 2**attempt with rand() = 1: exponential
    assert forms.stats.retries == 2
    assert forms.stats.calls["forms.forms.create"] == 1  # one logical request, three attempts
    assert fake.count("forms.forms.batchUpdate") == 1 and fake.count("forms.forms.setPublishSettings") == 1


def test_every_request_kind_is_retried(fake: FakeGoogle, forms: GoogleFormsBackend, youtube: YouTubeBackend,
                                       sleeps: list[float]) -> None:
    fake.fail_next(1, 500, operation="forms.forms.batchUpdate")
    fake.fail_next(1, 502, operation="forms.forms.setPublishSettings")
    created = forms.create_form(SPEC, title="x", per_person_token=False)
    fake.fail_next(1, 503, operation="forms.forms.responses.list")
    forms.list_responses(created.form_id, spec=SPEC, layout=created, require_published=False)
    fake.add_channel("UCbapas")
    fake.fail_next(1, 429, operation="youtube.channels.list")
    youtube.uploads_playlist_id("UCbapas")
    assert forms.stats.retries == 3 and youtube.stats.retries == 1
    assert len(sleeps) == 4


def test_retries_exhausted_raise_a_clear_retryable_error(fake: FakeGoogle, sleeps: list[float]) -> None:
    from google.auth.credentials import AnonymousCredentials

    from bapas_sop.google.credentials import build_service

    service = build_service("forms", "v1", credentials=AnonymousCredentials(), endpoint=fake.url)
    backend = GoogleFormsBackend(service, retry=RetryPolicy(num_retries=2, sleep=sleeps.append, rand=lambda: 0.5))
    fake.fail_next(10, 503)
    with pytest.raises(GoogleApiError) as caught:
        backend.create_form(SPEC, title="x")
    error = caught.value
    assert error.retryable and error.status == 503
    assert "after 3 attempts" in error.message and "forms.create" in error.message
    assert "dicoba ulang" in error.hint
    assert fake.count("forms.forms.create") == 3
    assert sleeps == [1.0, 2.0]


def test_rate_limit_left_after_retries_is_a_quota_error(fake: FakeGoogle, youtube: YouTubeBackend) -> None:
    fake.add_channel("UCbapas")
    fake.fail_next(10, 429)
    with pytest.raises(GoogleQuotaError) as caught:
        youtube.uploads_playlist_id("UCbapas")
    assert caught.value.retryable
    assert fake.count("youtube.channels.list") == 4  # 1 + num_retries=3


def test_client_errors_are_not_retried(fake: FakeGoogle, forms: GoogleFormsBackend, sleeps: list[float]) -> None:
    fake.fail_auth("permission_denied")
    with pytest.raises(GoogleCredentialsError) as caught:
        forms.create_form(SPEC, title="x")
    assert not caught.value.retryable
    assert "bagikan" in caught.value.hint.lower()
    assert fake.count("forms.forms.create") == 1
    assert sleeps == []


def test_daily_youtube_quota_is_not_retried(fake: FakeGoogle, youtube: YouTubeBackend, sleeps: list[float]) -> None:
    fake.add_channel("UCbapas")
    fake.fail_auth("youtube_quota")
    with pytest.raises(GoogleQuotaError) as caught:
        youtube.uploads_playlist_id("UCbapas")
    assert caught.value.reason == "quotaExceeded"
    assert "kuota" in caught.value.hint.lower()
    assert fake.count("youtube.channels.list") == 1 and sleeps == []


def test_retry_count_comes_from_the_connection_then_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BAPAS_GOOGLE_NUM_RETRIES", raising=False)
    assert num_retries_default(None) == 5
    monkeypatch.setenv("BAPAS_GOOGLE_NUM_RETRIES", "2")
    assert num_retries_default(GoogleConnection("c")) == 2
    assert num_retries_default(GoogleConnection.from_extras("c", {"num_retries": "7"})) == 7
    with pytest.raises(ValueError):
        RetryPolicy(num_retries=-1)

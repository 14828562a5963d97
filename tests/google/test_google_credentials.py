"""Credentials from Airflow Connections, and clear errors when they are missing or wrong.

The service-account and OAuth tests run google-auth's real token exchange against the
fake's ``/token`` endpoint: a signed JWT (or a refresh token) in, an access token with its
scopes out, then the API calls carry it and the fake checks the method's scopes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.support.fake_google import API_KEY, FakeGoogle, connection_json
from google.auth.credentials import AnonymousCredentials

from bapas_sop.forms.spec import Field, FormSpec
from bapas_sop.google.credentials import (
    FORMS_NEEDS,
    GoogleConnection,
    build_service,
    google_connection,
    scope,
)
from bapas_sop.google.errors import GoogleConfigError, GoogleCredentialsError
from bapas_sop.google.forms import GoogleFormsBackend
from bapas_sop.google.sheets import SheetsReader
from bapas_sop.google.youtube import YouTubeBackend

SPEC = FormSpec(name="mini", title="Mini", fields=(Field("nama", "Nama"),))


def sa_connection(info: dict[str, Any], **extra: Any) -> GoogleConnection:
    return GoogleConnection.from_extras("google_test", {"keyfile_dict": json.dumps(info), **extra})


# --- working credentials ---------------------------------------------------------------------


def test_service_account_from_connection_gets_a_token_and_uses_it(
    fake: FakeGoogle, service_account_info: dict[str, Any]
) -> None:
    fake.require_auth = True
    backend = GoogleFormsBackend.from_connection(conn=sa_connection(service_account_info), endpoint=fake.url)
    created = backend.create_form(SPEC, title="Dengan service account")
    assert fake.operations()[0] == "oauth.token"
    token_request = fake.requests[0]
    assert token_request.body["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    api_calls = [r for r in fake.requests if r.operation != "oauth.token"]
    assert {r.headers["authorization"].split()[0] for r in api_calls} == {"Bearer"}
    granted = fake.tokens[api_calls[0].headers["authorization"].split()[1]]
    # Only the narrow scopes the backend needs, not the whole of Drive.
    assert granted == {scope("forms.body"), scope("forms.body.readonly"), scope("forms.responses.readonly")}
    assert created.publish_state is not None and created.publish_state.published
    assert fake.count("oauth.token") == 1  # the token is reused for the following calls


def test_oauth_user_grant_from_connection(fake: FakeGoogle) -> None:
    fake.require_auth = True
    refresh = fake.grant_refresh_token([scope("spreadsheets.readonly")])
    conn = GoogleConnection.from_extras("google_test", {
        "refresh_token": refresh, "client_id": "cid.apps.googleusercontent.com", "client_secret": "shh",
        "token_uri": fake.token_uri,
    })
    fake.set_values("sheet-1", "Data", [["a", "b"], ["1", "2"]])
    reader = SheetsReader.from_connection(conn=conn, endpoint=fake.url)
    assert reader.read_sheet_as_csv("sheet-1", "Data") == "a,b\n1,2\n"
    assert fake.calls("oauth.token")[0].body["grant_type"] == "refresh_token"


def test_api_key_is_used_for_youtube_even_when_an_account_is_configured(
    fake: FakeGoogle, service_account_info: dict[str, Any]
) -> None:
    fake.add_channel("UCbapas")
    conn = sa_connection(service_account_info, api_key=API_KEY)
    youtube = YouTubeBackend.from_connection(conn=conn, endpoint=fake.url)
    youtube.uploads_playlist_id("UCbapas")
    (call,) = fake.requests  # no token exchange
    assert call.param("key") == API_KEY and "authorization" not in call.headers


def test_connection_is_read_from_the_airflow_environment_variable(
    monkeypatch: pytest.MonkeyPatch, service_account_info: dict[str, Any]
) -> None:
    # The Airflow UI stores the key as JSON text; the Google provider prefixes extra names.
    monkeypatch.setenv("AIRFLOW_CONN_GOOGLE_BAPAS", connection_json({
        "extra__google_cloud_platform__keyfile_dict": json.dumps(service_account_info),
        "scope": "https://www.googleapis.com/auth/forms.body, https://www.googleapis.com/auth/forms.responses.readonly",
        "api_key": API_KEY,
        "num_retries": 4,
    }))
    monkeypatch.setenv("BAPAS_GOOGLE_CONN_ID", "google_bapas")
    conn = google_connection()
    assert conn.conn_id == "google_bapas"
    assert conn.keyfile_dict == service_account_info
    assert conn.api_key == API_KEY and conn.num_retries == 4
    assert conn.scopes == (scope("forms.body"), scope("forms.responses.readonly"))
    assert "PRIVATE KEY" not in repr(conn) and API_KEY not in repr(conn)


def test_uri_form_of_the_connection() -> None:
    conn = GoogleConnection.from_uri(
        "g", "google-cloud-platform://?api_key=AIza%2Fx&scopes=youtube.readonly&__extra__=%7B%22subject%22%3A+%22sop%40bapas.example%22%7D"
    )
    assert conn.api_key == "AIza/x" and conn.scopes == (scope("youtube.readonly"),)
    assert conn.subject == "sop@bapas.example"


# --- missing or wrong credentials ---------------------------------------------------------------


def test_missing_connection_says_where_to_create_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_GOOGLE_NOWHERE", raising=False)
    with pytest.raises(GoogleConfigError) as caught:
        google_connection("google_nowhere")
    assert "AIRFLOW_CONN_GOOGLE_NOWHERE" in caught.value.message
    assert "Admin → Connections" in caught.value.hint


def test_api_key_alone_cannot_do_forms() -> None:
    conn = GoogleConnection.from_extras("google_test", {"api_key": API_KEY})
    with pytest.raises(GoogleConfigError) as caught:
        GoogleFormsBackend.from_connection(conn=conn)
    assert "public YouTube data" in caught.value.message
    assert "service account atau OAuth" in caught.value.hint


def test_scopes_in_the_connection_that_cannot_serve_forms_are_refused_up_front(
    fake: FakeGoogle, service_account_info: dict[str, Any]
) -> None:
    conn = sa_connection(service_account_info, scopes="https://www.googleapis.com/auth/spreadsheets.readonly")
    with pytest.raises(GoogleConfigError) as caught:
        GoogleFormsBackend.from_connection(conn=conn, endpoint=fake.url)
    assert scope("forms.body") in caught.value.message
    assert scope("forms.responses.readonly") in caught.value.hint
    assert fake.requests == []
    # The broader Drive scope is an accepted alternative.
    sa_connection(service_account_info, scopes="drive").check_scopes(FORMS_NEEDS)


def test_scope_refused_by_google_is_a_credentials_error(
    fake: FakeGoogle, service_account_info: dict[str, Any]
) -> None:
    fake.require_auth = True
    narrow = sa_connection(service_account_info).credentials(
        [], purpose="test"
    ).with_scopes([scope("spreadsheets.readonly")])
    service = build_service("forms", "v1", credentials=narrow, endpoint=fake.url)
    with pytest.raises(GoogleCredentialsError) as caught:
        GoogleFormsBackend(service, conn_id="google_test").create_form(SPEC, title="x")
    error = caught.value
    assert error.status == 403 and error.reason == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"
    assert "scope" in error.hint and "google_test" in error.hint


def test_revoked_service_account_key(fake: FakeGoogle, service_account_info: dict[str, Any]) -> None:
    fake.fail_token("invalid_grant")
    backend = GoogleFormsBackend.from_connection(conn=sa_connection(service_account_info), endpoint=fake.url)
    with pytest.raises(GoogleCredentialsError) as caught:
        backend.create_form(SPEC, title="x")
    error = caught.value
    assert "could not obtain an access token" in error.message and "invalid_grant" in error.message
    assert "Connection Airflow 'google_test'" in error.hint and "ditolak" in error.hint
    assert [r.operation for r in fake.requests if r.operation != "oauth.token"] == []


def test_oauth_grant_without_the_needed_scope(fake: FakeGoogle) -> None:
    refresh = fake.grant_refresh_token([scope("spreadsheets.readonly")])
    conn = GoogleConnection.from_extras("google_test", {"authorized_user": {
        "refresh_token": refresh, "client_id": "cid", "client_secret": "shh", "token_uri": fake.token_uri}})
    backend = GoogleFormsBackend.from_connection(conn=conn, endpoint=fake.url)
    with pytest.raises(GoogleCredentialsError) as caught:
        backend.create_form(SPEC, title="x")
    assert "invalid_scope" in caught.value.message


def test_incomplete_oauth_grant_and_damaged_key_are_config_errors() -> None:
    conn = GoogleConnection.from_extras("google_test", {"authorized_user": {"refresh_token": "r"}})
    with pytest.raises(GoogleConfigError, match="client_id, client_secret"):
        conn.credentials(FORMS_NEEDS, purpose="Google Forms")
    broken = GoogleConnection.from_extras("google_test", {"keyfile_dict": {"type": "service_account"}})
    with pytest.raises(GoogleConfigError, match="incomplete or damaged"):
        broken.credentials(FORMS_NEEDS, purpose="Google Forms")
    with pytest.raises(GoogleConfigError, match="not valid JSON"):
        GoogleConnection.from_extras("google_test", {"keyfile_dict": "{not json"})
    missing = GoogleConnection.from_extras("google_test", {"keyfile_path": "/nonexistent/key.json"})
    with pytest.raises(GoogleConfigError, match="cannot be read") as caught:
        missing.credentials(FORMS_NEEDS, purpose="Google Forms")
    assert "worker" in caught.value.hint


def test_rejected_credentials_without_refresh(fake: FakeGoogle, forms: GoogleFormsBackend) -> None:
    fake.fail_auth("unauthenticated")
    with pytest.raises(GoogleCredentialsError) as caught:
        forms.create_form(SPEC, title="x")
    assert "cannot be refreshed" in caught.value.message


def test_invalid_api_key(fake: FakeGoogle) -> None:
    import httplib2

    service = build_service("youtube", "v3", api_key="AIza-wrong", http=httplib2.Http(timeout=10), endpoint=fake.url)
    with pytest.raises(GoogleCredentialsError) as caught:
        YouTubeBackend(service, conn_id="google_test").uploads_playlist_id("UCbapas")
    error = caught.value
    assert error.status == 400 and error.reason == "API_KEY_INVALID"
    assert "api_key" in error.hint and "google_test" in error.hint


def test_disabled_api(fake: FakeGoogle, sheets: SheetsReader) -> None:
    fake.fail_auth("service_disabled")
    with pytest.raises(GoogleCredentialsError) as caught:
        sheets.read_sheet_as_csv("x", "A1:B2")
    assert "belum diaktifkan" in caught.value.hint


def test_build_service_never_falls_back_to_the_metadata_server(monkeypatch: pytest.MonkeyPatch) -> None:
    import google.auth

    def forbidden(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("Application Default Credentials must not be consulted")

    monkeypatch.setattr(google.auth, "default", forbidden)
    with pytest.raises(GoogleConfigError, match="refusing to fall back"):
        build_service("forms", "v1")
    # Credentials and a transport together are combined, not refused.
    import httplib2

    service = build_service("forms", "v1", credentials=AnonymousCredentials(), http=httplib2.Http(timeout=5),
                            endpoint="http://127.0.0.1:9/")
    assert service.forms().get(formId="x").uri.startswith("http://127.0.0.1:9/v1/forms/x")

"""Sharing created forms through Google Drive: the real client over HTTP against the fake.

Covers sharing with staff as writer without Google's mail, idempotence (a second run shares
nothing new), one refused address not stopping the others, retries, the errors that concern
every address, and the scope check before any call.
"""

from __future__ import annotations

import json
import os
from typing import Any

import googleapiclient.discovery_cache
import pytest
from tests.support.fake_google import FakeGoogle
from google.auth.credentials import AnonymousCredentials

from bapas_sop.forms.spec import Field, FormSpec
from bapas_sop.google.calls import RetryPolicy
from bapas_sop.google.credentials import DRIVE_NEEDS, DRIVE_SHARE, GoogleConnection, build_service, scope
from bapas_sop.google.drive import SERVICE_PATH, DriveSharing, drive_endpoint
from bapas_sop.google.errors import GoogleConfigError, GoogleCredentialsError, GoogleNotFoundError
from bapas_sop.google.forms import GoogleFormsBackend

SPEC = FormSpec(name="mini", title="Mini", fields=(Field("nama", "Nama"),))
POKJA3 = ["Rina.Marlina@bapas-jambi.go.id", "budi.santoso@gmail.com"]
SA_EMAIL = "sop-bot@bapas-jambi-test.iam.gserviceaccount.com"


@pytest.fixture
def sharing(fake: FakeGoogle, retry: RetryPolicy) -> DriveSharing:
    service = build_service("drive", "v3", credentials=AnonymousCredentials(), endpoint=drive_endpoint(fake.url))
    return DriveSharing(service, retry=retry, conn_id="google_test")


@pytest.fixture
def form_id(fake: FakeGoogle, forms: GoogleFormsBackend) -> str:
    created = forms.create_form(SPEC, title="Peterpan Triwulan I 2026")
    fake.clear()
    return created.form_id


def roles(fake: FakeGoogle, file_id: str) -> dict[str, str]:
    return {p["emailAddress"]: p["role"] for p in fake.permissions(file_id)}


def sa_connection(info: dict[str, Any], **extra: Any) -> GoogleConnection:
    return GoogleConnection.from_extras("google_test", {"keyfile_dict": json.dumps(info), **extra})


# --- sharing ---------------------------------------------------------------------------------


def test_shares_a_created_form_with_two_staff_as_writer_without_notification(
    fake: FakeGoogle, sharing: DriveSharing, form_id: str
) -> None:
    result = sharing.share(form_id, [*POKJA3, "rina.marlina@BAPAS-JAMBI.go.id", "  ", ""])
    assert result.shared == POKJA3  # de-duplicated case-insensitively, blanks ignored
    assert result.already == [] and result.failed == {} and result.ok
    assert fake.operations() == ["drive.permissions.list", "drive.permissions.create", "drive.permissions.create"]
    listing = fake.calls("drive.permissions.list")[0]
    assert listing.path == f"/drive/v3/files/{form_id}/permissions"  # Google's own path
    assert listing.param("fields") == "nextPageToken,permissions(id,emailAddress,role)"
    assert listing.param("supportsAllDrives") == "true"
    for call, email in zip(fake.calls("drive.permissions.create"), POKJA3, strict=True):
        assert call.method == "POST" and call.path == f"/drive/v3/files/{form_id}/permissions"
        assert call.body == {"type": "user", "role": "writer", "emailAddress": email}
        assert call.param("sendNotificationEmail") == "false"
        assert call.param("supportsAllDrives") == "true"
        assert call.param("fields") == "id,emailAddress,role"
        assert call.param("emailMessage") is None
        assert call.status == 200
    assert roles(fake, form_id) == {
        SA_EMAIL: "owner",  # the creator owns the form
        "rina.marlina@bapas-jambi.go.id": "writer",
        "budi.santoso@gmail.com": "writer",
    }
    assert fake.drive_notifications == []
    assert sharing.stats.calls == {"drive.permissions.list": 1, "drive.permissions.create": 2}


def test_second_call_shares_nothing_new(fake: FakeGoogle, sharing: DriveSharing, form_id: str) -> None:
    sharing.share(form_id, POKJA3)
    fake.clear()
    again = sharing.share(form_id, [e.upper() for e in POKJA3])
    assert again.shared == [] and again.failed == {}
    assert again.already == [e.upper() for e in POKJA3]
    assert fake.operations() == ["drive.permissions.list"]  # one read, no write
    assert len(fake.permissions(form_id)) == 3


def test_stronger_roles_count_as_already_weaker_ones_are_raised_and_all_pages_are_read(
    fake: FakeGoogle, sharing: DriveSharing, form_id: str
) -> None:
    fake.grant(form_id, "kepala@bapas-jambi.go.id", "writer")
    fake.grant(form_id, "tu@bapas-jambi.go.id", "reader")
    fake.drive_max_page = 1  # Google may page; the owner is on page 1, the others later
    result = sharing.share(form_id, ["kepala@bapas-jambi.go.id", "tu@bapas-jambi.go.id", SA_EMAIL],
                           role="commenter")
    assert result.already == ["kepala@bapas-jambi.go.id", SA_EMAIL]  # writer, owner >= commenter
    assert result.shared == ["tu@bapas-jambi.go.id"]  # reader < commenter: raised
    assert fake.count("drive.permissions.list") == 3
    assert fake.calls("drive.permissions.list")[1].param("pageToken")
    assert roles(fake, form_id)["tu@bapas-jambi.go.id"] == "commenter"
    assert roles(fake, form_id)[SA_EMAIL] == "owner"


def test_unsharable_address_is_reported_in_indonesian_while_the_other_is_shared(
    fake: FakeGoogle, sharing: DriveSharing, form_id: str
) -> None:
    fake.refuse_sharing_with("pensiunan.pokja@yahoo.co.id")
    result = sharing.share(form_id, ["pensiunan.pokja@yahoo.co.id", "bukan-email", "budi.santoso@gmail.com"])
    assert result.shared == ["budi.santoso@gmail.com"]
    assert not result.ok and set(result.failed) == {"pensiunan.pokja@yahoo.co.id", "bukan-email"}
    refused = result.failed["pensiunan.pokja@yahoo.co.id"]
    assert "tidak terhubung dengan akun Google" in refused and "alamat lain tetap dibagikan" in refused
    assert "bukan alamat email yang valid" in result.failed["bukan-email"]
    # The malformed address costs no request; the refused one was sent once, not retried.
    assert [c.status for c in fake.calls("drive.permissions.create")] == [400, 200]
    assert "budi.santoso@gmail.com" in roles(fake, form_id)
    assert "pensiunan.pokja@yahoo.co.id" not in roles(fake, form_id)
    assert "2 gagal" in result.summary() and "pensiunan.pokja@yahoo.co.id" in result.summary()
    assert result.to_dict()["failed"] == result.failed


def test_a_403_for_one_address_does_not_stop_the_others(
    fake: FakeGoogle, sharing: DriveSharing, form_id: str
) -> None:
    fake.fail_next(1, 403, operation="drive.permissions.create")  # e.g. a domain's sharing policy
    result = sharing.share(form_id, POKJA3)
    assert list(result.failed) == [POKJA3[0]] and "HTTP 403" in result.failed[POKJA3[0]]
    assert result.shared == [POKJA3[1]]


def test_503_then_success_is_retried(
    fake: FakeGoogle, sharing: DriveSharing, form_id: str, sleeps: list[float]
) -> None:
    fake.fail_next(1, 429, operation="drive.permissions.list")
    fake.fail_next(1, 503, operation="drive.permissions.create")
    result = sharing.share(form_id, POKJA3)
    assert result.shared == POKJA3 and result.ok
    assert [c.status for c in fake.calls("drive.permissions.list")] == [429, 200]
    assert [c.status for c in fake.calls("drive.permissions.create")] == [503, 200, 200]
    assert sleeps == [2.0, 2.0] and sharing.stats.retries == 2
    assert len(fake.permissions(form_id)) == 3  # the retried create made one permission


def test_notification_with_a_message_when_asked(fake: FakeGoogle, sharing: DriveSharing, form_id: str) -> None:
    sharing.share(form_id, POKJA3[:1], notify=True, message="Formulir Peterpan untuk dipantau Pokja 3.")
    (call,) = fake.calls("drive.permissions.create")
    assert call.param("sendNotificationEmail") == "true"
    assert call.param("emailMessage") == "Formulir Peterpan untuk dipantau Pokja 3."
    assert [n["email"] for n in fake.drive_notifications] == ["rina.marlina@bapas-jambi.go.id"]


def test_bad_arguments_are_programming_errors(sharing: DriveSharing, form_id: str) -> None:
    with pytest.raises(ValueError, match="ownership"):
        sharing.share(form_id, POKJA3, role="owner")
    with pytest.raises(ValueError, match="unknown Drive role"):
        sharing.share(form_id, POKJA3, role="editor")
    with pytest.raises(TypeError):
        sharing.share(form_id, "budi.santoso@gmail.com")
    assert sharing.share(form_id, ["", " "]).to_dict()["shared"] == []


# --- errors that concern every address -------------------------------------------------------


def test_unknown_file_raises_a_clear_error(fake: FakeGoogle, sharing: DriveSharing, form_id: str) -> None:
    with pytest.raises(GoogleNotFoundError) as caught:
        sharing.share("1TidakAdaFormulirIni", POKJA3)
    error = caught.value
    assert error.status == 404 and error.reason == "notFound"
    assert "File not found: 1TidakAdaFormulirIni." in error.message
    assert "1TidakAdaFormulirIni" in error.hint and "drive.file" in error.hint and "google_test" in error.hint
    assert fake.count("drive.permissions.create") == 0


def test_credentials_rejected_while_sharing_stop_everything(
    fake: FakeGoogle, sharing: DriveSharing, form_id: str
) -> None:
    fake.fail_next(1, 401, operation="drive.permissions.create")
    with pytest.raises(GoogleCredentialsError) as caught:
        sharing.share(form_id, POKJA3)
    # google-auth answers the 401 by trying to refresh, which anonymous credentials cannot.
    assert "cannot be refreshed" in caught.value.message
    assert fake.count("drive.permissions.create") == 1  # the second address was not tried


# --- connection and scopes -------------------------------------------------------------------


def test_connection_whose_scopes_lack_drive_file_is_refused_before_any_call(
    fake: FakeGoogle, service_account_info: dict[str, Any]
) -> None:
    conn = sa_connection(service_account_info, scopes="forms.body,forms.responses.readonly")
    with pytest.raises(GoogleConfigError) as caught:
        DriveSharing.from_connection(conn=conn, endpoint=fake.url)
    error = caught.value
    assert error.reason == "scope"
    assert scope("drive.file") in error.message and "Google Drive (membagikan formulir)" in error.message
    assert scope("drive.file") in error.hint and "google_test" in error.hint
    assert fake.requests == []
    # With drive.file (or the broader drive) added, the same connection passes.
    sa_connection(service_account_info, scopes="forms.body,forms.responses.readonly,drive.file").check_scopes(
        DRIVE_NEEDS)
    sa_connection(service_account_info, scopes="drive").check_scopes(DRIVE_NEEDS)


def test_service_account_creates_and_shares_with_narrow_scopes(
    fake: FakeGoogle, service_account_info: dict[str, Any]
) -> None:
    fake.require_auth = True
    conn = sa_connection(service_account_info)
    created = GoogleFormsBackend.from_connection(conn=conn, endpoint=fake.url).create_form(SPEC, title="x")
    sharing = DriveSharing.from_connection(conn=conn, endpoint=fake.url)  # the API root, as in the extra
    result = sharing.share(created.form_id, POKJA3)
    assert result.shared == POKJA3
    drive_calls = [r for r in fake.requests if r.operation.startswith("drive.")]
    assert {r.path for r in drive_calls} == {f"/drive/v3/files/{created.form_id}/permissions"}
    granted = fake.tokens[drive_calls[0].headers["authorization"].split()[1]]
    assert granted == {scope("drive.file")}  # only what sharing needs, not the whole of Drive
    assert roles(fake, created.form_id)[service_account_info["client_email"]] == "owner"


def test_token_without_a_drive_scope_is_refused_by_google_and_stops_everything(
    fake: FakeGoogle, service_account_info: dict[str, Any], form_id: str
) -> None:
    fake.require_auth = True
    narrow = sa_connection(service_account_info).credentials([], purpose="test").with_scopes([scope("forms.body")])
    service = build_service("drive", "v3", credentials=narrow, endpoint=drive_endpoint(fake.url))
    with pytest.raises(GoogleCredentialsError) as caught:
        DriveSharing(service, conn_id="google_test").share(form_id, POKJA3)
    assert caught.value.status == 403 and caught.value.reason == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"
    assert fake.count("drive.permissions.create") == 0


def test_scope_and_path_agree_with_the_discovery_document() -> None:
    path = os.path.join(os.path.dirname(googleapiclient.discovery_cache.__file__), "documents", "drive.v3.json")
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    methods = doc["resources"]["permissions"]["methods"]
    assert doc["servicePath"] == SERVICE_PATH and doc["rootUrl"] == "https://www.googleapis.com/"
    assert methods["create"]["path"] == methods["list"]["path"] == "files/{fileId}/permissions"
    accepted_by_both = set(methods["create"]["scopes"]) & set(methods["list"]["scopes"])
    assert set(DRIVE_SHARE.any_of) == accepted_by_both and DRIVE_SHARE.default in accepted_by_both
    assert drive_endpoint("http://proxy:8080") == drive_endpoint("http://proxy:8080/drive/v3/") \
        == "http://proxy:8080/drive/v3/"
    assert drive_endpoint(None) is None

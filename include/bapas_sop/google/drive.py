"""Sharing what the service account created (Google Forms) with people, through Google Drive.

A form created by a service account is owned by that account: office staff cannot open it
in the Forms editor (to watch responses come in) until it is shared with them. A Google
Form is a Drive file whose file id is the form id, so it is shared with Drive's
``permissions.create``, one request per person, without a notification mail by default
(the pipeline sends its own mail)::

    sharing = DriveSharing.from_connection()
    result = sharing.share(created.form_id, ["ketua.pokja3@bapas.go.id", "anggota@gmail.com"])
    result.shared, result.already, result.failed   # failed: {email: Indonesian reason}

Idempotent in effect: the file's permissions are listed once first (all pages), and an
address that already holds the role, or a stronger one (owner > organizer > fileOrganizer >
writer > commenter > reader), is reported in ``already`` and not sent again, so a retried
task does not pile up permissions or mails.

A refusal that concerns one address (400 ``invalidSharingRequest``: typically an address
with no Google account behind it; a 403 from a domain's sharing policy) does not stop the
others: it is collected in :attr:`ShareResult.failed` with an Indonesian explanation. A
failure that concerns every address (401 credentials, 404 file not found or not reachable
with ``drive.file``, missing scope, quota, 5xx after the retries) raises the
:mod:`bapas_sop.google.errors` class the other backends raise. Requests go through
:class:`ApiCaller` (retries on 429/5xx, counted).

Scope: ``drive.file`` (or ``drive``), see :data:`bapas_sop.google.credentials.DRIVE_SHARE`.

Endpoint: unlike Forms, Sheets and YouTube, whose discovery documents have an empty
``servicePath``, Drive lives under ``drive/v3/`` of its root (``https://www.googleapis.com/``),
and google-api-python-client's ``api_endpoint`` replaces root *and* service path. The
connection's ``endpoint`` extra names an API root, so :meth:`DriveSharing.from_connection`
appends ``drive/v3/`` to it: requests then carry the same path as they would to Google. A
service built by hand for :class:`DriveSharing` needs ``endpoint=root + "drive/v3/"``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from googleapiclient.errors import HttpError

from bapas_sop.google.calls import ApiCaller, RetryPolicy
from bapas_sop.google.credentials import DRIVE_NEEDS, GoogleClient, GoogleConnection
from bapas_sop.google.errors import (
    ErrorDetail,
    GoogleCredentialsError,
    GoogleError,
    GoogleNotFoundError,
    GoogleQuotaError,
)

log = logging.getLogger(__name__)

#: Where Drive v3 sits under its root URL (``servicePath`` of the drive.v3 discovery document).
SERVICE_PATH = "drive/v3/"

#: Drive's roles, weakest first; a permission with a higher rank covers a lower one.
ROLE_RANK: dict[str, int] = {
    "reader": 1,
    "commenter": 2,
    "writer": 3,
    "fileOrganizer": 4,
    "organizer": 5,
    "owner": 6,
}

_CREATE_FIELDS = "id,emailAddress,role"
# nextPageToken must be selected too: a partial response leaves out whatever is not named,
# and a list without its nextPageToken would silently stop after the first page.
_LIST_FIELDS = "nextPageToken,permissions(id,emailAddress,role)"

_EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+")

# Reasons that say nothing about one address but about the file, the account or the quota:
# the next address would fail the same way, so they are raised, not collected.
_FILE_WIDE_REASONS = frozenset({
    "ACCESS_TOKEN_SCOPE_INSUFFICIENT", "insufficientPermissions",  # scope
    "insufficientFilePermissions", "appNotAuthorizedToFile",  # we may not share this file
    "SERVICE_DISABLED", "accessNotConfigured",  # Drive API not enabled
    "sharingRateLimitExceeded",  # too many shares/mails for now
})


def drive_endpoint(root: str | None) -> str | None:
    """``http://proxy/`` → ``http://proxy/drive/v3/`` (unchanged when it already ends so)."""
    if not root:
        return None
    root = root if root.endswith("/") else root + "/"
    return root if root.endswith("/" + SERVICE_PATH) else root + SERVICE_PATH


@dataclass
class ShareResult:
    """What :meth:`DriveSharing.share` did, per address (as given, first spelling kept).

    ``shared``: a permission was created now; ``already``: the address held the role or a
    stronger one; ``failed``: the address could not be given access, with an Indonesian
    explanation for the admin (the other addresses were still shared).
    """

    file_id: str
    role: str
    shared: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Every address can now open the file."""
        return not self.failed

    def summary(self) -> str:
        """One Indonesian paragraph for a task log or a mail to the admin."""
        parts = [f"Formulir {self.file_id}: dibagikan ke {len(self.shared)} orang"]
        if self.already:
            parts.append(f"{len(self.already)} sudah punya akses")
        if self.failed:
            parts.append(f"{len(self.failed)} gagal")
        text = ", ".join(parts) + "."
        for email, reason in self.failed.items():
            text += f"\n- {email}: {reason}"
        return text

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly, for an XCom."""
        return {
            "file_id": self.file_id,
            "role": self.role,
            "shared": list(self.shared),
            "already": list(self.already),
            "failed": dict(self.failed),
        }


class DriveSharing(GoogleClient):
    """Shares Drive files (the forms we created) with people, once each.

    ``service`` is a built ``drive v3`` Resource; use :meth:`from_connection` in tasks.
    """

    API, VERSION, NEEDS, PURPOSE = "drive", "v3", DRIVE_NEEDS, "Google Drive"

    def __init__(self, service: Any, *, retry: RetryPolicy | None = None, conn_id: str | None = None) -> None:
        self._permissions = service.permissions()
        self.caller = ApiCaller(retry, conn_id=conn_id)
        self.conn_id = conn_id

    @classmethod
    def endpoint_for(cls, endpoint: str | None, conn: GoogleConnection) -> str | None:
        """Drive's root includes ``drive/v3/``, which the client drops for an ``api_endpoint``."""
        return drive_endpoint(endpoint or conn.endpoint)

    # --- reading -----------------------------------------------------------------------------

    def list_permissions(self, file_id: str) -> list[dict[str, Any]]:
        """Every permission of ``file_id`` (``id``, ``emailAddress``, ``role``), all pages."""
        params: dict[str, Any] = {"fileId": file_id, "fields": _LIST_FIELDS, "supportsAllDrives": True}
        found: list[dict[str, Any]] = []
        while True:
            try:
                page = self.caller.execute(self._permissions.list(**params), operation="drive.permissions.list")
            except GoogleError as exc:
                raise self._explained(exc, file_id) from exc.__cause__
            found.extend(page.get("permissions") or [])
            token = page.get("nextPageToken")
            if not token:
                return found
            params["pageToken"] = token

    # --- sharing -----------------------------------------------------------------------------

    def share(
        self,
        file_id: str,
        emails: Sequence[str],
        *,
        role: str = "writer",
        notify: bool = False,
        message: str | None = None,
    ) -> ShareResult:
        """Give each address ``role`` on ``file_id``; addresses already covered are skipped.

        ``notify`` makes Google send its own sharing mail (with ``message``). Addresses are
        de-duplicated case-insensitively and blanks ignored; a malformed address is reported
        in ``failed`` without a request. Raises :class:`GoogleError` for failures that
        concern every address (see the module docstring).
        """
        if isinstance(emails, str):
            raise TypeError("emails must be a list of addresses, not one string")
        if role not in ROLE_RANK:
            raise ValueError(f"unknown Drive role {role!r}; one of {sorted(ROLE_RANK, key=ROLE_RANK.get)}")
        if role == "owner":
            raise ValueError("transferring ownership is not supported by DriveSharing.share")
        result = ShareResult(file_id=file_id, role=role)
        wanted: dict[str, str] = {}
        for raw in emails:
            email = (raw or "").strip()
            key = email.lower()
            if not email or key in wanted or any(key == e.lower() for e in result.failed):
                continue
            if not _EMAIL.fullmatch(email):
                result.failed[email] = (
                    f"'{email}' bukan alamat email yang valid; periksa penulisannya di konfigurasi."
                )
                continue
            wanted[key] = email
        if not wanted:
            return result

        held: dict[str, int] = {}
        for permission in self.list_permissions(file_id):
            address = str(permission.get("emailAddress") or "").lower()
            if address:
                held[address] = max(held.get(address, 0), ROLE_RANK.get(str(permission.get("role")), 0))

        for key, email in wanted.items():
            if held.get(key, 0) >= ROLE_RANK[role]:
                result.already.append(email)
                continue
            params: dict[str, Any] = {
                "fileId": file_id,
                "body": {"type": "user", "role": role, "emailAddress": email},
                "sendNotificationEmail": notify,
                "supportsAllDrives": True,
                "fields": _CREATE_FIELDS,
            }
            if notify and message:
                params["emailMessage"] = message
            try:
                self.caller.execute(self._permissions.create(**params), operation="drive.permissions.create")
            except GoogleError as exc:
                if _concerns_everyone(exc):
                    if result.shared:
                        log.warning("Drive file %s was shared with %s before the failure below",
                                    file_id, ", ".join(result.shared))
                    raise self._explained(exc, file_id) from exc.__cause__
                result.failed[email] = _address_refused(email, role, exc)
                log.warning("Drive file %s not shared with %s: %s", file_id, email, exc.message)
                continue
            result.shared.append(email)
        log.info(
            "Drive file %s as %s: %d shared, %d already, %d failed (%s)",
            file_id, role, len(result.shared), len(result.already), len(result.failed), self.stats.summary(),
        )
        return result

    # --- errors ------------------------------------------------------------------------------

    def _explained(self, exc: GoogleError, file_id: str) -> GoogleError:
        """The error with a hint about this file, where Drive's reason allows a better one."""
        where = f"Connection Airflow '{self.conn_id}'" if self.conn_id else "Connection Google di Airflow"
        common = {"status": exc.status, "reason": exc.reason, "operation": exc.operation}
        if isinstance(exc, GoogleNotFoundError):
            return GoogleNotFoundError(
                exc.message,
                hint=(
                    f"Formulir/berkas Google '{file_id}' tidak ditemukan oleh akun pada {where}. "
                    "Periksa ID formulir. Formulir yang dibuat akun atau proyek Google Cloud lain "
                    "tidak terlihat dengan scope drive.file: bagikan manual dari Google Forms, "
                    "atau buat ulang formulirnya dengan Connection ini."
                ),
                **common,
            )
        if exc.reason in ("insufficientFilePermissions", "appNotAuthorizedToFile"):
            return GoogleCredentialsError(
                exc.message,
                hint=(
                    f"Akun pada {where} tidak berhak membagikan formulir '{file_id}' (bukan pemilik "
                    "atau editornya). Bagikan manual dari Google Forms oleh pemilik formulir."
                ),
                **common,
            )
        if exc.reason == "sharingRateLimitExceeded":
            return GoogleQuotaError(
                exc.message,
                hint="Batas berbagi Google Drive untuk akun ini tercapai. Jalankan ulang tugas beberapa "
                "saat lagi; alamat yang sudah dibagikan tidak akan dikirimi ulang.",
                **common,
            )
        return exc


def _concerns_everyone(exc: GoogleError) -> bool:
    if exc.retryable or isinstance(exc, GoogleQuotaError):
        return True  # 5xx/429 left after the retries, network: the task is retried as a whole
    if exc.status is None or exc.status in (401, 404):
        return True  # token refresh failed, bad credentials, no such file
    if exc.reason in _FILE_WIDE_REASONS:
        return True
    return exc.status not in (400, 403)


def _google_message(exc: GoogleError) -> str:
    cause = exc.__cause__
    if isinstance(cause, HttpError):
        return ErrorDetail.parse(int(cause.resp.status), cause.content).message
    return exc.message


def _address_refused(email: str, role: str, exc: GoogleError) -> str:
    """An Indonesian explanation of why ``email`` could not be given access."""
    google_says = _google_message(exc)
    if exc.reason == "invalidSharingRequest" and "no google account" in google_says.lower():
        return (
            f"{email} tidak dapat diberi akses karena alamat ini tidak terhubung dengan akun Google. "
            "Minta yang bersangkutan mendaftarkan akun Google dengan alamat ini (atau ganti dengan "
            "alamat Gmail/akun kantornya), lalu jalankan ulang tugas; alamat lain tetap dibagikan."
        )
    if exc.status == 403:
        return (
            f"Google menolak memberi akses ke {email} (HTTP 403 {exc.reason or ''}): kemungkinan "
            f"kebijakan berbagi domain melarang alamat ini. Pesan Google: {google_says}"
        ).replace("  ", " ")
    return (
        f"Google menolak memberi akses {role} ke {email} (HTTP {exc.status} {exc.reason or ''}). "
        f"Periksa alamatnya. Pesan Google: {google_says}"
    ).replace("  ", " ")

"""Errors of the Google backends: one message for the developer, one hint for the admin.

A failed Google call surfaces in an Airflow task log that two kinds of people read: the
developer, who needs the HTTP status, Google's reason code and the operation (English), and
the office's admin, who needs to know what to change in the Airflow UI (Bahasa Indonesia).
Every error here carries both, and says whether retrying the task can help
(``retryable``): a revoked key will not fix itself, a 503 usually does.

:func:`translate` turns what google-api-python-client and google-auth raise into these
classes, reading Google's error JSON (``{"error": {"code", "status", "errors", "details"}}``)
so that the reason code (``ACCESS_TOKEN_SCOPE_INSUFFICIENT``, ``quotaExceeded``, …) picks the
hint instead of a guess from the status alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import google.auth.exceptions
from googleapiclient.errors import HttpError


class GoogleError(RuntimeError):
    """Base of every Google backend error.

    ``str(exc)`` is the developer message followed by the admin hint, so that a task log
    shows both without the caller formatting anything.
    """

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        hint: str,
        status: int | None = None,
        reason: str | None = None,
        operation: str | None = None,
    ) -> None:
        self.message = message
        self.hint = hint
        self.status = status
        self.reason = reason
        self.operation = operation
        super().__init__(message)

    def __str__(self) -> str:
        return f"{self.message}\nPetunjuk untuk admin: {self.hint}"


class GoogleConfigError(GoogleError):
    """The Airflow Connection is missing, malformed, or cannot serve this API (our side)."""


class GoogleCredentialsError(GoogleError):
    """Google refused who we are or what we may do: bad key, expired token, missing scope."""


class GoogleQuotaError(GoogleError):
    """Rate limit or quota: retried with backoff already; a later run may succeed."""

    retryable = True


class GoogleNotFoundError(GoogleError):
    """The form, channel, playlist or spreadsheet does not exist or is not shared with us."""


class GoogleApiError(GoogleError):
    """Anything else Google answered with an error (5xx after retries, 400 bad request, …)."""

    def __init__(self, message: str, *, hint: str, retryable: bool = False, **kwargs: Any) -> None:
        super().__init__(message, hint=hint, **kwargs)
        self.retryable = retryable


class FormNotPublishedError(GoogleError):
    """A Google Form that respondents cannot open: it was never published or was unpublished."""


@dataclass(frozen=True)
class ErrorDetail:
    """What Google's error JSON says, flattened: status code, RPC status, reason, message."""

    code: int
    status: str
    reason: str
    message: str

    @classmethod
    def parse(cls, code: int, content: bytes | str | None) -> ErrorDetail:
        """Read both error shapes: the newer ``details[].reason`` and the older ``errors[].reason``."""
        if isinstance(content, bytes):
            content = content.decode("utf-8", "replace")
        try:
            data = json.loads(content or "{}")
        except ValueError:
            return cls(code, "", "", (content or "").strip()[:300])
        error = data.get("error") if isinstance(data, dict) else None
        if not isinstance(error, dict):
            return cls(code, "", "", str(data)[:300])
        reason = ""
        for detail in error.get("details") or []:
            if isinstance(detail, dict) and detail.get("reason"):
                reason = str(detail["reason"])
                break
        if not reason:
            for item in error.get("errors") or []:
                if isinstance(item, dict) and item.get("reason"):
                    reason = str(item["reason"])
                    break
        return cls(
            int(error.get("code") or code),
            str(error.get("status") or ""),
            reason,
            str(error.get("message") or ""),
        )


_SCOPE_REASONS = {"ACCESS_TOKEN_SCOPE_INSUFFICIENT", "insufficientPermissions"}
_API_KEY_REASONS = {"API_KEY_INVALID", "keyInvalid", "API_KEY_SERVICE_BLOCKED", "API_KEY_HTTP_REFERRER_BLOCKED"}
_DISABLED_REASONS = {"SERVICE_DISABLED", "accessNotConfigured"}
_QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded", "RATE_LIMIT_EXCEEDED", "rateLimitExceeded",
                  "userRateLimitExceeded", "RESOURCE_EXHAUSTED"}


def _where(conn_id: str | None) -> str:
    return f"Connection Airflow '{conn_id}'" if conn_id else "Connection Google di Airflow"


def translate(
    exc: BaseException,
    *,
    operation: str,
    conn_id: str | None = None,
    attempts: int = 1,
) -> GoogleError:
    """The :class:`GoogleError` for an exception raised while calling ``operation``.

    ``attempts`` is how many times the request was sent (retries included), so that a 503
    after five tries reads differently from a 400 on the first.
    """
    where = _where(conn_id)
    if isinstance(exc, GoogleError):
        return exc
    if isinstance(exc, google.auth.exceptions.RefreshError):
        text = str(exc)
        if "scope" in text.lower():
            return GoogleCredentialsError(
                f"{operation}: Google did not grant the requested OAuth scopes ({text}).",
                hint=(
                    f"Izin (scope) OAuth pada {where} kurang. Buat ulang token OAuth dengan "
                    "mencentang semua izin yang diminta, atau tambahkan scope di extra 'scopes'."
                ),
                operation=operation,
                reason="scope",
            )
        return GoogleCredentialsError(
            f"{operation}: could not obtain an access token from Google ({text}).",
            hint=(
                f"Kredensial Google pada {where} ditolak (kunci service account dicabut/salah, "
                "atau token OAuth kedaluwarsa). Buat kunci/token baru lalu perbarui Connection."
            ),
            operation=operation,
            reason="refresh",
        )
    if isinstance(exc, google.auth.exceptions.GoogleAuthError):
        return GoogleCredentialsError(
            f"{operation}: Google rejected the request and the credentials cannot be refreshed ({exc}).",
            hint=f"Periksa kredensial Google pada {where}: isi keyfile_dict/keyfile_path atau OAuth.",
            operation=operation,
            reason="credentials",
        )
    if not isinstance(exc, HttpError):
        return GoogleApiError(
            f"{operation}: {type(exc).__name__}: {exc}",
            hint="Layanan Google tidak dapat dihubungi. Periksa jaringan server; tugas akan dicoba ulang.",
            operation=operation,
            retryable=True,
        )

    status = int(exc.resp.status)
    detail = ErrorDetail.parse(status, exc.content)
    tried = f" after {attempts} attempts" if attempts > 1 else ""
    base = f"{operation}: HTTP {status} {detail.status or ''} {detail.reason or ''}".rstrip()
    text = f"{base}{tried}: {detail.message}".rstrip(": ")
    common = {"status": status, "reason": detail.reason or detail.status, "operation": operation}

    if detail.reason in _SCOPE_REASONS:
        return GoogleCredentialsError(
            text,
            hint=(
                f"Izin (scope) kredensial pada {where} tidak cukup untuk {operation}. "
                "Tambahkan scope yang diperlukan (lihat README) di extra 'scopes', lalu buat "
                "ulang token OAuth bila memakai OAuth."
            ),
            **common,
        )
    if detail.reason in _API_KEY_REASONS or (status == 400 and "api key" in detail.message.lower()):
        return GoogleCredentialsError(
            text,
            hint=(
                f"Kunci API (extra 'api_key') pada {where} tidak valid atau dibatasi. "
                "Salin ulang kunci dari Google Cloud Console → APIs & Services → Credentials."
            ),
            **common,
        )
    if detail.reason in _DISABLED_REASONS:
        return GoogleCredentialsError(
            text,
            hint=(
                "API Google ini belum diaktifkan di proyek Google Cloud milik kredensial. "
                "Aktifkan di Google Cloud Console → APIs & Services → Library."
            ),
            **common,
        )
    if status == 401:
        return GoogleCredentialsError(
            text,
            hint=(
                f"Kredensial Google pada {where} ditolak (kedaluwarsa atau salah). "
                "Perbarui kunci service account atau token OAuth."
            ),
            **common,
        )
    if status == 429 or detail.reason in _QUOTA_REASONS:
        return GoogleQuotaError(
            text,
            hint=(
                "Batas kuota/permintaan Google tercapai. Tugas akan dicoba ulang nanti; kuota harian "
                "YouTube diatur ulang tengah malam waktu Pasifik (sekitar pukul 14.00–15.00 WIB)."
            ),
            **common,
        )
    if status == 403:
        return GoogleCredentialsError(
            text,
            hint=(
                f"Akun pada {where} tidak punya akses. Bagikan formulir/spreadsheet ke email "
                "service account (atau akun OAuth) tersebut sebagai editor/pembaca."
            ),
            **common,
        )
    if status == 404:
        return GoogleNotFoundError(
            text,
            hint="Data di Google tidak ditemukan: periksa ID formulir/kanal/spreadsheet di konfigurasi "
            "dan pastikan sudah dibagikan ke akun yang dipakai.",
            **common,
        )
    if status >= 500:
        return GoogleApiError(
            text,
            hint="Layanan Google sedang bermasalah. Tugas akan dicoba ulang otomatis.",
            retryable=True,
            **common,
        )
    return GoogleApiError(
        text,
        hint="Permintaan ke Google ditolak sebagai tidak valid. Laporkan ke pengembang beserta log ini.",
        **common,
    )

"""Google credentials from an Airflow Connection, and the one place where clients are built.

The admin configures Google in one Airflow Connection (default id ``google_default``; set
``BAPAS_GOOGLE_CONN_ID`` / ``BAPAS_YOUTUBE_CONN_ID`` or pass ``conn_id`` to use others) in the
UI, a secrets backend or an ``AIRFLOW_CONN_*`` variable. Extras understood (the names of the
Airflow Google provider are accepted too, with or without the ``extra__google_cloud_platform__``
prefix, so an existing connection keeps working without installing that provider):

``api_key``
    A Google Cloud API key. Enough for public YouTube data (and for a Sheet shared as
    "anyone with the link"); never enough for Google Forms.
``keyfile_dict`` / ``keyfile_path`` (alias ``key_path``)
    A service-account JSON key (as JSON text or a path on the workers). ``subject`` makes it
    act as that Workspace user (domain-wide delegation). A file of type ``authorized_user``
    is accepted here as well.
``authorized_user`` (or ``refresh_token`` + ``client_id`` + ``client_secret``; ``token_uri``)
    An OAuth user grant of the office's Google account: what a non-Workspace office uses.
``token``
    A bare OAuth access token (expires within an hour: for trials, not production).
``scopes``
    Comma- or space-separated OAuth scopes. When given, they are checked against what the
    call needs *before* calling Google, so a missing scope is reported up front.
``num_retries``
    Retries on 429/5xx (default 5). ``endpoint``: another API root (tests, a proxy).

Clients are always built with the discovery documents shipped inside
google-api-python-client (``static_discovery=True``, no network) and always with explicit
credentials or an explicit ``http`` object: without either the library would ask Google
Application Default Credentials, which probe the cloud metadata address and hang on an
office server.

Airflow is imported lazily, only to look up the connection.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Self
from urllib.parse import parse_qsl, unquote, urlsplit

import google.auth.credentials
import google_auth_httplib2
import httplib2
from googleapiclient import discovery
from googleapiclient.http import build_http

from bapas_sop.google.errors import GoogleConfigError

log = logging.getLogger(__name__)

DEFAULT_CONN_ID = "google_default"
CONN_ID_ENV = "BAPAS_GOOGLE_CONN_ID"
YOUTUBE_CONN_ID_ENV = "BAPAS_YOUTUBE_CONN_ID"
NUM_RETRIES_ENV = "BAPAS_GOOGLE_NUM_RETRIES"
DEFAULT_NUM_RETRIES = 5

_PROVIDER_PREFIX = "extra__google_cloud_platform__"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
_SCOPE_ROOT = "https://www.googleapis.com/auth/"


def scope(name: str) -> str:
    """``"forms.body"`` → ``"https://www.googleapis.com/auth/forms.body"``; full URLs pass through."""
    return name if name.startswith("https://") else _SCOPE_ROOT + name


@dataclass(frozen=True)
class ScopeNeed:
    """What one group of calls needs: any one of ``any_of`` will do; ``default`` is requested.

    The alternatives come from the discovery documents (e.g. ``forms.create`` accepts
    ``forms.body``, ``drive.file`` or ``drive``), so a connection set up with the broader
    Drive scope still passes the check.
    """

    label: str
    default: str
    any_of: tuple[str, ...]

    def satisfied_by(self, granted: Iterable[str]) -> bool:
        return bool(set(self.any_of) & set(granted))


FORMS_EDIT = ScopeNeed(
    "Google Forms (membuat dan menerbitkan formulir)",
    scope("forms.body"),
    (scope("forms.body"), scope("drive.file"), scope("drive")),
)
FORMS_READ = ScopeNeed(
    "Google Forms (membaca formulir)",
    scope("forms.body.readonly"),
    (scope("forms.body"), scope("forms.body.readonly"), scope("drive.file"), scope("drive"),
     scope("drive.readonly")),
)
FORMS_RESPONSES = ScopeNeed(
    "Google Forms (membaca jawaban)",
    scope("forms.responses.readonly"),
    (scope("forms.responses.readonly"), scope("drive.file"), scope("drive")),
)
SHEETS_READ = ScopeNeed(
    "Google Sheets (membaca)",
    scope("spreadsheets.readonly"),
    (scope("spreadsheets.readonly"), scope("spreadsheets"), scope("drive.readonly"), scope("drive"),
     scope("drive.file")),
)
YOUTUBE_READ = ScopeNeed(
    "YouTube Data API (membaca)",
    scope("youtube.readonly"),
    (scope("youtube.readonly"), scope("youtube"), scope("youtube.force-ssl")),
)
#: ``permissions.create`` and ``permissions.list`` both accept ``drive.file`` or ``drive``
#: (drive.v3 discovery document). ``drive.file`` reaches only the files this Google Cloud
#: project created or was given: the forms it made, which is all that is shared.
DRIVE_SHARE = ScopeNeed(
    "Google Drive (membagikan formulir)",
    scope("drive.file"),
    (scope("drive.file"), scope("drive")),
)

#: What each backend asks for when the connection names no scopes.
FORMS_NEEDS = (FORMS_EDIT, FORMS_READ, FORMS_RESPONSES)
SHEETS_NEEDS = (SHEETS_READ,)
YOUTUBE_NEEDS = (YOUTUBE_READ,)
DRIVE_NEEDS = (DRIVE_SHARE,)


def default_conn_id(api: str = "google") -> str:
    """The connection id for ``api`` ("google" or "youtube"), from the environment or default."""
    if api == "youtube":
        return os.environ.get(YOUTUBE_CONN_ID_ENV) or os.environ.get(CONN_ID_ENV) or DEFAULT_CONN_ID
    return os.environ.get(CONN_ID_ENV) or DEFAULT_CONN_ID


def _json_object(value: Any, name: str, conn_id: str) -> dict[str, Any] | None:
    """Extras arrive as dicts (JSON extra) or as JSON text (UI text field, URI query)."""
    if value in (None, ""):
        return None
    if isinstance(value, Mapping):
        return dict(value)
    try:
        parsed = json.loads(str(value))
    except ValueError as exc:
        raise GoogleConfigError(
            f"Connection {conn_id!r}: extra {name!r} is not valid JSON ({exc}).",
            hint=f"Isi extra '{name}' pada Connection '{conn_id}' dengan isi berkas JSON apa adanya.",
        ) from None
    if not isinstance(parsed, dict):
        raise GoogleConfigError(
            f"Connection {conn_id!r}: extra {name!r} must be a JSON object.",
            hint=f"Isi extra '{name}' pada Connection '{conn_id}' dengan isi berkas JSON apa adanya.",
        )
    return parsed


def _split_scopes(value: Any) -> tuple[str, ...]:
    if value in (None, ""):
        return ()
    items = value if isinstance(value, (list, tuple)) else str(value).replace(",", " ").split()
    return tuple(scope(str(s).strip()) for s in items if str(s).strip())


@dataclass(frozen=True)
class GoogleConnection:
    """The Google settings of one Airflow Connection; secrets are kept out of ``repr``."""

    conn_id: str
    api_key: str | None = field(default=None, repr=False)
    keyfile_dict: Mapping[str, Any] | None = field(default=None, repr=False)
    keyfile_path: str | None = None
    authorized_user: Mapping[str, Any] | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    scopes: tuple[str, ...] = ()
    subject: str | None = None
    num_retries: int | None = None
    endpoint: str | None = None

    @classmethod
    def from_extras(cls, conn_id: str, extras: Mapping[str, Any]) -> GoogleConnection:
        """Read the extras, accepting the Google provider's names and prefix."""
        ex = {k.removeprefix(_PROVIDER_PREFIX): v for k, v in (extras or {}).items()}
        keyfile_dict = _json_object(ex.get("keyfile_dict"), "keyfile_dict", conn_id)
        authorized_user = _json_object(
            ex.get("authorized_user") or ex.get("authorized_user_info"), "authorized_user", conn_id
        )
        if authorized_user is None and ex.get("refresh_token"):
            authorized_user = {
                "refresh_token": ex.get("refresh_token"),
                "client_id": ex.get("client_id"),
                "client_secret": ex.get("client_secret"),
            }
            if ex.get("token_uri"):
                authorized_user["token_uri"] = ex["token_uri"]
        retries = ex.get("num_retries")
        try:
            num_retries = int(retries) if retries not in (None, "") else None
        except ValueError:
            raise GoogleConfigError(
                f"Connection {conn_id!r}: num_retries={retries!r} is not a number.",
                hint=f"Isi extra 'num_retries' pada Connection '{conn_id}' dengan angka, mis. 5.",
            ) from None
        return cls(
            conn_id=conn_id,
            api_key=str(ex["api_key"]).strip() if ex.get("api_key") else None,
            keyfile_dict=keyfile_dict,
            keyfile_path=str(ex.get("keyfile_path") or ex.get("key_path") or "").strip() or None,
            authorized_user=authorized_user,
            token=str(ex["token"]).strip() if ex.get("token") else None,
            scopes=_split_scopes(ex.get("scopes") or ex.get("scope")),
            subject=str(ex.get("subject") or "").strip() or None,
            num_retries=num_retries,
            endpoint=str(ex.get("endpoint") or "").strip() or None,
        )

    @classmethod
    def from_airflow(cls, conn: Any) -> GoogleConnection:
        """From a Connection of the Task SDK or of ``airflow.models`` (both have extra_dejson)."""
        return cls.from_extras(conn.conn_id, conn.extra_dejson or {})

    @classmethod
    def from_uri(cls, conn_id: str, uri: str) -> GoogleConnection:
        """Airflow's URI form: extras as query parameters, nested JSON in ``__extra__``."""
        parts = urlsplit(uri)
        extras: dict[str, Any] = {k: unquote(v) for k, v in parse_qsl(parts.query, keep_blank_values=True)}
        if "__extra__" in extras:
            extras.update(json.loads(extras.pop("__extra__")))
        return cls.from_extras(conn_id, extras)

    @classmethod
    def from_json(cls, conn_id: str, text: str) -> GoogleConnection:
        """The JSON form of an ``AIRFLOW_CONN_*`` variable (``{"conn_type": ..., "extra": {...}}``)."""
        data = json.loads(text)
        extra = data.get("extra") or {}
        if isinstance(extra, str):
            extra = json.loads(extra) if extra.strip() else {}
        return cls.from_extras(conn_id, extra)

    # --- what this connection can do -----------------------------------------------------

    @property
    def has_oauth(self) -> bool:
        """Holds credentials that act as an account (not just an API key)."""
        return bool(self.keyfile_dict or self.keyfile_path or self.authorized_user or self.token)

    def check_scopes(self, needs: Sequence[ScopeNeed]) -> None:
        """Refuse up front when the connection names scopes that cannot serve ``needs``."""
        if not self.scopes:
            return
        missing = [n for n in needs if not n.satisfied_by(self.scopes)]
        if missing:
            wanted = ", ".join(n.default for n in missing)
            labels = "; ".join(n.label for n in missing)
            raise GoogleConfigError(
                f"Connection {self.conn_id!r} lists scopes {list(self.scopes)} which do not cover "
                f"{labels}; add {wanted}.",
                hint=(
                    f"Tambahkan scope berikut pada extra 'scopes' di Connection '{self.conn_id}': "
                    f"{wanted}. Bila memakai OAuth, buat ulang token dengan izin tersebut."
                ),
                reason="scope",
            )

    def requested_scopes(self, needs: Sequence[ScopeNeed]) -> list[str]:
        """The connection's own scopes, else the narrowest ones the calls need."""
        if self.scopes:
            return list(self.scopes)
        return list(dict.fromkeys(n.default for n in needs))

    def credentials(self, needs: Sequence[ScopeNeed], *, purpose: str) -> google.auth.credentials.Credentials:
        """OAuth credentials for ``needs``: service account first, then an OAuth user grant.

        ``purpose`` names the backend in messages (e.g. "Google Forms").
        """
        self.check_scopes(needs)
        scopes = self.requested_scopes(needs)
        info = self.keyfile_dict
        if info is None and self.keyfile_path:
            info = self._read_keyfile()
        if info is not None:
            kind = info.get("type")
            if kind == "authorized_user":
                return self._user_credentials(info, scopes)
            if kind not in (None, "service_account"):
                raise GoogleConfigError(
                    f"Connection {self.conn_id!r}: key of type {kind!r} is not supported "
                    "(use a service_account key or an authorized_user grant).",
                    hint=f"Pakai kunci JSON service account pada Connection '{self.conn_id}'.",
                )
            from google.oauth2 import service_account

            try:
                creds = service_account.Credentials.from_service_account_info(info, scopes=scopes)
            except (ValueError, KeyError) as exc:
                raise GoogleConfigError(
                    f"Connection {self.conn_id!r}: the service-account key is incomplete or damaged ({exc}).",
                    hint=f"Unduh ulang kunci JSON service account lalu tempel seluruh isinya ke "
                    f"extra 'keyfile_dict' pada Connection '{self.conn_id}'.",
                ) from None
            return creds.with_subject(self.subject) if self.subject else creds
        if self.authorized_user is not None:
            return self._user_credentials(self.authorized_user, scopes)
        if self.token:
            from google.oauth2.credentials import Credentials

            return Credentials(token=self.token, scopes=scopes)
        only_key = " It only has an api_key, which Google accepts for public YouTube data only." if self.api_key else ""
        raise GoogleConfigError(
            f"Connection {self.conn_id!r} has no credentials for {purpose} "
            f"(needs keyfile_dict, keyfile_path, authorized_user or token).{only_key}",
            hint=(
                f"{purpose} memerlukan service account atau OAuth. Isi extra 'keyfile_dict' "
                f"(kunci JSON service account) atau 'authorized_user' pada Connection '{self.conn_id}'."
            ),
            reason="no_credentials",
        )

    def _read_keyfile(self) -> dict[str, Any]:
        path = Path(str(self.keyfile_path)).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise GoogleConfigError(
                f"Connection {self.conn_id!r}: keyfile_path {str(path)!r} cannot be read ({exc.strerror or exc}).",
                hint=f"Berkas kunci {path} tidak ada atau tidak bisa dibaca di server Airflow (worker). "
                "Salin berkasnya ke semua worker, atau pakai extra 'keyfile_dict'.",
            ) from None
        parsed = _json_object(text, "keyfile_path", self.conn_id)
        assert parsed is not None
        return parsed

    def _user_credentials(self, info: Mapping[str, Any], scopes: list[str]) -> google.auth.credentials.Credentials:
        from google.oauth2.credentials import Credentials

        missing = [k for k in ("refresh_token", "client_id", "client_secret") if not info.get(k)]
        if missing:
            raise GoogleConfigError(
                f"Connection {self.conn_id!r}: the OAuth grant lacks {', '.join(missing)}.",
                hint=(
                    f"Lengkapi OAuth pada Connection '{self.conn_id}': refresh_token, client_id dan "
                    "client_secret (isi berkas authorized_user.json)."
                ),
            )
        # A grant file that lists its own scopes (google-auth-oauthlib writes them) is asked
        # for exactly those: a grant of e.g. ``drive`` serves Forms too, but a refresh that
        # asked for ``forms.body`` instead would be refused as invalid_scope.
        granted = info.get("scopes")
        if isinstance(granted, str):
            granted = granted.split()
        # Built directly rather than with from_authorized_user_info, which always replaces
        # token_uri with Google's: a grant's own token_uri (a proxy, the test fake) is kept.
        return Credentials(
            token=info.get("token"),
            refresh_token=info["refresh_token"],
            token_uri=info.get("token_uri") or GOOGLE_TOKEN_URI,
            client_id=info["client_id"],
            client_secret=info["client_secret"],
            scopes=list(granted) if granted else scopes,
        )


# --- resolving the Airflow Connection ------------------------------------------------------


def _env_var_name(conn_id: str) -> str:
    return f"AIRFLOW_CONN_{conn_id.upper()}"


def _from_env(conn_id: str) -> GoogleConnection | None:
    value = os.environ.get(_env_var_name(conn_id), "").strip()
    if not value:
        return None
    if value.startswith("{"):
        return GoogleConnection.from_json(conn_id, value)
    return GoogleConnection.from_uri(conn_id, value)


def google_connection(conn_id: str | None = None, *, api: str = "google") -> GoogleConnection:
    """Resolve the Google connection ``conn_id`` (default: :func:`default_conn_id`).

    Same order as the SMTP connection: the Task SDK (inside a running task), then
    ``airflow.models.Connection`` (API server, CLI), then our own parse of
    ``AIRFLOW_CONN_<ID>`` so that scripts and tests work with no Airflow initialised.
    """
    conn_id = conn_id or default_conn_id(api)
    try:
        from airflow.sdk import BaseHook

        return GoogleConnection.from_airflow(BaseHook.get_connection(conn_id))
    except GoogleConfigError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure means "try the next source"
        log.debug("Task SDK could not resolve connection %s: %s", conn_id, exc)
    try:
        from airflow.models.connection import Connection

        return GoogleConnection.from_airflow(Connection.get_connection_from_secrets(conn_id))
    except GoogleConfigError:
        raise
    except Exception as exc:  # noqa: BLE001
        log.debug("Airflow models could not resolve connection %s: %s", conn_id, exc)
    try:
        found = _from_env(conn_id)
    except ValueError as exc:
        raise GoogleConfigError(
            f"{_env_var_name(conn_id)} cannot be parsed: {exc}",
            hint=f"Periksa isi variabel lingkungan {_env_var_name(conn_id)} (format URI atau JSON Airflow).",
        ) from None
    if found is None:
        raise GoogleConfigError(
            f"Google connection {conn_id!r} is not defined: create it in Airflow or set {_env_var_name(conn_id)}.",
            hint=(
                f"Buat Connection '{conn_id}' di Airflow (Admin → Connections) berisi kredensial "
                "Google; lihat README bagian Google."
            ),
            reason="no_connection",
        )
    return found


def num_retries_default(conn: GoogleConnection | None = None) -> int:
    """Retries on 429/5xx: the connection's extra, else ``BAPAS_GOOGLE_NUM_RETRIES``, else 5."""
    if conn is not None and conn.num_retries is not None:
        return conn.num_retries
    value = os.environ.get(NUM_RETRIES_ENV, "").strip()
    return int(value) if value else DEFAULT_NUM_RETRIES


# --- building clients ------------------------------------------------------------------------


def build_service(
    api: str,
    version: str,
    *,
    credentials: google.auth.credentials.Credentials | None = None,
    api_key: str | None = None,
    http: httplib2.Http | Any | None = None,
    endpoint: str | None = None,
) -> Any:
    """A google-api-python-client Resource for ``api``/``version``, built offline.

    Exactly what the library would do, minus its two surprises: discovery documents come
    from the package (``static_discovery=True``; no network, no file cache), and the
    transport is always explicit: ``credentials`` (wrapped around ``http`` when both are
    given), or ``http``, or a plain transport for an ``api_key``. Asking for none of these
    is a programming error rather than a silent probe of the metadata server.
    ``endpoint`` replaces the API root (``http://127.0.0.1:PORT/`` for the test fake).
    """
    if credentials is None and http is None:
        if not api_key:
            raise GoogleConfigError(
                f"build_service({api!r}, {version!r}) needs credentials, http or api_key; refusing to "
                "fall back to Application Default Credentials (metadata-server probe).",
                hint="Kredensial Google belum diatur; lihat README bagian Google.",
                reason="no_credentials",
            )
        http = build_http()
    elif credentials is not None and http is not None:
        # The library refuses both; the caller wants this transport *and* these credentials.
        http = google_auth_httplib2.AuthorizedHttp(credentials, http=http)
        credentials = None
    client_options = {"api_endpoint": endpoint} if endpoint else None
    return discovery.build(
        api,
        version,
        credentials=credentials,
        developerKey=api_key,
        http=http,
        client_options=client_options,
        static_discovery=True,
        cache_discovery=False,
    )


def service_from_connection(
    api: str,
    version: str,
    needs: Sequence[ScopeNeed],
    *,
    conn: GoogleConnection,
    purpose: str,
    api_key_ok: bool = False,
    endpoint: str | None = None,
    http: httplib2.Http | None = None,
) -> Any:
    """Build ``api`` from a connection: an API key where it suffices and no account is given.

    YouTube public data and link-shared Sheets accept an API key (``api_key_ok``); with both
    a key and account credentials, the account wins only where a key cannot work, because a
    key costs no token exchange and cannot see private data by mistake.
    """
    endpoint = endpoint or conn.endpoint
    if api_key_ok and conn.api_key:
        return build_service(api, version, api_key=conn.api_key, http=http, endpoint=endpoint)
    credentials = conn.credentials(needs, purpose=purpose)
    return build_service(api, version, credentials=credentials, http=http, endpoint=endpoint)


class GoogleClient:
    """What every Google backend shares: built from a Connection, each request through an
    :class:`~bapas_sop.google.calls.ApiCaller` (retries, counting, Indonesian errors).

    A backend names its API (``API``, ``VERSION``), the scopes it needs (``NEEDS``), what it is
    for in messages (``PURPOSE``) and which connection it uses by default (``CONNECTION``:
    ``"google"`` or ``"youtube"``); it sets ``self.caller`` in ``__init__(service, *, retry,
    conn_id)``.
    """

    API: ClassVar[str]
    VERSION: ClassVar[str]
    NEEDS: ClassVar[Sequence[ScopeNeed]]
    PURPOSE: ClassVar[str]
    CONNECTION: ClassVar[str] = "google"
    caller: Any

    @classmethod
    def api_key_ok(cls, conn: GoogleConnection) -> bool:
        """Whether an API key may stand in for account credentials here."""
        return False

    @classmethod
    def endpoint_for(cls, endpoint: str | None, conn: GoogleConnection) -> str | None:
        """The API root to build against (None: the connection's, else Google's)."""
        return endpoint

    @classmethod
    def from_connection(
        cls,
        conn_id: str | None = None,
        *,
        conn: GoogleConnection | None = None,
        retry: Any = None,
        endpoint: str | None = None,
    ) -> Self:
        """The backend for an Airflow Connection (default id per ``CONNECTION``)."""
        from bapas_sop.google.calls import RetryPolicy

        conn = conn or google_connection(conn_id, api=cls.CONNECTION)
        service = service_from_connection(
            cls.API, cls.VERSION, cls.NEEDS, conn=conn, purpose=cls.PURPOSE,
            api_key_ok=cls.api_key_ok(conn), endpoint=cls.endpoint_for(endpoint, conn),
        )
        return cls(service, retry=retry or RetryPolicy(num_retries_default(conn)), conn_id=conn.conn_id)  # type: ignore[call-arg]

    @property
    def stats(self) -> Any:
        """Requests and retries so far (for logs and quota accounting)."""
        return self.caller.stats

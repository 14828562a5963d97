"""A local fake of the Google endpoints bapas-sop calls, for the real client over real HTTP.

The tests point google-api-python-client at this server with
``client_options={"api_endpoint": fake.url}``; the client builds the same paths it would
send to Google (taken from the discovery documents shipped in the package), so a path or
parameter we get wrong fails here as it would in production. Implemented, no more:

* Forms: ``POST /v1/forms`` (create; only ``info.title``/``documentTitle`` allowed, like
  Google; new forms start unpublished, as API-created forms do from mid-2026 on),
  ``POST /v1/forms/{id}:batchUpdate`` (atomic), ``POST /v1/forms/{id}:setPublishSettings``,
  ``GET /v1/forms/{id}``, ``GET /v1/forms/{id}/responses`` (``timestamp >``/``>=`` filter,
  ``pageSize``/``pageToken``, newest first, nanosecond timestamps);
* YouTube: ``GET /youtube/v3/channels`` (``id`` or ``forHandle``), ``GET
  /youtube/v3/playlistItems`` (newest first, ``maxResults`` ≤ 50, ``pageToken``), with a
  quota counter (1 unit per list call);
* Sheets: ``GET /v4/spreadsheets/{id}/values/{range}`` (A1 ranges, ragged rows like Google);
* Drive: ``POST /drive/v3/files/{fileId}/permissions`` (create; one permission per user, a
  second create for the same address changes its role, as Drive does) and ``GET
  /drive/v3/files/{fileId}/permissions`` (``pageSize``/``pageToken``: the whole list when no
  size is asked, unless :attr:`FakeGoogle.drive_max_page` is set). Both honour Drive's
  ``fields`` partial-response selection (unknown names are a 400; without ``fields`` only
  ``kind,id,type,role`` of a permission come back). The files are the forms created here (a
  form id is a Drive file id); the account that created a form is its ``owner`` (the
  service account's ``sub``/``iss`` from its JWT, else :attr:`FakeGoogle.owner_email`); any
  other id answers Google's 404 ``notFound``. :meth:`FakeGoogle.refuse_sharing_with` makes an
  address answer 400 ``invalidSharingRequest`` like one with no Google account behind it.
  Drive's paths keep the ``drive/v3/`` service path, as at Google: a client built with
  ``api_endpoint=fake.url`` alone would send ``/files/...`` (the library's ``api_endpoint``
  replaces root *and* service path), which is answered with a 404 that says so;
* OAuth: ``POST /token`` for service-account JWTs and refresh tokens; issued access tokens
  carry the requested scopes, which are checked against each method's scopes from the
  discovery document (403 ``ACCESS_TOKEN_SCOPE_INSUFFICIENT`` like Google).

Faults are programmable: :meth:`FakeGoogle.fail_next` (the next N calls answer 429/5xx),
:meth:`FakeGoogle.fail_auth` (401/403/400 with Google's error JSON), :meth:`fail_token`,
:meth:`FakeGoogle.refuse_sharing_with`. Drive state is read with :meth:`FakeGoogle.permissions`
and seeded with :meth:`FakeGoogle.grant` (a share made by hand); Google's sharing mails (when
``sendNotificationEmail`` is true) are recorded in ``drive_notifications``.
Every request is recorded (method, path, query, body, operation, status) so tests can assert
exactly which calls, and how many, were made; :attr:`FakeGoogle.on_request`, when set, is
called with each recorded request before it is answered.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import re
import secrets
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import googleapiclient.discovery_cache

#: The API key the test fixtures configure the fake to accept.
API_KEY = "AIza-test-key"


def connection_json(extra: Mapping[str, Any]) -> str:
    """An ``AIRFLOW_CONN_*`` value in Airflow's JSON form, for connection tests."""
    return json.dumps({"conn_type": "google_cloud_platform", "extra": dict(extra)})


# --- Google's error bodies -----------------------------------------------------------------


def _error(code: int, message: str, status: str, reason: str | None = None, *,
           domain: str = "googleapis.com", legacy: Sequence[Mapping[str, str]] = ()) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if legacy:
        error["errors"] = [dict(e) for e in legacy]
    if reason:
        error["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason, "domain": domain}]
    return {"error": error}


FAULT_BODIES: dict[int, dict[str, Any]] = {
    429: _error(429, "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user'.",
                "RESOURCE_EXHAUSTED", "RATE_LIMIT_EXCEEDED"),
    500: _error(500, "Internal error encountered.", "INTERNAL"),
    502: _error(502, "Bad Gateway", "UNAVAILABLE"),
    503: _error(503, "The service is currently unavailable.", "UNAVAILABLE"),
}

AUTH_FAULTS: dict[str, tuple[int, dict[str, Any]]] = {
    "unauthenticated": (401, _error(
        401,
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
        "other valid authentication credential.",
        "UNAUTHENTICATED", "ACCESS_TOKEN_EXPIRED")),
    "insufficient_scopes": (403, _error(
        403, "Request had insufficient authentication scopes.", "PERMISSION_DENIED",
        "ACCESS_TOKEN_SCOPE_INSUFFICIENT")),
    "permission_denied": (403, _error(403, "The caller does not have permission", "PERMISSION_DENIED")),
    "api_key_invalid": (400, _error(
        400, "API key not valid. Please pass a valid API key.", "INVALID_ARGUMENT", "API_KEY_INVALID",
        legacy=[{"message": "API key not valid. Please pass a valid API key.", "domain": "global",
                 "reason": "badRequest"}])),
    "service_disabled": (403, _error(
        403, "The API has not been used in project 123 before or it is disabled.", "PERMISSION_DENIED",
        "SERVICE_DISABLED")),
    "youtube_quota": (403, {"error": {
        "code": 403,
        "message": "The request cannot be completed because you have exceeded your quota.",
        "errors": [{"message": "The request cannot be completed because you have exceeded your quota.",
                    "domain": "youtube.quota", "reason": "quotaExceeded"}]}}),
}


class _Reply(Exception):
    """Raised inside a handler to answer with ``status`` and ``body``."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def _bad(message: str) -> _Reply:
    return _Reply(400, _error(400, message, "INVALID_ARGUMENT"))


def _not_found(message: str = "Requested entity was not found.") -> _Reply:
    return _Reply(404, _error(404, message, "NOT_FOUND"))


# --- method scopes from the discovery documents -------------------------------------------

_DOCS = os.path.join(os.path.dirname(googleapiclient.discovery_cache.__file__), "documents")


def _method_scopes() -> dict[str, frozenset[str]]:
    scopes: dict[str, frozenset[str]] = {}

    def walk(resources: Mapping[str, Any]) -> None:
        for resource in resources.values():
            for method in (resource.get("methods") or {}).values():
                scopes[method["id"]] = frozenset(method.get("scopes") or ())
            walk(resource.get("resources") or {})

    for name in ("forms.v1.json", "youtube.v3.json", "sheets.v4.json", "drive.v3.json"):
        with open(os.path.join(_DOCS, name), encoding="utf-8") as fh:
            walk(json.load(fh)["resources"])
    return scopes


METHOD_SCOPES = _method_scopes()


def _drive_schema_fields() -> dict[str, frozenset[str]]:
    with open(os.path.join(_DOCS, "drive.v3.json"), encoding="utf-8") as fh:
        schemas = json.load(fh)["schemas"]
    return {name: frozenset(schemas[name]["properties"]) for name in ("Permission", "PermissionList")}


DRIVE_FIELDS = _drive_schema_fields()
#: What Drive v3 returns of a permission when the request names no ``fields``.
DRIVE_DEFAULT_PERMISSION_FIELDS = ("kind", "id", "type", "role")


# --- time -----------------------------------------------------------------------------------


def _ns(dt: datetime) -> int:
    if dt.tzinfo is None:
        raise ValueError("fake: use aware datetimes")
    delta = dt.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86400 + delta.seconds) * 10**9 + delta.microseconds * 1000


def _stamp(ns: int) -> str:
    seconds, frac = divmod(ns, 10**9)
    base = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{frac:09d}Z" if frac else f"{base}Z"


_RFC3339 = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$")


def _parse_stamp(text: str) -> int:
    match = _RFC3339.match(text)
    if not match:
        raise _bad(f"Invalid timestamp '{text}': must be RFC3339 UTC \"Zulu\" format.")
    base = datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    return _ns(base) + int((match.group(2) or "0").ljust(9, "0"))


# --- recorded requests ---------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    operation: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class _Fault:
    remaining: int
    status: int
    operation: str | None


@dataclass
class _Video:
    video_id: str
    title: str
    published_ns: int | None
    added_ns: int


# --- the fake ----------------------------------------------------------------------------------


class FakeGoogle:
    """The fake server and its state; start it with ``with FakeGoogle() as fake:``."""

    def __init__(self, *, require_auth: bool = False, api_keys: Sequence[str] | None = None,
                 forms_max_page: int = 5000, drive_max_page: int | None = None,
                 owner_email: str = "sop-bot@bapas-jambi-test.iam.gserviceaccount.com") -> None:
        self.require_auth = require_auth
        self.api_keys = set(api_keys) if api_keys is not None else None
        self.forms_max_page = forms_max_page
        #: Largest page of ``permissions.list`` (None: the whole list unless pageSize asks less).
        self.drive_max_page = drive_max_page
        #: Owner of forms created without a service-account token (anonymous, API key, OAuth grant).
        self.owner_email = owner_email
        self.drive_files: dict[str, list[dict[str, Any]]] = {}
        self.drive_notifications: list[dict[str, Any]] = []
        self.unsharable: set[str] = set()
        self.identities: dict[str, str] = {}
        self._caller: str | None = None
        self.requests: list[Recorded] = []
        self.forms: dict[str, dict[str, Any]] = {}
        self.responses: dict[str, list[dict[str, Any]]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.playlists: dict[str, list[_Video]] = {}
        self.sheets: dict[str, dict[str, list[list[str]]]] = {}
        self.tokens: dict[str, frozenset[str]] = {}
        self.refresh_grants: dict[str, frozenset[str]] = {}
        self.youtube_units = 0
        #: Called with each request once it is recorded, in the server's thread and before the
        #: answer is sent (a scenario moves its clock on after a given call). None: nothing.
        self.on_request: Callable[[Recorded], None] | None = None
        self._faults: list[_Fault] = []
        self._auth_fault: str | None = None
        self._token_error: str | None = None
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> FakeGoogle:
        fake = self

        class Handler(_Handler):
            pass

        Handler.fake = fake
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-google", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeGoogle:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "fake not started"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def token_uri(self) -> str:
        return f"{self.url}token"

    # --- programming faults ------------------------------------------------------------

    def fail_next(self, n: int, status: int, *, operation: str | None = None) -> None:
        """The next ``n`` calls (of ``operation``, e.g. ``forms.forms.create``; any if None) fail."""
        with self._lock:
            self._faults.append(_Fault(n, status, operation))

    def fail_auth(self, kind: str | None) -> None:
        """Every API call answers with the auth error ``kind`` (see AUTH_FAULTS) until reset with None."""
        if kind is not None and kind not in AUTH_FAULTS:
            raise ValueError(f"unknown auth fault {kind!r}; one of {sorted(AUTH_FAULTS)}")
        self._auth_fault = kind

    def fail_token(self, error: str | None = "invalid_grant") -> None:
        """The token endpoint refuses every grant with ``error`` until reset with None."""
        self._token_error = error

    # --- inspecting -----------------------------------------------------------------------

    def operations(self) -> list[str]:
        return [r.operation for r in self.requests]

    def count(self, operation: str) -> int:
        return sum(1 for r in self.requests if r.operation == operation)

    def calls(self, operation: str) -> list[Recorded]:
        return [r for r in self.requests if r.operation == operation]

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()
            self.youtube_units = 0

    # --- Forms state helpers ------------------------------------------------------------

    def question_id(self, form_id: str, title: str) -> str:
        for item in self.forms[form_id]["items"]:
            if item.get("title") == title and "questionItem" in item:
                return item["questionItem"]["question"]["questionId"]
        raise KeyError(f"no question titled {title!r} in form {form_id}")

    def set_publish_state(self, form_id: str, *, published: bool, accepting: bool) -> None:
        with self._lock:
            self.forms[form_id]["publishSettings"] = {
                "publishState": {"isPublished": published, "isAcceptingResponses": accepting and published}
            }

    def submit(
        self,
        form_id: str,
        answers: Mapping[str, str | Sequence[str]],
        *,
        at: datetime,
        nanos: int = 0,
        email: str | None = None,
        force: bool = False,
    ) -> str:
        """A respondent submits (answers keyed by question title); returns the response id.

        Like Google's own form page: refused when the form is not published or not accepting
        responses, when a required question is empty, or when a choice is not an option.
        ``force`` skips those checks (a response recorded before the form was closed).
        """
        with self._lock:
            form = self.forms[form_id]
            state = form["publishSettings"]["publishState"]
            if not force and not (state["isPublished"] and state["isAcceptingResponses"]):
                raise RuntimeError(f"form {form_id} does not accept responses: {state}")
            by_title = {i["title"]: i for i in form["items"] if "questionItem" in i}
            unknown = set(answers) - set(by_title)
            if unknown:
                raise KeyError(f"no such questions: {sorted(unknown)}")
            recorded: dict[str, Any] = {}
            for title, item in by_title.items():
                question = item["questionItem"]["question"]
                value = answers.get(title)
                values = [] if value in (None, "") else ([value] if isinstance(value, str) else list(value))
                if not values:
                    if question.get("required") and not force:
                        raise ValueError(f"required question {title!r} left empty")
                    continue
                choice = question.get("choiceQuestion")
                if choice and not force:
                    options = {o["value"] for o in choice["options"]}
                    if not set(values) <= options:
                        raise ValueError(f"{values} not among the options of {title!r}")
                qid = question["questionId"]
                recorded[qid] = {"questionId": qid, "textAnswers": {"answers": [{"value": v} for v in values]}}
            ns = _ns(at) + nanos
            response = {
                "responseId": f"ACYDBN{next(self._ids):06d}{secrets.token_hex(4)}",
                "createTime": _stamp(ns),
                "lastSubmittedTime": _stamp(ns),
                "answers": recorded,
                "_ns": ns,
            }
            if email:
                response["respondentEmail"] = email
            self.responses[form_id].append(response)
            return response["responseId"]

    # --- YouTube state helpers ------------------------------------------------------------

    def add_channel(self, channel_id: str, *, handle: str | None = None) -> str:
        uploads = "UU" + channel_id[2:]
        with self._lock:
            self.channels[channel_id] = {"handle": handle, "uploads": uploads}
            self.playlists.setdefault(uploads, [])
        return uploads

    def add_video(
        self,
        channel_id: str,
        video_id: str,
        title: str,
        published_at: datetime | None,
        *,
        added_at: datetime | None = None,
    ) -> None:
        """An upload; ``published_at`` None leaves out ``videoPublishedAt`` (a private video)."""
        added = added_at or published_at
        assert added is not None
        with self._lock:
            self.playlists[self.channels[channel_id]["uploads"]].append(
                _Video(video_id, title, _ns(published_at) if published_at else None, _ns(added))
            )

    # --- Sheets state helpers -----------------------------------------------------------

    def set_values(self, spreadsheet_id: str, sheet: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._lock:
            self.sheets.setdefault(spreadsheet_id, {})[sheet] = [["" if c is None else str(c) for c in r] for r in rows]

    # --- Drive state helpers -----------------------------------------------------------

    def refuse_sharing_with(self, email: str) -> None:
        """Sharing with ``email`` answers 400 ``invalidSharingRequest`` (no Google account behind it)."""
        with self._lock:
            self.unsharable.add(email.strip().lower())

    def permissions(self, file_id: str) -> list[dict[str, Any]]:
        """A copy of the file's permissions (owner first), every field."""
        with self._lock:
            return json.loads(json.dumps(self.drive_files[file_id]))

    def grant(self, file_id: str, email: str, role: str) -> None:
        """A permission given outside our code (e.g. someone shared the form by hand)."""
        with self._lock:
            self._drive_put(self.drive_files[file_id], email, role)

    def _drive_put(self, permissions: list[dict[str, Any]], email: str, role: str) -> dict[str, Any]:
        address = email.strip().lower()
        for permission in permissions:
            if permission.get("emailAddress") == address:
                if permission["role"] != "owner":
                    permission["role"] = role
                return permission
        permission = {
            "kind": "drive#permission",
            "id": str(int(hashlib.sha1(address.encode()).hexdigest()[:16], 16)).rjust(20, "0"),
            "type": "user",
            "emailAddress": address,
            "role": role,
            "displayName": address.split("@")[0],
            "deleted": False,
            "pendingOwner": False,
        }
        permissions.append(permission)
        return permission

    # --- OAuth --------------------------------------------------------------------------

    def grant_refresh_token(self, scopes: Sequence[str]) -> str:
        """A refresh token (OAuth user grant) for ``scopes``, as a consent screen would give."""
        token = "1//fake-refresh-" + secrets.token_hex(6)
        self.refresh_grants[token] = frozenset(scopes)
        return token

    # --- dispatch --------------------------------------------------------------------------

    def handle(self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes) -> tuple[int, dict[str, Any], str]:
        parts = urlsplit(raw_path)
        query = parse_qs(parts.query, keep_blank_values=True)
        path = parts.path
        ctype = headers.get("content-type", "")
        parsed: Any = None
        if body:
            if "json" in ctype:
                parsed = json.loads(body)
            else:
                parsed = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        operation, route = self._route(method, path)
        status = 200
        try:
            with self._lock:
                auth = headers.get("authorization", "")
                self._caller = self.identities.get(auth[7:]) if auth.startswith("Bearer ") else None
                if operation == "oauth.token":
                    result = self._token(parsed or {})
                else:
                    self._check_fault(operation)
                    self._check_auth(operation, headers, query)
                    if route is None:
                        hint = (" (Drive is served under /drive/v3/ as at Google: build the client with "
                                "endpoint=fake.url + 'drive/v3/', or use DriveSharing.from_connection)"
                                if path.startswith("/files/") else "")
                        raise _not_found(f"fake: no route for {method} {path}{hint}")
                    result = route(query, parsed, path)
        except _Reply as reply:
            status, result = reply.status, reply.body
        recorded = Recorded(
            method, unquote(path), query, parsed, operation, status,
            {k: v for k, v in headers.items() if k in ("authorization", "content-type")},
        )
        with self._lock:
            self.requests.append(recorded)
        if self.on_request is not None:
            self.on_request(recorded)
        return status, result, operation

    def _route(self, method: str, path: str) -> tuple[str, Any]:
        if method == "POST" and path == "/token":
            return "oauth.token", None
        if method == "POST" and path == "/v1/forms":
            return "forms.forms.create", self._forms_create
        match = re.fullmatch(r"/v1/forms/([^/:]+)(:batchUpdate|:setPublishSettings|/responses)?", path)
        if match:
            suffix = match.group(2)
            if method == "POST" and suffix == ":batchUpdate":
                return "forms.forms.batchUpdate", self._forms_batch_update
            if method == "POST" and suffix == ":setPublishSettings":
                return "forms.forms.setPublishSettings", self._forms_publish
            if method == "GET" and suffix == "/responses":
                return "forms.forms.responses.list", self._forms_responses
            if method == "GET" and suffix is None:
                return "forms.forms.get", self._forms_get
        if method == "GET" and path == "/youtube/v3/channels":
            return "youtube.channels.list", self._yt_channels
        if method == "GET" and path == "/youtube/v3/playlistItems":
            return "youtube.playlistItems.list", self._yt_playlist_items
        if method == "GET" and path == "/youtube/v3/search":
            return "youtube.search.list", None
        if method == "GET" and re.fullmatch(r"/v4/spreadsheets/[^/]+/values/[^/]+", path):
            return "sheets.spreadsheets.values.get", self._sheets_values_get
        if re.fullmatch(r"/drive/v3/files/[^/]+/permissions", path):
            if method == "POST":
                return "drive.permissions.create", self._drive_permissions_create
            if method == "GET":
                return "drive.permissions.list", self._drive_permissions_list
        return f"unknown {method} {path}", None

    def _check_fault(self, operation: str) -> None:
        for fault in self._faults:
            if fault.remaining > 0 and fault.operation in (None, operation):
                fault.remaining -= 1
                body = FAULT_BODIES.get(fault.status) or _error(fault.status, "Fault", "UNKNOWN")
                raise _Reply(fault.status, body)

    def _check_auth(self, operation: str, headers: Mapping[str, str], query: Mapping[str, list[str]]) -> None:
        if self._auth_fault:
            status, body = AUTH_FAULTS[self._auth_fault]
            raise _Reply(status, body)
        auth = headers.get("authorization", "")
        key = (query.get("key") or [None])[0]
        if auth.startswith("Bearer "):
            granted = self.tokens.get(auth[7:])
            if granted is None:
                raise _Reply(*AUTH_FAULTS["unauthenticated"])
            needed = METHOD_SCOPES.get(operation, frozenset())
            if needed and not needed & granted:
                raise _Reply(*AUTH_FAULTS["insufficient_scopes"])
            return
        if key is not None:
            if self.api_keys is not None and key not in self.api_keys:
                raise _Reply(*AUTH_FAULTS["api_key_invalid"])
            if operation.startswith("drive."):
                raise _Reply(401, {"error": {"code": 401, "message": "Login Required.", "errors": [
                    {"message": "Login Required.", "domain": "global", "reason": "required",
                     "location": "Authorization", "locationType": "header"}]}})
            if operation.startswith("forms."):
                raise _Reply(401, _error(
                    401, "API keys are not supported by this API. Expected OAuth2 access token or other "
                    "authentication credentials that assert a principal.", "UNAUTHENTICATED",
                    "CREDENTIALS_MISSING"))
            return
        if self.require_auth:
            raise _Reply(401, _error(401, "Request is missing required authentication credential.",
                                     "UNAUTHENTICATED", "CREDENTIALS_MISSING"))

    # --- OAuth token endpoint ----------------------------------------------------------------

    def _token(self, form: Mapping[str, str]) -> dict[str, Any]:
        if self._token_error:
            descriptions = {"invalid_grant": "Invalid JWT Signature."}
            raise _Reply(400, {"error": self._token_error,
                               "error_description": descriptions.get(self._token_error, self._token_error)})
        grant = form.get("grant_type", "")
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            payload = form["assertion"].split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            scopes = frozenset(str(claims.get("scope", "")).split())
            identity = str(claims.get("sub") or claims.get("iss") or "") or None
        elif grant == "refresh_token":
            granted = self.refresh_grants.get(form.get("refresh_token", ""))
            if granted is None:
                raise _Reply(400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
            asked = frozenset(form.get("scope", "").split()) or granted
            if not asked <= granted:
                raise _Reply(400, {"error": "invalid_scope",
                                   "error_description": "Some requested scopes were invalid."})
            scopes = asked
            identity = None
        else:
            raise _Reply(400, {"error": "unsupported_grant_type", "error_description": grant})
        token = "ya29.fake-" + secrets.token_hex(8)
        self.tokens[token] = scopes
        if identity:
            self.identities[token] = identity
        return {"access_token": token, "expires_in": 3599, "token_type": "Bearer", "scope": " ".join(sorted(scopes))}

    # --- Forms ------------------------------------------------------------------------------

    def _form(self, path: str) -> dict[str, Any]:
        form_id = re.match(r"/v1/forms/([^/:]+)", path).group(1)  # type: ignore[union-attr]
        form = self.forms.get(form_id)
        if form is None:
            raise _not_found()
        return form

    def _forms_create(self, query: Mapping[str, list[str]], body: Any, path: str) -> dict[str, Any]:
        body = body or {}
        info = body.get("info") or {}
        extra = set(body) - {"info"} or set(info) - {"title", "documentTitle"}
        if extra:
            raise _bad("Only info.title and info.document_title can be set when creating a form. "
                       "To add items and change settings, use batchUpdate.")
        if not info.get("title"):
            raise _bad("info.title is required.")
        form_id = "1" + secrets.token_urlsafe(24).replace("-", "x").replace("_", "y")
        # The fake follows the mid-2026 behaviour: API-created forms start unpublished.
        form = {
            "formId": form_id,
            "info": {"title": info["title"], "documentTitle": info.get("documentTitle") or info["title"]},
            "settings": {},
            "revisionId": "00000001",
            "responderUri": f"https://docs.google.com/forms/d/e/1FAIpQLS{form_id[:20]}/viewform",
            "items": [],
            "publishSettings": {"publishState": {"isPublished": False, "isAcceptingResponses": False}},
        }
        self.forms[form_id] = form
        self.responses[form_id] = []
        self.drive_files[form_id] = []
        self._drive_put(self.drive_files[form_id], self._caller or self.owner_email, "owner")
        return json.loads(json.dumps(form))

    def _forms_get(self, query: Mapping[str, list[str]], body: Any, path: str) -> dict[str, Any]:
        form = self._form(path)
        return json.loads(json.dumps(form))

    def _forms_publish(self, query: Mapping[str, list[str]], body: Any, path: str) -> dict[str, Any]:
        form = self._form(path)
        state = ((body or {}).get("publishSettings") or {}).get("publishState")
        if not isinstance(state, dict) or "isPublished" not in state or "isAcceptingResponses" not in state:
            raise _bad("When updating publish_state, both is_published and is_accepting_responses must be set.")
        if state["isAcceptingResponses"] and not state["isPublished"]:
            raise _bad("is_accepting_responses cannot be true when is_published is false.")
        form["publishSettings"] = {"publishState": {"isPublished": bool(state["isPublished"]),
                                                    "isAcceptingResponses": bool(state["isAcceptingResponses"])}}
        return {"formId": form["formId"], "publishSettings": json.loads(json.dumps(form["publishSettings"]))}

    def _forms_batch_update(self, query: Mapping[str, list[str]], body: Any, path: str) -> dict[str, Any]:
        form = self._form(path)
        requests = (body or {}).get("requests")
        if not requests:
            raise _bad("requests must not be empty.")
        items = json.loads(json.dumps(form["items"]))
        info = dict(form["info"])
        replies: list[dict[str, Any]] = []
        used = {i["itemId"] for i in items}
        for n, request in enumerate(requests):
            if len(request) != 1:
                raise _bad(f"requests[{n}]: exactly one kind of request expected")
            kind, payload = next(iter(request.items()))
            if kind == "updateFormInfo":
                mask = payload.get("updateMask")
                if not mask:
                    raise _bad(f"requests[{n}].updateFormInfo.updateMask is required")
                for name in mask.split(","):
                    info[name.strip()] = payload.get("info", {}).get(name.strip(), "")
                replies.append({})
            elif kind == "createItem":
                item = json.loads(json.dumps(payload.get("item") or {}))
                location = payload.get("location")
                if not isinstance(location, dict) or "index" not in location:
                    raise _bad(f"requests[{n}].createItem.location.index is required")
                if not 0 <= location["index"] <= len(items):
                    raise _bad(f"requests[{n}]: index {location['index']} out of range")
                question_ids = self._check_item(n, item)
                item_id = secrets.token_hex(4)
                while item_id in used:
                    item_id = secrets.token_hex(4)
                used.add(item_id)
                item["itemId"] = item_id
                items.insert(location["index"], item)
                replies.append({"createItem": {"itemId": item_id, "questionId": question_ids}})
            else:
                raise _bad(f"requests[{n}]: {kind} is not supported by this fake")
        form["items"] = items
        form["info"] = info
        form["revisionId"] = f"{int(form['revisionId']) + 1:08d}"
        return {"replies": replies, "writeControl": {"requiredRevisionId": form["revisionId"]}}

    def _check_item(self, n: int, item: dict[str, Any]) -> list[str]:
        if not item.get("title"):
            raise _bad(f"requests[{n}]: item title is required")
        question = (item.get("questionItem") or {}).get("question")
        if question is None:
            raise _bad(f"requests[{n}]: only question items are supported by this fake")
        kinds = [k for k in ("textQuestion", "choiceQuestion", "scaleQuestion", "dateQuestion", "timeQuestion")
                 if k in question]
        if len(kinds) != 1:
            raise _bad(f"requests[{n}]: a question needs exactly one kind, got {kinds}")
        choice = question.get("choiceQuestion")
        if choice is not None:
            if choice.get("type") not in ("RADIO", "CHECKBOX", "DROP_DOWN"):
                raise _bad(f"requests[{n}]: choiceQuestion.type is required")
            values = [o.get("value") for o in choice.get("options") or []]
            if not values or any(not v for v in values):
                raise _bad(f"requests[{n}]: options must be non-empty")
            if len(set(values)) != len(values):
                raise _bad(f"requests[{n}]: duplicate option values are not allowed")
        scale = question.get("scaleQuestion")
        if scale is not None and (scale.get("low") not in (0, 1) or not 2 <= int(scale.get("high", 0)) <= 10):
            raise _bad(f"requests[{n}]: scale must go from 0 or 1 to 2..10")
        qid = secrets.token_hex(4)
        question["questionId"] = qid
        return [qid]

    def _forms_responses(self, query: Mapping[str, list[str]], body: Any, path: str) -> dict[str, Any]:
        form = self._form(path)
        responses = sorted(self.responses[form["formId"]], key=lambda r: r["_ns"], reverse=True)
        flt = (query.get("filter") or [""])[0]
        if flt:
            match = re.fullmatch(r"\s*timestamp\s*(>=|>)\s*(\S+)\s*", flt)
            if not match:
                raise _bad(f"Invalid filter: {flt!r}. Only 'timestamp > N' and 'timestamp >= N' are supported.")
            bound = _parse_stamp(match.group(2))
            strict = match.group(1) == ">"
            responses = [r for r in responses if r["_ns"] > bound or (not strict and r["_ns"] == bound)]
        size = int((query.get("pageSize") or ["0"])[0]) or 5000
        size = min(size, self.forms_max_page)
        offset = 0
        token = (query.get("pageToken") or [None])[0]
        if token:
            try:
                state = json.loads(base64.urlsafe_b64decode(token.encode()))
            except ValueError:
                raise _bad("Invalid page token.") from None
            if state.get("filter") != flt:
                raise _bad("The filter must be the same as for the request that returned the page token.")
            offset = int(state["offset"])
        page = responses[offset:offset + size]
        reply: dict[str, Any] = {}
        if page:
            reply["responses"] = [{k: v for k, v in r.items() if not k.startswith("_")} for r in page]
        if offset + size < len(responses):
            reply["nextPageToken"] = base64.urlsafe_b64encode(
                json.dumps({"offset": offset + size, "filter": flt}).encode()).decode()
        return reply

    # --- YouTube -----------------------------------------------------------------------------

    def _yt_channels(self, query: Mapping[str, list[str]], body: Any, path: str) -> dict[str, Any]:
        self.youtube_units += 1
        part = (query.get("part") or [""])[0]
        if not part:
            raise _bad("No filter selected. Expected one of: ... (part is required)")
        wanted_ids = (query.get("id") or [""])[0].split(",") if query.get("id") else []
        handle = (query.get("forHandle") or [None])[0]
        if not wanted_ids and handle is None:
            raise _bad("No filter selected. Expected one of: forHandle, id, mine, ...")
        items = []
        for channel_id, channel in self.channels.items():
            if channel_id in wanted_ids or (handle and channel["handle"] and
                                            channel["handle"].lstrip("@").lower() == handle.lstrip("@").lower()):
                item: dict[str, Any] = {"kind": "youtube#channel", "etag": "e", "id": channel_id}
                if "contentDetails" in part.split(","):
                    item["contentDetails"] = {"relatedPlaylists": {"likes": "", "uploads": channel["uploads"]}}
                items.append(item)
        reply: dict[str, Any] = {"kind": "youtube#channelListResponse", "etag": "e",
                                 "pageInfo": {"totalResults": len(items), "resultsPerPage": 5}}
        if items:
            reply["items"] = items
        return reply

    def _yt_playlist_items(self, query: Mapping[str, list[str]], body: Any, path: str) -> dict[str, Any]:
        self.youtube_units += 1
        parts = (query.get("part") or [""])[0].split(",")
        playlist_id = (query.get("playlistId") or [""])[0]
        if playlist_id not in self.playlists:
            message = "The playlist identified with the request's <code>playlistId</code> parameter cannot be found."
            raise _Reply(404, {"error": {"code": 404, "message": message, "errors": [
                {"message": message, "domain": "youtube.playlistItem", "reason": "playlistNotFound",
                 "location": "playlistId", "locationType": "parameter"}]}})
        size = int((query.get("maxResults") or ["5"])[0])
        if not 0 <= size <= 50:
            raise _bad("Invalid value '%d'. Values must be within the range: [0, 50]" % size)
        videos = sorted(self.playlists[playlist_id], key=lambda v: v.added_ns, reverse=True)
        token = (query.get("pageToken") or [None])[0]
        offset = int(base64.urlsafe_b64decode(token.encode())) if token else 0
        page = videos[offset:offset + size]
        items = []
        for position, video in enumerate(page, start=offset):
            item: dict[str, Any] = {"kind": "youtube#playlistItem", "etag": "e", "id": f"PLI{video.video_id}"}
            if "snippet" in parts:
                item["snippet"] = {
                    "publishedAt": _stamp(video.added_ns - video.added_ns % 10**9),
                    "channelId": "UC" + playlist_id[2:],
                    "title": video.title,
                    "description": "",
                    "playlistId": playlist_id,
                    "position": position,
                    "resourceId": {"kind": "youtube#video", "videoId": video.video_id},
                }
            if "contentDetails" in parts:
                details = {"videoId": video.video_id}
                if video.published_ns is not None:
                    details["videoPublishedAt"] = _stamp(video.published_ns - video.published_ns % 10**9)
                item["contentDetails"] = details
            items.append(item)
        reply: dict[str, Any] = {"kind": "youtube#playlistItemListResponse", "etag": "e", "items": items,
                                 "pageInfo": {"totalResults": len(videos), "resultsPerPage": size}}
        if offset + size < len(videos):
            reply["nextPageToken"] = base64.urlsafe_b64encode(str(offset + size).encode()).decode()
        return reply

    # --- Sheets ------------------------------------------------------------------------------

    def _sheets_values_get(self, query: Mapping[str, list[str]], body: Any, path: str) -> dict[str, Any]:
        match = re.fullmatch(r"/v4/spreadsheets/([^/]+)/values/([^/]+)", path)
        assert match
        spreadsheet_id, a1 = unquote(match.group(1)), unquote(match.group(2))
        book = self.sheets.get(spreadsheet_id)
        if book is None:
            raise _not_found()
        sheet_name, cells = _split_a1(a1, book)
        if sheet_name not in book:
            raise _bad(f"Unable to parse range: {a1}")
        grid = book[sheet_name]
        c1, r1, c2, r2 = _parse_cells(cells, a1)
        last_row = max(len(grid), 1000) if r2 is None else r2
        last_col = max((len(r) for r in grid), default=1) - 1 if c2 is None else c2
        rows = []
        for row in grid[r1 - 1:last_row]:
            rows.append(list(row[c1:last_col + 1]))
        while rows and not any(rows[-1]):
            rows.pop()
        rows = [_trim(r) for r in rows]
        quoted = sheet_name if re.fullmatch(r"\w+", sheet_name) else "'" + sheet_name.replace("'", "''") + "'"
        reply: dict[str, Any] = {
            "range": f"{quoted}!{_col(c1)}{r1}:{_col(last_col)}{last_row}",
            "majorDimension": (query.get("majorDimension") or ["ROWS"])[0],
        }
        if rows:
            reply["values"] = rows
        return reply

    # --- Drive -------------------------------------------------------------------------------

    def _drive_file(self, path: str) -> tuple[str, list[dict[str, Any]]]:
        file_id = unquote(re.match(r"/drive/v3/files/([^/]+)/", path).group(1))  # type: ignore[union-attr]
        permissions = self.drive_files.get(file_id)
        if permissions is None:
            message = f"File not found: {file_id}."
            raise _Reply(404, {"error": {"code": 404, "message": message, "errors": [
                {"message": message, "domain": "global", "reason": "notFound",
                 "location": "fileId", "locationType": "parameter"}]}})
        return file_id, permissions

    def _drive_permissions_create(self, query: Mapping[str, list[str]], body: Any, path: str) -> dict[str, Any]:
        selection = _drive_fields(query, "Permission")
        file_id, permissions = self._drive_file(path)
        body = body or {}
        for name in ("type", "role"):
            if not body.get(name):
                raise _drive_error(400, f"The permission {name} field is required.", "required",
                                   location=f"permission.{name}")
        role = body["role"]
        if role not in ("owner", "organizer", "fileOrganizer", "writer", "commenter", "reader"):
            raise _drive_error(400, f"The value of the field 'permission.role' is invalid: {role}.",
                               "invalid", location="permission.role")
        if body["type"] != "user":
            raise _drive_error(400, f"fake: only type=user permissions are implemented, not {body['type']}.",
                               "invalid", location="permission.type")
        email = str(body.get("emailAddress") or "").strip()
        if not email:
            raise _drive_error(400, "The permission emailAddress field is required.", "required",
                               location="permission.emailAddress")
        if role == "owner" and (query.get("transferOwnership") or ["false"])[0] != "true":
            raise _drive_error(403, "The transferOwnership parameter must be enabled when the permission "
                               "role is 'owner'.", "forbidden", location="transferOwnership")
        notify = (query.get("sendNotificationEmail") or ["true"])[0] == "true"
        message = (query.get("emailMessage") or [None])[0]
        if message is not None and not notify:
            # A guard of the fake: our code must not send a message that would never be mailed.
            raise _drive_error(400, "fake: emailMessage given with sendNotificationEmail=false.", "badRequest",
                               location="emailMessage")
        if email.lower() in self.unsharable:
            raise _drive_error(400, (
                f'Bad Request. User message: "You are trying to invite {email}. Since there is no Google '
                'account associated with this email address, you must check the \"Notify people\" box to '
                'invite this recipient."'), "invalidSharingRequest")
        permission = self._drive_put(permissions, email, role)
        if notify:
            self.drive_notifications.append({"file_id": file_id, "email": permission["emailAddress"],
                                             "message": message})
        return _select(permission, selection, DRIVE_DEFAULT_PERMISSION_FIELDS)

    def _drive_permissions_list(self, query: Mapping[str, list[str]], body: Any, path: str) -> dict[str, Any]:
        selection = _drive_fields(query, "PermissionList")
        _, permissions = self._drive_file(path)
        asked = int((query.get("pageSize") or ["0"])[0])
        if asked and not 1 <= asked <= 100:
            raise _drive_error(400, f"Invalid value '{asked}'. Values must be within the range: [1, 100]",
                               "invalid", location="pageSize")
        size = asked or len(permissions) or 1
        if self.drive_max_page:
            size = min(size, self.drive_max_page)
        token = (query.get("pageToken") or [None])[0]
        offset = 0
        if token:
            try:
                offset = int(base64.urlsafe_b64decode(token.encode()).decode().removeprefix("perm:"))
            except ValueError:
                raise _drive_error(400, "Invalid Value", "invalid", location="pageToken") from None
        reply: dict[str, Any] = {
            "kind": "drive#permissionList",
            "permissions": json.loads(json.dumps(permissions[offset:offset + size])),
        }
        if offset + size < len(permissions):
            reply["nextPageToken"] = base64.urlsafe_b64encode(f"perm:{offset + size}".encode()).decode()
        if selection is None:  # Drive's default: the list, and a few fields of each permission
            reply["permissions"] = [_select(p, None, DRIVE_DEFAULT_PERMISSION_FIELDS) for p in reply["permissions"]]
            return reply
        return _select(reply, selection, ())


def _drive_error(status: int, message: str, reason: str, *, location: str | None = None) -> _Reply:
    """Drive v3's error shape: the older ``errors[]`` list, no ``status``/``details``."""
    item = {"message": message, "domain": "global", "reason": reason}
    if location:
        item.update(location=location, locationType="parameter")
    return _Reply(status, {"error": {"code": status, "message": message, "errors": [item]}})


_FIELD_TOKEN = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*|\*)\s*")


def _parse_fields(text: str) -> dict[str, Any]:
    """Drive's ``fields`` selection: ``a,b(c,d)`` → ``{"a": None, "b": {"c": None, "d": None}}``."""
    pos = 0

    def parse_list() -> dict[str, Any]:
        nonlocal pos
        out: dict[str, Any] = {}
        while True:
            match = _FIELD_TOKEN.match(text, pos)
            if not match:
                raise _drive_error(400, f"Invalid field selection {text}", "invalidParameter", location="fields")
            pos = match.end()
            sub = None
            if text.startswith("(", pos):
                pos += 1
                sub = parse_list()
                if not text.startswith(")", pos):
                    raise _drive_error(400, f"Invalid field selection {text}", "invalidParameter", location="fields")
                pos += 1
            out[match.group(1)] = sub
            if text.startswith(",", pos):
                pos += 1
                continue
            return out

    selection = parse_list()
    if pos != len(text):
        raise _drive_error(400, f"Invalid field selection {text}", "invalidParameter", location="fields")
    return selection


def _drive_fields(query: Mapping[str, list[str]], schema: str) -> dict[str, Any] | None:
    """The request's ``fields``, checked against the discovery schema (None: not given)."""
    text = (query.get("fields") or [None])[0]
    if text is None:
        return None
    selection = _parse_fields(text)

    def check(sel: dict[str, Any], schema_name: str) -> None:
        for name, sub in sel.items():
            if name == "*":
                continue
            if name not in DRIVE_FIELDS[schema_name]:
                raise _drive_error(400, f"Invalid field selection {name}", "invalidParameter", location="fields")
            if sub is not None:
                if schema_name == "PermissionList" and name == "permissions":
                    check(sub, "Permission")
                else:
                    raise _drive_error(400, f"Invalid field selection {name}", "invalidParameter",
                                       location="fields")

    check(selection, schema)
    return selection


def _select(obj: Any, selection: dict[str, Any] | None, default: Sequence[str]) -> Any:
    """A partial response: only the selected names (``default`` when nothing was selected)."""
    if selection is None:
        selection = {name: None for name in default} if default else None
    if selection is None or "*" in selection:
        return obj
    if isinstance(obj, list):
        return [_select(item, selection, ()) for item in obj]
    return {k: _select(obj[k], sub, ()) for k, sub in selection.items() if k in obj}


def _trim(row: list[str]) -> list[str]:
    while row and row[-1] == "":
        row = row[:-1]
    return row


def _col(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = chr(65 + rem) + name
    return name


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def _split_a1(a1: str, book: Mapping[str, Any]) -> tuple[str, str]:
    """``Sheet!A1:K``, ``'My sheet'!A1``, a bare sheet name, or bare cells of the first sheet."""
    if "!" in a1:
        sheet, cells = a1.rsplit("!", 1)
    elif a1 in book or a1.strip("'").replace("''", "'") in book:
        sheet, cells = a1, ""
    else:
        sheet, cells = next(iter(book)), a1
    if sheet.startswith("'") and sheet.endswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    return sheet, cells


def _parse_cells(cells: str, a1: str) -> tuple[int, int, int | None, int | None]:
    if not cells:
        return 0, 1, None, None
    match = re.fullmatch(r"([A-Za-z]+)(\d*)(?::([A-Za-z]+)(\d*))?", cells)
    if not match:
        raise _bad(f"Unable to parse range: {a1}")
    c1 = _col_index(match.group(1))
    r1 = int(match.group(2) or 1)
    c2 = _col_index(match.group(3)) if match.group(3) else None
    r2 = int(match.group(4)) if match.group(4) else None
    return c1, r1, c2, r2


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGoogle
    protocol_version = "HTTP/1.1"
    timeout = 10

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, result, _ = self.fake.handle(self.command, self.path, headers, body)
        data = json.dumps(result).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = _serve
    do_POST = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
        pass

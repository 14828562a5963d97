"""Google backends: Forms (surveys), YouTube Data (the Bus Mini upload check), Sheets (tables).

Plain google-api-python-client + google-auth, not the Airflow Google provider (which would
pull in a 1.5 GB dependency tree). Credentials come from an Airflow Connection
(:mod:`bapas_sop.google.credentials`), every request is retried on 429/5xx and counted
(:mod:`bapas_sop.google.calls`), and every failure carries an Indonesian hint for the admin
(:mod:`bapas_sop.google.errors`). The embedded default needs none of this: it uses the
built-in forms and CSV files.

Names are loaded on first use (PEP 562): a DAG file may import this package at parse time
without paying for googleapiclient and pandas (about a second each on this machine).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type checkers and IDEs; at run time see __getattr__ below
    from bapas_sop.google.calls import ApiCaller, CallStats, RetryPolicy
    from bapas_sop.google.credentials import DEFAULT_CONN_ID, GoogleConnection, build_service, google_connection
    from bapas_sop.google.errors import (
        FormNotPublishedError,
        GoogleApiError,
        GoogleConfigError,
        GoogleCredentialsError,
        GoogleError,
        GoogleNotFoundError,
        GoogleQuotaError,
    )
    from bapas_sop.google.forms import (
        CreatedForm,
        FormResponse,
        GoogleFormsBackend,
        PublishState,
        RejectedResponse,
        RejectReason,
        ResponseBatch,
        issue_tokens,
        prefilled_url,
    )
    from bapas_sop.google.sheets import SheetsReader
    from bapas_sop.google.youtube import Upload, YouTubeBackend, wib_week_window

_EXPORTS: dict[str, str] = {
    "ApiCaller": "calls",
    "CallStats": "calls",
    "RetryPolicy": "calls",
    "DEFAULT_CONN_ID": "credentials",
    "GoogleConnection": "credentials",
    "build_service": "credentials",
    "google_connection": "credentials",
    "FormNotPublishedError": "errors",
    "GoogleApiError": "errors",
    "GoogleConfigError": "errors",
    "GoogleCredentialsError": "errors",
    "GoogleError": "errors",
    "GoogleNotFoundError": "errors",
    "GoogleQuotaError": "errors",
    "CreatedForm": "forms",
    "FormResponse": "forms",
    "GoogleFormsBackend": "forms",
    "PublishState": "forms",
    "RejectReason": "forms",
    "RejectedResponse": "forms",
    "ResponseBatch": "forms",
    "issue_tokens": "forms",
    "prefilled_url": "forms",
    "SheetsReader": "sheets",
    "Upload": "youtube",
    "YouTubeBackend": "youtube",
    "wib_week_window": "youtube",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])

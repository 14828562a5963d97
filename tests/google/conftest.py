"""Fixtures of the Google tests: the fake server and real clients pointed at it.

Every client here is built with explicit credentials (``AnonymousCredentials`` or a
service-account key whose token endpoint is the fake) or an explicit ``http=`` with an API
key: never with neither, which would make google-auth probe the cloud metadata address.
Retries sleep into a list instead of sleeping, with ``rand() = 1`` so the exponential
backoff is visible as 2, 4, 8 … seconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httplib2
import pytest
from tests.support.fake_google import API_KEY, FakeGoogle
from google.auth.credentials import AnonymousCredentials

from bapas_sop.google.calls import RetryPolicy
from bapas_sop.google.credentials import build_service
from bapas_sop.google.forms import GoogleFormsBackend
from bapas_sop.google.sheets import SheetsReader
from bapas_sop.google.youtube import YouTubeBackend

@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with FakeGoogle(api_keys=[API_KEY]) as server:
        yield server


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def retry(sleeps: list[float]) -> RetryPolicy:
    return RetryPolicy(num_retries=3, sleep=sleeps.append, rand=lambda: 1.0)


@pytest.fixture
def forms(fake: FakeGoogle, retry: RetryPolicy) -> GoogleFormsBackend:
    service = build_service("forms", "v1", credentials=AnonymousCredentials(), endpoint=fake.url)
    return GoogleFormsBackend(service, retry=retry, conn_id="google_test")


@pytest.fixture
def youtube(fake: FakeGoogle, retry: RetryPolicy) -> YouTubeBackend:
    service = build_service("youtube", "v3", api_key=API_KEY, http=httplib2.Http(timeout=10), endpoint=fake.url)
    return YouTubeBackend(service, retry=retry, conn_id="google_test")


@pytest.fixture
def sheets(fake: FakeGoogle, retry: RetryPolicy) -> SheetsReader:
    service = build_service("sheets", "v4", credentials=AnonymousCredentials(), endpoint=fake.url)
    return SheetsReader(service, retry=retry, conn_id="google_test")


@pytest.fixture(scope="session")
def rsa_private_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture
def service_account_info(fake: FakeGoogle, rsa_private_key_pem: str) -> dict[str, Any]:
    """A service-account key as downloaded from Google Cloud, with the fake as token endpoint."""
    return {
        "type": "service_account",
        "project_id": "bapas-jambi-test",
        "private_key_id": "0123456789abcdef",
        "private_key": rsa_private_key_pem,
        "client_email": "sop-bot@bapas-jambi-test.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": fake.token_uri,
    }


"""Benchmark: a Google Forms survey round trip through the real client against the local fake.

Prints how long creating a form takes (three requests) and how long reading and checking
N responses takes (paged ``responses.list`` + label mapping + FormSpec validation + the
one-vote-per-person check), plus the request counts. The fake answers on loopback, so the
figures are our own overhead, not Google's latency.

    .venv/bin/python bench/google_forms_read.py [N]
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "google"))

from fake_google import FakeGoogle  # noqa: E402
from google.auth.credentials import AnonymousCredentials  # noqa: E402

from bapas_sop.forms.spec import Choice, Field, FormSpec, Kind  # noqa: E402
from bapas_sop.google.credentials import build_service  # noqa: E402
from bapas_sop.google.forms import TOKEN_TITLE, GoogleFormsBackend, issue_tokens  # noqa: E402

SPEC = FormSpec(
    name="bench_vote",
    title="Survei",
    fields=(
        Field("calon", "Pegawai pilihan", Kind.PERSON, choices_from="candidates"),
        Field("alasan", "Alasan", Kind.LONG_TEXT),
        Field("nilai", "Nilai", Kind.RATING),
        Field("aspek", "Aspek", Kind.MULTI_CHOICE, choices=(Choice("a", "Disiplin"), Choice("b", "Pelayanan"))),
    ),
)


def main(n: int) -> None:
    candidates = [{"value": f"nip{i:03d}", "label": f"Pegawai {i:03d}"} for i in range(60)]
    context = {"candidates": candidates}
    voters = [f"voter{i:05d}" for i in range(n)]
    with FakeGoogle() as fake:
        service = build_service("forms", "v1", credentials=AnonymousCredentials(), endpoint=fake.url)
        backend = GoogleFormsBackend(service, page_size=500)
        started = time.perf_counter()
        created = backend.create_form(SPEC, title="Bench", context=context)
        create_s = time.perf_counter() - started
        tokens = issue_tokens(created.form_id, voters, secret="bench")
        t0 = datetime(2026, 3, 2, tzinfo=UTC)
        for i, voter in enumerate(voters):
            fake.submit(created.form_id, {
                "Pegawai pilihan": candidates[i % 60]["label"], "Alasan": "Teladan", "Nilai": str(1 + i % 5),
                "Aspek": ["Disiplin"], TOKEN_TITLE: tokens[voter]}, at=t0 + timedelta(seconds=i))
        fake.clear()
        started = time.perf_counter()
        batch = backend.list_responses(created.form_id, spec=SPEC, tokens=tokens, context=context, layout=created)
        read_s = time.perf_counter() - started
    print(f"create form (3 requests): {create_s * 1000:.1f} ms")
    print(f"read + check {n} responses: {read_s * 1000:.1f} ms over {batch.pages} page(s) "
          f"({len(batch.accepted)} accepted, {len(batch.rejected)} rejected); requests: {len(fake.requests)}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)

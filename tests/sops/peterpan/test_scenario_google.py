"""Peterpan on Google Forms: the survey is a real Google Form (the real client, over HTTP, to
the local fake of Google), every ballot a personal prefilled link, the votes read back.

The office votes on "Google": each employee opens the link from their email and submits the
form on the fake. Putri first votes for herself (refused; she is told and votes again),
someone forges a code, Dedi submits twice (only the first counts), four never answer. At the
closing time the form is closed, read once more in full, and the unanswered ballots become
abstentions. The rest of the run (certificate, rewards) is the usual one.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from bapas_sop.mail.devserver import InboxMessage

from tests.support.scenario import DEDI, KABAPAS, KASUBSI_BKA, KASUBSI_BKD, PUTRI, RINA, RIZKI, audit_events, form_requests, messages, task_states, today_wib
from tests.sops.peterpan.test_scenario import AGUS, BAMBANG, DEWI, FAJAR, HASAN, INDRA, LESTARI, MAYA, SITI, VOTERS, _email_of, _nip_of

from tests.support.fake_google import FakeGoogle, connection_json  # noqa: E402

RUN_TIMEOUT = 400
CLOSES_IN = timedelta(seconds=50)

#: Rina wins clearly; Putri tries herself first; four never answer.
PLAN: dict[str, str | None] = {
    KABAPAS: RINA, KASUBSI_BKA: RINA, DEDI: RINA, PUTRI: RINA, RIZKI: RINA, BAMBANG: RINA,
    RINA: DEDI, KASUBSI_BKD: DEDI, SITI: DEDI, FAJAR: DEDI,
    DEWI: MAYA, AGUS: MAYA,
    INDRA: None, MAYA: None, HASAN: None, LESTARI: None,
}
CHOICE_TITLE = "Pegawai yang Anda pilih"
REASON_TITLE = "Alasan Anda memilihnya"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch):
    """The fake Google, and the office's connection to it: a service-account key (what
    docs/google.md sets up), whose token endpoint is the fake."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    with FakeGoogle(require_auth=True) as server:
        key = {
            "type": "service_account", "project_id": "bapas-jambi", "private_key_id": "k1", "private_key": pem,
            "client_email": "sop-bot@bapas-jambi.iam.gserviceaccount.com", "client_id": "1",
            "token_uri": server.token_uri,
        }
        monkeypatch.setenv("AIRFLOW_CONN_GOOGLE_DEFAULT", connection_json({"keyfile_dict": key, "endpoint": server.url}))
        yield server


@pytest.fixture
def peterpan_dag(dags: dict[str, Any]):
    """The DAG, reading the Google Form every second instead of every ten minutes."""
    dag = dags["peterpan"]
    collector = dag.get_task("pengisian_survei.kumpulkan_jawaban_google")
    before = collector.poll_interval, collector.min_deferral
    # dag.test() runs the trigger inline, so the real triggerer's minimum wait does not apply.
    collector.poll_interval, collector.min_deferral = 1.0, timedelta(0)
    yield dag
    collector.poll_interval, collector.min_deferral = before


def _label(nip: str) -> str:
    from bapas_sop.directory import get_directory
    from bapas_sop.sops.peterpan.rules import candidate_option

    return candidate_option(get_directory().get(nip))["label"]


def _google_link(message: InboxMessage) -> str:
    [link] = [link for link in message.links if link.startswith("https://docs.google.com/forms/")]
    return link


@pytest.mark.timeout(RUN_TIMEOUT)
def test_a_quarter_voted_on_google_forms(peterpan_dag, run_dag, smtp_server, fake):
    from bapas_sop.google.forms import TOKEN_TITLE
    from bapas_sop.store.models import utcnow

    maildir = smtp_server.maildir
    tries: Counter[str] = Counter()
    links: dict[str, str] = {}

    def vote_on_google(message: InboxMessage, page: str | None) -> None:
        assert page is None, "a Google ballot must not link to our own form page"
        voter = _nip_of(message.to[0])
        link = _google_link(message)
        links.setdefault(voter, link)
        choice = PLAN[voter]
        if choice is None:
            return None
        [form_id] = fake.forms
        token = next(v[0] for k, v in parse_qs(urlsplit(link).query).items() if k.startswith("entry."))
        tries[voter] += 1
        if voter == PUTRI and tries[voter] == 1:
            choice = PUTRI  # the shared form lists her too
        answers = {CHOICE_TITLE: _label(choice), TOKEN_TITLE: token, REASON_TITLE: f"Teladan ({voter[-3:]})."}
        fake.submit(form_id, answers, at=utcnow())
        if voter == DEDI:  # submits again: only the first counts
            fake.submit(form_id, {**answers, CHOICE_TITLE: _label(MAYA)}, at=utcnow())
        if voter == KABAPAS:  # someone edits the code in a copied link
            fake.submit(form_id, {**answers, TOKEN_TITLE: "kode-palsu"}, at=utcnow())
        return None

    closes_at = utcnow() + CLOSES_IN
    dagrun, responder = run_dag(peterpan_dag, {
        "triwulan": "2026-Q3", "formulir": "google", "ditutup_pada": closes_at.isoformat(),
    }, {
        "Survei Peterpan": vote_on_google,
        "Persetujuan sertifikat": {"keputusan": "setuju", "kutipan": "Atas keteladanan selama Triwulan III 2026."},
        "Kirim foto": {"tautan_foto": "https://drive.example/peterpan/rina.jpg"},
        "Cetak sertifikat": {"sertifikat_dicetak": "ya", "bingkisan": "Plakat",
                             "tanggal_penyerahan": today_wib().isoformat()},
    })

    states = task_states(dagrun)
    assert dagrun.state == "success", states

    # One form, created unpublished, filled in one batch, published; closed at the deadline.
    [form_id] = fake.forms
    ops = Counter(fake.operations())
    assert ops["forms.forms.create"] == 1 and ops["forms.forms.batchUpdate"] == 1
    publishes = [c.body["publishSettings"]["publishState"] for c in fake.calls("forms.forms.setPublishSettings")]
    assert publishes[0] == {"isPublished": True, "isAcceptingResponses": True}
    assert publishes[-1] == {"isPublished": True, "isAcceptingResponses": False}
    reads = fake.calls("forms.forms.responses.list")
    assert any((r.param("filter") or "").startswith("timestamp > ") for r in reads), "later reads use the timestamp filter"
    assert reads[-1].param("filter") is None, "the last read, after closing, reads everything"

    # Shared through Drive with Pokja 3 (Hasan) as editor, who is told where to watch it.
    assert {p["emailAddress"]: p["role"] for p in fake.permissions(form_id) if p.get("emailAddress")}.get(
        _email_of(HASAN)) == "writer"
    [told] = messages(maildir, subject="Survei Peterpan Triwulan III 2026 telah dibuat")
    assert "Google Forms" in told.text and f"https://docs.google.com/forms/d/{form_id}/edit" in told.links

    # Every voter got their own prefilled link, none to our form pages.
    ballots = messages(maildir, subject="[Perlu tindakan] Survei Peterpan Triwulan III 2026")
    assert sorted(m.to[0] for m in ballots) == sorted(_email_of(n) for n in VOTERS)
    assert len(set(links.values())) == len(VOTERS) and all("usp=pp_url" in link for link in links.values())

    # Putri's vote for herself was refused; she was told why, with the same link, and voted again.
    [refused] = messages(maildir, subject="Jawaban Anda belum dihitung: Survei Peterpan Triwulan III 2026")
    assert refused.to == [_email_of(PUTRI)]
    assert "memilih diri sendiri" in refused.text and _google_link(refused) == links[PUTRI]
    assert tries[PUTRI] == 2

    refusals = [e for e in audit_events() if e.action == "google_response_rejected"]
    assert Counter(e.detail["reason"] for e in refusals) == Counter(not_allowed=1, unknown_token=1, duplicate_vote=1)

    # The ballots: answered from Google with the time of submission, the silent four abstain.
    requests = form_requests(dagrun.run_id)
    ballot_requests = {k.rsplit("/", 1)[-1]: r for k, r in requests.items() if k.startswith("pengisian_survei/")}
    assert Counter(r.status for r in ballot_requests.values()) == Counter(answered=12, expired=4)
    assert {n for n, r in ballot_requests.items() if r.status == "expired"} == {INDRA, MAYA, HASAN, LESTARI}
    dedi = ballot_requests[DEDI].latest_response
    assert dedi.link_id.startswith("google:") and dedi.data["pilihan"] == RINA  # his first submission

    [tally] = [e for e in audit_events(run_id=dagrun.run_id) if e.action == "peterpan_tally"]
    counts = {c["nip"]: c["votes"] for c in tally.detail["counts"]}
    assert tally.detail["status"] == "winner" and tally.detail["top"] == [RINA]
    assert (counts[RINA], counts[DEDI], counts[MAYA]) == (6, 4, 2)
    assert (tally.detail["voted"], tally.detail["voters"]) == (12, 16)
    assert tally.detail["rejected"] == []  # refusals never reached the tally: they were not counted

    news = messages(maildir, subject="Pengumuman Pegawai Terbaik (Peterpan) Triwulan III 2026")
    assert news and "Rina Marlina" in news[0].text and "12 dari 16 pegawai (75%)" in news[0].text

"""HumanTaskHook as an Airflow hook: its connection conventions and the Test button's check."""

from __future__ import annotations

import socket

import pytest

from bapas_sop.airflow.hooks import HumanTaskHook


def test_the_hook_owns_the_smtp_connection_by_airflows_conventions() -> None:
    assert HumanTaskHook.conn_name_attr == "smtp_conn_id"
    assert HumanTaskHook.default_conn_name == "bapas_smtp"
    assert HumanTaskHook.conn_type == "smtp"
    assert HumanTaskHook().smtp_conn_id == "bapas_smtp"
    assert HumanTaskHook(smtp_conn_id="surat_kantor").smtp_conn_id == "surat_kantor"


def test_the_connection_test_passes_when_store_and_mail_server_answer(smtp_server) -> None:
    ok, message = HumanTaskHook().test_connection()

    assert ok, message
    assert "bapas_smtp" in message


def test_the_connection_test_names_a_mail_server_that_does_not_answer(project, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("AIRFLOW_CONN_BAPAS_SMTP", f"smtp://127.0.0.1:{port}?timeout=3")

    ok, message = HumanTaskHook().test_connection()

    assert not ok
    assert message.startswith("Server email bapas_smtp tidak dapat dihubungi")


def test_the_context_manager_gives_one_session_and_closes_it(smtp_server) -> None:
    with HumanTaskHook().get_conn() as session:
        assert session.smtp.noop()[0] == 250
    assert session.is_closed

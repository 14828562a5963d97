"""An admin records a Litmas request letter through the Airflow UI of the real running system.

The real processes (API server with the forms app, scheduler, DAG processor, triggerer, local
SMTP server) are started on free ports in a temporary folder. In chromium the admin signs in to
Airflow, opens the sp2lo DAG, fills the Trigger form (the DAG's typed Params: text, date and
enum fields), triggers, and sees the run. The REST API confirms the run and its parameters; the
first task registers the case and emails the acknowledgement (tanda terima) to the requester.
The admin then opens /bapas/admin/inbox in the same browser: the bapas admin pages accept
Airflow's login cookie, and the acknowledgement is listed there.

Airflow's UI is a React app: selectors are roles and visible names (buttons, dialog,
comboboxes, options) plus the ``element_<param>`` ids Airflow gives its Params fields.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bapas_sop.devstack import ADMIN_PASSWORD, ADMIN_USER, Stack, StackConfig, free_port
from bapas_sop.sops.sp2lo.terms import CATEGORIES, LITMAS_TYPES, REQUESTING_AGENCIES

from .conftest import DESKTOP

pytestmark = [pytest.mark.browser, pytest.mark.system]

LETTER = {
    "nomor_surat": "B/77/XI/2026/Reskrim",
    "nama_instansi": "Polresta Jambi",
    "nama_pemohon": "Iptu Budi Santoso",
    "email_pemohon": "budi@polresta-jambi.example",
    "nama_klien": "Andi Pratama",
}
LETTER_DATE = "2026-11-26"
CHOICES = {"instansi": "penyidik", "kategori": "anak", "jenis_litmas": "sidang_anak"}
CHOICE_LABELS = {"instansi": "Instansi pemohon", "kategori": "Kategori klien", "jenis_litmas": "Jenis Litmas"}
CHOICE_DISPLAY = {
    "instansi": REQUESTING_AGENCIES[CHOICES["instansi"]],
    "kategori": CATEGORIES[CHOICES["kategori"]],
    "jenis_litmas": LITMAS_TYPES[CHOICES["jenis_litmas"]],
}


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    """The whole system as plain processes, on free ports, stopped (by process group) at the end."""
    config = StackConfig(home=tmp_path / "stack", api_port=free_port(), smtp_port=free_port())
    running = Stack(config)
    started = time.monotonic()
    try:
        running.prepare()
        running.start()
        running.wait_ready(timeout=240)
        print(f"stack prepared and answering in {time.monotonic() - started:.0f} s")
        yield running
    except BaseException:
        for log in sorted(running.log_dir.glob("*.log")):
            print(f"----- {log.name} (last lines)\n" + "\n".join(log.read_text(errors="replace").splitlines()[-30:]))
        raise
    finally:
        running.stop()


class Api:
    """The few REST calls the test needs, with the admin's token."""

    def __init__(self, stack: Stack) -> None:
        self.base = stack.config.base_url
        self.token = stack.token()

    def get(self, path: str) -> Any:
        request = urllib.request.Request(f"{self.base}{path}", headers={"Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def wait_for(self, what: str, check, timeout: float = 180, every: float = 1.0) -> Any:
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            try:
                last = check()
            except urllib.error.HTTPError as exc:
                last = exc
            else:
                if last:
                    return last
            time.sleep(every)
        raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def _fill_trigger_form(page, dialog) -> None:
    for name, value in LETTER.items():
        dialog.locator(f"#element_{name}").fill(value)
    dialog.locator("#element_tanggal_surat").fill(LETTER_DATE)
    for name, label in CHOICE_LABELS.items():
        dialog.get_by_role("combobox", name=label).click()
        page.get_by_role("option", name=CHOICE_DISPLAY[name], exact=True).click()
        # The chosen label shows in the field, and the hidden value is the enum value.
        assert dialog.locator(f"input[name=element_{name}]").input_value() == CHOICES[name], name


def test_admin_triggers_sp2lo_with_params_and_sees_the_acknowledgement(stack, chromium, shot, request_log):
    started = time.monotonic()
    api = Api(stack)
    base = stack.config.base_url
    # The DAG processor parses the DAG files shortly after start; the UI needs the DAG to exist.
    api.wait_for("the sp2lo DAG to be parsed", lambda: api.get("/api/v2/dags/sp2lo").get("dag_id") == "sp2lo")

    print(f"sp2lo parsed {time.monotonic() - started:.0f} s after the stack answered")
    context = chromium.new_context(viewport=DESKTOP, locale="id-ID", timezone_id="Asia/Jakarta")
    page = context.new_page()
    page.set_default_timeout(30_000)
    request_log.attach(page)
    try:
        # 1. Sign in to Airflow.
        # The React app finds it has no session and sends the browser to the login page.
        page.goto(f"{base}/")
        page.wait_for_url("**/auth/login**")
        page.get_by_label("Username").wait_for()
        page.get_by_label("Username").fill(ADMIN_USER)
        page.get_by_label("Password").fill(ADMIN_PASSWORD)
        shot(page, "admin-01-login")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/auth/login" not in url)
        assert any(cookie["name"] == "_token" for cookie in context.cookies()), "no Airflow login cookie"

        # 2. The sp2lo DAG and its Trigger form with the typed Params.
        page.goto(f"{base}/dags/sp2lo", wait_until="networkidle")
        trigger = page.get_by_role("button", name="Trigger Dag")
        trigger.wait_for()
        shot(page, "admin-02-dag")
        trigger.click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_role("heading", name="Trigger Dag").wait_for()
        dialog.locator("#element_nama_klien").wait_for()
        _fill_trigger_form(page, dialog)
        # The dialog scrolls inside the window: a tall window shows the whole form at once.
        page.set_viewport_size({"width": DESKTOP["width"], "height": 2200})
        shot(page, "admin-03-trigger-form")
        page.set_viewport_size(DESKTOP)
        dialog.get_by_role("button", name="Trigger", exact=True).click()

        # 3. The UI goes to the new run; the REST API knows it, with the typed parameters.
        page.wait_for_url("**/dags/sp2lo/runs/**")
        run_id = urllib.parse.unquote(page.url.split("/dags/sp2lo/runs/", 1)[1].split("?")[0].strip("/"))
        runs = api.get("/api/v2/dags/sp2lo/dagRuns?order_by=-start_date")["dag_runs"]
        run = next((r for r in runs if r["dag_run_id"] == run_id), None)
        assert run is not None, f"run {run_id} not in {[r['dag_run_id'] for r in runs]}"
        assert run["run_type"] == "manual"
        conf = run["conf"]
        assert {k: conf[k] for k in LETTER} == LETTER
        assert conf["tanggal_surat"] == LETTER_DATE
        assert {k: conf[k] for k in CHOICES} == CHOICES
        page.get_by_text(run_id).first.wait_for()
        shot(page, "admin-04-run")

        # The first task registers the case and sends the acknowledgement.
        def first_task_done() -> dict | None:
            ti = api.get(f"/api/v2/dags/sp2lo/dagRuns/{urllib.parse.quote(run_id)}/taskInstances/permintaan_litmas")
            return ti if ti["state"] in ("success", "failed", "upstream_failed") else None

        task = api.wait_for("permintaan_litmas to finish", first_task_done)
        assert task["state"] == "success", task
        print(f"first task done {time.monotonic() - started:.0f} s after the stack answered")

        # The runs list of the DAG shows the run too.
        page.goto(f"{base}/dags/sp2lo/runs", wait_until="networkidle")
        page.get_by_text(run_id).first.wait_for()
        shot(page, "admin-05-runs")

        # 4. The bapas admin inbox, opened with Airflow's login cookie, lists the acknowledgement.
        subject = "Tanda terima permintaan Litmas"
        deadline = time.monotonic() + 60
        while True:
            response = page.goto(f"{base}/bapas/admin/inbox", wait_until="load")
            assert response.status == 200, f"the admin inbox refused Airflow's login: {response.status}"
            row = page.locator("tr", has_text=subject)
            if row.count() or time.monotonic() > deadline:
                break
            time.sleep(2)
        assert row.count() == 1, page.inner_text("body")
        assert LETTER["email_pemohon"] in row.first.inner_text()
        assert "LITMAS-" in row.first.inner_text()
        shot(page, "admin-06-inbox")
    finally:
        context.close()

    # Without the cookie the same page asks for a login: it is the cookie that opened it.
    anonymous = chromium.new_context(viewport=DESKTOP)
    try:
        stranger = anonymous.new_page()
        response = stranger.goto(f"{base}/bapas/admin/inbox")
        assert response.status == 401 and "Perlu masuk" in stranger.inner_text("body")
    finally:
        anonymous.close()
    assert not request_log.outside(), f"the UI loaded something from outside: {request_log.outside()}"

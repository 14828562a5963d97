"""The ``Email keluar`` admin page: an email that can never be sent, or keeps failing, is seen.

Real outbox rows: queued through :mod:`bapas_sop.mail.outbox`, sent to the real dev SMTP
server, or failed against a port where nothing listens.
"""

from __future__ import annotations

import re
import socket

from bapas_sop.mail.connection import SmtpSettings
from bapas_sop.mail.outbox import enqueue, flush
from bapas_sop.store.db import session_scope

ADMIN = {"x-test-admin": "yes"}


def _closed_port() -> int:
    """A port with nothing listening on it (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _queue(key: str, to: str, subject: str) -> str:
    with session_scope() as session:
        enqueue(session, key=key, to=to, subject=subject, html=f"<p>{subject}</p>", text=subject)
    return key


def _section(page: str, anchor: str) -> str:
    """The part of the page from the heading card ``anchor`` to the next one."""
    start = page.index(f'id="{anchor}"')
    following = [page.index(f'id="{a}"') for a in ("gagal", "tertahan") if page.index(f'id="{a}"') > start]
    return page[start:min(following, default=len(page))]


def _count(page: str, label: str) -> int:
    found = re.search(rf"<th>{label}</th><td>(?:<span[^>]*>)?(\d+)", page)
    assert found, f"no count for {label!r}"
    return int(found.group(1))


def test_outbox_page_shows_what_failed_for_good_and_what_keeps_failing(web, smtp_server):
    down = SmtpSettings.from_uri(f"smtp://127.0.0.1:{_closed_port()}?timeout=2")
    sent = _queue("sp2lo/run1/tanda_terima/ok@contoh.example", "ok@contoh.example", "Tanda terima terkirim")
    assert flush(keys=[sent]).sent == 1  # the dev server of the test
    unsendable = _queue("sp2lo/run1/tanda_terima/pemohon", "pémohon@contoh.example",
                        "Tanda terima <b>permintaan</b> Litmas")
    older_stuck = _queue("sp2lo/run1/penunjukan/pk1@bapas.example", "pk1@bapas.example", "Penunjukan PK lama")
    newer_stuck = _queue("sp2lo/run2/penunjukan/pk2@bapas.example", "pk2@bapas.example", "Penunjukan PK baru")
    for _ in range(3):
        assert flush(down, keys=[older_stuck, newer_stuck]).connection_error
    tried_once = _queue("sp2lo/run3/penunjukan/pk3@bapas.example", "pk3@bapas.example", "Penunjukan PK sekali")
    assert flush(down, keys=[tried_once]).connection_error

    page = web.get("/bapas/admin/outbox", headers=ADMIN)

    assert page.status_code == 200
    text = page.text
    assert "<h1>Email keluar</h1>" in text
    assert (_count(text, "Gagal permanen"), _count(text, "Antre"), _count(text, "Sedang dikirim"),
            _count(text, "Terkirim")) == (1, 3, 0, 1)
    failed = _section(text, "gagal")
    assert unsendable in failed and "pémohon@contoh.example" in failed
    assert "alamat tidak dapat dikirim (permanen)" in failed
    assert "Tanda terima &lt;b&gt;permintaan&lt;/b&gt; Litmas" in failed  # shown, never as markup
    assert "<b>permintaan</b>" not in text
    stuck = _section(text, "tertahan")
    assert "3 kali dicoba" in stuck
    assert older_stuck in stuck and newer_stuck in stuck
    assert stuck.index(newer_stuck) < stuck.index(older_stuck)  # newest first
    assert "ConnectionRefusedError" in stuck  # the last error, as recorded
    assert "<td>3</td>" in stuck and "dicoba terakhir" in stuck and "dibuat" in stuck
    assert tried_once not in text and sent not in text  # one failure is not stuck yet; sent is done
    assert 'href="/bapas/admin/outbox"' in text  # in the admin menu, like every admin page


def test_empty_outbox_page_says_so(web, project):
    page = web.get("/bapas/admin/outbox", headers=ADMIN)
    assert page.status_code == 200
    assert "Tidak ada email yang gagal permanen." in page.text
    assert "Tidak ada email yang tertahan." in page.text
    assert 'name="viewport"' in page.text and 'class="scroll"' in page.text  # usable on a phone


def test_outbox_page_needs_a_login(web, project):
    assert web.get("/bapas/admin/outbox").status_code == 401

"""A person at the other end of the emails: reads the inbox and answers forms over HTTP.

Runs in a thread beside ``dag.test()``: each time a new form email arrives for a step it
knows, it opens the emailed link, reads the page like a person would, and posts an answer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bapas_sop.mail.devserver import InboxMessage, read_inbox

from tests.support.forms import form_links, open_form

Answer = Mapping[str, Any] | Callable[[InboxMessage, str], Mapping[str, Any]]


@dataclass
class Responder:
    """Answers form emails whose subject contains a key of ``answers`` (first match wins).

    An answer is a dict of form fields, or a callable taking the email and the page HTML
    (to read choices from it). A callable that returns None has dealt with the email itself
    (e.g. handed the step over to a stand-in) and nothing is posted. An email whose link is
    not one of our form pages (a Google Form) goes to the callable with no page (None). ``answered`` records
    (subject, recipient, data) in order; ``handled`` the (subject, recipient) of the others.
    """

    client: Any
    maildir: Any
    answers: dict[str, Answer]
    answered: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    handled: list[tuple[str, str]] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Responder:
        self._thread = threading.Thread(target=self._run, name="responder", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.answer_pending()
            except BaseException as exc:  # noqa: BLE001 - surfaced by the test
                import traceback

                traceback.print_exc()
                self.errors.append(exc)
                self._fail_open_steps()
                return
            time.sleep(0.3)

    def _fail_open_steps(self) -> None:
        """End the run quickly: expire every open step so the waiting sensor fails."""
        from sqlalchemy import update

        from bapas_sop.store.db import session_scope
        from bapas_sop.store.models import FormRequest, utcnow

        with session_scope() as session:
            session.execute(update(FormRequest).where(FormRequest.status == "open").values(expires_at=utcnow()))

    def answer_pending(self) -> None:
        for message in sorted(read_inbox(self.maildir), key=lambda m: m.id):
            if message.id in self._seen or not message.subject.startswith("[Perlu tindakan]"):
                continue
            answer = next((a for key, a in self.answers.items() if key in message.subject), None)
            if answer is None:
                continue
            self._seen.add(message.id)
            if not form_links(message):  # answered elsewhere (a Google Form): the callable does it itself
                if not callable(answer) or answer(message, None) is not None:
                    raise AssertionError(f"{message.subject!r} has no form link of ours to post an answer to")
                self.handled.append((message.subject, message.to[0]))
                continue
            page = open_form(self.client, message)
            print(f"responder: {message.subject!r} -> GET {page.status_code}", flush=True)
            if page.status_code != 200:
                continue  # a link that was handed over: its new holder gets a new email
            result = answer(message, page.text) if callable(answer) else answer
            if result is None:
                self.handled.append((message.subject, message.to[0]))
                continue
            data = dict(result)
            posted = page.answer(data)
            if posted.status_code != 303:
                raise AssertionError(f"answer to {message.subject!r} refused: {posted.status_code}\n{posted.text[:2000]}")
            self.answered.append((message.subject, message.to[0], data))

"""The task that brings a Google Form's answers into the human steps it stands for.

With the built-in forms every answer lands in our store the moment it is posted. A Google
Form keeps its answers at Google, so something has to read them: this operator reads the
form every ``poll_interval`` until the form's closing time, recording each counted answer as
its person's step answer (:func:`bapas_sop.google.form_steps.collect`), then closes the form,
reads it all once more and expires the steps still open. The ballot sensors downstream then
find every step settled.

Between two reads the task is deferred on Airflow's own ``DateTimeTrigger``: no worker slot is
held for the days a survey runs, and a read that fails (Google down, quota) is retried by
Airflow's task retries without losing anything, because each read starts again from what the
store already holds. A read that fails while the survey is open is only logged (the next one
catches up); the last read, after closing, must succeed, so it is left to the task's retries.
With no binding (the run uses the built-in forms) it does nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.providers.standard.triggers.temporal import DateTimeTrigger
from airflow.sdk import BaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context


MIN_DEFERRAL = timedelta(seconds=30)
DEFAULT_POLL_SECONDS = 600.0


class GoogleFormCollectOperator(BaseOperator):
    """Reads a Google Form into its human steps until it closes; returns the last pass.

    :param binding: a :class:`~bapas_sop.google.form_steps.FormBinding` as a dict (templated,
        usually an XCom), or None/empty when the run does not use Google Forms.
    :param poll_interval: seconds between two reads; None (the default) takes
        ``[google] forms_poll_seconds`` from the office configuration at run time (600). Each
        read is one ``forms.get`` plus one ``responses.list`` per page: a 10-minute interval
        over a week is ~2,000 requests, far inside the Forms API's per-minute quota.
    """

    template_fields: Sequence[str] = ("binding",)
    ui_color = "#e8f0fe"

    def __init__(self, *, binding: Mapping[str, Any] | str | None, poll_interval: float | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.binding = binding
        self.poll_interval = poll_interval
        # Shorter waits hit apache/airflow#72716 in a real triggerer (seen at 5 s here); only
        # ``dag.test()``, which runs triggers inline, may lower it.
        self.min_deferral = MIN_DEFERRAL

    def execute(self, context: Context) -> dict[str, Any] | None:
        return self.read_again(context)

    def read_again(self, context: Context, event: Any = None) -> dict[str, Any] | None:
        from bapas_sop.google import form_steps
        from bapas_sop.google.errors import GoogleError
        from bapas_sop.store.models import utcnow

        if not self.binding:
            self.log.info("This run uses the built-in forms: no Google Form to read.")
            return None
        binding = form_steps.FormBinding.from_dict(self.binding)  # type: ignore[arg-type]
        now = utcnow()
        final = now >= binding.closes_at
        try:
            result = form_steps.collect(binding, final=final, now=now)
        except (GoogleError, OSError) as exc:
            # The last read must succeed (the task's retries cover it; nothing is expired before),
            # and a wrong connection or a deleted form will not fix itself: fail now, visibly.
            if final or not (isinstance(exc, OSError) or exc.retryable):
                raise
            # A passing outage during the survey (5xx, quota, network): the next read takes it all.
            self.log.warning("Reading Google Form %s failed; trying again at the next read: %s",
                             binding.form.form_id, exc)
        else:
            if final:
                return result.as_dict()
        # The next read at the poll interval or at closing, whichever is first, but never within
        # seconds of this one: a trigger that fires right after a worker deferred can get its
        # task marked failed (apache/airflow#72716), and a read just past closing is still final.
        poll = timedelta(seconds=self._poll_seconds())
        next_read = max(min(now + poll, binding.closes_at), now + self.min_deferral)
        self.log.info("Next read of Google Form %s at %s", binding.form.form_id, next_read.isoformat())
        self.defer(trigger=DateTimeTrigger(moment=next_read), method_name="read_again")
        return None  # not reached: defer raises

    def _poll_seconds(self) -> float:
        if self.poll_interval is not None:
            return float(self.poll_interval)
        from bapas_sop.settings import get_settings

        return float(get_settings().config.get("google", {}).get("forms_poll_seconds", DEFAULT_POLL_SECONDS))


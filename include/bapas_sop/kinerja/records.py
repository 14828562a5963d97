"""The step frame of :mod:`bapas_sop.kinerja.steps`, read from the project's own tables.

Every human step of every SOP is a ``form_request`` row: who was asked (and whether a stand-in
or a hand-over put someone else there), when it was due, whether it was reminded, escalated,
answered or left to expire. Nothing here reads the audit trail's action strings or Airflow's
logs: the figures come from the records the steps themselves keep.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import String, Text, cast, select, type_coerce

from bapas_sop.descriptor import discover
from bapas_sop.directory import DirectoryError, get_directory
from bapas_sop.kinerja.steps import STEP_COLUMNS, empty_steps, normalise
from bapas_sop.store.db import session_scope
from bapas_sop.store.models import FormRequest

#: Steps of DAGs no SOP claims (none today) are counted under this key.
OTHER_SOP = "lainnya"
#: A step addressed to a named person rather than a role.
NO_ROLE = "perorangan"


def dag_to_sop() -> dict[str, str]:
    """Every SOP DAG id → its SOP id, from the descriptors."""
    return {dag_id: sop.id for sop in discover() for dag_id in sop.dags}


def sop_titles() -> dict[str, str]:
    return {sop.id: sop.title for sop in discover()}


def step_records(since: datetime, until: datetime) -> pd.DataFrame:
    """Every human step opened in ``[since, until)``, one row each (see ``STEP_COLUMNS``)."""
    plain = (
        FormRequest.id, FormRequest.dag_id, FormRequest.run_id, FormRequest.step, FormRequest.role,
        FormRequest.assignee_nip, FormRequest.original_assignee_nip, FormRequest.link_version, FormRequest.status,
    )
    # Times are read as the database gives them and converted by pandas in one go: the ORM type
    # converts value by value in Python, which was most of the time for a year of steps.
    times = tuple(type_coerce(c, String).label(c.key) for c in (
        FormRequest.created_at, FormRequest.due_at, FormRequest.answered_at, FormRequest.reminded_at,
        FormRequest.escalated_at,
    ))
    names = [*(c.key for c in plain), *(c.key for c in times)]
    with session_scope() as session:
        # Core rows, taken column-wise: building a frame from ORM rows cost more than the query.
        rows = session.connection().execute(
            select(*plain, *times).where(FormRequest.created_at >= since, FormRequest.created_at < until)
        ).fetchall()
        if not rows:
            return empty_steps()
        frame = pd.DataFrame(dict(zip(names, map(list, zip(*rows)), strict=True)))
        # Only an expired step can have had its default applied: read those few contexts alone.
        # Only an expired step can have had its default applied; the database finds the mark
        # in the context's text, so thousands of contexts are not parsed here.
        defaulted = set(session.connection().execute(
            select(FormRequest.id).where(
                FormRequest.created_at >= since, FormRequest.created_at < until, FormRequest.status == "expired",
                cast(FormRequest.context, Text).contains('"_default_answer"', autoescape=True),
            )
        ).scalars())
    for column in (c.key for c in times):
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    sops = dag_to_sop()
    frame["sop"] = frame["dag_id"].map(sops).fillna(OTHER_SOP)
    frame["role"] = frame["role"].fillna(NO_ROLE)
    frame["section"] = frame["assignee_nip"].map(_sections())
    handed_over = frame["link_version"].fillna(1) > 1
    frame["handed_over"] = handed_over
    frame["substituted"] = frame["original_assignee_nip"].notna() & ~handed_over
    frame["reminded"] = frame["reminded_at"].notna()
    frame["escalated"] = frame["escalated_at"].notna()
    frame["defaulted"] = frame["id"].isin(defaulted)
    return normalise(frame.loc[:, list(STEP_COLUMNS)])


def _sections() -> dict[str, str]:
    try:
        return {p.nip: p.section for p in get_directory().people}
    except (DirectoryError, ValueError):  # a broken directory must not hide the figures
        return {}


__all__ = ["NO_ROLE", "OTHER_SOP", "dag_to_sop", "sop_titles", "step_records"]

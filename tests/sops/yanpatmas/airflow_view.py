"""What Airflow holds: every text of its metadata database and of its log files, for the
confidentiality checks (a complainant's name, email, phone or words must appear in none)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


def metadata_texts() -> dict[str, str]:
    """Every row of every table of Airflow's metadata database (the session's SQLite file), as text.

    Reads the whole database rather than chosen tables (XCom, rendered fields, run conf, task
    instances' trigger events, triggers, task ids, run ids, logs kept in the database), so that a
    leak into a table nobody thought of is found too.
    """
    url = os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    path = url.removeprefix("sqlite:///")
    texts: dict[str, str] = {}
    with sqlite3.connect(path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            rows = db.execute(f'SELECT * FROM "{table}"').fetchall()  # noqa: S608 - names from sqlite_master
            texts[table] = "\n".join(
                " | ".join(v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in row) for row in rows
            )
    return texts


def log_texts() -> dict[str, str]:
    """Every file under ``$AIRFLOW_HOME/logs`` (task logs, if this Airflow wrote any to files)."""
    root = Path(os.environ["AIRFLOW_HOME"]) / "logs"
    return {str(p): p.read_text(errors="replace") for p in root.rglob("*") if p.is_file()} if root.exists() else {}


def leaks(secrets: list[str], captured_output: str) -> list[str]:
    """Where any of ``secrets`` appears: ``table:<name>``, ``log:<file>`` or ``output``."""
    found = []
    for where, text in [*((f"table:{k}", v) for k, v in metadata_texts().items()),
                        *((f"log:{k}", v) for k, v in log_texts().items()), ("output", captured_output)]:
        lowered = text.lower()
        found += [f"{where}: {s!r}" for s in secrets if s.lower() in lowered]
    return found

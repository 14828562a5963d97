"""SOP deklaratif: one DAG per SOP declared in one YAML file (``include/config/sops/*.yaml`` and
an office's ``$BAPAS_CONFIG_DIR/sops/*.yaml``), built by ``bapas_sop.declared.dag``.

Layanan Informasi Publik (``ppid``) is shipped this way. A file with a mistake becomes a DAG of
its name with one task that fails with the mistake (file, line, what to write): the other SOPs
still parse. See ``docs/adding-an-sop.md`` ("A simple SOP in one file").
"""

from __future__ import annotations

from bapas_sop.declared import sop_files
from bapas_sop.declared.dag import build_dags

# Airflow's DagBag collects every DAG object at module level (and reads this file at all only because
# it holds the words "airflow" and "dag": its DAGs are built by a function, not written here).
globals().update({f"dag_{dag_id}": dag for dag_id, dag in build_dags(sop_files()).items()})

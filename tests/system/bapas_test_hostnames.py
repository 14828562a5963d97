"""Hostnames of the two Celery workers of the system test (``[core] hostname_callable``).

Both workers run on one machine; each gets its own callable so that a task instance's
``hostname`` tells which worker ran it. Put this folder on the worker's PYTHONPATH and set
``AIRFLOW__CORE__HOSTNAME_CALLABLE=bapas_test_hostnames.worker_a`` (or ``worker_b``).
"""


def worker_a() -> str:
    return "worker-a"


def worker_b() -> str:
    return "worker-b"

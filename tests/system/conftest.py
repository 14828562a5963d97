"""Fixtures of the system tests: the real Airflow processes, started and stopped by the test.

A stack is module-scoped: a test module shares one stack between its tests, and it is torn
down before the next module starts one (the machine has two cores; never two stacks at once).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bapas_sop.devstack import StackConfig, free_port
from systemstack import SystemStack


@pytest.fixture(scope="module")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SystemStack]:
    """The embedded default: LocalExecutor and SQLite, on free ports in a temporary folder."""
    home: Path = tmp_path_factory.mktemp("local-stack")
    config = StackConfig(home=home, api_port=free_port(), smtp_port=free_port(), parallelism=4)
    with SystemStack.running(config) as system:
        print(f"local stack ready in {system.startup_seconds:.0f} s at {system.base_url} ({home})", flush=True)
        yield system

"""How soon does a waiting form step wake after its answer? The triggers in one event loop.

``tests/airflow/test_triggers_waiting.py`` checks the behaviour (one shared reader, each
trigger woken by its own answer and never before it); this measures it, which a test cannot
do honestly on a shared machine. N steps wait as the triggerer runs them (``run()`` of
``FormResponseTrigger`` in one event loop, polling every ``--poll`` seconds); another thread
answers some of them one at a time (``humantask.submit`` with the person's token, as the form
page does) and the script prints, from each answer to its trigger's event, the median and
worst wake-up time, and how many reads of ``form_request`` the store served per second.

Runs on a throw-away project database in a temporary folder; sends no email.

    .venv/bin/python bench/trigger_wake.py [--steps 40] [--answers 10] [--poll 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--answers", type=int, default=10)
    parser.add_argument("--poll", type=float, default=0.5, help="the triggers' poll interval (s)")
    parser.add_argument("--gap", type=float, default=0.3, help="seconds between two answers")
    args = parser.parse_args()

    var = Path(tempfile.mkdtemp(prefix="bapas-bench-trigger-"))
    os.environ.update({
        "BAPAS_VAR_DIR": str(var), "BAPAS_DB_URL": f"sqlite:///{var / 'bapas.db'}", "BAPAS_MAILDIR": str(var / "mail"),
        "BAPAS_PUBLIC_URL": os.environ.get("BAPAS_PUBLIC_URL", "http://localhost:8080/bapas"),
    })
    os.environ.setdefault("BAPAS_SECRET_KEY", "bench-secret-key-not-for-production-0123456789abcdef")

    from sqlalchemy import event

    from bapas_sop import humantask
    from bapas_sop.airflow.triggers import FormResponseTrigger
    from bapas_sop.policy import StepPolicy
    from bapas_sop.store import migrate
    from bapas_sop.store.db import session_scope

    migrate()
    rina = "198607212010122003"
    steps = []
    for n in range(args.steps):
        opened = humantask.open_request(
            key=f"bench/run-1/langkah_{n}", step=f"langkah_{n}", form_name="peterpan_foto", title=f"Langkah {n}",
            assignee=f"nip:{rina}", policy=StepPolicy.from_config(), dag_id="bench", run_id="run-1")
        steps.append((opened.key, opened.url.rsplit("/", 1)[-1]))
    chosen = steps[:: max(1, args.steps // max(1, args.answers))][: args.answers]

    with session_scope() as session:
        engine = session.get_bind()
    reads = {"n": 0}

    def count(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM form_request" in statement:
            reads["n"] += 1

    answered_at: dict[str, float] = {}
    woke_at: dict[str, float] = {}

    def people_answer() -> None:
        time.sleep(args.poll * 2)
        for key, token in chosen:
            humantask.submit(token, {"tautan_foto": "https://drive.example/foto.jpg"})
            answered_at[key] = time.perf_counter()
            time.sleep(args.gap)

    async def wait_for(trigger: FormResponseTrigger) -> None:
        async for _event in trigger.run():
            woke_at[trigger.request_key] = time.perf_counter()
            return

    async def triggerer() -> float:
        tasks = [asyncio.create_task(wait_for(FormResponseTrigger(request_key=key, poll_interval=args.poll)))
                 for key, _ in steps]
        answering = threading.Thread(target=people_answer)
        started = time.perf_counter()
        answering.start()
        while answering.is_alive() or len(woke_at) < len(chosen):
            await asyncio.sleep(0.05)
            if time.perf_counter() - started > 60 + len(chosen) * (args.gap + args.poll * 4):
                break
        waited = time.perf_counter() - started
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return waited

    event.listen(engine, "before_cursor_execute", count)
    waited = asyncio.run(triggerer())
    event.remove(engine, "before_cursor_execute", count)

    wakes = [(woke_at[k] - answered_at[k]) * 1000 for k, _ in chosen if k in woke_at and k in answered_at]
    print(f"{args.steps} steps waiting, {len(chosen)} answered one every {args.gap:.1f} s, poll {args.poll:.1f} s")
    if wakes:
        print(f"  answer -> event: median {statistics.median(wakes):.0f} ms, worst {max(wakes):.0f} ms "
              f"(bound: one poll interval, {args.poll * 1000:.0f} ms, plus the read)")
    print(f"  woken {len(woke_at)} of {len(chosen)}; woken without an answer: "
          f"{len(set(woke_at) - set(answered_at))}")
    print(f"  form_request reads: {reads['n']} in {waited:.1f} s ({reads['n'] / waited:.1f}/s for {args.steps} triggers; "
          f"a reader per trigger would make about {args.steps / args.poll:.0f}/s)")
    print(f"  load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

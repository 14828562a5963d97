"""Soak: does the embedded default lose an answer, send an email twice or fall over under load?

Starts the embedded stack as real processes (API server with the forms app, scheduler, DAG
processor, triggerer, LocalExecutor, local SMTP server) in a temporary folder, on either embedded
database (``--database sqlite``: two SQLite files; ``--database postgres``: the PostgreSQL the
launcher starts itself), run supervised (``Stack.supervise()``: a process that dies is
restarted, as ``scripts/start`` does). Then, within ``--minutes``:

* triggers N SP2LO runs over the REST API (``POST /api/v2/dags/sp2lo/dagRuns``), and the sweep
  (``langkah_manusia``: reminders, escalations, the email retry queue) every ``--sweep-every`` s;
* M threads answer every form email of those runs through its emailed link (GET the page, POST
  the answer, as a person would) and, between answers, post garbage to the forms app (a bogus
  link token, a non-ASCII CSRF token on a real link, an empty public intake, a second answer to
  a link already answered);
* mid-way, SIGKILLs the process group of one Airflow process (the triggerer by default) and
  lets the supervisor restart it.

At the end it prints requests sent, 5xx responses, answers given against answers recorded in
the store (lost answers), duplicate emails (outbox rows whose message is in the maildir more
than once; and sent rows missing from it), restarts seen, runs finished, REST trigger errors,
"database is locked" lines in all logs (components' and tasks'), p50/p90 of the form POSTs,
peak RSS of the whole stack (every process and its children, sampled each second) and wall
time. The stack is stopped afterwards, leftovers killed (``SystemStack.running``). Not part of
the test suite.

    .venv/bin/python bench/soak.py --database sqlite        # N = 50, M = 8, at most 25 minutes
    .venv/bin/python bench/soak.py --database postgres
    .venv/bin/python bench/soak.py --runs 10 --concurrency 4 --minutes 6
"""

from __future__ import annotations

import argparse
import os
import queue
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import psutil

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "tests" / "system"))
sys.path.insert(0, str(PROJECT))

from bapas_sop.devstack import DATABASES, DEFAULT_DATABASE, StackConfig, free_port  # noqa: E402
from systemstack import (  # noqa: E402
    TERMINAL_RUN_STATES,
    StackFailure,
    SystemStack,
    case_of_run,
    sp2lo_answers,
    sp2lo_conf,
)
from tests.support.forms import form_links, open_form, path_of  # noqa: E402

DAG = "sp2lo"
SWEEP = "langkah_manusia"
ACTION = "[Perlu tindakan] "
#: What the logs say when a database made a writer give up or deadlocked (SQLite / PostgreSQL).
LOG_PROBLEMS = ("database is locked", "deadlock detected", "could not serialize access")


class Tally:
    """Every HTTP response of the bench (REST API and forms), counted from httpx's hooks."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.server_errors: Counter[str] = Counter()
        self.garbage = 0
        self.given: set[str] = set()  # titles (subject without prefix) answered with a 303
        self.answered_links: list[str] = []
        self.refused: Counter[int] = Counter()
        self.errors: list[str] = []
        self.answer_seconds: list[float] = []  # POST of a real answer
        self.post_seconds: list[float] = []  # every form POST (answers and garbage)
        self.trigger_errors: Counter[str] = Counter()  # REST trigger responses other than 200/409, and exceptions

    def hook(self, response: httpx.Response) -> None:
        with self.lock:
            self.requests += 1
            if response.status_code >= 500:
                self.server_errors[f"{response.request.method} {response.request.url.path[:60]} {response.status_code}"] += 1


def client(base_url: str, tally: Tally) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=60, follow_redirects=False,
                        event_hooks={"response": [tally.hook]})


def timed(tally: Tally, post: Any, *args: Any, **kwargs: Any) -> httpx.Response:
    started = time.perf_counter()
    response = post(*args, **kwargs)
    with tally.lock:
        tally.post_seconds.append(time.perf_counter() - started)
    return response


def garbage(web: httpx.Client, links: list[str], answered: list[str], rng: random.Random, tally: Tally) -> bool:
    """One hostile or careless post (False: none fitted yet); it must not be answered with a 5xx."""
    kind = rng.randrange(4)
    if kind == 0:
        timed(tally, web.post, "/bapas/f/" + "".join(rng.choice("abcdefXYZ0123.-_") for _ in range(rng.randrange(1, 80))),
              data={"_csrf": "x", "seksi": "bka"})
        return True
    elif kind == 1 and links:
        timed(tally, web.post, path_of(rng.choice(links)), data={"_csrf": "é", "seksi": "<script>alert(1)</script>"})
        return True
    elif kind == 2:
        timed(tally, web.post, "/bapas/litmas/permohonan", data={"nama_klien": "x" * rng.randrange(0, 3000), "kategori": "??"})
        return True
    elif answered:  # a second (late) answer to a link answered already: refused, never a 5xx
        page = open_form(web, rng.choice(answered))
        if page.status_code == 200 and 'name="_csrf"' in page.text:
            timed(tally, page.answer, {"seksi": "bka", "catatan": "jawaban kedua"})
        return True
    return False


def worker(base_url: str, tally: Tally, work: queue.Queue, links: list[str], answers: dict[str, Any],
           stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    web = client(base_url, tally)
    while not stop.is_set():
        try:
            message = work.get(timeout=0.5)
        except queue.Empty:
            message = None
        try:
            if message is not None:
                title = message.subject.removeprefix(ACTION)
                answer = next((a for key, a in answers.items() if key in message.subject), None)
                page = open_form(web, message)
                if page.status_code == 200 and answer is not None:
                    data = dict(answer(message, page.text) if callable(answer) else answer)
                    started = time.perf_counter()
                    posted = page.answer(data)
                    took = time.perf_counter() - started
                    with tally.lock:
                        tally.answer_seconds.append(took)
                        tally.post_seconds.append(took)
                        if posted.status_code == 303:
                            tally.given.add(title)
                            tally.answered_links.append(form_links(message)[0])
                        else:
                            tally.refused[posted.status_code] += 1
            for _ in range(rng.randrange(1, 3)):
                if garbage(web, list(links), list(tally.answered_links), rng, tally):
                    with tally.lock:
                        tally.garbage += 1
        except (httpx.HTTPError, AssertionError) as exc:
            with tally.lock:
                tally.errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")


def trigger(system: SystemStack, tally: Tally, dag_id: str, run_id: str, conf: dict[str, Any]) -> bool:
    """POST one run as an admin would; every answer but 200 (409: exists after a retry) is counted."""
    body = {"dag_run_id": run_id, "logical_date": None, "conf": conf}
    for _attempt in range(5):
        try:
            response = system.api._send("POST", f"/api/v2/dags/{dag_id}/dagRuns", json=body)
        except httpx.HTTPError as exc:
            with tally.lock:
                tally.trigger_errors[type(exc).__name__] += 1
            continue
        if response.status_code in (200, 409):
            return True
        with tally.lock:
            tally.trigger_errors[f"{response.status_code} {response.text[:60]}"] += 1
        time.sleep(2)
    return False


class RssSampler(threading.Thread):
    """Peak memory of the whole stack: every process of it and all their children, each second.

    Two sums: RSS counts a page shared by N processes N times (PostgreSQL's shared buffers in
    every backend, Airflow's forked task processes), PSS counts 1/N of it in each: the memory
    the stack really takes."""

    def __init__(self, system: SystemStack) -> None:
        super().__init__(daemon=True)
        self.system = system
        self.peak_rss = self.peak_pss = 0
        self.stopping = threading.Event()

    def sample(self) -> tuple[int, int]:
        rss = pss = 0
        for process in list(self.system.stack.processes.values()):
            try:
                root = psutil.Process(process.pid)
                family = [root, *root.children(recursive=True)]
            except psutil.Error:
                continue
            for each in family:
                try:
                    memory = each.memory_full_info()
                except psutil.Error:
                    continue
                rss += memory.rss
                pss += memory.pss
        return rss, pss

    def run(self) -> None:
        while not self.stopping.wait(1.0):
            rss, pss = self.sample()
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)


def log_problems(root: Path) -> Counter[str]:
    """How often each of LOG_PROBLEMS occurs in every log of the stack (components and task tries)."""
    found: Counter[str] = Counter()
    for path in root.rglob("*.log"):
        text = path.read_text(errors="replace")
        for problem in LOG_PROBLEMS:
            found[problem] += text.count(problem)
    return found


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def recorded_titles(titles: set[str]) -> set[str]:
    from sqlalchemy import select

    from bapas_sop.store.db import session_scope
    from bapas_sop.store.models import FormRequest, FormResponse

    with session_scope() as session:
        rows = session.execute(
            select(FormRequest.title).join(FormResponse, FormResponse.request_id == FormRequest.id)
            .where(FormRequest.dag_id == DAG)
        ).scalars().all()
    return titles & set(rows)


def email_copies(system: SystemStack) -> tuple[int, int, int, int]:
    """(outbox rows of sp2lo, rows delivered more than once, sent rows not delivered, inbox messages)."""
    from sqlalchemy import select

    from bapas_sop.store.db import session_scope
    from bapas_sop.store.models import OutboxMessage

    with session_scope() as session:
        rows = session.execute(
            select(OutboxMessage.key, OutboxMessage.status, OutboxMessage.message_id)
            .where(OutboxMessage.key.like(f"{DAG}/%"))
        ).all()
    inbox = system.inbox()
    delivered = Counter(m.message_id for m in inbox)
    duplicates = sum(1 for _k, _s, mid in rows if delivered.get(mid, 0) > 1)
    missing = sum(1 for _k, status, mid in rows if status == "sent" and delivered.get(mid, 0) == 0)
    return len(rows), duplicates, missing, len(inbox)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=DATABASES, default=DEFAULT_DATABASE,
                        help=f"embedded database of the stack (default {DEFAULT_DATABASE})")
    parser.add_argument("--runs", type=int, default=50, help="SP2LO runs triggered (default 50)")
    parser.add_argument("--concurrency", type=int, default=8, help="threads posting answers and garbage (default 8)")
    parser.add_argument("--minutes", type=float, default=25, help="time limit of the whole bench (default 25)")
    parser.add_argument("--sweep-every", type=float, default=60, help="seconds between sweep runs triggered (default 60)")
    parser.add_argument("--kill", default="triggerer", help="Airflow process SIGKILLed mid-way (default triggerer)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs) afterwards")
    args = parser.parse_args(argv)

    t0 = time.monotonic()
    deadline = t0 + args.minutes * 60 - 30  # leave time to count and stop
    root = Path(tempfile.mkdtemp(prefix="bapas-bench-soak-"))
    config = StackConfig(home=root / "home", api_port=free_port(), smtp_port=free_port(), database=args.database)
    tally = Tally()
    stop = threading.Event()
    print(f"bench folder {root}; starting the stack on {args.database} ...", flush=True)
    problems: Counter[str] = Counter()
    sweeps: list[str] = []
    sweep_states: Counter[str] = Counter()
    try:
        with SystemStack.running(config) as system:
            supervisor = system.stack.supervise(quiet=False)
            api = system.api
            api.client.event_hooks = {"response": [tally.hook]}
            rss = RssSampler(system)
            rss.start()
            api.wait_dag(DAG)
            api.wait_dag(SWEEP)
            print(f"  ready after {time.monotonic() - t0:.0f} s; triggering {args.runs} runs", flush=True)
            runs = [f"soak-{i:03d}" for i in range(args.runs)
                    if trigger(system, tally, DAG, f"soak-{i:03d}", sp2lo_conf(f"SOAK{i:03d}"))]
            next_sweep = time.monotonic()

            work: queue.Queue = queue.Queue()
            links: list[str] = []
            answers: dict[str, Any] = {}
            threads = [threading.Thread(target=worker, args=(system.base_url, tally, work, links, answers, stop, i),
                                        daemon=True) for i in range(args.concurrency)]
            for thread in threads:
                thread.start()

            kill_at = t0 + (deadline - t0) / 2
            killed = None
            seen: set[str] = set()
            finished: dict[str, str] = {}
            cases: dict[str, str] = {}
            while time.monotonic() < deadline and len(finished) < len(runs):
                for run_id in runs:
                    if run_id not in cases:
                        try:
                            cases[run_id] = case_of_run(DAG, run_id)
                            answers.update(sp2lo_answers(cases[run_id], trip=False))
                        except StackFailure:
                            pass
                for message in sorted(system.inbox(), key=lambda m: m.id):
                    if message.id in seen or not message.subject.startswith(ACTION) or not form_links(message):
                        continue
                    if any(key in message.subject for key in list(answers)):
                        seen.add(message.id)
                        links.append(form_links(message)[0])
                        work.put(message)
                if time.monotonic() >= next_sweep:
                    run_id = f"soak-sweep-{len(sweeps):03d}"
                    if trigger(system, tally, SWEEP, run_id, {}):
                        sweeps.append(run_id)
                    next_sweep = time.monotonic() + args.sweep_every
                if killed is None and time.monotonic() >= kill_at:
                    process = system.stack.processes[args.kill]
                    os.killpg(process.pid, signal.SIGKILL)
                    killed = (process.pid, time.monotonic() - t0)
                    print(f"  SIGKILLed {args.kill} (process group {process.pid}) at {killed[1]:.0f} s", flush=True)
                for run_id in runs:
                    if run_id not in finished:
                        state = api.run(DAG, run_id)["state"]
                        if state in TERMINAL_RUN_STATES:
                            finished[run_id] = state
                print(f"  {time.monotonic() - t0:5.0f} s: {len(finished)}/{len(runs)} runs ended, "
                      f"{len(tally.given)} answers, {tally.garbage} garbage posts, {tally.requests} requests, "
                      f"{sum(tally.server_errors.values())} 5xx", flush=True)
                time.sleep(3)
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
            time.sleep(3)  # the last answers' transactions and emails
            given = set(tally.given)
            recorded = recorded_titles(given)
            outbox, duplicates, missing, inbox = email_copies(system)
            restarts = dict(supervisor.restarts)
            alive = {name: p.poll() is None for name, p in system.stack.processes.items()}
            for run_id in sweeps:
                sweep_states[api.run(SWEEP, run_id)["state"]] += 1
            # Where the unfinished runs stand, and whether a task failed or needed a retry on the way.
            task_states = Counter(ti["state"] for ti in api.task_instances(DAG))
            retried = sum(1 for ti in api.task_instances(DAG) if (ti.get("try_number") or 0) > 1)
            rss.stopping.set()
            peak_rss, peak_pss = rss.peak_rss, rss.peak_pss
    finally:
        stop.set()
        problems = log_problems(root)
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    wall = time.monotonic() - t0

    states = Counter(finished.values())
    print()
    database = {"sqlite": "SQLite (two files)", "postgres": "embedded PostgreSQL"}[args.database]
    print(f"Soak, LocalExecutor + {database}, supervised: {args.runs} SP2LO runs, "
          f"{args.concurrency} threads, sweep every {args.sweep_every:g} s, limit {args.minutes:g} min")
    print(f"  requests sent          {tally.requests} ({tally.garbage} garbage posts)")
    print(f"  5xx responses          {sum(tally.server_errors.values())}"
          + "".join(f"\n      {n} x {what}" for what, n in tally.server_errors.most_common()))
    print(f"  answers given          {len(given)} (other refusals of a real answer: {dict(tally.refused) or 0})")
    print(f"  answers recorded       {len(recorded)}  -> lost {len(given - recorded)}")
    print(f"  emails                 {outbox} outbox rows, {inbox} inbox messages; "
          f"delivered more than once {duplicates}, sent but not in the inbox {missing}")
    print(f"  killed                 {args.kill} at {killed[1]:.0f} s" if killed else "  killed                 nothing (ended before mid-way)")
    print(f"  restarts seen          {restarts or 0}; all processes running at the end: {all(alive.values())}")
    print(f"  runs finished          {len(finished)}/{args.runs} {dict(states)}; "
          f"sweep runs {len(sweeps)} {dict(sweep_states)}")
    print(f"  SP2LO task instances   {dict(task_states)}; tried more than once {retried}")
    print(f"  REST trigger errors    {sum(tally.trigger_errors.values())}"
          + "".join(f"\n      {n} x {what}" for what, n in tally.trigger_errors.most_common()))
    print("  in the logs            " + ", ".join(f'"{p}" {problems[p]}' for p in LOG_PROBLEMS))
    print(f"  answer POST            p50 {percentile(tally.answer_seconds, 0.5):.3f} s, "
          f"p90 {percentile(tally.answer_seconds, 0.9):.3f} s (n = {len(tally.answer_seconds)})")
    print(f"  every form POST        p50 {percentile(tally.post_seconds, 0.5):.3f} s, "
          f"p90 {percentile(tally.post_seconds, 0.9):.3f} s (n = {len(tally.post_seconds)})")
    print(f"  peak memory of stack   PSS {peak_pss / 2**20:.0f} MiB (RSS summed {peak_rss / 2**20:.0f} MiB)")
    print(f"  client errors          {len(tally.errors)}" + (f" (first: {tally.errors[0]})" if tally.errors else ""))
    print(f"  wall time              {wall:.0f} s")


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""careledger under load (issue 12, part 4). Run it through ``bash bench/run.sh --load``,
which starts a throwaway PostgreSQL cluster; by hand, with DATABASE_URL naming a PostgreSQL
database::

    bench/load.py [--users 50] [--seconds 60] [--json F]

It loads the demo council into that database, then starts what a council runs: gunicorn (2
workers, 4 threads, on loopback only), the projections process and a Celery worker. ``--users``
simulated people, each with its own connection and session, send requests for ``--seconds``,
one after another with no pause (a closed loop: bounded, it can never send more than the
server answers), mixing:

- the public register (``/register/``) and a search (``/find-support/``);
- a person's budget (``/my-budget/``, signed in) and their verifiable statement (its API);
- ledger posts through the API with a bearer token, each with its own Idempotency-Key.

It reports requests per second, p50/p95/p99 by kind and in all, errors by status (with the
first of each kind), and each part's CPU time per request and share of the cores (gunicorn,
PostgreSQL, the projections, the worker, the generator itself: read from /proc), then
checks that every post the server acknowledged is in the ledger exactly once
(``verify_ledger`` over the whole log as well). Target: no error, p99 under 500 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
KINDS = {
    "register": 0.25,
    "search": 0.15,
    "my budget": 0.2,
    "statement": 0.1,
    "ledger post": 0.3,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def manage(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer in {seconds} s")


def signed_in(base: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{base}/sign-in/", timeout=10)
    answer = session.post(
        f"{base}/sign-in/",
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": f"{base}/sign-in/"},
        timeout=10,
        allow_redirects=False,
    )
    if answer.status_code != 302:
        raise SystemExit(f"{username} could not sign in: {answer.status_code}")
    return session


class User(threading.Thread):
    """One simulated person: a session of their own, requests one after another."""

    def __init__(self, n: int, base: str, token: str, until: float, password: str) -> None:
        super().__init__(daemon=True)
        self.base, self.token, self.until = base, token, until
        self.random = random.Random(n)
        self.person = signed_in(base, "person", password)
        self.machine = requests.Session()
        self.machine.headers["Authorization"] = f"Bearer {token}"
        self.timings: dict[str, list[float]] = defaultdict(list)
        self.statuses: Counter[tuple[str, int]] = Counter()
        self.acknowledged: list[str] = []
        self.first_errors: dict[str, str] = {}

    def run(self) -> None:
        kinds, weights = list(KINDS), list(KINDS.values())
        while time.monotonic() < self.until:
            kind = self.random.choices(kinds, weights)[0]
            started = time.perf_counter()
            try:
                status = self.send(kind)
            except requests.RequestException as e:
                status = 0  # no answer at all
                self.first_errors.setdefault(f"{kind} (no answer)", repr(e)[:300])
            self.timings[kind].append(time.perf_counter() - started)
            self.statuses[(kind, status)] += 1

    def send(self, kind: str) -> int:
        if kind == "register":
            return self.person.get(f"{self.base}/register/", timeout=30).status_code
        if kind == "search":
            return self.person.get(f"{self.base}/find-support/", timeout=30).status_code
        if kind == "my budget":
            return self.person.get(f"{self.base}/my-budget/", timeout=30).status_code
        if kind == "statement":
            url = f"{self.base}/api/v1/budgets/people/DN-000123/statement"
            return self.person.get(url, timeout=30).status_code
        key = f"bench-load-{uuid.uuid4()}"
        answer = self.machine.post(
            f"{self.base}/api/v1/ledger/entries",
            json={
                "kind": "adjustment",
                "legs": [
                    {"account": "COUNCIL:BANK", "side": "debit", "amount": "0.01"},
                    {"account": "COUNCIL:CARE-FUND", "side": "credit", "amount": "0.01"},
                ],
                "reason": "load test: a penny moved",
            },
            headers={"Idempotency-Key": key},
            timeout=30,
        )
        if answer.status_code in (200, 201):
            self.acknowledged.append(key)
        elif kind not in self.first_errors:
            self.first_errors[kind] = answer.text[:300]
        return answer.status_code


def _ticks(pid: int) -> int:
    """A process's CPU time so far (user and system, every thread), in clock ticks."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def _family(root: int) -> list[int]:
    """``root`` and every process below it (gunicorn's workers)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def cpu_by_part(parts: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far of each part (a process and its children), and of PostgreSQL's
    backends: where the machine's time goes, to say why a target is missed."""
    tick = os.sysconf("SC_CLK_TCK")
    # The generator is the others' parent: its own time only.
    found = {
        name: sum(map(_ticks, [pid] if pid == os.getpid() else _family(pid))) / tick
        for name, pid in parts.items()
    }
    backends = [
        int(p.name)
        for p in Path("/proc").iterdir()
        if p.name.isdigit() and _comm(p) in ("postgres", "postmaster")
    ]
    found["PostgreSQL"] = sum(map(_ticks, backends)) / tick
    return found


def _comm(entry: Path) -> str:
    try:
        return (entry / "comm").read_text().strip()
    except OSError:
        return ""


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn's worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads in each worker")
    parser.add_argument("--json")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL database (bash bench/run.sh --load)")
    var = Path(os.environ.get("CARELEDGER_VAR", "") or (ROOT / "var" / "bench-load"))
    var.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "CARELEDGER_VAR": str(var)}
    env["CELERY_BROKER_URL"] = f"sqla+sqlite:///{var / 'broker.sqlite3'}"
    env["CELERY_RESULT_BACKEND"] = f"db+sqlite:///{var / 'results.sqlite3'}"
    # Many users from one address: the bad-token throttle must not count them (they send
    # good tokens), and sign-in counts only failures.
    manage("migrate", "--noinput", "-v0", env=env)
    manage("collectstatic", "--noinput", "-v0", env=env)
    manage("load_demo", env=env)
    token = manage("create_api_token", "finance", "--name", "load test", env=env).strip()
    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "CARELEDGER_VAR")})
    import django

    django.setup()
    from demo.council import PASSWORD

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    logs = var / "logs"
    logs.mkdir(exist_ok=True)

    def start_process(name: str, *command: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, *command],
            cwd=ROOT,
            env=env,
            stdout=(logs / f"{name}.log").open("wb"),
            stderr=subprocess.STDOUT,
        )

    processes = [
        start_process(
            "gunicorn",
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
            "--timeout",
            "60",
            # Keep each user's connection: gunicorn's 2 s default closes one between two
            # requests, and a post sent on it as it closes is reset, answered by nobody.
            "--keep-alive",
            "75",
        ),
        start_process("projections", "manage.py", "run_projections"),
        start_process(
            "worker",
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ),
    ]
    try:
        wait_for(f"{base}/healthz")
        users = [User(n, base, token, 0.0, PASSWORD) for n in range(args.users)]  # signed in
        until = time.monotonic() + args.seconds
        for user in users:
            user.until = until
        parts = {
            "web (gunicorn)": processes[0].pid,
            "projections": processes[1].pid,
            "Celery worker": processes[2].pid,
            "load generator": os.getpid(),
        }
        load_before = os.getloadavg()
        cpu_before = cpu_by_part(parts)
        started = time.monotonic()
        for user in users:
            user.start()
        for user in users:
            user.join()
        took = time.monotonic() - started
        cpu_after = cpu_by_part(parts)
        load_after = os.getloadavg()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()

    timings: dict[str, list[float]] = defaultdict(list)
    statuses: Counter[tuple[str, int]] = Counter()
    acknowledged: list[str] = []
    first_errors: dict[str, str] = {}
    for user in users:
        for kind, values in user.timings.items():
            timings[kind] += values
        statuses.update(user.statuses)
        acknowledged += user.acknowledged
        for kind, text in user.first_errors.items():
            first_errors.setdefault(kind, text)
    every = [v for values in timings.values() for v in values]
    errors = {
        f"{kind} {status}": n
        for (kind, status), n in statuses.items()
        if status >= 400 or status == 0
    }

    # Every acknowledged post is in the ledger once: read from the event store itself.
    from ledger.domain import entry_id
    from ledger.services import ledger_app

    app = ledger_app()
    recorded = sum(1 for key in acknowledged if list(app.repository.event_store.get(entry_id(key))))
    verified = manage("verify_ledger", env=env).strip().splitlines()[-1:]
    results = {
        "users": args.users,
        "seconds": took,
        "requests": len(every),
        "requests_per_second": len(every) / took,
        "p50_ms": percentile(every, 50) * 1000,
        "p95_ms": percentile(every, 95) * 1000,
        "p99_ms": percentile(every, 99) * 1000,
        "by_kind": {
            kind: {
                "requests": len(values),
                "p50_ms": percentile(values, 50) * 1000,
                "p99_ms": percentile(values, 99) * 1000,
            }
            for kind, values in sorted(timings.items())
        },
        "errors": errors,
        "first_errors": first_errors,
        "posts_acknowledged": len(acknowledged),
        "posts_recorded_once": recorded,
        "verify_ledger": verified,
        "load": {"before": list(load_before), "after": list(load_after)},
        # Of the machine's CPU time over the run (cores × seconds), each part's share.
        "cpu_share": {
            name: (cpu_after[name] - cpu_before[name]) / ((os.cpu_count() or 1) * took)
            for name in cpu_after
        },
        "cpu_ms_per_request": {
            name: (cpu_after[name] - cpu_before[name]) * 1000 / max(1, len(every))
            for name in cpu_after
        },
    }
    print(json.dumps(results, indent=2))
    met = not errors and results["p99_ms"] < 500 and recorded == len(acknowledged)
    print(
        f"{args.users} users for {took:.0f} s: {results['requests_per_second']:.0f} requests/s,"
        f" p50 {results['p50_ms']:.0f} ms, p95 {results['p95_ms']:.0f} ms,"
        f" p99 {results['p99_ms']:.0f} ms; errors {sum(errors.values())};"
        f" {recorded} of {len(acknowledged)} acknowledged posts recorded once;"
        f" target (0 errors, p99 < 500 ms): {'met' if met else 'not met'}"
    )
    shares = ", ".join(f"{k} {v:.0%}" for k, v in results["cpu_share"].items())
    print(f"CPU of the {os.cpu_count()} cores over the run: {shares}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

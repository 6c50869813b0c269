"""How bench/peers.py runs a measure in a process of its own (standard library only).

Every measure of the peer benchmark runs in a fresh worker process (Django reads its settings
once per process, and django-hordak lives in its own virtual environment). The worker reads its
spec (one JSON line) on stdin, sets itself up, says ``@@ready``, waits for ``go <epoch>``, sleeps
until that instant and measures, then prints ``@@result <json>``. Writers of a concurrency level
therefore all start at the same instant, after every one of them has connected and warmed up.
Anything else a worker prints on stdout is passed on to stderr.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

READY = "@@ready"
RESULT = "@@result "

Run = Callable[[float], dict[str, Any]]


def serve(prepare: Callable[[dict[str, Any]], Run]) -> None:
    """The worker's side: ``prepare(spec)`` sets up and returns the measure, run from ``go``."""
    spec = json.loads(sys.stdin.readline())
    measure = prepare(spec)
    print(READY, flush=True)
    words = sys.stdin.readline().split()
    if not words or words[0] != "go":
        sys.exit("no go: the harness stopped")
    start = float(words[1])
    time.sleep(max(0.0, start - time.time()))
    load_start = os.getloadavg()
    result = measure(start)
    result.update(load_start=load_start, load_end=os.getloadavg())
    print(RESULT + json.dumps(result, default=str), flush=True)


class WorkerError(RuntimeError):
    pass


class _Worker:
    def __init__(
        self, cmd: Sequence[str], spec: Mapping[str, Any], env: Mapping[str, str], cwd: Path
    ) -> None:
        self.cmd = list(cmd)
        self.proc = subprocess.Popen(
            self.cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=dict(env),
            cwd=cwd,
            bufsize=1,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.send(json.dumps(spec))

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def expect(self, marker: str, deadline: float) -> str:
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise WorkerError(f"{self.cmd[1:3]}: no {marker!r} in time") from None
            if line is None:
                code = self.proc.wait()
                raise WorkerError(f"{self.cmd[1:3]} exited ({code}) before {marker!r}")
            if line.startswith(marker):
                return line[len(marker) :]
            print(line, file=sys.stderr, flush=True)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def gang(
    cmd: Sequence[str],
    specs: Sequence[Mapping[str, Any]],
    *,
    env: Mapping[str, str],
    cwd: Path,
    ready_timeout: float = 300,
    run_timeout: float = 900,
    lead: float = 0.5,
) -> list[dict[str, Any]]:
    """Start one worker per spec, wait until all are ready, start them together, and return
    their results in the order of ``specs``."""
    workers = [_Worker(cmd, spec, env, cwd) for spec in specs]
    try:
        ready_by = time.monotonic() + ready_timeout
        for worker in workers:
            worker.expect(READY, ready_by)
        start = time.time() + lead
        for worker in workers:
            worker.send(f"go {start!r}")
        done_by = time.monotonic() + run_timeout
        results = [json.loads(w.expect(RESULT, done_by)) for w in workers]
        for worker in workers:
            assert worker.proc.stdin is not None
            worker.proc.stdin.close()
            if worker.proc.wait(timeout=120) != 0:
                raise WorkerError(f"{worker.cmd[1:3]} exited {worker.proc.returncode}")
        return results
    finally:
        for worker in workers:
            worker.stop()

"""Fixtures for the local Stripe-compatible server (python -m devtools.stripe_server)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "sk_test_careledger_local"
WEBHOOK_SECRET = "whsec_careledger_local_tests"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class StripeServer:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def post(self, path: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST JSON to the server (for its /_config/ test-only routes)."""
        request = urllib.request.Request(
            self.base_url + path,
            data=json.dumps(data or {}).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else {}

    def flush(self) -> None:
        """Forget every object (for a test that reconciles Stripe's whole balance)."""
        request = urllib.request.Request(self.base_url + "/_config/data", method="DELETE")
        with urllib.request.urlopen(request, timeout=10):
            pass


@pytest.fixture(scope="session")
def stripe_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StripeServer]:
    """A fresh server on a free port; payments.stripe points at it for the session."""
    from payments import stripe as payments_stripe

    port = _free_port()
    log = tmp_path_factory.mktemp("stripe_server") / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "devtools.stripe_server", "--port", str(port)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = StripeServer(base_url=f"http://127.0.0.1:{port}", process=process, log=log)
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(server.base_url + "/_config/health", timeout=1):
                break
        except (urllib.error.URLError, ConnectionError):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"stripe_server did not start:\n{log.read_text()}") from None
            time.sleep(0.1)
    payments_stripe.configure(API_KEY, server.base_url, WEBHOOK_SECRET)
    try:
        yield server
    finally:
        payments_stripe.reset()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Delivery:
    payload: bytes
    signature: str

    @property
    def body(self) -> dict[str, Any]:
        return json.loads(self.payload)


@dataclass
class WebhookReceiver:
    url: str
    deliveries: list[Delivery] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, event_type: str, object_id: str, timeout: float = 15) -> Delivery:
        """The first delivery of ``event_type`` about ``object_id``, waiting for it to arrive."""

        def match() -> Delivery | None:
            for delivery in self.deliveries:
                body = delivery.body
                if body["type"] == event_type and body["data"]["object"]["id"] == object_id:
                    return delivery
            return None

        with self.arrived:
            if not self.arrived.wait_for(match, timeout=timeout):
                seen = [d.body["type"] for d in self.deliveries]
                raise AssertionError(f"no {event_type} for {object_id} in {timeout}s; saw {seen}")
            found = match()
            assert found is not None
            return found


def _handler(receiver: Callable[[], WebhookReceiver]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            payload = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            hook = receiver()
            with hook.arrived:
                hook.deliveries.append(
                    Delivery(payload=payload, signature=self.headers.get("Stripe-Signature", ""))
                )
                hook.arrived.notify_all()
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture(scope="session")
def stripe_webhooks(stripe_server: StripeServer) -> Iterator[WebhookReceiver]:
    """A local HTTP receiver registered with the server; it records every signed delivery."""
    holder: list[WebhookReceiver] = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(lambda: holder[0]))
    receiver = WebhookReceiver(url=f"http://127.0.0.1:{httpd.server_address[1]}/stripe/webhook")
    holder.append(receiver)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    stripe_server.post(
        "/_config/webhooks/careledger-tests", {"url": receiver.url, "secret": WEBHOOK_SECRET}
    )
    try:
        yield receiver
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def worker(council: Any, make_user: Any) -> Any:
    """A social worker signed in, with the council's care fund and RAS grid (version 1)."""
    from config.roles import Role
    from tests.integration.helpers import care_fund_and_grid, signed_in

    care_fund_and_grid()
    return signed_in(make_user, "alex", Role.SOCIAL_WORKER)


NOTIFY_KEY = (
    "careledger_tests-26b2c5d0-7f0a-4c1e-9a57-3d1f0b6a8e21-6c9d4e1a-0b7f-4a2d-8e5c-91f3a2b7d640"
)
NOTIFY_CALLBACK_TOKEN = "callback-token-for-tests"
NOTIFY_CALLBACK = "/api/v1/notifications/notify-callback"


@dataclass
class NotifyServer:
    base_url: str
    process: subprocess.Popen[bytes]

    def call(self, path: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        request = urllib.request.Request(
            self.base_url + path,
            data=None if data is None else json.dumps(data).encode(),
            method="GET" if data is None else "POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]

    def messages(self) -> list[dict[str, Any]]:
        return list(self.call("/_local/messages")["messages"])


@pytest.fixture(scope="session")
def notify_process(
    live_server: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NotifyServer]:
    """The local Notify server (python -m devtools.notify_server) as its own process, its
    delivery receipts posted to this test session's live server."""
    port = _free_port()
    log = tmp_path_factory.mktemp("notify_server") / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "devtools.notify_server",
                "--port",
                str(port),
                "--api-key",
                NOTIFY_KEY,
                "--callback",
                live_server.url + NOTIFY_CALLBACK,
                "--callback-token",
                NOTIFY_CALLBACK_TOKEN,
                "--delivery-delay",
                "0.1",
            ],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = NotifyServer(base_url=f"http://127.0.0.1:{port}", process=process)
    deadline = time.monotonic() + 20
    while True:
        try:
            server.call("/_local/messages")
            break
        except (urllib.error.URLError, ConnectionError):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"notify_server did not start:\n{log.read_text()}") from None
            time.sleep(0.1)
    try:
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def notify_server(
    notify_process: NotifyServer, settings: Any, tmp_path: Path
) -> Iterator[NotifyServer]:
    """The server emptied, and careledger's settings pointing at it. The tasks handed to a
    worker go to this test's own broker, not the demo's (var/broker.sqlite3)."""
    from config import celery_app
    from tests.integration.celery_process import _forget_connections

    notify_process.call("/_local/reset", {})
    settings.NOTIFY_API_KEY = NOTIFY_KEY
    settings.NOTIFY_API_BASE = notify_process.base_url
    settings.NOTIFY_CALLBACK_TOKEN = NOTIFY_CALLBACK_TOKEN
    old = celery_app.conf.broker_url
    celery_app.conf.broker_url = f"sqla+sqlite:///{tmp_path / 'test-broker.sqlite3'}"
    _forget_connections()
    try:
        yield notify_process
    finally:
        celery_app.conf.broker_url = old
        _forget_connections()

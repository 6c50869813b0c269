"""Statements anyone can verify (ledger/transparency.py): a person downloads their statement
through the API and the standalone verifier (scripts/verify_statement.py, run as its own
process with the council's published key) accepts it; one entry's amount changed, one entry
left out, or a forged checkpoint is rejected, and even a re-signed tampered statement fails its
inclusion proofs; two checkpoints are shown consistent; the public routes need no sign-in."""

from __future__ import annotations

import base64
import copy
import importlib.util
import io
import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from budgets.services import allocate
from config.roles import Role
from ledger import transparency
from tests.conftest import draft
from tests.integration.helpers import ALEX, assessed_person, care_fund_and_grid, person

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "verify_statement.py"
REF = "DN-000995"


def verifier() -> Any:
    spec = importlib.util.spec_from_file_location("verify_statement", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check(
    tmp_path: Path, document: dict[str, Any], *extra: str
) -> subprocess.CompletedProcess[str]:
    key = Client().get("/api/v1/transparency/key").json()["public_key"]
    path = tmp_path / "statement.json"
    path.write_text(json.dumps(document))
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(path), "--key", key, *extra],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def statement(council: Any, make_user: Any) -> dict[str, Any]:
    """Sam's budget allocated (two entries: the council's part and his contribution), other
    people's entries around it, and his statement downloaded as he would."""
    from ledger.services import ledger_app

    care_fund_and_grid()
    ledger = ledger_app()
    ledger.open_account(code="BANK", name="Bank", type="asset", actor="t")
    ledger.open_account(code="OTHER", name="Someone else", type="liability", actor="t")
    for n in range(5):
        ledger.post_entry(
            draft(f"other-{n}", [("BANK", "debit", 100 + n), ("OTHER", "credit", 100 + n)])
        )
    assessed_person(REF)
    allocate(
        REF,
        today=date.today(),
        actor=ALEX,
        weekly=None,
        adjustment_reason="",
        contribution_weekly=4000,
        split={"council_managed": 32200},
        direct_payment_start=None,
    )
    ledger.post_entry(draft("other-after", [("BANK", "debit", 7), ("OTHER", "credit", 7)]))
    answer = person(make_user, "sam", REF).get(f"/api/v1/budgets/people/{REF}/statement")
    assert answer.status_code == 200, answer.content
    document: dict[str, Any] = answer.json()
    return document


def test_the_statement_verifies_offline_with_the_published_key(
    statement: dict[str, Any], tmp_path: Path
) -> None:
    body = statement["statement"]
    assert body["count"] == 2 and len(body["entries"]) == 2
    assert body["closing_balance_pence"] == 32200 * 52
    assert body["checkpoint"]["size"] == 8  # five others, Sam's two, one after
    assert all("salt" in e["leaf"] for e in body["entries"])
    done = check(tmp_path, statement)
    assert done.returncode == 0, done.stderr
    assert "verified: 2 entries of DN-000995" in done.stdout


def test_a_changed_amount_a_dropped_entry_or_a_forged_checkpoint_is_rejected(
    statement: dict[str, Any], tmp_path: Path
) -> None:
    changed = copy.deepcopy(statement)
    changed["statement"]["entries"][0]["leaf"]["legs"][0][2] += 100
    dropped = copy.deepcopy(statement)
    dropped["statement"]["entries"].pop()
    forged = copy.deepcopy(statement)
    forged["statement"]["checkpoint"]["root"] = "00" * 32
    for document, why in [
        (changed, "the statement is not signed by this key"),
        (dropped, "the statement is not signed by this key"),
        (forged, "the checkpoint of size 8 is not signed by this key"),
    ]:
        done = check(tmp_path, document)
        assert done.returncode == 1 and why in done.stderr, done.stderr
    # Re-signed by someone holding the key (the council itself, say): the proofs still fail.
    script = verifier()
    key = transparency.signing_key()
    changed["signature"] = base64.b64encode(
        key.sign(transparency.canonical(changed["statement"]))
    ).decode()
    with pytest.raises(script.NotVerified, match="is not in the checkpoint's tree"):
        script.verify(changed, key.public_key())


def test_two_checkpoints_are_shown_consistent_and_the_public_routes_are_open(
    statement: dict[str, Any], tmp_path: Path
) -> None:
    from ledger.services import ledger_app

    ledger_app().post_entry(draft("later", [("BANK", "debit", 9), ("OTHER", "credit", 9)]))
    anyone = Client()
    latest = anyone.get("/api/v1/transparency/checkpoints").json()["items"][0]
    assert latest["size"] == 9
    first = statement["statement"]["checkpoint"]["size"]
    proof = anyone.get(f"/api/v1/transparency/consistency?first={first}&second=9").json()
    other, proof_file = tmp_path / "other.json", tmp_path / "proof.json"
    other.write_text(json.dumps(latest))
    proof_file.write_text(json.dumps(proof))
    done = check(tmp_path, statement, "--checkpoint", str(other), "--consistency", str(proof_file))
    assert done.returncode == 0 and "the tree of 9 extends the tree of 8" in done.stdout
    proof_file.write_text(json.dumps({"proof": proof["proof"][:-1]}))
    bent = check(tmp_path, statement, "--checkpoint", str(other), "--consistency", str(proof_file))
    assert bent.returncode == 1 and "does not extend" in bent.stderr
    assert anyone.get("/api/v1/transparency/consistency?first=3&second=9").status_code == 404
    assert anyone.get(f"/api/v1/budgets/people/{REF}/statement").status_code in (401, 403)


def test_the_person_downloads_it_and_sees_who_has_looked_and_anyone_the_key(
    statement: dict[str, Any], make_user: Any, tmp_path: Path
) -> None:
    from tests.integration.helpers import signed_in

    worker = signed_in(make_user, "alex", Role.SOCIAL_WORKER)
    assert worker.get(f"/api/v1/budgets/people/{REF}").status_code == 200  # a staff read
    sam = Client()
    sam.force_login(User.objects.get(username="sam"))
    mine = sam.get("/my-budget/").content.decode()
    assert "Download a statement you can check" in mine and "Who has looked" in mine
    download = sam.get(f"/my-budget/{REF}/statement.json")
    assert download["Content-Disposition"] == f'attachment; filename="statement-{REF}.json"'
    assert check(tmp_path, json.loads(download.content)).returncode == 0
    page = sam.get(f"/my-budget/{REF}/statement/").content.decode()
    assert "closing balance" in page and "£16,744.00" in page  # £322.00 a week for a year
    assert transparency.fingerprint() in page
    pdf = sam.get(f"/my-budget/{REF}/statement/?format=pdf")
    assert pdf["Content-Type"] == "application/pdf"
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert f"Statement of {REF}" in text and "16,744.00" in text
    looked = sam.get(f"/my-budget/{REF}/who-has-looked/").content.decode()
    assert (
        "alex" in looked and "Social worker" in looked and f"/api/v1/budgets/people/{REF}" in looked
    )
    assert sam.get("/my-budget/DN-000001/who-has-looked/").status_code == 404  # not his
    public = Client().get("/transparency/").content.decode()
    assert transparency.public_key_b64() in public and "Checkpoints" in public


def test_an_auditor_checks_a_statement_on_the_audit_pages(
    statement: dict[str, Any], make_user: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.integration.helpers import signed_in

    auditor = signed_in(make_user, "a.audit", Role.AUDITOR)

    def upload(document: dict[str, Any]) -> str:
        file = SimpleUploadedFile("statement.json", json.dumps(document).encode())
        return auditor.post("/audit/verify/", {"file": file}).content.decode()

    assert "verified: 2 entries of DN-000995" in upload(statement)
    changed = copy.deepcopy(statement)
    changed["statement"]["closing_balance_pence"] += 1
    assert "Not verified: the statement is not signed by this key" in upload(changed)
    assert auditor.post("/audit/verify/", {}).status_code == 400
    worker = signed_in(make_user, "alex", Role.SOCIAL_WORKER)
    assert worker.get("/audit/verify/").status_code == 403


@pytest.mark.postgres  # SQLite's in-memory test database refuses concurrent writers outright
@pytest.mark.django_db(transaction=True)
def test_statements_made_at_once_on_many_threads_all_verify(
    statement: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A web process answers on several threads: found by the load test, a thread could read
    the tree while another was building it ("the tree has 0 leaves, not 32")."""
    import time
    from threading import Thread

    from ledger.services import ledger_app

    more = [draft(f"more-{n}", [("BANK", "debit", 1), ("OTHER", "credit", 1)]) for n in range(300)]
    ledger_app().post_entries(more)
    transparency._tree = None  # as a process that has made no statement yet
    # Building the tree is made slow, so the threads overlap while it is built, as the load
    # test's did on a busy machine.
    from ledger.merkle import MerkleTree

    append = MerkleTree.append

    def slow_append(self: MerkleTree, leaf: bytes) -> None:
        time.sleep(0.0002)
        append(self, leaf)

    monkeypatch.setattr(MerkleTree, "append", slow_append)
    made: list[Any] = []
    failed: list[BaseException] = []

    def make() -> None:
        try:
            made.append(transparency.statement(REF).as_json())
        except BaseException as exc:  # noqa: BLE001 - kept, to be shown
            failed.append(exc)

    threads = [Thread(target=make) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == [] and len(made) == 8
    for document in made:
        verified = check(tmp_path, document)
        assert verified.returncode == 0, verified.stdout + verified.stderr


KEY_CHILD = """
from ledger import transparency
from cryptography.hazmat.primitives import serialization
key = transparency.signing_key().public_key()
print(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex())
"""


def test_processes_starting_at_once_make_one_signing_key_and_none_reads_half(
    tmp_path: Path,
) -> None:
    """Found by the load test: a process read the key file while another was writing it."""
    from tests.integration.child import spawn_child

    path = tmp_path / "keys" / "transparency-ed25519.pem"
    children = [spawn_child(KEY_CHILD, CARELEDGER_SIGNING_KEY=str(path)) for _ in range(6)]
    keys = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        keys.append(out.strip())
    assert len(set(keys)) == 1 and len(keys[0]) == 64
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left behind

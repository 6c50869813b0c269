"""Correlation and causation ids (config/correlation.py): nested causes keep their chain, a
caller's id is taken only when it is one, and the mapper writes them onto each event stored
and reads them back (events recorded outside any cause carry none)."""

from __future__ import annotations

from eventsourcing.domain import Aggregate, event

from config.correlation import caused_by, clean, current
from config.transcodings import ContextApplication


def test_a_cause_inside_another_keeps_the_chain_and_a_new_one_starts_it() -> None:
    assert current() == ("", "")
    with caused_by("request:1"):
        assert current() == ("request:1", "request:1")
        with caused_by("event:Budgets:7"):
            assert current() == ("request:1", "event:Budgets:7")
        with caused_by("task:9", correlation="assessment-42"):
            assert current() == ("assessment-42", "task:9")
    assert current() == ("", "")
    assert clean(" abc:DEF-1/2_3.4 ") == "abc:DEF-1/2_3.4"
    assert clean("<script>") == clean("x" * 65) == clean("") == ""


class Thing(Aggregate):
    @event("Made")
    def __init__(self, name: str) -> None:
        self.name = name


def test_every_event_stored_carries_the_ids_and_reads_back_whole() -> None:
    app = ContextApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    with caused_by("event:Budgets:7", correlation="request:abc"):
        made = Thing("a")
        app.save(made)
    plain = Thing("b")
    app.save(plain)
    [stored] = list(app.repository.event_store.get(made.id))
    assert (stored.correlation, stored.causation) == ("request:abc", "event:Budgets:7")  # type: ignore[attr-defined]
    assert app.repository.get(made.id).name == "a"  # the ids do not disturb a replay
    [other] = list(app.repository.event_store.get(plain.id))
    assert not hasattr(other, "correlation")
    assert app.repository.get(plain.id).name == "b"

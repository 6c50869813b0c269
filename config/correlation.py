"""Which request or event led to a change. Every event a context records carries two ids:

- ``correlation``: the first request or job of the chain (an assessment's request, and every
  budget, ledger entry, payment and Celery task that followed from it, share it), given by the
  caller's ``X-Correlation-ID`` header or made for the request;
- ``causation``: what led to this event directly: the request (``request:<id>``), the Celery
  task (``task:<id>``), or the upstream event a process manager acted on
  (``event:<application>:<notification id>``).

They are set here (a context variable) by the request middleware, the Celery task signals and
the process managers, and written onto each event by ``ContextApplication``'s mapper, so no
aggregate or command has to pass them on. Events recorded before carry none.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

FIELDS = ("correlation", "causation")
LIMIT = 64
_SAFE = re.compile(r"[A-Za-z0-9:._/-]{1,64}")
_IDS: ContextVar[tuple[str, str]] = ContextVar("careledger_correlation", default=("", ""))


def current() -> tuple[str, str]:
    """(correlation, causation) of what is being done now; ("", "") outside any."""
    return _IDS.get()


@contextmanager
def caused_by(causation: str, *, correlation: str = "") -> Iterator[None]:
    """Record what is done inside as caused by ``causation``, in the chain ``correlation``
    (else the chain already under way, else a new one that starts here)."""
    chain = correlation or _IDS.get()[0] or causation
    token = _IDS.set((chain[:LIMIT], causation[:LIMIT]))
    try:
        yield
    finally:
        _IDS.reset(token)


def clean(given: str) -> str:
    """A caller's correlation id if it is one (letters, digits and ``:._/-``, at most 64),
    else "" (a new one is made)."""
    given = given.strip()
    return given if _SAFE.fullmatch(given) else ""

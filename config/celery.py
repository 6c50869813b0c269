"""The Celery app: workers and beat read their settings from Django's (CELERY_*)."""

import os
from contextlib import ExitStack

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("careledger")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# A task is a cause in the chain of whoever asked for it (a request, another task): the
# asker's correlation travels in the task's headers (config/correlation.py).
HEADER = "careledger_correlation"
_open: dict[str, ExitStack] = {}


@before_task_publish.connect
def _send_correlation(headers: dict[str, object] | None = None, **_: object) -> None:
    from config.correlation import current

    if headers is not None and current()[0]:
        headers[HEADER] = current()[0]


@task_prerun.connect
def _start_cause(task_id: str = "", task: object = None, **_: object) -> None:
    from config.correlation import caused_by

    asked = getattr(getattr(task, "request", None), HEADER, "") or ""
    cause = ExitStack()  # closed when the task ends (task_postrun)
    cause.enter_context(caused_by(f"task:{task_id}", correlation=str(asked)))
    _open[task_id] = cause


@task_postrun.connect
def _end_cause(task_id: str = "", **_: object) -> None:
    cause = _open.pop(task_id, None)
    if cause is not None:
        cause.close()

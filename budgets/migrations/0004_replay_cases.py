"""Replay the cases read model, so the columns added in 0002 and 0003 (the review reminded
for, the worker who holds the case) are filled from the events, not left empty.

A read model is disposable: emptying it and its position makes the next catch-up (every
caseload page runs one) project the whole log again. Nothing in the event store changes.
"""

from django.db import migrations


def replay(apps, schema_editor):  # noqa: ANN001 - the migration framework's signature
    apps.get_model("budgets", "CaseRecord").objects.all().delete()
    apps.get_model("budgets", "CaseAggregate").objects.all().delete()
    apps.get_model("ledger", "ProjectionPosition").objects.filter(name="cases").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("budgets", "0003_case_worker"),
        ("ledger", "0001_initial"),
    ]

    operations = [migrations.RunPython(replay, migrations.RunPython.noop)]

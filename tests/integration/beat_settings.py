"""The real settings, with beat sending the daily review reminders every second instead.

So a test can watch beat schedule the task and a worker run it, without waiting for 07:00.
"""

from config.settings import *  # noqa: F403

CELERY_BEAT_SCHEDULE = {
    "remind-reviews-due": {"task": "budgets.tasks.remind_reviews_due", "schedule": 1.0},
}

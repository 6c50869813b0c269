from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api.models import ApiToken


class Command(BaseCommand):
    help = "Issue an API token for a user; the token is printed once and stored only as a hash."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="machine client")
        parser.add_argument("--days", type=int, default=None, help="at most the maximum")

    def handle(
        self, *args: Any, username: str, name: str, days: int | None, **options: Any
    ) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user called {username}")
        _, token = ApiToken.issue(user, name, days=days)
        self.stdout.write(token)

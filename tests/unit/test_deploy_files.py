"""The image and docker-compose.yml as a council deploys them: not root, the production
settings, a web health check, and no password written in the file."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_image_runs_as_a_user_with_the_production_settings() -> None:
    image = (ROOT / "Dockerfile").read_text()
    users = re.findall(r"^USER\s+(\S+)", image, flags=re.M)
    assert users and users[-1] not in ("root", "0")
    assert "DJANGO_SETTINGS_MODULE=config.production" in image


def test_compose_has_a_web_health_check_and_no_password_in_the_file() -> None:
    compose = (ROOT / "docker-compose.yml").read_text()
    web = compose.split("\n  web:\n", 1)[1].split("\n  projections:\n", 1)[0]
    assert "healthcheck:" in web and "/healthz" in web
    for line in compose.splitlines():
        if re.search(r"(PASSWORD|SECRET|_KEY)\s*:", line) or "postgresql://" in line:
            # each secret comes from the environment (${...}), never written here
            assert "${" in line, line
    assert not re.search(r"postgresql://\w+:\w+@", compose)

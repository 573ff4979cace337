"""Start Django from the CLI or a worker, with the database chosen by URL."""
from __future__ import annotations

import os


def setup(database_url: str | None = None) -> None:
    if database_url:
        os.environ["DUNNING_DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dunning.settings")
    import django

    django.setup()


def migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=verbosity, interactive=False)

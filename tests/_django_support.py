"""Django in this test process: configured once, minimally, and every test's own part overridden.

Django's settings are process-wide and can be configured only once, so :func:`configured` sets a
neutral base (no database, no installed apps, the stock security middleware with CSRF checks) the
first time it is needed, and each test puts its own ``ROOT_URLCONF`` in place with
:func:`urlconf`, which ``override_settings`` restores afterwards. Nothing else is changed: no
``DJANGO_SETTINGS_MODULE``, no database. Tests that need a real database and the example project's
own settings run that project in a child process (``tests/test_example_django.py``).
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

BASE_SETTINGS: dict[str, Any] = {
    "DEBUG": False,
    "SECRET_KEY": "tests-only-not-a-secret",
    "ALLOWED_HOSTS": ["testserver", "localhost", "127.0.0.1"],
    "DATABASES": {},
    "INSTALLED_APPS": [],
    "MIDDLEWARE": [
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
    ],
    "ROOT_URLCONF": "tests._django_support",
    "USE_TZ": True,
}

urlpatterns: list[Any] = []  # the base ROOT_URLCONF: nothing routed


def configured() -> None:
    """Configure Django with :data:`BASE_SETTINGS` unless something already has."""
    pytest.importorskip("django", reason="Django is in the django extra")
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(**BASE_SETTINGS)
        django.setup()


@contextmanager
def urlconf(patterns: list[Any]) -> Iterator[None]:
    """Serve ``patterns`` as the root urlconf for the duration of the block."""
    configured()
    from django.test import override_settings

    module = types.ModuleType("scimcore_test_urls")
    module.__dict__["urlpatterns"] = patterns
    with override_settings(ROOT_URLCONF=module):
        yield

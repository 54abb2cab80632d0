"""Logs the request in as the provisioning user when it carries the project's bearer token."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser


class BearerTokenMiddleware:
    """``Authorization: Bearer <TOKEN>`` is the provisioning user; anything else is anonymous."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        from peer_django_scim2.models import User

        header = request.headers.get("Authorization", "")
        if header == f"Bearer {settings.TOKEN}":
            request.user, _ = User.objects.get_or_create(username="provisioner")
        else:
            request.user = AnonymousUser()
        return self.get_response(request)

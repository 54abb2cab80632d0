"""The site's SCIM service: scimcore over this site's own auth tables, built from the settings."""

from __future__ import annotations

from django.conf import settings

from scimcore.apps.django import django_hasher, django_store, sqlalchemy_url
from scimcore.service import BearerTokens, ScimService, ServiceConfig


def scim_service() -> ScimService:
    """A service whose store is ``auth_user``/``auth_group`` in the ``default`` database."""
    store = django_store(
        sqlalchemy_url(settings.DATABASES["default"]),
        idp=settings.SCIM_IDP,
        deprovision=settings.SCIM_DEPROVISION,
    )
    config = ServiceConfig(
        base_url=settings.SCIM_BASE_URL,
        authenticator=BearerTokens.from_tokens({"idp": settings.SCIM_TOKEN}),
        password_hasher=django_hasher(settings.SCIM_PASSWORD_ITERATIONS).hash,
        change_password=True,
        audit_to_store=True,  # each write's audit record commits with it, in scim_audit
    )
    return ScimService(store, config)

"""A Drupal 10 site's own user tables provisioned over SCIM: every account (``users``,
``users_field_data``, its ``user__field_*`` rows) is a SCIM User, roles are the Groups
(:mod:`scimcore.apps.drupal`).

Configuration, not glue: ``mapping.toml`` and :func:`scimcore.apps.drupal_store`. Environment
(read at import; the database is first reached by the first request):

- ``DRUPAL_DB_URL``: Drupal's database, e.g. ``mysql+pymysql://drupal:secret@127.0.0.1/drupal``
  (default: ``drupal.db`` beside this file; a ``sqlite:///…`` file gets ``schema.sql``'s tables
  if it lacks them);
- ``DRUPAL_TABLE_PREFIX`` (``settings.php``'s ``prefix``; default none), ``DRUPAL_IDP``
  (``okta``, the default, ``jumpcloud`` or ``miniorange``: which table of ``mapping.toml``),
  ``DRUPAL_DEPROVISION`` (``deactivate``, the default: block, or ``delete``);
- ``SCIM_TOKEN`` (the IdP's bearer token) and ``SCIM_BASE_URL``.

Run: ``uvicorn examples.drupal.app:app``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from examples._site import create_if_absent, idp_mapping
from scimcore.adapters import asgi_app
from scimcore.apps import drupal_hasher, drupal_store
from scimcore.apps.drupal import register_transforms
from scimcore.service import BearerTokens, ScimService, ServiceConfig

HERE = Path(__file__).parent


def build_service(env: Mapping[str, str] = os.environ) -> ScimService:
    """The SCIM service over the site the environment names."""
    register_transforms()  # the transforms mapping.toml names (active ⇄ status, locales)
    default = f"sqlite:///{env.get('DRUPAL_DB') or HERE / 'drupal.db'}"
    store = drupal_store(
        env.get("DRUPAL_DB_URL") or default,
        mapping=idp_mapping(HERE / "mapping.toml", env.get("DRUPAL_IDP") or "okta"),
        prefix=env.get("DRUPAL_TABLE_PREFIX", ""),
        deprovision=env.get("DRUPAL_DEPROVISION") or "deactivate",
    )
    create_if_absent(store.engine, HERE / "schema.sql")
    config = ServiceConfig(
        base_url=env.get("SCIM_BASE_URL", "http://127.0.0.1:8000/scim/v2"),
        authenticator=BearerTokens.from_tokens({"idp": env.get("SCIM_TOKEN", "change-me")}),
        password_hasher=drupal_hasher().hash,  # bcrypt $2y$: Drupal's password_verify accepts it
        change_password=True,
        audit_to_store=True,  # each write's audit record commits with it, in scim_audit
    )
    return ScimService(store, config)


app = asgi_app(build_service())

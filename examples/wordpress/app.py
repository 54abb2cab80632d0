"""A WordPress site's own user tables provisioned over SCIM: every ``wp_users`` row (with its
``wp_usermeta``) is a SCIM User, the site's roles are the Groups (:mod:`scimcore.apps.wordpress`).

Configuration, not glue: ``mapping.toml`` and :func:`scimcore.apps.wordpress_store`. Environment
(read at import; the database is first reached by the first request):

- ``WP_DB_URL``: WordPress's database, e.g. ``mysql+pymysql://wp:secret@127.0.0.1/wordpress``
  (default: ``WP_DB``, else ``wordpress.db`` beside this file; a ``sqlite:///…`` file gets
  ``schema.sql``'s tables if it lacks them);
- ``WP_TABLE_PREFIX`` (``wp-config.php``'s ``$table_prefix``; default ``wp_``), ``WP_IDP``
  (``okta``, the default, ``jumpcloud`` or ``miniorange``: which table of ``mapping.toml``),
  ``WP_DEPROVISION`` (``deactivate``, the default: lock the login and end the sessions, or
  ``delete``: what ``wp_delete_user`` does);
- ``SCIM_TOKEN`` (the IdP's bearer token) and ``SCIM_BASE_URL``.

Run: ``uvicorn examples.wordpress.app:app``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from examples._site import create_if_absent, idp_mapping
from scimcore.adapters import asgi_app
from scimcore.apps import wordpress_hasher, wordpress_store
from scimcore.apps.wordpress import register_transforms
from scimcore.service import BearerTokens, ScimService, ServiceConfig

HERE = Path(__file__).parent


def build_service(env: Mapping[str, str] = os.environ) -> ScimService:
    """The SCIM service over the site the environment names."""
    register_transforms()  # the transforms mapping.toml names (active from the hash, locales)
    default = f"sqlite:///{env.get('WP_DB') or HERE / 'wordpress.db'}"
    prefix = env.get("WP_TABLE_PREFIX") or "wp_"
    store = wordpress_store(
        env.get("WP_DB_URL") or default,
        mapping=idp_mapping(HERE / "mapping.toml", env.get("WP_IDP") or "okta"),
        prefix=prefix,
        deprovision=env.get("WP_DEPROVISION") or "deactivate",
    )
    create_if_absent(store.engine, HERE / "schema.sql", replace={"wp_": prefix})
    config = ServiceConfig(
        base_url=env.get("SCIM_BASE_URL", "http://127.0.0.1:8000/scim/v2"),
        authenticator=BearerTokens.from_tokens({"idp": env.get("SCIM_TOKEN", "change-me")}),
        password_hasher=wordpress_hasher().hash,  # bcrypt $2y$: wp_check_password accepts it
        change_password=True,
        audit_to_store=True,  # each write's audit record commits with it, in wp_scim_audit
    )
    return ScimService(store, config)


app = asgi_app(build_service())

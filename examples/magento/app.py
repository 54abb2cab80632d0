"""A Magento 2 store's own customer tables provisioned over SCIM: ``customer_entity`` and its EAV
attributes are the SCIM Users, customer groups the Groups (:mod:`scimcore.apps.magento`).

Configuration, not glue: ``mapping.toml`` and :func:`scimcore.apps.magento_store`. Environment
(read at import; the database is first reached by the first request):

- ``MAGENTO_DB_URL``: Magento's database, e.g. ``mysql+pymysql://magento:secret@127.0.0.1/magento``
  (default: ``magento.db`` beside this file; a ``sqlite:///…`` file gets ``schema.sql``'s tables
  if it lacks them);
- ``MAGENTO_TABLE_PREFIX`` (``env.php``'s ``table_prefix``; default none), ``MAGENTO_IDP``
  (``okta``, the default, ``jumpcloud`` or ``miniorange``: which table of ``mapping.toml``),
  ``MAGENTO_DEPROVISION`` (``deactivate``, the default, or ``delete``);
- ``SCIM_TOKEN`` (the IdP's bearer token) and ``SCIM_BASE_URL``.

Run: ``uvicorn examples.magento.app:app``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from examples._site import create_if_absent, idp_mapping
from scimcore.adapters import asgi_app
from scimcore.apps import magento_hasher, magento_store
from scimcore.apps.magento import register_transforms
from scimcore.service import BearerTokens, ScimService, ServiceConfig

HERE = Path(__file__).parent


def build_service(env: Mapping[str, str] = os.environ) -> ScimService:
    """The SCIM service over the store the environment names."""
    register_transforms()  # the transforms mapping.toml names (active ⇄ is_active)
    default = f"sqlite:///{env.get('MAGENTO_DB') or HERE / 'magento.db'}"
    store = magento_store(
        env.get("MAGENTO_DB_URL") or default,
        mapping=idp_mapping(HERE / "mapping.toml", env.get("MAGENTO_IDP") or "okta"),
        prefix=env.get("MAGENTO_TABLE_PREFIX", ""),
        deprovision=env.get("MAGENTO_DEPROVISION") or "deactivate",
    )
    create_if_absent(store.engine, HERE / "schema.sql")
    config = ServiceConfig(
        base_url=env.get("SCIM_BASE_URL", "http://127.0.0.1:8000/scim/v2"),
        authenticator=BearerTokens.from_tokens({"idp": env.get("SCIM_TOKEN", "change-me")}),
        password_hasher=magento_hasher().hash,  # Encryptor's argon2id13, checked by Magento
        change_password=True,
        audit_to_store=True,  # each write's audit record commits with it, in scim_audit
    )
    return ScimService(store, config)


app = asgi_app(build_service())

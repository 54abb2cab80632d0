"""scimcore's reference server, in process on an embedded SQLite database, for the main job."""

from __future__ import annotations

import importlib
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from conformance.errors import ConformanceError

__all__ = ["REFERENCE_BASE_URL", "reference_service"]

REFERENCE_BASE_URL = "http://127.0.0.1:8080/scim/v2"


def _open_store(db: str, service_module: Any) -> Any:
    serve = _optional("scimcore.service._serve")
    config = service_module.ServiceConfig(base_url=REFERENCE_BASE_URL)
    if serve is not None and hasattr(serve, "open_store"):
        errors = importlib.import_module("scimcore.errors")
        database = _optional("scimcore.service._database")
        try:
            if database is not None:  # a missing directory, an unreachable PostgreSQL: one line
                database.check_database(db)
            return serve.open_store(db, config)
        except errors.ConfigurationError as exc:
            raise ConformanceError(exc.detail) from None
    store_module = importlib.import_module("scimcore.store")
    if db.startswith(("postgresql://", "postgres://")):
        return store_module.PostgresStore(db)
    return store_module.SqliteStore(db.removeprefix("sqlite:///").removeprefix("sqlite:"))


def _optional(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


@contextmanager
def reference_service(
    db: str | None = None, *, token: str | None = None, store: Any = None
) -> Iterator[Any]:
    """Yield ``(service, token)``: a ``ScimService`` on SQLite in a temporary directory.

    ``db`` names another database (``postgresql://…``, a SQLite path, ``memory:``), or ``store``
    gives an open store (left open). The service requires ``token`` (a fresh random one by
    default) like a deployed server would.
    """
    service_module = _optional("scimcore.service")
    if service_module is None or not hasattr(service_module, "ScimService"):
        raise ConformanceError(
            "scimcore's reference server (scimcore.service) is not available in this build; "
            "give a target with --url or --app"
        )
    token = token or secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory(prefix="scim-conformance-") as tmp:
        owned = store is None
        if store is None:
            store = _open_store(db or str(Path(tmp) / "reference.sqlite3"), service_module)
        config = service_module.ServiceConfig(
            base_url=REFERENCE_BASE_URL,
            authenticator=service_module.BearerTokens.from_tokens({"conformance": token}),
        )
        try:
            yield service_module.ScimService(store, config), token
        finally:
            close = getattr(store, "close", None)
            if owned and callable(close):
                close()

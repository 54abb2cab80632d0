"""What the site examples share: the IdP's mapping and the SQLite stand-in."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scimcore.errors import ConfigurationError
from scimcore.mapping import AttributeMapping, mapping_from_dict

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["create_if_absent", "idp_mapping"]


def idp_mapping(path: Path, idp: str) -> AttributeMapping:
    """The ``[[rules]]`` of a mapping file with the IdP's own table (``[[okta]]``, …) on top:
    an IdP rule for the same SCIM path replaces the shared one."""
    doc = tomllib.loads(path.read_text())
    shared: list[dict[str, Any]] = doc.pop("rules")
    idp = idp.lower()
    if idp not in doc:
        raise ConfigurationError(f"{path.name} has no mapping for the IdP {idp!r}: {sorted(doc)}")
    own = doc[idp]
    paths = {rule["scim"] for rule in own}
    return mapping_from_dict({"rules": [r for r in shared if r["scim"] not in paths] + own})


def create_if_absent(
    engine: Engine, script: Path, *, replace: Mapping[str, str] | None = None
) -> None:
    """On SQLite, run ``script`` (``CREATE TABLE IF NOT EXISTS`` and seed rows) when the engine
    first connects, so a new file becomes an empty site; other databases are the site's own.

    ``replace`` rewrites the script's text first (``{"wp_": prefix}``: another table prefix).
    """
    if engine.dialect.name != "sqlite":
        return
    from sqlalchemy import event

    @event.listens_for(engine, "first_connect")
    def _create(dbapi_connection: Any, record: Any) -> None:
        text = script.read_text()
        for old, new in (replace or {}).items():
            text = text.replace(old, new)
        dbapi_connection.executescript(text)

"""``scimcore serve`` settings: command-line options and the TOML config file, checked at start.

A bad file is refused before the server starts, with the key and the reason. Other layers add
their own top-level tables with :func:`register_config_section`: a section parser receives the
table and returns a function that adjusts the :class:`ServiceConfig` (adding hooks, say).
"""

from __future__ import annotations

import importlib
import json
import os
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from scimcore.errors import ConfigurationError
from scimcore.schema import DEFAULT_REGISTRY, Schema, SchemaRegistry
from scimcore.service._auth import BearerTokens, hash_token
from scimcore.service._config import ServiceConfig
from scimcore.service._ratelimit import RateLimit

ConfigAdjuster = Callable[[ServiceConfig], ServiceConfig]
SectionParser = Callable[[Mapping[str, Any], Path], ConfigAdjuster]

_SECTIONS: dict[str, SectionParser] = {}

# The layers whose modules register a section on import; imported when a config is read, so that
# ``import scimcore`` (lazy) need not load them and a config file still knows their tables.
_BUILTIN_SECTIONS = ("scimcore.policy._service", "scimcore.audit._service")

DEFAULT_DB = "sqlite:///scimcore.sqlite3"


def register_config_section(name: str, parser: SectionParser) -> None:
    """Let a layer own the top-level table ``[name]`` of the config file.

    ``parser(table, config_dir)`` raises :class:`~scimcore.ConfigurationError` naming the key
    (``name.key: reason``) and returns a function applied to the ServiceConfig at start.
    """
    _SECTIONS[name] = parser


@attrs.frozen(slots=True)
class ServeSettings:
    """Everything ``scimcore serve`` needs: where to listen, the database and the service config."""

    host: str = "127.0.0.1"
    port: int = 8080
    db: str = DEFAULT_DB
    config: ServiceConfig = attrs.field(factory=ServiceConfig)
    generated_token: str | None = None
    base_url_set: bool = False
    """Whether the file gave ``server.base_url`` (else it follows the host and port served)."""


_TOP = ("server", "tokens", "discovery", "limits", "behaviour", "schemas")
_SERVER = ("host", "port", "db", "base_url")
_DISCOVERY = ("public", "documentation_uri")
_LIMITS = (
    "max_body_bytes",
    "max_results",
    "default_count",
    "max_filter_length",
    "bulk_max_operations",
    "bulk_max_payload_bytes",
    "rate_limit_per_second",
    "rate_limit_burst",
)
_BEHAVIOUR = ("patch_response", "group_display_name_unique", "change_password")
_TOKEN = ("name", "token", "sha256", "env")
_SCHEMA = ("resource_type", "file", "schema", "required")


def _fail(key: str, reason: str) -> ConfigurationError:
    return ConfigurationError(f"{key}: {reason}")


def _table(value: Any, key: str, known: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(key, "must be a table")
    for name in value:
        if name not in known:
            raise _fail(f"{key}.{name}", f"unknown key (known: {', '.join(known)})")
    return value


def _get(table: Mapping[str, Any], key: str, where: str, kind: type, default: Any) -> Any:
    if key not in table:
        return default
    value = table[key]
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise _fail(f"{where}.{key}", f"must be an integer, got {value!r}")
    if kind is float and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise _fail(f"{where}.{key}", f"must be a number, got {value!r}")
    if kind in (str, bool) and not isinstance(value, kind):
        raise _fail(f"{where}.{key}", f"must be a {kind.__name__}, got {value!r}")
    return value


def _positive(table: Mapping[str, Any], key: str, where: str, default: int) -> int:
    value: int = _get(table, key, where, int, default)
    if value < 1:
        raise _fail(f"{where}.{key}", f"must be at least 1, got {value}")
    return value


def _tokens(value: Any, base: Path) -> BearerTokens:
    if not isinstance(value, list) or not value:
        raise _fail("tokens", "must be a non-empty array of tables ([[tokens]])")
    hashes: dict[str, str] = {}
    for i, entry in enumerate(value):
        where = f"tokens[{i}]"
        entry = _table(entry, where, _TOKEN)
        name = _get(entry, "name", where, str, None)
        if not name:
            raise _fail(f"{where}.name", "is required (it is recorded in the audit log)")
        if name in hashes:
            raise _fail(f"{where}.name", f"{name!r} is used twice")
        given = [k for k in ("token", "sha256", "env") if k in entry]
        if len(given) != 1:
            raise _fail(where, "give exactly one of token, sha256 or env")
        kind = given[0]
        text = _get(entry, kind, where, str, "")
        if kind == "sha256":
            try:
                ok = len(bytes.fromhex(text)) == 32
            except ValueError:
                ok = False
            if not ok:
                raise _fail(f"{where}.sha256", "must be 64 hexadecimal digits")
            hashes[name] = text
            continue
        if kind == "env":
            env_value = os.environ.get(text)
            if not env_value:
                raise _fail(f"{where}.env", f"environment variable {text!r} is not set")
            text = env_value
        if len(text) < 16:
            raise _fail(f"{where}.{kind}", "a bearer token needs at least 16 characters")
        hashes[name] = hash_token(text)
    return BearerTokens.from_hashes(hashes)


def _schemas(value: Any, base: Path, registry: SchemaRegistry) -> SchemaRegistry:
    if not isinstance(value, list):
        raise _fail("schemas", "must be an array of tables ([[schemas]])")
    for i, entry in enumerate(value):
        where = f"schemas[{i}]"
        entry = _table(entry, where, _SCHEMA)
        rt = _get(entry, "resource_type", where, str, None)
        if rt is None or registry.resource_type(rt) is None:
            raise _fail(f"{where}.resource_type", f"must name a resource type, got {rt!r}")
        if ("file" in entry) == ("schema" in entry):
            raise _fail(where, "give exactly one of file (a JSON file) or schema (an inline table)")
        if "file" in entry:
            path = base / _get(entry, "file", where, str, "")
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise _fail(f"{where}.file", f"cannot read {str(path)!r}: {exc}") from None
        else:
            data = entry["schema"]
        try:
            registry = registry.with_extension(
                rt,
                Schema.from_dict(data),
                required=_get(entry, "required", where, bool, False),
            )
        except ConfigurationError as exc:
            raise _fail(where, exc.detail) from None
    return registry


def load_settings(path: str | os.PathLike[str]) -> ServeSettings:
    """Read and check a TOML config file; ConfigurationError names the bad key and why."""
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"cannot read the config file {str(file)!r}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{file}: not valid TOML: {exc}") from None
    return settings_from_mapping(data, base=file.parent)


def settings_from_mapping(data: Mapping[str, Any], *, base: Path = Path()) -> ServeSettings:
    """Build settings from an already-parsed config mapping (the TOML file's content)."""
    for module in _BUILTIN_SECTIONS:
        importlib.import_module(module)
    for key in data:
        if key not in _TOP and key not in _SECTIONS:
            known = ", ".join((*_TOP, *_SECTIONS))
            raise _fail(key, f"unknown section (known: {known})")
    server = _table(data.get("server", {}), "server", _SERVER)
    host = _get(server, "host", "server", str, "127.0.0.1")
    port = _get(server, "port", "server", int, 8080)
    if not 0 <= port <= 65535:
        raise _fail("server.port", f"must be between 0 and 65535, got {port}")
    db = _get(server, "db", "server", str, DEFAULT_DB)
    base_url = _get(server, "base_url", "server", str, f"http://{host}:{port}/scim/v2")
    if not base_url.startswith(("http://", "https://")):
        raise _fail("server.base_url", f"must be an absolute http(s) URL, got {base_url!r}")
    disc = _table(data.get("discovery", {}), "discovery", _DISCOVERY)
    limits = _table(data.get("limits", {}), "limits", _LIMITS)
    behave = _table(data.get("behaviour", {}), "behaviour", _BEHAVIOUR)
    patch_response = _get(behave, "patch_response", "behaviour", str, "resource")
    if patch_response not in ("resource", "no_content"):
        raise _fail("behaviour.patch_response", "must be 'resource' or 'no_content'")
    per_second = float(_get(limits, "rate_limit_per_second", "limits", float, 0))
    if per_second < 0:
        raise _fail("limits.rate_limit_per_second", "must not be negative")
    burst = _get(limits, "rate_limit_burst", "limits", int, max(1, int(per_second)))
    registry = DEFAULT_REGISTRY
    if "schemas" in data:
        registry = _schemas(data["schemas"], base, registry)
    config = ServiceConfig(
        base_url=base_url,
        registry=registry,
        authenticator=_tokens(data["tokens"], base) if "tokens" in data else None,
        public_discovery=_get(disc, "public", "discovery", bool, False),
        documentation_uri=_get(disc, "documentation_uri", "discovery", str, None),
        max_body_bytes=_positive(limits, "max_body_bytes", "limits", 1_048_576),
        max_results=_positive(limits, "max_results", "limits", 1000),
        default_count=_positive(limits, "default_count", "limits", 100),
        max_filter_length=_positive(limits, "max_filter_length", "limits", 4096),
        bulk_max_operations=_positive(limits, "bulk_max_operations", "limits", 1000),
        bulk_max_payload_bytes=_positive(limits, "bulk_max_payload_bytes", "limits", 1_048_576),
        rate_limit=RateLimit(per_second, burst) if per_second > 0 else None,
        patch_response=patch_response,
        group_display_name_unique=_get(
            behave, "group_display_name_unique", "behaviour", bool, False
        ),
        change_password=_get(behave, "change_password", "behaviour", bool, False),
    )
    for name, parser in _SECTIONS.items():
        if name in data:
            table = data[name]
            if not isinstance(table, Mapping):
                raise _fail(name, "must be a table")
            config = parser(table, base)(config)
    return ServeSettings(
        host=host, port=port, db=db, config=config, base_url_set="base_url" in server
    )

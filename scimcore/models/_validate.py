"""Schema-driven resource validation, compiled from the schema layer into closures.

Why closures and not ``jsonschema`` on the hot path: a realistic User takes jsonschema several
hundred microseconds to check (it interprets a generic schema: regexes for case-insensitive
names, ``anyOf`` branches, error objects), while the budget for parsing, validating and dumping
one resource is a few tens of microseconds. So :func:`validate_resource` runs a validator compiled
once per (registry, resource type, context) into one small closure per attribute: dict lookups on
the attribute name (exact spelling first, lower-cased second), ``isinstance`` checks and, for the
few attributes that need one, a precompiled regex. The generated JSON Schema
(:func:`scimcore.models.json_schema`) states the very same rules declaratively; it is the reference
used by :func:`scimcore.models.validate_with_json_schema` for thorough checks of incoming bodies,
and the test suite checks with hypothesis that both accept exactly the same documents.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

from scimcore._jsontype import json_type_name
from scimcore.errors import InvalidSyntax, InvalidValue, ScimError
from scimcore.models._types import BINARY_RE, DATETIME_RE, canonical_pattern
from scimcore.schema import (
    COMMON_ATTRIBUTES,
    DEFAULT_REGISTRY,
    Attribute,
    ResourceType,
    SchemaRegistry,
)

Context = Literal["create", "replace", "response"]
CONTEXTS: frozenset[str] = frozenset(("create", "replace", "response"))

_Check = Callable[[Any], Any]


class _Bad(Exception):
    """Internal: a validation failure on its way up, collecting its JSON path in reverse."""

    def __init__(self, cls: type[ScimError], detail: str, path: list[str | int] | None = None):
        super().__init__(detail)
        self.cls = cls
        self.detail = detail
        self.path: list[str | int] = path if path is not None else []


def _sent(data: dict[str, Any], name: str) -> str:
    """The key the client used for attribute ``name`` (null or empty), else ``name`` itself."""
    low = name.lower()
    return next((k for k in data if isinstance(k, str) and k.lower() == low), name)


def kept(attr: Attribute, context: str) -> bool:
    """Whether ``attr`` is validated and kept in ``context``, rather than silently dropped.

    Requests (create, replace) drop readOnly attributes (``id``, ``meta``, ``groups``): the
    server owns them, and RFC 7644 §3.5.1 says clients' values for them are ignored. Responses
    drop ``returned: never`` attributes (``password``), which never leave the server.
    """
    if context == "response":
        return attr.returned != "never"
    return attr.mutability != "readOnly"


def _scalar_check(attr: Attribute, label: str, enforce_canonical: bool) -> _Check:
    kind = attr.type
    if kind in ("string", "reference"):
        canon = attr.canonical_values if enforce_canonical else ()
        if canon:
            exact = frozenset(canon)
            rx = re.compile(canonical_pattern(canon))
            allowed = ", ".join(canon)

            def check_canonical(v: Any) -> Any:
                if isinstance(v, str):
                    if v in exact or rx.search(v):
                        return v
                    raise _Bad(InvalidValue, f"{label} must be one of {allowed}, not {v!r:.60}")
                raise _Bad(InvalidValue, f"{label} must be a string, not {json_type_name(v)}")

            return check_canonical

        def check_string(v: Any) -> Any:
            if isinstance(v, str):
                return v
            raise _Bad(InvalidValue, f"{label} must be a string, not {json_type_name(v)}")

        return check_string
    if kind == "boolean":

        def check_boolean(v: Any) -> Any:
            if isinstance(v, bool):
                return v
            raise _Bad(InvalidValue, f"{label} must be true or false, not {json_type_name(v)}")

        return check_boolean
    if kind == "integer":

        def check_integer(v: Any) -> Any:
            if isinstance(v, int) and not isinstance(v, bool):
                return v
            if isinstance(v, float) and v.is_integer():
                return v
            raise _Bad(InvalidValue, f"{label} must be an integer, not {json_type_name(v)}")

        return check_integer
    if kind == "decimal":

        def check_decimal(v: Any) -> Any:
            if isinstance(v, int | float) and not isinstance(v, bool):
                return v
            raise _Bad(InvalidValue, f"{label} must be a number, not {json_type_name(v)}")

        return check_decimal
    rx_value = DATETIME_RE if kind == "dateTime" else BINARY_RE
    what = (
        "an RFC 3339 date-time such as 2024-05-01T12:00:00Z"
        if kind == "dateTime"
        else "base64 text (RFC 4648, padded)"
    )
    search = rx_value.search

    def check_pattern(v: Any) -> Any:
        if isinstance(v, str):
            if search(v):
                return v
            raise _Bad(InvalidValue, f"{label} must be {what}, not {v!r:.60}")
        raise _Bad(InvalidValue, f"{label} must be {what}, not {json_type_name(v)}")

    return check_pattern


def _object_check(
    attributes: tuple[Attribute, ...],
    label: str,
    context: str,
    enforce_canonical: bool,
) -> _Check:
    """A checker for a JSON object whose members are ``attributes`` (a complex value)."""
    table: dict[str, tuple[str, _Check | None]] = {}
    required: list[str] = []
    for attr in attributes:
        sub_label = f"{label}.{attr.name}" if label else attr.name
        check = _attribute_check(attr, sub_label, context, enforce_canonical)
        entry = (attr.name, check if kept(attr, context) else None)
        table[attr.name.lower()] = entry
        table[attr.name] = entry
        if attr.required and kept(attr, context):
            required.append(attr.name)
    where = f"{label} " if label else ""
    declared = ", ".join(a.name for a in attributes)

    def check_object(value: Any) -> Any:
        if not isinstance(value, dict):
            raise _Bad(InvalidValue, f"{label} must be an object, not {json_type_name(value)}")
        out: dict[str, Any] = {}
        for key, v in value.items():
            entry = table.get(key)
            if entry is None:
                entry = table.get(key.lower()) if isinstance(key, str) else None
                if entry is None:
                    raise _Bad(
                        InvalidSyntax,
                        f"{where}has no sub-attribute {key!r} (declared: {declared})",
                        [key],
                    )
            name, check = entry
            if check is None or v is None:
                continue
            if name in out:
                raise _Bad(InvalidSyntax, f"{name!r} is given twice (names ignore case)", [key])
            try:
                out[name] = check(v)
            except _Bad as exc:
                exc.path.insert(0, key)
                raise
        for name in required:
            if name not in out or _blank(out[name]):
                raise _Bad(
                    InvalidValue,
                    f"{label}.{name} is required (an empty or blank string is no value)",
                    [_sent(value, name)],
                )
        return out

    return check_object


def _attribute_check(attr: Attribute, label: str, context: str, enforce_canonical: bool) -> _Check:
    if attr.type == "complex":
        one = _object_check(attr.sub_attributes, label, context, enforce_canonical)
    else:
        one = _scalar_check(attr, label, enforce_canonical)
    if not attr.multi_valued:
        return one
    primary = attr.sub_attribute("primary")
    check_primary = (
        primary is not None
        and primary.type == "boolean"
        and not primary.multi_valued
        and kept(primary, context)
    )
    primary_name = primary.name if primary is not None else "primary"
    plain = _plain_subs(attr, context, enforce_canonical) if attr.type == "complex" else None
    sub_required = [s.name for s in attr.sub_attributes if s.required and kept(s, context)]

    def check_multi(value: Any) -> Any:
        if not isinstance(value, list):
            raise _Bad(InvalidValue, f"{label} must be an array, not {json_type_name(value)}")
        out = []
        for index, item in enumerate(value):
            if plain and type(item) is dict:
                # the common element, checked inline: exactly what ``one`` accepts unchanged
                element: dict[str, Any] = {}
                passed = True
                for key, v in item.items():
                    entry = plain.get(key)
                    if (
                        entry is None
                        or type(v) is not entry[1]
                        or entry[0] in element
                        or (entry[2] is not None and v not in entry[2])
                    ):
                        passed = False
                        break
                    element[entry[0]] = v
                if passed and all(n in element and not _blank(element[n]) for n in sub_required):
                    out.append(element)
                    continue
            try:
                if item is None:
                    raise _Bad(InvalidValue, f"{label} must not contain null")
                out.append(one(item))
            except _Bad as exc:
                exc.path.insert(0, index)
                raise
        if check_primary:
            seen = False
            for index, item in enumerate(out):
                if item.get(primary_name) is True:
                    if seen:
                        raise _Bad(
                            InvalidValue,
                            f"{label} has more than one value with primary true; keep one",
                            [index, primary_name],
                        )
                    seen = True
        return out

    return check_multi


def _plain_subs(
    attr: Attribute, context: str, enforce_canonical: bool
) -> dict[str, tuple[str, type, frozenset[str] | None]]:
    """The sub-attributes of a complex attribute that a value passes as it is: by name as
    declared and lower-cased, (name, the Python type of a valid value, the canonical values
    it must be one of, else None). Strings, references and booleans that are kept and single;
    anything else (a pattern to match, a dropped readOnly value) is left to the full check."""
    out: dict[str, tuple[str, type, frozenset[str] | None]] = {}
    entry: tuple[str, type, frozenset[str] | None]
    for sub in attr.sub_attributes:
        if sub.multi_valued or not kept(sub, context):
            continue
        if sub.type in ("string", "reference"):
            canon = frozenset(sub.canonical_values) if enforce_canonical else frozenset()
            entry = (sub.name, str, canon or None)
        elif sub.type == "boolean":
            entry = (sub.name, bool, None)
        else:
            continue
        out[sub.name] = out[sub.name.lower()] = entry
    return out


def _compile(
    registry: SchemaRegistry, rt: ResourceType, context: str, enforce_canonical: bool
) -> Callable[[Any], dict[str, Any]]:
    schemas = registry.schemas_of(rt)
    core, extensions = schemas[0], schemas[1:]
    known = {s.id.lower(): s.id for s in schemas}
    common = [a for a in COMMON_ATTRIBUTES if a.name != "schemas"]
    core_names = {a.name.lower() for a in core.attributes}
    top_attrs = (*(a for a in common if a.name.lower() not in core_names), *core.attributes)

    def check_schemas(value: Any) -> Any:
        if not isinstance(value, list):
            raise _Bad(InvalidValue, f"schemas must be an array, not {json_type_name(value)}")
        out = []
        for index, urn in enumerate(value):
            if not isinstance(urn, str):
                raise _Bad(InvalidValue, "schemas must hold URN strings", [index])
            canonical = known.get(urn.lower())
            if canonical is None:
                raise _Bad(
                    InvalidValue,
                    f"unknown schema {urn!r}; {rt.name} accepts {', '.join(known.values())}",
                    [index],
                )
            out.append(canonical)
        if core.id not in out:
            raise _Bad(InvalidValue, f"schemas must include {core.id}")
        return out

    table: dict[str, tuple[str, _Check | None]] = {}

    def put(name: str, check: _Check | None) -> None:
        table[name] = table[name.lower()] = (name, check)

    put("schemas", check_schemas)
    required = ["schemas"]
    for attr in top_attrs:
        check = _attribute_check(attr, attr.name, context, enforce_canonical)
        put(attr.name, check if kept(attr, context) else None)
        if attr.required and kept(attr, context):
            required.append(attr.name)
    ext_urns: set[str] = set()
    for ext in extensions:
        put(ext.id, _object_check(ext.attributes, ext.id, context, enforce_canonical))
        ext_urns.add(ext.id)
    required_exts = [
        e.schema for e in rt.schema_extensions if e.required and e.schema.lower() in known
    ]
    required += [known[u.lower()] for u in required_exts]
    declared = f"{rt.name} declares no attribute"

    def check_resource(data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise _Bad(
                InvalidSyntax, f"a {rt.name} must be a JSON object, not {json_type_name(data)}"
            )
        out: dict[str, Any] = {}
        for key, v in data.items():
            entry = table.get(key)
            if entry is None:
                entry = table.get(key.lower()) if isinstance(key, str) else None
                if entry is None:
                    raise _Bad(InvalidSyntax, f"{declared} {key!r}", [key])
            name, check = entry
            if check is None or v is None:
                continue
            if name in out:
                raise _Bad(InvalidSyntax, f"{name!r} is given twice (names ignore case)", [key])
            try:
                out[name] = check(v)
            except _Bad as exc:
                exc.path.insert(0, key)
                raise
        for name in required:
            if name not in out or _blank(out[name]):
                detail = (
                    f"{name} is required for a {rt.name} (an empty or blank string is no value)"
                )
                raise _Bad(InvalidValue, detail, [_sent(data, name)])
        listed = out["schemas"]
        for urn in ext_urns:
            if urn in out and urn not in listed:
                listed.append(urn)  # an extension sent but not listed: accepted, and listed
        return out

    return check_resource


def _blank(value: Any) -> bool:
    """No value for a required attribute: an empty array, or an empty or whitespace-only string
    (RFC 7643 §4.1.1: each User has a non-empty userName; §4.2: ``required`` asks for a
    non-empty value)."""
    return value == [] or (isinstance(value, str) and not value.strip())


_PLANS: dict[int, tuple[SchemaRegistry, dict[tuple[str, str, bool], Any]]] = {}


def _plan(
    registry: SchemaRegistry, resource_type: ResourceType | str, context: str, enforce: bool
) -> Callable[[Any], dict[str, Any]]:
    entry = _PLANS.get(id(registry))
    if entry is None or entry[0] is not registry:
        entry = (registry, {})
        if len(_PLANS) > 64:
            _PLANS.clear()
        _PLANS[id(registry)] = entry
    name = resource_type.name if isinstance(resource_type, ResourceType) else resource_type
    key = (name, context, enforce)
    plan = entry[1].get(key)
    if plan is None:
        if context not in CONTEXTS:
            raise ValueError(f"context must be one of {sorted(CONTEXTS)}, not {context!r}")
        rt = (
            resource_type
            if isinstance(resource_type, ResourceType)
            else registry._rt(resource_type)
        )
        plan = _compile(registry, rt, context, enforce)
        entry[1][key] = plan
    return plan


def validate_resource(
    data: Mapping[str, Any],
    *,
    resource_type: ResourceType | str,
    registry: SchemaRegistry = DEFAULT_REGISTRY,
    context: Context = "create",
    enforce_canonical_values: bool = True,
) -> dict[str, Any]:
    """Validate a resource against its schemas and return it cleaned.

    The result is a new dict: attribute names in their canonical spelling (the client may send
    ``USERNAME``), schema URNs canonically spelled, ``null`` values dropped (RFC 7643 §2.5 makes
    them the same as absent), readOnly attributes dropped on ``create``/``replace``, and
    ``returned: never`` attributes dropped on ``response``. An extension present in the body but
    missing from ``schemas`` is accepted and added to ``schemas``.

    Raises :class:`~scimcore.errors.InvalidValue` (a wrong type, a missing required attribute, a
    value outside the declared canonical values, two ``primary: true`` values, an unknown schema
    URN) or :class:`~scimcore.errors.InvalidSyntax` (not an object, an undeclared attribute, a
    name given twice), with ``path`` set to the JSON path of the problem. Canonical values
    (``emails.type`` is work, home or other) compare case-insensitively; pass
    ``enforce_canonical_values=False`` to accept any string, as RFC 7643 allows servers to.
    """
    plan = _plan(registry, resource_type, context, enforce_canonical_values)
    try:
        return plan(data)
    except _Bad as exc:
        raise exc.cls(exc.detail, path=exc.path) from None

"""Checks generated from the target's own ``/Schemas`` and ``/ResourceTypes``.

Every attribute the target declares must behave as declared (RFC 7643 §2.2, §7; RFC 7644 §3.3,
§3.4.2, §3.5): a value of the declared type round-trips, ``returned: never`` (and ``writeOnly``)
is never returned, ``returned: always`` survives ``excludedAttributes``, ``returned: request`` only
comes when asked, ``readOnly`` input is ignored on POST and PUT and refused by PATCH,
``immutable`` values cannot be changed, ``required`` is enforced, filters compare strings as
``caseExact`` says, ``uniqueness: server`` answers 409, and a value of the wrong JSON type is a
400. Extension schemas are included (their attributes travel under the schema URN).

:func:`schema_recordings` reads the discovery endpoints and builds one in-memory RFC-suite
recording (``idp: "rfc"``) per resource type and attribute, named
``rfc/schema/<ResourceType>/<attribute>``; each step cites its RFC section and the declared
characteristic, and is graded at the level the RFC words it. The runner replays them like any
other recording (clean-up included). :data:`CHECK_KINDS` lists what can be generated; the
requirement catalogue refers to them as ``schema:<kind>``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.errors import TransportError
from conformance.recording import Expect, Level, Recording, RequestSpec, Step
from conformance.transport import Request, Transport

__all__ = [
    "CHECK_KINDS",
    "Attribute",
    "CheckKind",
    "GeneratedChecks",
    "ResourceType",
    "build_recordings",
    "parse_attributes",
    "schema_recordings",
]

_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
_PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
_LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
_COMMON = frozenset({"id", "externalid", "meta", "schemas"})


@dataclass(frozen=True)
class CheckKind:
    """One kind of generated check: the RFC section it cites, its level, and what it checks."""

    rfc: str
    level: Level
    text: str


#: What can be generated, by kind (the catalogue's ``schema:<kind>`` check ids).
CHECK_KINDS: dict[str, CheckKind] = {
    "create": CheckKind("RFC7644 3.3", "MUST", "a resource carrying the attribute is created: 201"),
    "round-trip": CheckKind(
        "RFC7643 2.2",
        "SHOULD",
        "a value of the declared type (and canonical value) is read back as written",
    ),
    "case-preserved": CheckKind(
        "RFC7643 7", "MUST", "caseExact: true: the server preserves the case of a submitted value"
    ),
    "returned-never": CheckKind(
        "RFC7643 7",
        "MUST",
        "returned: never / writeOnly: the value is never returned, not even when asked for",
    ),
    "returned-request": CheckKind(
        "RFC7643 7",
        "MUST",
        "returned: request: a query returns the attribute only when 'attributes' names it",
    ),
    "returned-request-asked": CheckKind(
        "RFC7643 7", "SHOULD", "returned: request: naming it in 'attributes' returns it"
    ),
    "returned-always": CheckKind(
        "RFC7644 3.4.2.5",
        "MUST",
        "returned: always: excludedAttributes has no effect on the attribute",
    ),
    "readonly-post-ignored": CheckKind(
        "RFC7644 3.3", "MUST", "mutability: readOnly: a value in a POST body is ignored"
    ),
    "readonly-put-ignored": CheckKind(
        "RFC7644 3.5.1", "MUST", "mutability: readOnly: a value in a PUT body is ignored"
    ),
    "readonly-patch-refused": CheckKind(
        "RFC7644 3.5.2",
        "MUST",
        "mutability: readOnly: a PATCH modifying the attribute fails with a 4xx error",
    ),
    "immutable-put-refused": CheckKind(
        "RFC7644 3.5.1",
        "SHOULD",
        "mutability: immutable: a PUT changing a set value is answered 400 (mutability)",
    ),
    "immutable-patch-refused": CheckKind(
        "RFC7644 3.5.2", "MUST", "mutability: immutable: a PATCH changing a set value fails (4xx)"
    ),
    "immutable-kept": CheckKind(
        "RFC7643 7", "MUST", "mutability: immutable: after refused changes the value is unchanged"
    ),
    "required-post": CheckKind(
        "RFC7644 3.12",
        "MUST",
        "required: a POST without the attribute is refused with 400 (invalidValue)",
    ),
    "required-put": CheckKind(
        "RFC7644 3.5.1", "MUST", "required: a PUT without the attribute is refused with 400"
    ),
    "error-scimtype": CheckKind(
        "RFC7644 3.12", "SHOULD", "the refusal carries the scimType Table 9 gives for it"
    ),
    "case-exact-filter": CheckKind(
        "RFC7644 3.4.2.2",
        "MUST",
        "filters compare the attribute with the case sensitivity its caseExact declares",
    ),
    "uniqueness-409": CheckKind(
        "RFC7644 3.3",
        "MUST",
        "uniqueness: server/global: a duplicate value is refused with 409 (uniqueness)",
    ),
    "uniqueness-case": CheckKind(
        "RFC7643 7",
        "SHOULD",
        "uniqueness with caseExact: false: a value differing only in case is a duplicate",
    ),
    "type-invalid": CheckKind(
        "RFC7644 3.12",
        "MUST",
        "a value of the wrong JSON type for the declared type is refused with 400 (invalidValue)",
    ),
    "canonical-other": CheckKind(
        "RFC7643 7",
        "MAY",
        "canonicalValues: a value outside them is accepted or refused with 400, never a failure",
    ),
}


@dataclass(frozen=True)
class Attribute:
    """One declared attribute (or sub-attribute) and its characteristics (RFC 7643 §7)."""

    name: str
    type: str = "string"
    multi_valued: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: str = "readWrite"
    returned: str = "default"
    uniqueness: str = "none"
    canonical_values: tuple[str, ...] = ()
    reference_types: tuple[str, ...] = ()
    sub_attributes: tuple[Attribute, ...] = ()

    @property
    def writable(self) -> bool:
        """Whether a client may set it at creation."""
        return self.mutability in ("readWrite", "writeOnly", "immutable")

    @property
    def hidden(self) -> bool:
        """Whether the server must never return it."""
        return self.returned == "never" or self.mutability == "writeOnly"

    def sub(self, name: str) -> Attribute | None:
        """The sub-attribute called ``name`` (case-insensitive), if declared."""
        for attribute in self.sub_attributes:
            if attribute.name.lower() == name.lower():
                return attribute
        return None

    def describe(self) -> str:
        """The declared characteristics, as a report cites them."""
        parts = [f"type {self.type}"]
        if self.multi_valued:
            parts.append("multiValued")
        parts.append(f"mutability {self.mutability}")
        parts.append(f"returned {self.returned}")
        if self.required:
            parts.append("required")
        if self.type == "string":
            parts.append(f"caseExact {str(self.case_exact).lower()}")
        if self.uniqueness != "none":
            parts.append(f"uniqueness {self.uniqueness}")
        if self.canonical_values:
            parts.append("canonicalValues " + "/".join(self.canonical_values))
        return ", ".join(parts)


@dataclass(frozen=True)
class ResourceType:
    """A resource type the target lists: its endpoint, core schema and extensions."""

    name: str
    endpoint: str
    schema: str
    extensions: tuple[tuple[str, bool], ...] = ()


@dataclass
class GeneratedChecks:
    """The recordings generated for a target, and why some attributes got no check."""

    recordings: list[Recording] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _text(value: Any, default: str = "") -> str:
    return value if isinstance(value, str) else default


def _flag(value: Any) -> bool:
    return value is True


def parse_attributes(raw: Any) -> tuple[Attribute, ...]:
    """The attributes of a Schema resource's ``attributes`` array (malformed entries skipped)."""
    out: list[Attribute] = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            continue
        canonical = item.get("canonicalValues")
        references = item.get("referenceTypes")
        out.append(
            Attribute(
                name=item["name"],
                type=_text(item.get("type"), "string"),
                multi_valued=_flag(item.get("multiValued")),
                required=_flag(item.get("required")),
                case_exact=_flag(item.get("caseExact")),
                mutability=_text(item.get("mutability"), "readWrite"),
                returned=_text(item.get("returned"), "default"),
                uniqueness=_text(item.get("uniqueness"), "none"),
                canonical_values=tuple(
                    v
                    for v in (canonical if isinstance(canonical, list) else [])
                    if isinstance(v, str)
                ),
                reference_types=tuple(
                    v
                    for v in (references if isinstance(references, list) else [])
                    if isinstance(v, str)
                ),
                sub_attributes=parse_attributes(item.get("subAttributes")),
            )
        )
    return tuple(out)


# -- reading the target --------------------------------------------------------------------------


def _resources(transport: Transport, path: str, headers: Mapping[str, str]) -> list[Any]:
    response = transport.send(Request("GET", path, {}, dict(headers)))
    if response.status != 200:
        raise ValueError(f"GET {path} answered {response.status}")
    body = response.json()
    items = body.get("Resources") if isinstance(body, Mapping) else body
    if not isinstance(items, list):
        raise ValueError(f"GET {path} did not answer a list (no 'Resources')")
    return items


def _resource_types(items: Iterable[Any]) -> list[ResourceType]:
    out = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        name, endpoint, schema = item.get("name"), item.get("endpoint"), item.get("schema")
        if not (isinstance(name, str) and isinstance(endpoint, str) and isinstance(schema, str)):
            continue
        extensions = []
        for ext in item.get("schemaExtensions") or []:
            if isinstance(ext, Mapping) and isinstance(ext.get("schema"), str):
                extensions.append((ext["schema"], _flag(ext.get("required"))))
        path = "/" + endpoint.strip().strip("/").split("/")[-1]
        out.append(ResourceType(name, path, schema, tuple(extensions)))
    return out


def schema_recordings(transport: Transport, headers: Mapping[str, str]) -> GeneratedChecks:
    """Read the target's ``/ResourceTypes`` and ``/Schemas`` and generate the checks.

    Never raises for what the target answers: a missing or malformed discovery document gives no
    checks and a note saying why (the bundled discovery recordings grade those endpoints).
    """
    try:
        types = _resource_types(_resources(transport, "/ResourceTypes", headers))
        schemas: dict[str, tuple[Attribute, ...]] = {}
        for item in _resources(transport, "/Schemas", headers):
            if isinstance(item, Mapping) and isinstance(item.get("id"), str):
                schemas[item["id"].lower()] = parse_attributes(item.get("attributes"))
    except (TransportError, ValueError) as exc:
        return GeneratedChecks(notes=[f"no schema-driven checks: {exc}"])
    return build_recordings(types, schemas)


# -- values ----------------------------------------------------------------------------------------

_FIXED_STRINGS = {
    "preferredlanguage": "en-US",
    "locale": "en-US",
    "timezone": "Europe/Berlin",
    "country": "DE",
}


@dataclass(frozen=True)
class _Value:
    """A value to send, what the read-back must match, and the filter value with other case."""

    sent: Any
    expect: Any
    other_case: str | None = None  # the same string in different case (None: not checkable)


def _regex_literal(text: str) -> str:
    return re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", text)


def _string_value(attribute: Attribute, tag: str) -> _Value:
    name = attribute.name.lower()
    if attribute.canonical_values:
        value = attribute.canonical_values[0]
        return _Value(value, {"$regex": f"(?i)^{_regex_literal(value)}$"})
    if name in _FIXED_STRINGS:
        value = _FIXED_STRINGS[name]
        return _Value(value, {"$regex": f"(?i)^{_regex_literal(value)}$"})
    if "email" in tag.lower() or name == "emails":
        sent = "Mixed.Case.${unique}@Example.com"
        other = "mIXED.cASE.${unique}@eXAMPLE.COM"
    else:
        sent = f"Mixed-Case-{tag}-${{unique}}"
        other = f"mIXED-cASE-{tag}-${{unique}}"
    literal = _regex_literal(sent.replace("${unique}", "\0")).replace("\0", "${unique}")
    flags = "" if attribute.case_exact else "(?i)"
    return _Value(sent, {"$regex": f"{flags}^{literal}$"}, other)


def _simple_value(attribute: Attribute, tag: str) -> _Value | None:
    kind = attribute.type
    if kind == "string":
        return _string_value(attribute, tag)
    if kind == "boolean":
        value = attribute.name.lower() == "primary"
        return _Value(value, value)
    if kind == "integer":
        return _Value(42, 42)
    if kind == "decimal":
        return _Value(2.5, 2.5)
    if kind == "dateTime":
        return _Value("2021-03-04T05:06:07Z", {"$regex": "^2021-03-04T05:06:07"})
    if kind == "binary":
        return _Value("c2NpbWNvcmU=", "c2NpbWNvcmU=")
    if kind == "reference":
        if set(attribute.reference_types) & {"external", "uri"} or not attribute.reference_types:
            sent = f"https://example.com/{tag}/${{unique}}"
            return _Value(sent, {"$regex": f"(?i)^https://example\\.com/{tag}/${{unique}}$"})
        return None  # a reference to a SCIM resource: only the server can make it
    return None


def _wrong_type(attribute: Attribute) -> Any:
    """A JSON value no parser can take for the declared type (None: nothing unambiguous)."""
    return {
        "boolean": "not-a-boolean",
        "integer": "not-a-number",
        "decimal": "not-a-number",
        "dateTime": "not-a-date",
        "string": {"not": "a string"},
        "complex": "not-an-object",
    }.get(attribute.type)


def _resource_reference(attribute: Attribute) -> bool:
    """A complex attribute pointing at SCIM resources (members, groups, manager)."""
    ref = attribute.sub("$ref")
    return ref is not None and bool(set(ref.reference_types) - {"external", "uri"})


def _complex_value(attribute: Attribute, tag: str) -> _Value | None:
    if _resource_reference(attribute):
        return None
    sent: dict[str, Any] = {}
    expect: dict[str, Any] = {}
    for sub in attribute.sub_attributes:
        if not sub.writable or sub.type == "complex":
            continue
        value = _simple_value(sub, f"{tag}.{sub.name}")
        if value is None:
            if sub.required:
                return None
            continue
        sent[sub.name] = value.sent
        computed = attribute.name.lower() == "name" and sub.name.lower() == "formatted"
        if not sub.hidden and sub.returned != "request" and not computed:
            # RFC 7643 §4.1.1: a server may return name.formatted built from the components.
            expect[sub.name] = value.expect
    if not sent:
        return None
    if attribute.multi_valued:
        return _Value([sent], [expect])
    return _Value(sent, expect)


def _value(attribute: Attribute, tag: str) -> _Value | None:
    if attribute.type == "complex":
        return _complex_value(attribute, tag)
    value = _simple_value(attribute, tag)
    if value is None or not attribute.multi_valued:
        return value
    return _Value([value.sent], [value.expect], value.other_case)


# -- building ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    """An attribute of a resource type: where it sits in a body and how paths name it."""

    resource: ResourceType
    attribute: Attribute
    schema: str  # the URN of the schema declaring it
    extension: bool

    @property
    def path(self) -> str:
        """The attribute path for filters, ``attributes`` and PATCH."""
        return f"{self.schema}:{self.attribute.name}" if self.extension else self.attribute.name

    def place(self, body: dict[str, Any], value: Any) -> dict[str, Any]:
        """``body`` with the attribute set to ``value`` (under its URN for an extension)."""
        out = dict(body)
        if self.extension:
            container = dict(out.get(self.schema) or {})
            container[self.attribute.name] = value
            out[self.schema] = container
            out["schemas"] = [*out["schemas"], self.schema]
        else:
            out[self.attribute.name] = value
        return out

    def expect(self, value: Any) -> dict[str, Any]:
        """The subset a response must contain for the attribute to have ``value``."""
        if self.extension:
            return {self.schema: {self.attribute.name: value}}
        return {self.attribute.name: value}

    def lacks(self, value: Any) -> dict[str, Any]:
        """The expectation that the attribute does not hold ``value`` (or is not there)."""
        if self.extension:
            return {self.schema: {"$not": {self.attribute.name: value}}}
        return {self.attribute.name: {"$not": value}}

    def absent(self) -> dict[str, Any]:
        """The expectation that the attribute is not in a response."""
        if self.extension:
            # The container may be missing altogether, or hold other attributes.
            return {self.schema: {"$not": {self.attribute.name: {"$absent": False}}}}
        return {self.attribute.name: {"$absent": True}}


class _Builder:
    """Collects the steps of one attribute's recording."""

    def __init__(self, target: _Target) -> None:
        self.target = target
        self.steps: list[Step] = []
        self.requires: set[str] = set()

    def add(
        self,
        kind: str,
        name: str,
        request: RequestSpec,
        *,
        status: tuple[int, ...] = (),
        json: Any = None,
        capture: Mapping[str, str] | None = None,
        requires: tuple[str, ...] = (),
        level: Level | None = None,
        what: str | None = None,
    ) -> None:
        info = CHECK_KINDS[kind]
        target = self.target
        description = (
            f"{info.text} — {target.resource.name} {target.path} "
            f"({target.attribute.describe()}){': ' + what if what else ''}"
        )
        self.steps.append(
            Step(
                index=len(self.steps),
                name=f"{kind}:{name}" if name else kind,
                request=request,
                expect=Expect(status=status, json=json, has_json=json is not None),
                capture=dict(capture or {}),
                level=level or info.level,
                rfc=info.rfc,
                description=description,
                requires=requires,
                interop={},
            )
        )


def _request(
    method: str, path: str, body: Any = None, query: Mapping[str, str] | None = None
) -> RequestSpec:
    return RequestSpec(
        method=method,
        path=path,
        query=dict(query or {}),
        json=body,
        has_json=body is not None,
    )


def _patch(op: str, path: str, value: Any) -> dict[str, Any]:
    return {"schemas": [_PATCH_OP], "Operations": [{"op": op, "path": path, "value": value}]}


def _error(scim_type: str) -> dict[str, Any]:
    return {"schemas": [_ERROR], "scimType": scim_type}


def _base(
    resource: ResourceType, schemas: Mapping[str, tuple[Attribute, ...]]
) -> dict[str, Any] | None:
    """The smallest valid body: every required writable attribute with a generated value."""
    body: dict[str, Any] = {"schemas": [resource.schema]}
    declared = [(resource.schema, False)] + [
        (urn, True) for urn, required in resource.extensions if required
    ]
    for urn, extension in declared:
        for attribute in schemas.get(urn.lower(), ()):
            if not attribute.required or not attribute.writable:
                continue
            if attribute.name.lower() in _COMMON:
                continue
            value = _value(attribute, f"base-{attribute.name}")
            if value is None:
                return None
            target = _Target(resource, attribute, urn, extension)
            body = target.place(body, value.sent)
    return body


def _without(body: Mapping[str, Any], target: _Target) -> dict[str, Any]:
    out = dict(body)
    if target.extension:
        container = dict(out.get(target.schema) or {})
        container.pop(target.attribute.name, None)
        out[target.schema] = container
    else:
        out.pop(target.attribute.name, None)
    return out


def _referenced(
    attribute: Attribute, bases: Mapping[str, tuple[ResourceType, dict[str, Any]]]
) -> tuple[ResourceType, dict[str, Any]] | None:
    """The resource type (and its base body) a resource-reference attribute can point at."""
    ref = attribute.sub("$ref")
    for name in ref.reference_types if ref is not None else ():
        if name.lower() in bases:
            return bases[name.lower()]
    return None


def _generate(
    target: _Target,
    base: dict[str, Any],
    notes: list[str],
    bases: Mapping[str, tuple[ResourceType, dict[str, Any]]],
) -> Recording | None:
    attribute = target.attribute
    resource = target.resource
    endpoint = resource.endpoint
    b = _Builder(target)
    tag = re.sub(r"[^A-Za-z0-9]", "", attribute.name) or "attr"
    value = _value(attribute, tag) if attribute.writable else None
    label = f"{resource.name} {target.path}"
    referenced = _referenced(attribute, bases) if attribute.writable and value is None else None
    if referenced is not None and attribute.sub("value") is not None:
        other_type, other_base = referenced
        b.add(
            "create",
            f"referenced-{other_type.name}",
            _request("POST", other_type.endpoint, _renamed(other_base, "ref")),
            status=(201,),
            capture={"refId": "/id"},
            what=f"the {other_type.name} the attribute will reference",
        )
        element = {"value": "${refId}"}
        value = _Value(
            [element] if attribute.multi_valued else element,
            [element] if attribute.multi_valued else element,
        )

    if attribute.writable and value is None:
        notes.append(f"{label}: no value can be generated ({attribute.describe()})")
    body = target.place(base, value.sent) if value is not None else dict(base)

    # -- create and read back ------------------------------------------------------------------
    if value is not None and attribute.hidden:
        b.add(
            "returned-never",
            "create-response",
            _request("POST", endpoint, body),
            status=(201,),
            json=target.absent(),
            capture={"id": "/id"},
        )
    else:
        b.add("create", "", _request("POST", endpoint, body), status=(201,), capture={"id": "/id"})
    item = f"{endpoint}/${{id}}"
    if value is not None and attribute.hidden:
        b.add("returned-never", "get", _request("GET", item), status=(200,), json=target.absent())
        b.add(
            "returned-never",
            "asked-for",
            _request("GET", item, query={"attributes": target.path}),
            status=(200,),
            json=target.absent(),
        )
    elif value is not None and attribute.returned == "request":
        b.add(
            "returned-request",
            "get",
            _request("GET", item),
            status=(200,),
            json=target.absent(),
        )
        b.add(
            "returned-request-asked",
            "",
            _request("GET", item, query={"attributes": target.path}),
            status=(200,),
            json=target.expect(value.expect),
        )
    elif value is not None:
        b.add(
            "round-trip", "", _request("GET", item), status=(200,), json=target.expect(value.expect)
        )
        if attribute.returned == "always":
            b.add(
                "returned-always",
                "",
                _request("GET", item, query={"excludedAttributes": target.path}),
                status=(200,),
                json=target.expect({"$absent": False}),
            )
        if attribute.type == "string" and attribute.case_exact and value.other_case is not None:
            b.add(
                "case-preserved",
                "",
                _request("GET", item),
                status=(200,),
                json=target.expect(
                    [{"$exact": value.sent}] if attribute.multi_valued else {"$exact": value.sent}
                ),
            )

    # -- caseExact in filters --------------------------------------------------------------------
    if value is not None and not attribute.hidden:
        for path, sub, sub_value in _filterable(target, tag):
            expected = 0 if sub.case_exact else 1
            b.add(
                "case-exact-filter",
                path,
                _request("GET", endpoint, query={"filter": f'{path} eq "{sub_value}"'}),
                status=(200,),
                json={"schemas": [_LIST], "totalResults": expected},
                requires=("filter",),
                level="MUST" if attribute.required or attribute.uniqueness != "none" else "SHOULD",
                what=f"caseExact {str(sub.case_exact).lower()}: filtering with other case must "
                f"find {expected}",
            )

    # -- uniqueness ------------------------------------------------------------------------------
    if (
        value is not None
        and attribute.uniqueness in ("server", "global")
        and attribute.type == "string"
        and not attribute.multi_valued
    ):
        b.add(
            "uniqueness-409",
            "duplicate",
            _request("POST", endpoint, target.place(_renamed(base, "du"), value.sent)),
            status=(409,),
            json=_error("uniqueness"),
        )
        if not attribute.case_exact and value.other_case is not None:
            other = target.place(_renamed(base, "dc"), value.other_case)
            b.add("uniqueness-case", "other-case", _request("POST", endpoint, other), status=(409,))

    # -- readOnly --------------------------------------------------------------------------------
    if attribute.mutability == "readOnly":
        probe = _readonly_probe(attribute, tag)
        if probe is not None:
            sent, not_expect = probe
            b.add(
                "readonly-post-ignored",
                "",
                _request("POST", endpoint, target.place(_renamed(base, "ro"), sent)),
                status=(201,),
                json=target.lacks(not_expect),
            )
            put_body = target.place(dict(base), sent)
            b.add(
                "readonly-put-ignored",
                "",
                _request("PUT", item, put_body),
                status=(200,),
                json=target.lacks(not_expect),
            )
            b.add(
                "readonly-patch-refused",
                "",
                _request("PATCH", item, _patch("replace", target.path, sent)),
                status=(400, 403, 409),
                requires=("patch",),
            )
            b.add(
                "error-scimtype",
                "readonly-patch",
                _request("PATCH", item, _patch("replace", target.path, sent)),
                status=(400,),
                json=_error("mutability"),
                requires=("patch",),
            )

    # -- readOnly sub-attributes of a writable complex attribute (manager.displayName) -------------
    if attribute.writable and value is not None and attribute.type == "complex":
        element = value.sent[0] if attribute.multi_valued else value.sent
        for sub in attribute.sub_attributes:
            if sub.mutability != "readOnly" or sub.type != "string":
                continue
            marker = f"readonly-probe-{tag}-{sub.name}"
            probed = {**element, sub.name: marker}
            unwanted = {sub.name: marker}
            b.add(
                "readonly-post-ignored",
                f"{target.path}.{sub.name}",
                _request(
                    "POST",
                    endpoint,
                    target.place(
                        _renamed(base, "rs"), [probed] if attribute.multi_valued else probed
                    ),
                ),
                status=(201,),
                json=target.lacks([unwanted] if attribute.multi_valued else unwanted),
                what=f"{target.path}.{sub.name} is readOnly",
            )

    # -- immutable -------------------------------------------------------------------------------
    if attribute.mutability == "immutable" and value is not None and not attribute.multi_valued:
        changed = _value(attribute, tag + "Changed")
        if changed is not None:
            b.add(
                "immutable-put-refused",
                "",
                _request("PUT", item, target.place(base, changed.sent)),
                status=(400,),
                json=_error("mutability"),
            )
            b.add(
                "immutable-patch-refused",
                "",
                _request("PATCH", item, _patch("replace", target.path, changed.sent)),
                status=(400, 403, 409),
                requires=("patch",),
            )
            if not attribute.hidden:
                b.add(
                    "immutable-kept",
                    "",
                    _request("GET", item),
                    status=(200,),
                    json=target.expect(value.expect),
                )

    # -- required --------------------------------------------------------------------------------
    if attribute.required and attribute.writable:
        missing = _without(_renamed(base, "rq"), target)
        b.add("required-post", "", _request("POST", endpoint, missing), status=(400,))
        b.add(
            "error-scimtype",
            "required-post",
            _request("POST", endpoint, missing),
            status=(400,),
            json=_error("invalidValue"),
        )
        b.add("required-put", "", _request("PUT", item, _without(base, target)), status=(400,))

    # -- types -----------------------------------------------------------------------------------
    if attribute.writable:
        for number, (path, wrong, leaf) in enumerate(_wrong_values(target, tag)):
            bad = target.place(_renamed(base, f"ty{number}"), wrong)
            b.add(
                "type-invalid",
                path,
                _request("POST", endpoint, bad),
                status=(400,),
                what=f"{path} sent as {json.dumps(leaf)}",
            )
            b.add(
                "error-scimtype",
                f"type-{path}",
                _request("POST", endpoint, bad),
                status=(400,),
                json=_error("invalidValue"),
            )

    # -- canonicalValues -------------------------------------------------------------------------
    if attribute.writable and value is not None:
        for path, other_body in _non_canonical(target, base, tag):
            b.add(
                "canonical-other",
                path,
                _request("POST", endpoint, other_body),
                status=(201, 400),
            )

    if len(b.steps) <= 1 and not attribute.writable:
        return None
    safe = re.sub(r"[^A-Za-z0-9_.:$-]", "_", target.path)
    return Recording(
        name=f"rfc/schema/{resource.name}/{safe}",
        idp="rfc",
        steps=tuple(b.steps),
        title=f"{resource.name} {target.path} behaves as its schema declares",
        description=f"Generated from the target's /Schemas: {attribute.describe()}",
        provenance="synthesized",
        source="the target's own /Schemas and /ResourceTypes (RFC 7643 §2.2, §7)",
        tags=("schema", "generated", resource.name.lower()),
    )


def _renamed(base: dict[str, Any], marker: str) -> dict[str, Any]:
    """``base`` with every generated unique string made distinct (a second resource)."""

    def walk(value: Any) -> Any:
        if isinstance(value, str) and "${unique}" in value:
            return value.replace("${unique}", f"{marker}${{unique}}")
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: (v if k == "schemas" else walk(v)) for k, v in value.items()}
        return value

    out: dict[str, Any] = walk(base)
    return out


def _filterable(target: _Target, tag: str) -> Iterator[tuple[str, Attribute, str]]:
    """(filter path, attribute, value in other case) for each string this value set."""
    attribute = target.attribute
    if attribute.type == "string":
        value = _string_value(attribute, tag)
        if value.other_case is not None:
            yield target.path, attribute, value.other_case
        return
    if attribute.type != "complex" or _resource_reference(attribute):
        return
    for sub in attribute.sub_attributes:
        if sub.type != "string" or not sub.writable or sub.hidden:
            continue
        value = _string_value(sub, f"{tag}.{sub.name}")
        if value.other_case is not None:
            yield f"{target.path}.{sub.name}", sub, value.other_case


def _wrong_values(target: _Target, tag: str) -> Iterator[tuple[str, Any, Any]]:
    """(path, the attribute's value with one part of the wrong type, that part)."""
    attribute = target.attribute
    if attribute.type != "complex":
        wrong = _wrong_type(attribute)
        if wrong is not None:
            yield target.path, [wrong] if attribute.multi_valued else wrong, wrong
        return
    good = _complex_value(attribute, tag)
    if good is None:
        return
    element = good.sent[0] if attribute.multi_valued else good.sent
    for sub in attribute.sub_attributes:
        if sub.type in ("string", "complex", "reference", "binary") or sub.name not in element:
            continue
        wrong = _wrong_type(sub)
        if wrong is None:
            continue
        changed = {**element, sub.name: wrong}
        value = [changed] if attribute.multi_valued else changed
        yield f"{target.path}.{sub.name}", value, wrong


def _non_canonical(
    target: _Target, base: dict[str, Any], tag: str
) -> Iterator[tuple[str, dict[str, Any]]]:
    attribute = target.attribute
    if attribute.type == "string" and attribute.canonical_values:
        other = f"nonCanonical{tag}"
        yield (
            target.path,
            target.place(_renamed(base, "cv"), [other] if attribute.multi_valued else other),
        )
        return
    good = _complex_value(attribute, tag) if attribute.type == "complex" else None
    if good is None:
        return
    element = good.sent[0] if attribute.multi_valued else good.sent
    for sub in attribute.sub_attributes:
        if sub.type == "string" and sub.canonical_values and sub.name in element:
            changed = {**element, sub.name: f"nonCanonical{sub.name}"}
            value = [changed] if attribute.multi_valued else changed
            yield f"{target.path}.{sub.name}", target.place(_renamed(base, "cv"), value)


def _readonly_probe(attribute: Attribute, tag: str) -> tuple[Any, Any] | None:
    """A value to send for a readOnly attribute, and what the answer must not contain."""
    marker = f"readonly-probe-{tag}"
    if attribute.type == "string":
        sent: Any = marker
        return ([sent] if attribute.multi_valued else sent), (
            [marker] if attribute.multi_valued else marker
        )
    if attribute.type == "complex":
        text_sub = next(
            (s for s in attribute.sub_attributes if s.type == "string" and s.name == "value"),
            None,
        ) or next((s for s in attribute.sub_attributes if s.type == "string"), None)
        if text_sub is None:
            return None
        element = {text_sub.name: marker}
        return ([element] if attribute.multi_valued else element), (
            [element] if attribute.multi_valued else element
        )
    return None


def build_recordings(
    types: Iterable[ResourceType], schemas: Mapping[str, tuple[Attribute, ...]]
) -> GeneratedChecks:
    """The checks for these resource types, given their schemas' attributes (keyed by lower URN)."""
    out = GeneratedChecks()
    types = list(types)
    bases: dict[str, tuple[ResourceType, dict[str, Any]]] = {}
    for resource in types:
        body = _base(resource, schemas)
        if body is not None:
            bases[resource.name.lower()] = (resource, body)
    for resource in types:
        if resource.name.lower() not in bases:
            out.notes.append(
                f"{resource.name}: a required attribute cannot be generated; no schema checks"
            )
            continue
        base = bases[resource.name.lower()][1]
        declared = [(resource.schema, False)] + [(urn, True) for urn, _ in resource.extensions]
        for urn, extension in declared:
            attributes = schemas.get(urn.lower())
            if attributes is None:
                out.notes.append(f"{resource.name}: /Schemas does not list {urn}")
                continue
            for attribute in attributes:
                if attribute.name.lower() in _COMMON:
                    continue
                target = _Target(resource, attribute, urn, extension)
                recording = _generate(target, base, out.notes, bases)
                if recording is not None:
                    out.recordings.append(recording)
    return out

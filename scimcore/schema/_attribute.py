"""Attribute definitions: every RFC 7643 §2.2 / §7 characteristic of one SCIM attribute."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

import attrs

from scimcore.errors import ConfigurationError

AttributeType = Literal[
    "string", "boolean", "decimal", "integer", "dateTime", "reference", "binary", "complex"
]
Mutability = Literal["readOnly", "readWrite", "immutable", "writeOnly"]
Returned = Literal["always", "never", "default", "request"]
Uniqueness = Literal["none", "server", "global"]

ATTRIBUTE_TYPES: frozenset[str] = frozenset(
    ("string", "boolean", "decimal", "integer", "dateTime", "reference", "binary", "complex")
)
MUTABILITIES: frozenset[str] = frozenset(("readOnly", "readWrite", "immutable", "writeOnly"))
RETURNED: frozenset[str] = frozenset(("always", "never", "default", "request"))
UNIQUENESS: frozenset[str] = frozenset(("none", "server", "global"))


def _check_choice(value: str, allowed: frozenset[str], what: str, name: str) -> None:
    if value not in allowed:
        raise ConfigurationError(
            f"attribute {name!r}: {what} {value!r} is not one of {sorted(allowed)}"
        )


@attrs.frozen(slots=True)
class Attribute:
    """One attribute of a schema, with every characteristic RFC 7643 §7 defines.

    Lookup of sub-attributes by name is case-insensitive (RFC 7643 §2.1).
    """

    name: str
    type: AttributeType = "string"
    multi_valued: bool = False
    description: str = ""
    required: bool = False
    case_exact: bool = False
    mutability: Mutability = "readWrite"
    returned: Returned = "default"
    uniqueness: Uniqueness = "none"
    canonical_values: tuple[str, ...] = ()
    reference_types: tuple[str, ...] = ()
    sub_attributes: tuple[Attribute, ...] = ()
    _by_lower: Mapping[str, Attribute] = attrs.field(
        init=False, repr=False, eq=False, hash=False, alias="_by_lower"
    )

    def __attrs_post_init__(self) -> None:
        _check_choice(self.type, ATTRIBUTE_TYPES, "type", self.name)
        _check_choice(self.mutability, MUTABILITIES, "mutability", self.name)
        _check_choice(self.returned, RETURNED, "returned", self.name)
        _check_choice(self.uniqueness, UNIQUENESS, "uniqueness", self.name)
        if self.sub_attributes and self.type != "complex":
            raise ConfigurationError(
                f"attribute {self.name!r} has subAttributes but type {self.type!r}"
            )
        index: dict[str, Attribute] = {}
        for sub in self.sub_attributes:
            key = sub.name.lower()
            if key in index:
                raise ConfigurationError(
                    f"attribute {self.name!r} declares sub-attribute {sub.name!r} twice"
                )
            index[key] = sub
        object.__setattr__(self, "_by_lower", index)

    def sub_attribute(self, name: str) -> Attribute | None:
        """Return the sub-attribute called ``name`` (any case), or None."""
        return self._by_lower.get(name.lower())

    @property
    def is_complex(self) -> bool:
        """True for complex attributes (those with sub-attributes)."""
        return self.type == "complex"

    def to_dict(self) -> dict[str, Any]:
        """Render this attribute as RFC 7643 §7 JSON (as served by ``/Schemas``)."""
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "multiValued": self.multi_valued,
            "description": self.description,
            "required": self.required,
        }
        if self.type == "complex":
            out["subAttributes"] = [sub.to_dict() for sub in self.sub_attributes]
        else:
            out["caseExact"] = self.case_exact
        if self.canonical_values:
            out["canonicalValues"] = list(self.canonical_values)
        out["mutability"] = self.mutability
        out["returned"] = self.returned
        if self.type != "complex" or self.uniqueness != "none":
            out["uniqueness"] = self.uniqueness
        if self.type == "reference":
            out["referenceTypes"] = list(self.reference_types)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "") -> Attribute:
        """Build an attribute from its RFC 7643 §7 JSON form; raise ConfigurationError if wrong."""
        if not isinstance(data, Mapping) or not isinstance(data.get("name"), str):
            raise ConfigurationError(f"{where or 'attribute'}: an attribute needs a string 'name'")
        name = data["name"]
        here = f"{where}.{name}" if where else name
        subs = data.get("subAttributes") or ()
        if not isinstance(subs, Iterable):
            raise ConfigurationError(f"{here}: subAttributes must be a list")
        try:
            return cls(
                name=name,
                type=data.get("type", "string"),
                multi_valued=bool(data.get("multiValued", False)),
                description=str(data.get("description", "")),
                required=bool(data.get("required", False)),
                case_exact=bool(data.get("caseExact", False)),
                mutability=data.get("mutability", "readWrite"),
                returned=data.get("returned", "default"),
                uniqueness=data.get("uniqueness", "none"),
                canonical_values=tuple(data.get("canonicalValues") or ()),
                reference_types=tuple(data.get("referenceTypes") or ()),
                sub_attributes=tuple(cls.from_dict(s, where=here) for s in subs),
            )
        except ConfigurationError as exc:
            if exc.detail.startswith(here):
                raise
            raise ConfigurationError(f"{here}: {exc.detail}") from exc

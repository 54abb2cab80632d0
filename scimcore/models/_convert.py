"""The cattrs converter between SCIM JSON (dicts) and the attrs models, with every mapping rule.

Rules, all kept here rather than on the classes:

- JSON names are the camelCase of the field names, except ``ref`` ↔ ``$ref``,
  ``operations`` ↔ ``Operations`` and ``resources`` ↔ ``Resources``.
- Input names match case-insensitively (RFC 7643 §2.1): the exact spelling is tried first.
- On classes with ``extensions`` (User, Group) a key starting with ``urn:`` is an extension:
  the enterprise extension becomes an :class:`EnterpriseUser`, any other stays a dict.
- Any other key the class does not model (a custom attribute, an unknown-but-declared one)
  is kept verbatim in ``extra`` and written back out, so nothing is lost in a round trip.
- ``null`` is the same as absent (RFC 7643 §2.5) and is not written out.
- Leaf values are passed through unchanged (no ``str()`` coercion): check them first with
  :func:`scimcore.validate_resource`, which is schema-driven.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

import attrs
import cattrs

from scimcore.errors import InvalidSyntax
from scimcore.models import _resources as _r
from scimcore.schema import ENTERPRISE_USER_URN

T = TypeVar("T")

_RENAMES = {"ref": "$ref", "operations": "Operations", "resources": "Resources"}

MODELS: tuple[type[Any], ...] = (
    _r.Meta,
    _r.Name,
    _r.MultiValue,
    _r.Email,
    _r.PhoneNumber,
    _r.Im,
    _r.Photo,
    _r.Entitlement,
    _r.Role,
    _r.X509Certificate,
    _r.Address,
    _r.GroupMembership,
    _r.Manager,
    _r.EnterpriseUser,
    _r.User,
    _r.GroupMember,
    _r.Group,
    _r.ListResponse,
    _r.SearchRequest,
    _r.PatchOperation,
    _r.PatchOp,
    _r.Error,
    _r.BulkOperation,
    _r.BulkRequest,
    _r.BulkOperationResponse,
    _r.BulkResponse,
)
_MODEL_SET = frozenset(MODELS)
_SPECIAL = ("extra", "extensions")

EXTENSION_MODELS: dict[str, type[Any]] = {ENTERPRISE_USER_URN.lower(): _r.EnterpriseUser}
"""Extension URN (lower-cased) → the model its value is structured into; others stay dicts."""


def json_name(field: str) -> str:
    """The JSON attribute name of a model field: ``user_name`` → ``userName``."""
    if field in _RENAMES:
        return _RENAMES[field]
    head, *rest = field.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _strip_optional(tp: Any) -> Any:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def _structure_leaf(conv: cattrs.Converter, tp: Any) -> Callable[[Any], Any] | None:
    tp = _strip_optional(tp)
    if tp in _MODEL_SET:
        hook = conv.get_structure_hook(tp)
        return lambda v: hook(v, tp)
    if typing.get_origin(tp) is list:
        (item,) = typing.get_args(tp)
        if item in _MODEL_SET:
            item_hook = conv.get_structure_hook(item)

            def each(v: Any) -> Any:
                if not isinstance(v, list):
                    raise InvalidSyntax(f"expected an array, not {type(v).__name__}")
                return [item_hook(x, item) for x in v]

            return each
    return None


def _unstructure_leaf(conv: cattrs.Converter, tp: Any) -> Callable[[Any], Any] | None:
    tp = _strip_optional(tp)
    if tp in _MODEL_SET:
        return conv.get_unstructure_hook(tp)
    if typing.get_origin(tp) is list:
        (item,) = typing.get_args(tp)
        if item in _MODEL_SET:
            item_hook = conv.get_unstructure_hook(item)
            return lambda v: [item_hook(x) for x in v]
        return list
    return None


def _structure_factory(conv: cattrs.Converter) -> Callable[[Any], Any]:
    def factory(cls: type[Any]) -> Callable[[Any, Any], Any]:
        hints = typing.get_type_hints(cls)
        names = {f.name for f in attrs.fields(cls)}
        has_extensions = "extensions" in names
        table: dict[str, tuple[str, Callable[[Any], Any] | None]] = {}
        for field in attrs.fields(cls):
            if field.name in _SPECIAL:
                continue
            key = json_name(field.name)
            entry = (field.name, _structure_leaf(conv, hints[field.name]))
            table[key.lower()] = entry
            table[key] = entry

        def structure(data: Any, _: Any) -> Any:
            if not isinstance(data, dict):
                raise InvalidSyntax(f"a {cls.__name__} must be a JSON object")
            kwargs: dict[str, Any] = {}
            extra: dict[str, Any] = {}
            extensions: dict[str, Any] = {}
            for key, value in data.items():
                entry = table.get(key) or table.get(key.lower())
                if entry is not None:
                    name, leaf = entry
                    kwargs[name] = value if leaf is None or value is None else leaf(value)
                elif has_extensions and key[:4].lower() == "urn:":
                    model = EXTENSION_MODELS.get(key.lower())
                    if model is not None and isinstance(value, dict):
                        value = conv.structure(value, model)
                    extensions[key] = value
                else:
                    extra[key] = value
            if extra:
                kwargs["extra"] = extra
            if extensions:
                kwargs["extensions"] = extensions
            return cls(**kwargs)

        return structure

    return factory


def _unstructure_factory(conv: cattrs.Converter) -> Callable[[Any], Any]:
    def factory(cls: type[Any]) -> Callable[[Any], Any]:
        hints = typing.get_type_hints(cls)
        names = {f.name for f in attrs.fields(cls)}
        has_extensions = "extensions" in names
        plan = [
            (f.name, json_name(f.name), _unstructure_leaf(conv, hints[f.name]))
            for f in attrs.fields(cls)
            if f.name not in _SPECIAL
        ]

        def unstructure(obj: Any) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for name, key, leaf in plan:
                value = getattr(obj, name)
                if value is not None:
                    out[key] = value if leaf is None else leaf(value)
            if has_extensions:
                for urn, value in obj.extensions.items():
                    if value is not None:
                        out[urn] = conv.unstructure(value)
            out.update(obj.extra)
            return out

        return unstructure

    return factory


def make_converter() -> cattrs.Converter:
    """A cattrs converter that knows every scimcore model (see the module docstring's rules)."""
    conv = cattrs.Converter()
    conv.register_structure_hook_factory(lambda t: t in _MODEL_SET, _structure_factory(conv))
    conv.register_unstructure_hook_factory(lambda t: t in _MODEL_SET, _unstructure_factory(conv))
    return conv


converter = make_converter()
"""The shared converter: ``converter.structure(data, User)``, ``converter.unstructure(user)``."""


def structure(data: Any, cls: type[T]) -> T:
    """Turn SCIM JSON (a dict) into an instance of the model ``cls``."""
    return converter.structure(data, cls)


def unstructure(obj: Any) -> dict[str, Any]:
    """Turn a model instance back into SCIM JSON (a dict)."""
    out = converter.unstructure(obj)
    assert isinstance(out, dict)
    return out

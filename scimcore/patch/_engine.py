"""The PATCH engine (RFC 7644 §3.5.2): add, remove and replace, atomically, on a copy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from scimcore.dialects import DEFAULT_DIALECTS, Dialect
from scimcore.errors import (
    ConfigurationError,
    InvalidSyntax,
    InvalidValue,
    Mutability,
    NoTarget,
    ScimError,
)
from scimcore.models import validate_resource
from scimcore.patch._paths import Target, resolve_path, target_of
from scimcore.patch._request import MAX_OPERATIONS, MISSING, Operation, OpName, parse_request
from scimcore.patch._seed import seed_element
from scimcore.patch._values import (
    ElementIndex,
    Where,
    check_value,
    copy_json,
    find_key,
    same_simple,
)
from scimcore.schema import DEFAULT_REGISTRY, Attribute, ResourceType, SchemaRegistry


@attrs.frozen(slots=True)
class PatchResult:
    """The patched resource (a new dict) and whether anything changed at all.

    When ``changed`` is False the caller can skip the write and keep ``meta.version``.
    """

    resource: dict[str, Any]
    changed: bool


def apply_patch(
    resource: Mapping[str, Any],
    request: Mapping[str, Any],
    *,
    strict: bool = False,
    registry: SchemaRegistry = DEFAULT_REGISTRY,
    resource_type: ResourceType | str | None = None,
    dialects: Sequence[Dialect] | None = None,
    max_operations: int = MAX_OPERATIONS,
) -> dict[str, Any]:
    """Apply a PatchOp message to ``resource`` and return the patched resource as a new dict.

    The input is never modified. See :func:`patch_resource` for the arguments and errors.
    """
    return patch_resource(
        resource,
        request,
        strict=strict,
        registry=registry,
        resource_type=resource_type,
        dialects=dialects,
        max_operations=max_operations,
    ).resource


def patch_resource(
    resource: Mapping[str, Any],
    request: Mapping[str, Any],
    *,
    strict: bool = False,
    registry: SchemaRegistry = DEFAULT_REGISTRY,
    resource_type: ResourceType | str | None = None,
    dialects: Sequence[Dialect] | None = None,
    max_operations: int = MAX_OPERATIONS,
) -> PatchResult:
    """Apply a PatchOp message (RFC 7644 §3.5.2) to ``resource``, all or nothing.

    ``resource`` is full SCIM JSON (with ``schemas``; ``resource_type`` names its type when they
    do not). ``request`` is the PatchOp body. The dialects (all of
    :data:`scimcore.dialects.DEFAULT_DIALECTS` by default, none with ``strict=True``) accept the
    non-RFC shapes real IdPs send. The operations apply in order to a copy; the first failing
    operation raises a :class:`~scimcore.ScimError` whose detail starts with ``operation N`` and
    whose JSON path points into ``Operations[N]``, and the input stays untouched. A result that no
    longer validates against the schema is refused as a whole.
    """
    if strict and dialects:
        raise ConfigurationError("strict=True means no dialects; do not pass both")
    if not isinstance(resource, Mapping):
        raise ConfigurationError("the resource to patch must be a mapping (SCIM JSON)")
    active: tuple[Dialect, ...] = (
        () if strict else tuple(DEFAULT_DIALECTS if dialects is None else dialects)
    )
    rt = _resource_type(resource, registry, resource_type)
    operations = parse_request(request, active, max_operations=max_operations)
    patcher = _Patcher(copy_json(resource), rt, registry, active)
    for operation in operations:
        try:
            patcher.apply(operation)
        except ScimError as exc:
            raise _located(exc, operation) from exc
    _validate(patcher.doc, rt, registry)
    return PatchResult(resource=patcher.doc, changed=patcher.doc != resource)


def _resource_type(
    resource: Mapping[str, Any], registry: SchemaRegistry, given: ResourceType | str | None
) -> ResourceType:
    if isinstance(given, ResourceType):
        return given
    if given is not None:
        rt = registry.resource_type(given)
        if rt is None:
            raise ConfigurationError(f"no resource type called {given!r} in the registry")
        return rt
    schemas = resource.get("schemas")
    rt = registry.resource_type_for_schemas(schemas if isinstance(schemas, list) else ())
    if rt is None:
        raise ConfigurationError(
            "cannot tell the resource type from the resource's schemas; pass resource_type="
        )
    return rt


def _located(exc: ScimError, operation: Operation) -> ScimError:
    """The same error, its detail naming the failing operation and its path inside the body."""
    label = f"operation {operation.index} ({operation.op}"
    label += f" {operation.path!r})" if operation.path is not None else ", no path)"
    path = exc.path if exc.path and exc.path[0] == "Operations" else None
    if path is None:
        path = ("Operations", operation.index) + (("path",) if exc.position is not None else ())
    try:
        out = type(exc)(f"{label}: {exc.detail}", path=path, position=exc.position)
    except TypeError:
        return exc
    return out


def _validate(doc: dict[str, Any], rt: ResourceType, registry: SchemaRegistry) -> None:
    """Refuse a result that no longer validates against its schemas (as a PUT body would).

    Canonical values are not enforced: RFC 7643 lets servers accept other ``type`` values, and a
    PATCH must not fail because of a value it did not touch.
    """
    try:
        validate_resource(
            doc,
            resource_type=rt,
            registry=registry,
            context="replace",
            enforce_canonical_values=False,
        )
    except ScimError as exc:
        raise type(exc)(
            f"the patched resource would no longer be valid: {exc.detail}", path=exc.path
        ) from exc


class _Patcher:
    """Applies operations one by one to ``doc`` (a private copy of the resource)."""

    def __init__(
        self,
        doc: dict[str, Any],
        rt: ResourceType,
        registry: SchemaRegistry,
        dialects: tuple[Dialect, ...],
    ) -> None:
        self.doc = doc
        self.rt = rt
        self.registry = registry
        self.dialects = dialects
        self.value_list_removal = any(d.value_list_removal for d in dialects)
        self.path_keys = any(d.path_keys for d in dialects)
        self.readonly_echo = any(d.readonly_echo for d in dialects)
        self.upsert_filtered = any(d.upsert_filtered for d in dialects)

    # -- dispatch -------------------------------------------------------------------------------

    def apply(self, operation: Operation) -> None:
        where: Where = ["Operations", operation.index, "value"]
        if operation.path is None:
            self._no_path(operation, where)
            return
        try:
            target = resolve_path(operation.path, self.rt, self.registry)
        except ScimError as exc:
            raise type(exc)(
                exc.detail, path=["Operations", operation.index, "path"], position=exc.position
            ) from exc
        if operation.op == "remove":
            self._remove(target, operation.value, ["Operations", operation.index, "path"])
        else:
            self._write(operation.op, target, operation.value, where)

    def _no_path(self, operation: Operation, where: Where) -> None:
        if operation.op == "remove":
            raise NoTarget('"remove" needs a "path" naming what to remove')
        value = operation.value
        if not isinstance(value, Mapping):
            raise InvalidValue(
                f'a "{operation.op}" without a path takes an object of attributes as its value',
                path=where,
            )
        for key, item in value.items():
            self._no_path_key(operation.op, str(key), item, [*where, str(key)])

    def _no_path_key(self, op: OpName, key: str, value: Any, where: Where) -> None:
        ref = self.registry.resolve(key, self.rt)
        if ref is None:
            raise InvalidValue(f"{self.rt.name} has no attribute {key!r}", path=where)
        target = target_of(ref)
        plain = "." not in key and not key.lower().startswith("urn:")
        if target.attribute is not None and not (plain and target.core) and not self.path_keys:
            raise InvalidValue(
                f"{key!r} is an attribute path, not an attribute name; without a path, send "
                "attributes nested as in the resource (strict RFC 7644 §3.5.2)",
                path=where,
            )
        if target.attribute is not None and self._readonly(target):
            if op == "replace" and self.readonly_echo and self._equals_current(target, value):
                return
            raise Mutability(
                f"{target.text!r} is readOnly: it is kept by the service provider", path=where
            )
        self._write(op, target, value, where)

    # -- helpers ---------------------------------------------------------------------------------

    @staticmethod
    def _readonly(target: Target) -> bool:
        return (target.attribute is not None and target.attribute.mutability == "readOnly") or (
            target.sub is not None and target.sub.mutability == "readOnly"
        )

    def _equals_current(self, target: Target, value: Any) -> bool:
        container = self._container(target, create=False)
        if container is None or target.attribute is None:
            return False
        current = _get(container, target.attribute.name)
        if target.sub is not None:
            current = _get(current, target.sub.name) if isinstance(current, Mapping) else None
            return same_simple(target.sub, value, current)
        if target.attribute.type == "complex" or target.attribute.multi_valued:
            return bool(value == current)
        return same_simple(target.attribute, value, current)

    def _container(self, target: Target, *, create: bool) -> dict[str, Any] | None:
        """The dict holding the target's attribute: the resource, or its extension object."""
        if target.core:
            return self.doc
        urn = target.schema.id
        key = find_key(self.doc, urn)
        ext = self.doc.get(key) if key is not None else None
        if isinstance(ext, dict):
            return ext
        if not create:
            return None
        if ext is not None:
            raise InvalidValue(f"the resource's {urn!r} is not an object")
        ext = {}
        self.doc[urn] = ext
        schemas = self.doc.get("schemas")
        if isinstance(schemas, list):
            if not any(isinstance(s, str) and s.lower() == urn.lower() for s in schemas):
                schemas.append(urn)
        else:
            self.doc["schemas"] = [self.rt.schema, urn]
        return ext

    def _drop_empty_extension(self, target: Target) -> None:
        if target.core:
            return
        urn = target.schema.id
        key = find_key(self.doc, urn)
        if key is not None and self.doc[key] in ({}, None):
            del self.doc[key]
            schemas = self.doc.get("schemas")
            if isinstance(schemas, list):
                schemas[:] = [
                    s for s in schemas if not (isinstance(s, str) and s.lower() == urn.lower())
                ]

    def _check_not_readonly(self, target: Target, where: Where) -> None:
        if self._readonly(target):
            raise Mutability(
                f"{target.text!r} is readOnly: it is kept by the service provider", path=where
            )

    # -- add / replace -------------------------------------------------------------------------

    def _write(self, op: OpName, target: Target, value: Any, where: Where) -> None:
        attribute = target.attribute
        if attribute is None:
            self._write_extension(op, target, value, where)
            return
        self._check_not_readonly(target, where)
        if target.matcher is None and target.sub is None:
            checked = check_value(attribute, value, self.dialects, where)
            container = self._container(target, create=checked is not None)
            if container is None:
                return
            if checked is None:
                if op == "replace":
                    self._unassign(container, attribute, target, where)
                return
            self._set(op, container, attribute, checked, where)
        elif attribute.multi_valued:
            self._write_elements(op, target, attribute, value, where)
        else:
            assert target.sub is not None
            checked = check_value(target.sub, value, self.dialects, where)
            container = self._container(target, create=checked is not None)
            if container is None:
                return
            if checked is None:
                if op == "replace":
                    self._remove_sub_of_single(container, attribute, target.sub, target, where)
                return
            current = _get(container, attribute.name)
            merged = dict(current) if isinstance(current, Mapping) else {}
            self._set_sub(merged, target.sub, checked, where)
            _put(container, attribute.name, merged)

    def _write_extension(self, op: OpName, target: Target, value: Any, where: Where) -> None:
        if not isinstance(value, Mapping):
            raise InvalidValue(
                f"{target.schema.id!r} is an extension: send an object of its attributes",
                path=where,
            )
        for key, item in value.items():
            attr = target.schema.attribute(str(key))
            if attr is None:
                raise InvalidValue(
                    f"extension {target.schema.id!r} has no attribute {key!r}", path=[*where, key]
                )
            sub_target = Target(schema=target.schema, core=target.core, attribute=attr)
            self._write(op, sub_target, item, [*where, attr.name])

    def _set(
        self, op: OpName, container: dict[str, Any], attr: Attribute, value: Any, where: Where
    ) -> None:
        """Write a checked, non-null value to a whole attribute (add merges, replace sets)."""
        current = _get(container, attr.name)
        if attr.multi_valued:
            _check_one_primary(attr, value, where)
            if op == "add" and isinstance(current, list):
                new = list(current)
                index = ElementIndex(attr, new)
                written = [self._add_element(attr, index, item) for item in value]
                _fix_primary(new, [i for i, v in zip(written, value) if _primary_in(v, None)])
                _put(container, attr.name, new)
            else:
                _put(container, attr.name, value)
        elif attr.type == "complex":
            merged = dict(current) if isinstance(current, Mapping) else {}
            for name, sub_value in value.items():
                sub = attr.sub_attribute(name)
                assert sub is not None
                self._set_sub(merged, sub, sub_value, [*where, name])
            _put(container, attr.name, merged)
        else:
            if (
                attr.mutability == "immutable"
                and current is not None
                and not same_simple(attr, value, current)
            ):
                raise Mutability(
                    f"{attr.name!r} is immutable: it is already set and cannot change", path=where
                )
            _put(container, attr.name, value)

    def _set_sub(self, obj: dict[str, Any], sub: Attribute, value: Any, where: Where) -> None:
        current = _get(obj, sub.name)
        if sub.mutability == "immutable" and current is not None:
            if not same_simple(sub, value, current):
                raise Mutability(
                    f"{sub.name!r} is immutable: it is already set and cannot change", path=where
                )
            return
        _put(obj, sub.name, value)

    def _add_element(self, attr: Attribute, index: ElementIndex, item: Any) -> int:
        """Add one element unless an equal one exists (merged then); return its index.

        Merging keeps the existing spelling of equal sub-values and keeps immutable
        sub-attributes that are already set (Okta re-sends ``display`` with every member add).
        """
        elements = index.elements
        i = index.find(item)
        if i is None:
            return index.append(item)
        old = elements[i]
        if isinstance(item, Mapping) and isinstance(old, Mapping):
            merged = dict(old)
            for name, sub_value in item.items():
                sub = attr.sub_attribute(name)
                current = _get(merged, name)
                if current is not None and (
                    same_simple(sub, sub_value, current)
                    or (sub is not None and sub.mutability == "immutable")
                ):
                    continue
                _put(merged, name, sub_value)
            elements[i] = merged
        return i

    def _write_elements(
        self, op: OpName, target: Target, attr: Attribute, value: Any, where: Where
    ) -> None:
        """add/replace at ``attr[filter]``, ``attr[filter].sub`` or ``attr.sub`` (every element)."""
        sub = target.sub
        if sub is None:
            checked = check_value(attr, value, self.dialects, where, element=True)
        else:
            checked = check_value(sub, value, self.dialects, where)
        if checked is None:
            if op == "replace":
                self._remove(target, MISSING, where)
            return
        container = self._container(target, create=True)
        assert container is not None
        current = _get(container, attr.name)
        elements = list(current) if isinstance(current, list) else []
        matched = [
            i
            for i, e in enumerate(elements)
            if isinstance(e, Mapping) and (target.matcher is None or target.matcher(e))
        ]
        if not matched:
            seed = seed_element(target.node, attr) if target.node is not None else None
            if seed is None or not self.upsert_filtered or op == "replace":
                what = "matches no element" if target.matcher is not None else "has no elements"
                raise NoTarget(f"{target.text!r} {what}; nothing to {op}")
            new = dict(seed)
            if sub is None:
                new.update(checked)
            else:
                new[sub.name] = checked
            elements.append(new)
            matched = [len(elements) - 1]
        else:
            for i in matched:
                element = dict(elements[i])
                if sub is not None:
                    self._set_sub(element, sub, checked, where)
                elif op == "replace":
                    replaced = dict(checked)
                    for name, old in element.items():
                        s = attr.sub_attribute(name)
                        if s is None or s.mutability != "immutable":
                            continue
                        new_value = _get(checked, s.name)
                        if new_value is None:
                            replaced[s.name] = old  # set once: an immutable value stays
                        elif not same_simple(s, new_value, old):
                            raise Mutability(
                                f"{attr.name}.{s.name} is immutable: the element cannot be "
                                "replaced with a different value",
                                path=where,
                            )
                    element = replaced
                else:
                    for name, sub_value in checked.items():
                        s = attr.sub_attribute(name)
                        assert s is not None
                        self._set_sub(element, s, sub_value, [*where, name])
                elements[i] = element
        if (
            len(matched) > 1
            and (sub is None or sub.name == "primary")
            and _primary_in(checked, sub)
        ):
            raise InvalidValue(
                f"{target.text!r} selects {len(matched)} elements; only one may be primary",
                path=where,
            )
        if _primary_in(checked, sub) and (sub is None or sub.name == "primary"):
            _fix_primary(elements, matched)
        _put(container, attr.name, elements)

    # -- remove ----------------------------------------------------------------------------------

    def _remove(self, target: Target, value: Any, where: Where) -> None:
        attribute = target.attribute
        if attribute is None:
            self._remove_extension(target, where)
            return
        self._check_not_readonly(target, where)
        has_value = value is not MISSING and value is not None
        container = self._container(target, create=False)
        if (
            has_value
            and attribute.multi_valued
            and target.matcher is None
            and target.sub is None
            and self.value_list_removal
        ):
            if container is not None:
                self._remove_values(container, attribute, value, where)
                self._drop_empty_extension(target)
            return
        whole_list = attribute.multi_valued and target.matcher is None and target.sub is None
        if has_value and (not self.dialects or whole_list):
            raise InvalidSyntax(
                '"remove" takes no "value"; to remove some values of a multi-valued attribute '
                'use a filter such as members[value eq "…"]',
                path=where,
            )
        if container is None:
            return
        if target.matcher is None and target.sub is None:
            self._unassign(container, attribute, target, where)
        elif attribute.multi_valued:
            self._remove_elements(container, attribute, target, where)
        else:
            assert target.sub is not None
            self._remove_sub_of_single(container, attribute, target.sub, target, where)
        self._drop_empty_extension(target)

    def _unassign(
        self, container: dict[str, Any], attr: Attribute, target: Target, where: Where
    ) -> None:
        key = find_key(container, attr.name)
        if key is None:
            return
        if attr.required:
            raise Mutability(f"{attr.name!r} is required: it cannot be removed", path=where)
        if attr.mutability == "immutable":
            raise Mutability(f"{attr.name!r} is immutable: it cannot be removed", path=where)
        del container[key]
        self._drop_empty_extension(target)

    def _remove_sub_of_single(
        self,
        container: dict[str, Any],
        attr: Attribute,
        sub: Attribute,
        target: Target,
        where: Where,
    ) -> None:
        key = find_key(container, attr.name)
        current = container.get(key) if key is not None else None
        if not isinstance(current, Mapping):
            return
        sub_key = find_key(current, sub.name)
        if sub_key is None:
            return
        if sub.required or sub.mutability == "immutable":
            raise Mutability(f"{target.text!r} cannot be removed ({sub.mutability})", path=where)
        rest = {k: v for k, v in current.items() if k != sub_key}
        assert key is not None
        if rest:
            container[key] = rest
        else:
            del container[key]

    def _remove_elements(
        self, container: dict[str, Any], attr: Attribute, target: Target, where: Where
    ) -> None:
        key = find_key(container, attr.name)
        current = container.get(key) if key is not None else None
        if not isinstance(current, list) or key is None:
            return
        sub = target.sub
        out: list[Any] = []
        for element in current:
            selected = isinstance(element, Mapping) and (
                target.matcher is None or target.matcher(element)
            )
            if not selected:
                out.append(element)
            elif sub is not None:
                sub_key = find_key(element, sub.name)
                if sub_key is None:
                    out.append(element)
                    continue
                if sub.required or sub.mutability == "immutable":
                    raise Mutability(
                        f"{target.text!r} cannot be removed ({sub.mutability})", path=where
                    )
                rest = {k: v for k, v in element.items() if k != sub_key}
                if rest:
                    out.append(rest)
        if out:
            container[key] = out
        else:
            if attr.required:
                raise Mutability(f"{attr.name!r} is required: it cannot be emptied", path=where)
            del container[key]

    def _remove_values(
        self, container: dict[str, Any], attr: Attribute, value: Any, where: Where
    ) -> None:
        """The Entra/JumpCloud shape: remove ``members`` with the members to remove as value."""
        checked = check_value(
            attr, value if isinstance(value, list) else [value], self.dialects, where
        )
        key = find_key(container, attr.name)
        current = container.get(key) if key is not None else None
        if not checked or not isinstance(current, list) or key is None:
            return
        removing = ElementIndex(attr, list(checked))
        out = [e for e in current if not removing.matches_any(e)]
        if out:
            container[key] = out
        else:
            if attr.required:
                raise Mutability(f"{attr.name!r} is required: it cannot be emptied", path=where)
            del container[key]

    def _remove_extension(self, target: Target, where: Where) -> None:
        urn = target.schema.id
        for ext in self.rt.schema_extensions:
            if ext.schema.lower() == urn.lower() and ext.required:
                raise Mutability(f"extension {urn!r} is required for {self.rt.name}", path=where)
        key = find_key(self.doc, urn)
        if key is not None:
            self.doc[key] = {}
            self._drop_empty_extension(target)


def _get(obj: Mapping[str, Any], name: str) -> Any:
    key = find_key(obj, name)
    return obj[key] if key is not None else None


def _put(obj: dict[str, Any], name: str, value: Any) -> None:
    """Set ``name`` keeping the existing key's spelling (attribute names are case-insensitive)."""
    key = find_key(obj, name)
    obj[key if key is not None else name] = value


def _primary_in(checked: Any, sub: Attribute | None) -> bool:
    if sub is not None:
        return checked is True
    return isinstance(checked, Mapping) and checked.get("primary") is True


def _check_one_primary(attr: Attribute, values: list[Any], where: Where) -> None:
    if attr.type != "complex":
        return
    primaries = sum(1 for v in values if isinstance(v, Mapping) and v.get("primary") is True)
    if primaries > 1:
        raise InvalidValue(
            f"{attr.name!r}: at most one value may have primary true (RFC 7643 §2.4)",
            path=where,
        )


def _fix_primary(elements: list[Any], chosen: list[int]) -> None:
    """RFC 7644 §3.5.2: a value newly set primary turns primary off on every other value."""
    if not chosen:
        return
    keep = chosen[-1]
    for i, element in enumerate(elements):
        if i != keep and isinstance(element, Mapping) and _is_primary(element):
            fixed = dict(element)
            _put(fixed, "primary", False)
            elements[i] = fixed


def _is_primary(element: Mapping[str, Any]) -> bool:
    return _get(element, "primary") is True


__all__ = ["PatchResult", "apply_patch", "patch_resource"]

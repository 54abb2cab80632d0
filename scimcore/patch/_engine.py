"""The PATCH engine (RFC 7644 §3.5.2): add, remove and replace, atomically, on a copy."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
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
    TooMany,
)
from scimcore.filter import Compare, Or
from scimcore.models import validate_resource
from scimcore.patch._paths import Target, resolve_path, target_of
from scimcore.patch._request import MAX_OPERATIONS, MISSING, Operation, OpName, parse_request
from scimcore.patch._seed import seed_element
from scimcore.patch._values import (
    ElementIndex,
    Where,
    check_elements,
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
    max_values: int | None = None,
    limits: Mapping[str, int] | None = None,
    validate: bool = True,
) -> PatchResult:
    """Apply a PatchOp message (RFC 7644 §3.5.2) to ``resource``, all or nothing.

    ``resource`` is full SCIM JSON (with ``schemas``; ``resource_type`` names its type when they
    do not). ``request`` is the PatchOp body. The dialects (all of
    :data:`scimcore.dialects.DEFAULT_DIALECTS` by default, none with ``strict=True``) accept the
    non-RFC shapes real IdPs send. The operations apply in order to a copy; the first failing
    operation raises a :class:`~scimcore.ScimError` whose detail starts with ``operation N`` and
    whose JSON path points into ``Operations[N]``, and the input stays untouched. A result that no
    longer validates against the schema is refused as a whole (``validate=False`` leaves that
    check to a caller that validates the result itself, so it runs once).

    The cost is linear in the request and the values it touches: equal elements are found
    through an index by value (kept across operations), a run of consecutive filtered removes
    on one attribute is applied in one pass (``value eq "…"`` filters by a hash lookup), and the
    resource is copied once and validated once. ``max_values`` caps every multi-valued attribute
    of the request and of the result (``tooMany``; see :func:`check_sizes`), ``limits`` per
    attribute name; a request carrying more values than that for one path is refused before
    any operation is applied.
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
    if max_values is not None:
        _check_request_sizes(operations, max_values, limits or {})
    patcher = _Patcher(copy_json(resource), rt, registry, active)
    i = 0
    while i < len(operations):
        run = patcher.removal_run(operations, i)
        try:
            if len(run) > 1:
                patcher.remove_run(run)
            else:
                patcher.apply(operations[i])
        except _RunError as exc:
            raise _located(exc.error, exc.operation) from exc.error
        except ScimError as exc:
            raise _located(exc, operations[i]) from exc
        i += max(1, len(run))
    if max_values is not None:
        check_sizes(patcher.doc, rt, registry, max_values, limits=limits)
    if validate:
        _validate(patcher.doc, rt, registry)
    return PatchResult(resource=patcher.doc, changed=patcher.doc != resource)


def _check_request_sizes(
    operations: Sequence[Operation], limit: int, limits: Mapping[str, int]
) -> None:
    """Refuse, before any work, a request carrying more values for one path than allowed."""
    counts: dict[str, int] = {}
    lowered = {k.lower(): v for k, v in limits.items()}
    for operation in operations:
        value = operation.value
        if operation.op == "remove":
            continue
        if operation.path is None and isinstance(value, Mapping):
            items = [(str(k), v) for k, v in value.items()]
        else:
            items = [(operation.path or "", value)]
        for path, item in items:
            if not isinstance(item, list):
                continue
            name = path.split("[", 1)[0].rsplit(":", 1)[-1].split(".", 1)[0].lower()
            counts[name] = counts.get(name, 0) + len(item)
            cap = lowered.get(name, limit)
            if counts[name] > cap:
                raise TooMany(
                    f"this PATCH carries more than {cap} values for {name!r}; this server "
                    f"keeps at most {cap} in one resource, so split the change",
                    path=["Operations", operation.index, "value"],
                )


def check_sizes(
    resource: Mapping[str, Any],
    rt: ResourceType,
    registry: SchemaRegistry,
    limit: int,
    *,
    limits: Mapping[str, int] | None = None,
) -> None:
    """Refuse a resource holding more values in one multi-valued attribute than allowed.

    ``limit`` applies to every multi-valued attribute, ``limits`` overrides it per attribute
    name (``{"members": 100_000}``). The answer is 400 ``tooMany``: RFC 7644 §3.12 defines no
    scimType for "too many values", ``tooMany`` is the one it has for a request that would make
    the server process more than it is willing to, and 413 is about the size of the request
    body (§3.7.4), which a one-member add to a huge group does not exceed.
    """
    lowered = {k.lower(): v for k, v in (limits or {}).items()}
    if not _longer_list(resource, min(limit, *lowered.values()) if lowered else limit):
        return  # no list anywhere is long enough to be refused: nothing to resolve
    for schema in registry.schemas_of(rt):
        core = schema.id.lower() == rt.schema.lower()
        container: Any = resource
        if not core:
            key = find_key(resource, schema.id)
            container = resource.get(key) if key is not None else None
        if not isinstance(container, Mapping):
            continue
        for attr in schema.attributes:
            if not attr.multi_valued:
                continue
            value = _get(container, attr.name)
            cap = lowered.get(attr.name.lower(), limit)
            if isinstance(value, list) and len(value) > cap:
                raise TooMany(
                    f"{attr.name!r} would hold {len(value)} values; this server keeps at most "
                    f"{cap} in one resource",
                    path=[attr.name] if core else [schema.id, attr.name],
                )


def _longer_list(resource: Mapping[str, Any], floor: int) -> bool:
    """Whether the resource (or an extension object in it) holds a list longer than ``floor``."""
    for value in resource.values():
        if isinstance(value, list):
            if len(value) > floor:
                return True
        elif isinstance(value, Mapping):
            for inner in value.values():
                if isinstance(inner, list) and len(inner) > floor:
                    return True
    return False


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
        self._indexes: dict[int, ElementIndex] = {}
        """Element indexes by ``id()`` of the list they index, reused while that list is kept."""

    def _index(self, attr: Attribute, elements: list[Any]) -> ElementIndex:
        """The index of a list in the document, built once and kept while the list is."""
        index = self._indexes.get(id(elements))
        if index is None or index.elements is not elements or index.attr is not attr:
            index = ElementIndex(attr, elements)
            self._indexes[id(elements)] = index
        return index

    # -- runs of filtered removes -------------------------------------------------------------

    def removal_run(self, operations: Sequence[Operation], start: int) -> list[_Removal]:
        """The consecutive ``remove attr[filter]`` operations from ``start`` on one attribute.

        Empty when the operation at ``start`` is not one (it is then applied on its own). Such
        operations commute with each other (each drops the elements its filter selects), so a
        run is applied in one pass over the elements instead of one pass per operation.
        """
        run: list[_Removal] = []
        for operation in operations[start:]:
            target = self._batchable(operation)
            if target is None:
                break
            if run and (
                target.attribute is not run[0].target.attribute
                or target.schema.id != run[0].target.schema.id
                or target.core != run[0].target.core
            ):
                break
            run.append(_Removal(operation, target))
        return run

    def _batchable(self, operation: Operation) -> Target | None:
        if operation.op != "remove" or operation.path is None:
            return None
        has_value = operation.value is not MISSING and operation.value is not None
        if has_value and not self.dialects:
            return None
        try:
            target = resolve_path(operation.path, self.rt, self.registry)
        except ScimError:
            return None
        attribute = target.attribute
        if (
            attribute is None
            or not attribute.multi_valued
            or target.matcher is None
            or target.sub is not None
            or self._readonly(target)
        ):
            return None
        return target

    def remove_run(self, run: Sequence[_Removal]) -> None:
        """Apply a run of filtered removes (see :meth:`removal_run`) in one pass."""
        first = run[0].target
        attr = first.attribute
        assert attr is not None
        container = self._container(first, create=False)
        if container is None:
            return
        key = find_key(container, attr.name)
        current = container.get(key) if key is not None else None
        if isinstance(current, list) and key is not None:
            by_value: dict[str, int] = {}
            others: list[tuple[int, Any]] = []
            value_sub = attr.sub_attribute("value")
            exact = value_sub is not None and value_sub.case_exact
            for j, removal in enumerate(run):
                keys = _eq_values(removal.target.node, value_sub)
                if keys is None:
                    others.append((j, removal.target.matcher))
                    continue
                for k in keys:
                    by_value.setdefault(k if exact else k.lower(), j)
            out: list[Any] = []
            last = -1
            for element in current:
                if not isinstance(element, Mapping):
                    out.append(element)
                    continue
                chosen = -1
                if by_value:
                    v = _element_value(element)
                    if type(v) is str:
                        chosen = by_value.get(v if exact else v.lower(), -1)
                for j, matcher in others:
                    if chosen != -1 and j >= chosen:
                        break
                    if matcher(element):
                        chosen = j
                        break
                if chosen == -1:
                    out.append(element)
                else:
                    last = max(last, chosen)
            if out:
                container[key] = out
            else:
                if attr.required:
                    removal = run[max(last, 0)]
                    raise _RunError(
                        Mutability(
                            f"{attr.name!r} is required: it cannot be emptied",
                            path=["Operations", removal.operation.index, "path"],
                        ),
                        removal.operation,
                    )
                del container[key]
        self._drop_empty_extension(first)

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
            keys: list[Hashable | None] | None = None
            if op == "add" and attribute.multi_valued and attribute.type == "complex":
                checked, keys = check_elements(attribute, value, self.dialects, where)
            else:
                checked = check_value(attribute, value, self.dialects, where)
            container = self._container(target, create=checked is not None)
            if container is None:
                return
            if checked is None:
                if op == "replace":
                    self._unassign(container, attribute, target, where)
                return
            self._set(op, container, attribute, checked, where, keys)
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
        self,
        op: OpName,
        container: dict[str, Any],
        attr: Attribute,
        value: Any,
        where: Where,
        keys: Sequence[Hashable | None] | None = None,
    ) -> None:
        """Write a checked, non-null value to a whole attribute (add merges, replace sets).

        ``keys``: each element's :meth:`ElementIndex.key` when the check computed them.
        """
        current = _get(container, attr.name)
        if attr.multi_valued:
            primaries = _primary_positions(value) if attr.type == "complex" else []
            if len(primaries) > 1:
                raise InvalidValue(
                    f"{attr.name!r}: at most one value may have primary true (RFC 7643 §2.4)",
                    path=where,
                )
            if op == "add" and isinstance(current, list):
                # the document is a private copy: grow the list in place, through its index
                index = self._index(attr, current)
                written = self._add_all(attr, index, value, keys, primaries)
                _fix_primary(current, written)
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

    def _add_all(
        self,
        attr: Attribute,
        index: ElementIndex,
        items: list[Any],
        keys: Sequence[Hashable | None] | None,
        primaries: list[int],
    ) -> list[int]:
        """:meth:`_add_element` of each item; the positions of those at ``primaries``.

        An item whose key (from ``keys``) no element has is appended at once; the others go
        through :meth:`_add_element`, which finds the equal element and merges.
        """
        elements = index.elements
        written: list[int] = []
        wanted = set(primaries)
        n = len(items)
        j = 0
        while j < n:
            if keys is not None and len(keys) == n:  # the run of new values, appended at once
                first = len(elements) - j
                stop = index.extend_new(items, keys, j)
                written += [first + p for p in primaries if j <= p < stop]
                j = stop
                if j == n:
                    break
            i = self._add_element(attr, index, items[j])
            if j in wanted:
                written.append(i)
            j += 1
        return written

    def _add_element(self, attr: Attribute, index: ElementIndex, item: Any) -> int:
        """Add one element unless an equal one exists (merged then); return its index.

        Merging keeps the existing spelling of equal sub-values and keeps immutable
        sub-attributes that are already set (Okta re-sends ``display`` with every member add).
        """
        elements = index.elements
        i = index.add(item)
        if i is None:
            return len(elements) - 1
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


@attrs.frozen(slots=True)
class _Removal:
    """One operation of a run of filtered removes and its resolved target."""

    operation: Operation
    target: Target


class _RunError(Exception):
    """A failure inside a run of removes, carrying the operation it belongs to."""

    def __init__(self, error: ScimError, operation: Operation) -> None:
        super().__init__(error.detail)
        self.error = error
        self.operation = operation


def _eq_values(node: Any, value_sub: Attribute | None) -> list[str] | None:
    """The strings a ``value eq "…"`` filter (or an ``or`` of them) selects, else None.

    Only for a string-typed ``value`` sub-attribute, where the filter engine compares with
    ``==`` (caseExact) or ``str.lower`` (otherwise), as the lookup by value does.
    """
    if value_sub is None or value_sub.type not in ("string", "reference"):
        return None
    terms = node.terms if isinstance(node, Or) else (node,)
    out: list[str] = []
    for term in terms:
        if not (
            isinstance(term, Compare)
            and term.op == "eq"
            and term.path.urn is None
            and term.path.sub is None
            and term.path.name.lower() == "value"
            and isinstance(term.value, str)
        ):
            return None
        out.append(term.value)
    return out


def _element_value(element: Mapping[str, Any]) -> Any:
    if "value" in element:
        return element["value"]
    for key, item in element.items():
        if isinstance(key, str) and key.lower() == "value":
            return item
    return None


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
    if type(checked) is dict:
        return checked.get("primary") is True
    return isinstance(checked, Mapping) and checked.get("primary") is True


def _primary_positions(values: list[Any]) -> list[int]:
    """The positions of the elements with ``primary`` true (one pass, plain dicts inline)."""
    return [
        i
        for i, v in enumerate(values)
        if (v.get("primary") is True if type(v) is dict else _primary_in(v, None))
    ]


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

"""``parse_filter``: a filter parsed, checked against the schemas, compiled lazily, cached."""

from __future__ import annotations

import threading
from collections.abc import Hashable, Mapping
from typing import Any

from scimcore.errors import InvalidFilter, ScimError
from scimcore.filter._ast import Node, to_text
from scimcore.filter._evaluate import Predicate, ResourceScope, compile_node
from scimcore.filter._parser import parse
from scimcore.schema import DEFAULT_REGISTRY, ResourceType, SchemaRegistry

_CACHE_SIZE = 2048


class Filter:
    """A parsed SCIM filter: ``.ast``, ``.text`` and ``.matches(resource)``.

    The resource's ``schemas`` pick its resource type (and so each attribute's type and
    caseExact); a resource without recognisable ``schemas`` is read as the first resource type
    the filter is valid for (User, for the default registry). The compiled predicate for each
    resource type is built once and kept.
    """

    __slots__ = ("_by_schemas", "_compiled", "_errors", "_fallback", "ast", "registry", "text")

    def __init__(self, text: str, ast: Node, registry: SchemaRegistry) -> None:
        self.text = text
        self.ast = ast
        self.registry = registry
        self._compiled: dict[str, Predicate] = {}
        self._errors: dict[str, ScimError] = {}
        self._by_schemas: dict[Hashable, Predicate] = {}
        self._fallback: Predicate | None = None

    def __repr__(self) -> str:
        return f"Filter({self.text!r})"

    def __str__(self) -> str:
        return to_text(self.ast)

    def predicate(self, resource_type: ResourceType | str) -> Predicate:
        """The compiled predicate for ``resource_type``; raises InvalidFilter if not valid there."""
        rt = resource_type
        if isinstance(rt, str):
            found = self.registry.resource_type(rt)
            if found is None:
                raise InvalidFilter(f"no resource type called {rt!r}")
            rt = found
        name = rt.name
        pred = self._compiled.get(name)
        if pred is not None:
            return pred
        err = self._errors.get(name)
        if err is not None:
            raise err
        try:
            pred = compile_node(self.ast, ResourceScope(self.registry, rt))
        except ScimError as exc:
            self._errors[name] = exc
            raise
        self._compiled[name] = pred
        return pred

    def check(self) -> None:
        """Raise the most specific error when the filter is valid for no resource type at all."""
        errors: list[ScimError] = []
        for rt in self.registry.resource_types:
            try:
                pred = self.predicate(rt)
            except ScimError as exc:
                errors.append(exc)
                continue
            if self._fallback is None:
                self._fallback = pred
        if self._fallback is None and errors:
            raise max(errors, key=lambda e: -1 if e.position is None else e.position)

    def matches(
        self, resource: Mapping[str, Any], *, resource_type: ResourceType | str | None = None
    ) -> bool:
        """True when ``resource`` (SCIM JSON) satisfies the filter.

        Raises InvalidFilter when the filter does not suit the resource's type (an attribute that
        type lacks, an ordering operator on one of its booleans, …).
        """
        if resource_type is not None:
            return self.predicate(resource_type)(resource)
        schemas = resource.get("schemas")
        if type(schemas) is list:
            try:
                pred = self._by_schemas[schemas[0] if len(schemas) == 1 else tuple(schemas)]
            except (KeyError, TypeError, IndexError):
                pred = self._predicate_for(schemas)
        else:
            pred = self._predicate_for(schemas)
        return pred(resource)

    def _predicate_for(self, schemas: Any) -> Predicate:
        key: Hashable = ()
        if type(schemas) is list:
            key = schemas[0] if len(schemas) == 1 else tuple(schemas)
        try:
            pred = self._by_schemas.get(key)
        except TypeError:  # something unhashable in "schemas": no resource type to be found
            key = ()
            pred = self._by_schemas.get(key)
        if pred is None:
            pred = self._predicate_for_schemas(key)
        return pred

    def _predicate_for_schemas(self, key: Hashable) -> Predicate:
        names = key if isinstance(key, tuple) else (key,)
        rt = self.registry.resource_type_for_schemas(s for s in names if isinstance(s, str))
        if rt is not None:
            pred = self.predicate(rt)
        elif self._fallback is not None:
            pred = self._fallback
        else:
            self.check()
            assert self._fallback is not None
            pred = self._fallback
        if len(self._by_schemas) < 64:
            self._by_schemas[key] = pred
        return pred


_cache: dict[tuple[str, int, bool], Filter] = {}
_lock = threading.Lock()


def parse_filter(
    text: str, *, registry: SchemaRegistry | None = None, lenient: bool = True
) -> Filter:
    """Parse and check a SCIM filter; the result is cached by text (and registry).

    Raises InvalidFilter (with the position) for bad syntax or an attribute no resource type of
    the registry has, and TooMany for more than :data:`~scimcore.filter.MAX_TERMS` comparisons.
    ``lenient`` accepts Entra's ``emails[type eq "work"].value eq "x"`` form.
    """
    reg = DEFAULT_REGISTRY if registry is None else registry
    key = (text, id(reg), lenient)
    found = _cache.get(key) if isinstance(text, str) else None
    if found is not None:
        return found
    ast = parse(text, known_urns=[s.id for s in reg.schemas], lenient=lenient)
    flt = Filter(text, ast, reg)
    flt.check()
    with _lock:
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = flt
    return flt

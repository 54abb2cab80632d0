"""In-memory evaluation: a filter AST compiled once, per resource type, into nested closures.

Semantics (RFC 7644 §3.4.2.2, with the choices the RFC leaves open written down):

* Attribute names are case-insensitive; the schema's canonical spelling is tried first.
* Strings compare case-insensitively (``str.lower`` on both sides) unless the attribute is
  ``caseExact`` (``id``, ``externalId``, ``meta.version``, ``schemas``, …). Ordering compares code
  points of the (lower-cased) strings.
* ``dateTime`` values compare as instants: offsets are honoured and a value without one is UTC.
* ``integer``/``decimal`` compare as numbers; ``boolean`` only with ``eq``/``ne``. Ordering on a
  boolean or binary attribute, or a value of the wrong JSON type, is ``invalidFilter``.
* A multi-valued attribute (or a sub-attribute reached through one) matches when any value does.
* ``pr`` is false for a missing attribute, ``null``, ``""``, ``{}`` and ``[]``.
* Logic is two-valued: a comparison with a missing attribute is false, ``ne`` is ``not eq`` (so a
  resource without the attribute matches ``ne``), ``not (f)`` is exactly the complement of ``f``,
  ``eq null`` is ``not pr`` and ``ne null`` is ``pr``.
* ``attr[filter]`` matches when one element satisfies the whole bracket.
* A complex attribute compared directly (``emails eq "x"``) compares its ``value`` sub-attribute.
* An attribute the schema does not know is ``invalidFilter``: a filter is never silently widened.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from scimcore.errors import InvalidFilter
from scimcore.filter import _fast
from scimcore.filter._ast import (
    ORDERING_OPS,
    SUBSTRING_OPS,
    And,
    AttrPath,
    Compare,
    Literal,
    Node,
    Not,
    Or,
    Present,
    ValuePath,
)
from scimcore.schema import COMMON_ATTRIBUTES, Attribute, ResourceType, SchemaRegistry

Predicate = Callable[[Mapping[str, Any]], bool]
_Test = Callable[[Any], bool]


# -- reading values ---------------------------------------------------------------------------


def _get(obj: Any, key: str, low: str) -> Any:
    """``obj[key]`` with a case-insensitive fallback; None when absent or ``obj`` is no object."""
    try:
        return obj[key]
    except KeyError:
        for k in obj:
            if isinstance(k, str) and k.lower() == low:
                return obj[k]
        return None
    except (TypeError, IndexError):
        return None


def _single_getter(keys: tuple[str, ...]) -> Callable[[Any], Any]:
    """The value at ``keys`` through single-valued objects (None when absent)."""
    pairs = tuple((k, k.lower()) for k in keys)
    if len(pairs) == 1:
        key, low = pairs[0]

        def get1(obj: Any) -> Any:
            try:
                return obj[key]
            except KeyError:
                return _get(obj, key, low)
            except (TypeError, IndexError):
                return None

        return get1

    def get(obj: Any) -> Any:
        for key, low in pairs:
            obj = _get(obj, key, low)
            if obj is None:
                return None
        return obj

    return get


def _values_getter(keys: tuple[str, ...]) -> Callable[[Any], list[Any]]:
    """The values at ``keys``, flattening lists on the way (multi-valued attributes).

    The result may hold nulls (every test is false for null) and may be the resource's own list:
    callers only read it.
    """
    pairs = tuple((k, k.lower()) for k in keys)
    if len(pairs) == 1:
        key, low = pairs[0]
        empty: list[Any] = []

        def values1(obj: Any) -> list[Any]:
            try:
                v = obj[key]
            except KeyError:
                v = _get(obj, key, low)
            except (TypeError, IndexError):
                return empty
            if type(v) is list:
                return v
            return empty if v is None else [v]

        return values1

    def values(obj: Any) -> list[Any]:
        current = [obj]
        for key, low in pairs:
            found: list[Any] = []
            for item in current:
                v = _get(item, key, low)
                if v is None:
                    continue
                if type(v) is list:
                    found.extend(x for x in v if x is not None)
                else:
                    found.append(v)
            current = found
            if not current:
                break
        return current

    return values


def is_present(value: Any) -> bool:
    """RFC ``pr``: not null, and not an empty string, object or array."""
    return value is not None and value != "" and value != {} and value != []


# -- comparing one value ----------------------------------------------------------------------

_DT_CACHE: dict[str, datetime | None] = {}


def parse_datetime(text: Any) -> datetime | None:
    """An xsd:dateTime as an aware datetime (no offset means UTC); None when it is not one."""
    if type(text) is not str:
        return None
    try:
        return _DT_CACHE[text]
    except KeyError:
        pass
    try:
        value: datetime | None = datetime.fromisoformat(text)
    except ValueError:
        value = None
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if value is not None and (len(text) < 19 or text[10] != "T"):
        value = None  # a bare date or a space-separated form is not an xsd:dateTime
    if value is not None:
        try:  # compared in UTC; an instant before year 1 or after 9999 there is none
            value = value.astimezone(UTC)
        except OverflowError:
            value = None
    if len(_DT_CACHE) > 100_000:
        _DT_CACHE.clear()
    _DT_CACHE[text] = value
    return value


def _unrepresentable(text: Any) -> bool:
    """True for an xsd:dateTime whose UTC instant falls outside years 1 to 9999."""
    if not isinstance(text, str):
        return False
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return False
    try:
        value.astimezone(UTC)
    except OverflowError:
        return True
    return False


def _ordering(op: str, lit: Any) -> _Test:
    if op == "gt":
        return lambda v: v > lit
    if op == "ge":
        return lambda v: v >= lit
    if op == "lt":
        return lambda v: v < lit
    return lambda v: v <= lit


def _string_test(op: str, lit: str, case_exact: bool) -> _Test:
    if not case_exact:
        lit = lit.lower()
    if op == "eq":
        if case_exact:
            return lambda v: v == lit and type(v) is str
        return lambda v: type(v) is str and v.lower() == lit
    if op == "co":
        if case_exact:
            return lambda v: type(v) is str and lit in v
        return lambda v: type(v) is str and lit in v.lower()
    if op == "sw":
        if case_exact:
            return lambda v: type(v) is str and v.startswith(lit)
        return lambda v: type(v) is str and v.lower().startswith(lit)
    if op == "ew":
        if case_exact:
            return lambda v: type(v) is str and v.endswith(lit)
        return lambda v: type(v) is str and v.lower().endswith(lit)
    order = _ordering(op, lit)
    if case_exact:
        return lambda v: type(v) is str and order(v)
    return lambda v: type(v) is str and order(v.lower())


def _number_test(op: str, lit: int | float) -> _Test:
    if op == "eq":
        return lambda v: (type(v) is int or type(v) is float) and v == lit
    order = _ordering(op, lit)
    return lambda v: (type(v) is int or type(v) is float) and order(v)


def _datetime_test(op: str, lit: datetime) -> _Test:
    if op == "eq":

        def eq(v: Any) -> bool:
            d = parse_datetime(v)
            return d is not None and d == lit

        return eq
    order = _ordering(op, lit)

    def ordered(v: Any) -> bool:
        d = parse_datetime(v)
        return d is not None and order(d)

    return ordered


def coerce_literal(attr: Attribute, op: str, lit: Literal, path: AttrPath) -> Literal | datetime:
    """Check ``op`` and ``lit`` suit ``attr``; return the literal in the attribute's own terms."""
    where = path.pos if path.pos >= 0 else None
    kind = attr.type
    shown = path.text
    if kind == "boolean":
        if op != "eq":
            raise InvalidFilter(
                f"{shown!r} is a boolean; only eq, ne and pr apply to it", position=where
            )
        if isinstance(lit, str) and lit.lower() in ("true", "false"):
            return lit.lower() == "true"  # lenient: Entra quotes booleans
        if not isinstance(lit, bool):
            raise InvalidFilter(
                f"{shown!r} is a boolean; compare it with true or false", position=where
            )
        return lit
    if kind in ("integer", "decimal"):
        if op in SUBSTRING_OPS:
            raise InvalidFilter(f"{shown!r} is a number; {op} applies to strings", position=where)
        if isinstance(lit, bool) or not isinstance(lit, int | float):
            raise InvalidFilter(f"{shown!r} is a number; compare it with a number", position=where)
        return lit
    if kind == "dateTime":
        if op in SUBSTRING_OPS:
            raise InvalidFilter(
                f"{shown!r} is a dateTime; use eq, ne, gt, ge, lt or le", position=where
            )
        value = parse_datetime(lit)
        if value is None and _unrepresentable(lit):
            raise InvalidFilter(
                f"{lit!r} is outside the dateTimes this server can compare (years 0001 to"
                " 9999 in UTC)",
                position=where,
            )
        if value is None:
            raise InvalidFilter(
                f"{shown!r} is a dateTime; compare it with a quoted xsd:dateTime such as "
                '"2024-01-31T12:00:00Z"',
                position=where,
            )
        return value
    if kind == "binary" and op in ORDERING_OPS:
        raise InvalidFilter(f"{shown!r} is binary; it cannot be ordered", position=where)
    if not isinstance(lit, str):
        raise InvalidFilter(f"{shown!r} is a string; quote the value", position=where)
    return lit


def value_test(attr: Attribute, op: str, lit: Literal, path: AttrPath) -> _Test:
    """A test of one value of ``attr`` against ``op lit`` (op not ne/pr, lit not null)."""
    value = coerce_literal(attr, op, lit, path)
    kind = attr.type
    if kind == "boolean":
        return lambda v: v is value
    if kind in ("integer", "decimal"):
        assert isinstance(value, int | float)
        return _number_test(op, value)
    if kind == "dateTime":
        assert isinstance(value, datetime)
        return _datetime_test(op, value)
    assert isinstance(value, str)
    return _string_test(op, value, attr.case_exact or kind == "binary")


# -- scopes: where a path's attribute comes from ------------------------------------------------


class _Target:
    """A resolved path: the attribute it ends at, the JSON keys and whether it is multi-valued."""

    __slots__ = ("attr", "keys", "multi")

    def __init__(self, attr: Attribute, keys: tuple[str, ...], multi: bool) -> None:
        self.attr = attr
        self.keys = keys
        self.multi = multi


class ResourceScope:
    """Paths resolved against a resource type of a registry."""

    def __init__(self, registry: SchemaRegistry, resource_type: ResourceType) -> None:
        self.registry = registry
        self.resource_type = resource_type
        self._canon: frozenset[str] | None = None

    @property
    def canon(self) -> frozenset[str]:
        """The canonical spellings of a resource's top-level keys (attributes, URNs, schemas)."""
        if self._canon is None:
            schemas = self.registry.schemas_of(self.resource_type)
            names = {"schemas", *(a.name for a in COMMON_ATTRIBUTES)}
            names.update(a.name for a in schemas[0].attributes)
            names.update(s.id for s in schemas[1:])
            self._canon = frozenset(names)
        return self._canon

    def resolve(self, path: AttrPath) -> _Target:
        ref = self.registry.resolve(path.text, self.resource_type)
        where = path.pos if path.pos >= 0 else None
        if ref is None or ref.attribute is None:
            raise InvalidFilter(
                f"{path.text!r} is not an attribute of {self.resource_type.name}", position=where
            )
        multi = ref.attribute.multi_valued
        target = ref.target
        assert target is not None
        if ref.sub_attribute is not None:
            multi = multi or ref.sub_attribute.multi_valued
        return _Target(target, ref.keys, multi)


class ElementScope:
    """Sub-attribute names inside ``attr[…]``, resolved against the complex attribute."""

    def __init__(self, attribute: Attribute) -> None:
        self.attribute = attribute
        self.canon = frozenset(a.name for a in attribute.sub_attributes)

    def resolve(self, path: AttrPath) -> _Target:
        where = path.pos if path.pos >= 0 else None
        sub = self.attribute.sub_attribute(path.name) if path.urn is None else None
        if sub is None or path.sub is not None:
            raise InvalidFilter(
                f"{path.text!r} is not a sub-attribute of {self.attribute.name!r}", position=where
            )
        return _Target(sub, (sub.name,), sub.multi_valued)


Scope = ResourceScope | ElementScope


# -- compiling ----------------------------------------------------------------------------------


def _present(target: _Target) -> Predicate:
    if target.multi:
        values = _values_getter(target.keys)
        return lambda r: any(map(is_present, values(r)))
    get = _single_getter(target.keys)
    return lambda r: is_present(get(r))


def _complex_value(target: _Target, path: AttrPath) -> _Target:
    """``emails eq "x"`` compares ``emails.value``; other complex attributes cannot compare."""
    sub = target.attr.sub_attribute("value")
    if sub is None:
        raise InvalidFilter(
            f"{path.text!r} is complex; compare one of its sub-attributes instead",
            position=path.pos if path.pos >= 0 else None,
        )
    return _Target(sub, (*target.keys, sub.name), target.multi or sub.multi_valued)


def _compare(node: Compare, scope: Scope) -> Predicate:
    target = scope.resolve(node.path)
    op = node.op
    if node.value is None:  # parse rejects null with every other operator
        present = _present(target)
        if op == "eq":
            return lambda r: not present(r)
        return present
    if target.attr.is_complex:
        target = _complex_value(target, node.path)
    if op == "ne":
        equal = _compare(Compare(node.path, "eq", node.value), scope)
        return lambda r: not equal(r)
    test = value_test(target.attr, op, node.value, node.path)
    kind = target.attr.type
    if (
        not target.multi
        and len(target.keys) == 1
        and kind in ("string", "reference")
        and op in ("eq", "co", "sw", "ew")
        and isinstance(node.value, str)
    ):
        return _fused_string(target.keys[0], op, node.value, target.attr.case_exact)
    return _apply(target, test)


def _fused_string(key: str, op: str, lit: str, case_exact: bool) -> Predicate:
    """The hottest comparisons (a string attribute read by one key) as a single closure."""
    low = key.lower()

    def read(r: Mapping[str, Any]) -> Any:
        try:
            return r[key]
        except KeyError:
            return _get(r, key, low)
        except (TypeError, IndexError):
            return None

    if not case_exact:
        lit = lit.lower()
        if op == "eq":

            def eq_ci(r: Mapping[str, Any]) -> bool:
                try:
                    v = r[key]
                except KeyError:
                    v = _get(r, key, low)
                except (TypeError, IndexError):
                    return False
                return type(v) is str and v.lower() == lit

            return eq_ci
        if op == "co":

            def co_ci(r: Mapping[str, Any]) -> bool:
                try:
                    v = r[key]
                except KeyError:
                    v = _get(r, key, low)
                except (TypeError, IndexError):
                    return False
                return type(v) is str and lit in v.lower()

            return co_ci
        if op == "sw":
            return lambda r: type(v := read(r)) is str and v.lower().startswith(lit)
        return lambda r: type(v := read(r)) is str and v.lower().endswith(lit)
    if op == "eq":
        return lambda r: type(v := read(r)) is str and v == lit
    if op == "co":
        return lambda r: type(v := read(r)) is str and lit in v
    if op == "sw":
        return lambda r: type(v := read(r)) is str and v.startswith(lit)
    return lambda r: type(v := read(r)) is str and v.endswith(lit)


def _apply(target: _Target, test: _Test) -> Predicate:
    """A predicate applying ``test`` to the value(s) at ``target`` (any value, if multi-valued)."""
    if target.multi:
        values = _values_getter(target.keys)

        def any_value(r: Mapping[str, Any]) -> bool:
            for v in values(r):  # noqa: SIM110 - a plain loop is faster than any(genexpr)
                if v is not None and test(v):
                    return True
            return False

        return any_value
    if len(target.keys) == 1:
        key = target.keys[0]
        low = key.lower()

        def single1(r: Mapping[str, Any]) -> bool:
            try:
                v = r[key]
            except KeyError:
                v = _get(r, key, low)
            except (TypeError, IndexError):
                return False
            return v is not None and test(v)

        return single1
    get = _single_getter(target.keys)

    def single(r: Mapping[str, Any]) -> bool:
        v = get(r)
        return v is not None and test(v)

    return single


def _is_string_eq(node: Node) -> bool:
    return isinstance(node, Compare) and node.op == "eq" and isinstance(node.value, str)


def _one_of(path: AttrPath, values: list[str], scope: Scope) -> Predicate | None:
    """``path eq v1 or path eq v2 or …`` on a string attribute as one set lookup (else None)."""
    target = scope.resolve(path)
    if target.attr.is_complex:
        target = _complex_value(target, path)
    if target.attr.type not in ("string", "reference"):
        return None
    return _apply(target, _in_set(target.attr, values))


def _in_set(attr: Attribute, values: list[str]) -> _Test:
    if attr.case_exact:
        exact = frozenset(values)
        return lambda v: type(v) is str and v in exact
    lowered = frozenset(v.lower() for v in values)
    return lambda v: type(v) is str and v.lower() in lowered


# -- the fast path: simple terms read straight from the object (see _fast) ------------------------


def _simple(target: _Target) -> bool:
    return not target.multi and len(target.keys) == 1


def _simple_term(node: Node, scope: Scope) -> _fast.Term | None:
    """``node`` as a fast-path term: a comparison on a single-valued attribute read by one key.

    None when it is not one (the general path compiles it, raising the same errors).
    """
    if not isinstance(node, Compare | Present):
        return None
    target = scope.resolve(node.path)
    if not _simple(target):
        return None
    key = target.keys[0]
    if isinstance(node, Present) or (node.value is None and node.op == "ne"):
        return _fast.Term(key, scope.canon, is_present)
    if node.value is None:
        return _fast.Term(key, scope.canon, lambda v: not is_present(v))
    if target.attr.is_complex:
        return None
    if node.op == "ne":
        equal = value_test(target.attr, "eq", node.value, node.path)
        return _fast.Term(key, scope.canon, lambda v: not equal(v))
    return _fast.Term(key, scope.canon, value_test(target.attr, node.op, node.value, node.path))


def _one_of_term(path: AttrPath, values: list[str], scope: Scope) -> _fast.Term | None:
    """The fast-path form of :func:`_one_of` (None unless the attribute is a simple string)."""
    target = scope.resolve(path)
    if not _simple(target) or target.attr.type not in ("string", "reference"):
        return None
    return _fast.Term(target.keys[0], scope.canon, _in_set(target.attr, values))


def _and(node: And, scope: Scope, fast: bool) -> Predicate:
    terms: list[_fast.Term] = []
    parts: list[Predicate] = []
    for t in node.terms:
        simple = _simple_term(t, scope) if fast else None
        if simple is not None:
            terms.append(simple)
        else:
            parts.append(compile_node(t, scope, fast=fast))
    if terms:
        parts.insert(0, _fast.single(terms[0]) if len(terms) == 1 else _fast.conjunction(terms))
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        a, b = parts
        return lambda r: a(r) and b(r)
    every = tuple(parts)

    def all_of(r: Mapping[str, Any]) -> bool:
        for p in every:  # noqa: SIM110 - a plain loop is faster than all(genexpr)
            if not p(r):
                return False
        return True

    return all_of


def _or(node: Or, scope: Scope, fast: bool) -> Predicate:
    groups: dict[str, list[Compare]] = {}
    for term in node.terms:
        if _is_string_eq(term):
            assert isinstance(term, Compare)
            groups.setdefault(term.path.text.lower(), []).append(term)
    terms: list[_fast.Term] = []
    parts: list[Predicate] = []
    merged: set[str] = set()
    for term in node.terms:
        key = term.path.text.lower() if _is_string_eq(term) else None  # type: ignore[union-attr]
        if key is not None and len(groups[key]) > 1:
            if key in merged:
                continue
            same = groups[key]
            values: list[str] = [t.value for t in same]  # type: ignore[misc]
            simple = _one_of_term(same[0].path, values, scope) if fast else None
            if simple is not None:
                merged.add(key)
                terms.append(simple)
                continue
            one = _one_of(same[0].path, values, scope)
            if one is not None:
                merged.add(key)
                parts.append(one)
                continue
        simple = _simple_term(term, scope) if fast else None
        if simple is not None:
            terms.append(simple)
        else:
            parts.append(compile_node(term, scope, fast=fast))
    if terms:
        parts.insert(0, _fast.single(terms[0]) if len(terms) == 1 else _fast.disjunction(terms))
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        a, b = parts
        return lambda r: a(r) or b(r)
    every = tuple(parts)

    def any_of(r: Mapping[str, Any]) -> bool:
        for p in every:  # noqa: SIM110 - a plain loop is faster than any(genexpr)
            if p(r):
                return True
        return False

    return any_of


def _value_path(node: ValuePath, scope: Scope, fast: bool) -> Predicate:
    if not isinstance(scope, ResourceScope):
        raise InvalidFilter("a value filter cannot contain another '[…]'")
    target = scope.resolve(node.path)
    if not target.attr.is_complex:
        raise InvalidFilter(
            f"{node.path.text!r} is not complex; '[…]' filters elements of a complex attribute",
            position=node.path.pos if node.path.pos >= 0 else None,
        )
    inner = compile_node(node.filter, ElementScope(target.attr), fast=fast)
    elements = _values_getter(target.keys)

    def match(r: Mapping[str, Any]) -> bool:
        for el in elements(r):
            if (type(el) is dict or isinstance(el, Mapping)) and inner(el):
                return True
        return False

    return match


def compile_node(node: Node, scope: Scope, *, fast: bool = True) -> Predicate:
    """Compile ``node`` into a predicate over resources (or elements, in an ElementScope).

    ``fast`` (the default) compiles and/or of simple comparisons to the specialised closures of
    :mod:`scimcore.filter._fast`; ``fast=False`` is the general path, kept as its reference.
    """
    if isinstance(node, Compare | Present) and fast:
        simple = _simple_term(node, scope)
        if simple is not None:
            return _fast.single(simple)
    if isinstance(node, Compare):
        return _compare(node, scope)
    if isinstance(node, Present):
        target = scope.resolve(node.path)
        return _present(target)
    if isinstance(node, And):
        return _and(node, scope, fast)
    if isinstance(node, Or):
        return _or(node, scope, fast)
    if isinstance(node, Not):
        inner = compile_node(node.inner, scope, fast=fast)
        return lambda r: not inner(r)
    return _value_path(node, scope, fast)


def element_matcher(node: Node, attribute: Attribute) -> Callable[[Mapping[str, Any]], bool]:
    """Compile a bracket filter (paths relative to an element) to test one element of ``attribute``.

    This is how PATCH selects the elements ``members[value eq "…"]`` names. Raises InvalidFilter
    when the filter names a sub-attribute ``attribute`` does not have or does not suit its type.
    """
    return compile_node(node, ElementScope(attribute))

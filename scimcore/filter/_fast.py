"""The evaluator's fast path: and/or of simple comparisons as one closure over ``dict.get``.

A *simple term* is a comparison (or ``pr``) on a single-valued, non-complex attribute read by one
JSON key: a top-level attribute of a resource, or a sub-attribute inside ``emails[…]``. The
compiler resolves its key, type and caseExact once and hands this module a value test that takes
the value read (None when absent or null). The closures here read each key with ``get`` and only
fall back to a case-insensitive scan of the object's keys when the key is absent *and* the object
has a key that is not a canonical attribute name (``canon``): for resources spelled the way the
schema spells them, a missing attribute costs one set comparison, not a scan.

Results are identical to the general path (``compile_node(..., fast=False)``); a hypothesis
property in the tests compares the two.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Predicate = Callable[[Mapping[str, Any]], bool]
ValueTest = Callable[[Any], bool]


class Term:
    """A simple term: read ``key`` (canonical spelling) and apply ``test`` to the value."""

    __slots__ = ("absent", "canon", "key", "low", "test")

    def __init__(self, key: str, canon: frozenset[str], test: ValueTest) -> None:
        self.key = key
        self.low = key.lower()
        # No name in ``canon`` may be another spelling of ``key``: then an object whose keys are
        # all in ``canon`` and lack ``key`` surely lacks the attribute.
        self.canon = frozenset(k for k in canon if k == key or k.lower() != self.low)
        self.test = test
        self.absent = test(None)  # the result for a missing attribute, known at compile time


def scan(obj: Mapping[str, Any], low: str) -> Any:
    """The value under a key spelled ``low`` in any case; None when there is none."""
    for k in obj:
        if isinstance(k, str) and k.lower() == low:
            return obj[k]
    return None


def _read(r: Any, key: str, low: str, canon: frozenset[str]) -> Any:
    """``r[key]``, case-insensitively; None when absent, null, or ``r`` is no mapping."""
    try:
        v = r.get(key)
    except (AttributeError, TypeError):
        return None
    if v is None and not (r.keys() <= canon or key in r):
        return scan(r, low)
    return v


def single(term: Term) -> Predicate:
    """One simple term as a predicate."""
    key, low, canon, test, absent = term.key, term.low, term.canon, term.test, term.absent

    def one(r: Mapping[str, Any]) -> bool:
        try:
            v = r.get(key)
        except (AttributeError, TypeError):
            return absent
        if v is None:
            if r.keys() <= canon or key in r:
                return absent
            return test(scan(r, low))
        return test(v)

    return one


def conjunction(terms: list[Term]) -> Predicate:
    """All of ``terms`` (two or more)."""
    if len(terms) == 2:
        a, b = terms
        k1, l1, c1, t1, n1 = a.key, a.low, a.canon, a.test, a.absent
        k2, l2, c2, t2, n2 = b.key, b.low, b.canon, b.test, b.absent

        def both(r: Mapping[str, Any]) -> bool:
            try:
                v = r.get(k1)
            except (AttributeError, TypeError):
                return n1 and n2
            if v is None:
                if r.keys() <= c1 or k1 in r:
                    if not n1:
                        return False
                elif not t1(scan(r, l1)):
                    return False
            elif not t1(v):
                return False
            v = r.get(k2)
            if v is None:
                if r.keys() <= c2 or k2 in r:
                    return n2
                return t2(scan(r, l2))
            return t2(v)

        return both
    return _many(terms, conjunction=True)


def disjunction(terms: list[Term]) -> Predicate:
    """Any of ``terms`` (two or more)."""
    if len(terms) == 2:
        a, b = terms
        k1, l1, c1, t1, n1 = a.key, a.low, a.canon, a.test, a.absent
        k2, l2, c2, t2, n2 = b.key, b.low, b.canon, b.test, b.absent

        def either(r: Mapping[str, Any]) -> bool:
            try:
                v = r.get(k1)
            except (AttributeError, TypeError):
                return n1 or n2
            if v is None:
                if r.keys() <= c1 or k1 in r:
                    if n1:
                        return True
                elif t1(scan(r, l1)):
                    return True
            elif t1(v):
                return True
            v = r.get(k2)
            if v is None:
                if r.keys() <= c2 or k2 in r:
                    return n2
                return t2(scan(r, l2))
            return t2(v)

        return either
    return _many(terms, conjunction=False)


def _many(terms: list[Term], *, conjunction: bool) -> Predicate:
    """Three or more terms in one loop; whether every key is canonical is found once per object."""
    canon = terms[0].canon
    if any(t.canon != canon for t in terms):
        every = tuple((t.key, t.low, t.canon, t.test) for t in terms)
        if conjunction:
            return lambda r: all(test(_read(r, k, low, c)) for k, low, c, test in every)
        return lambda r: any(test(_read(r, k, low, c)) for k, low, c, test in every)
    steps = tuple((t.key, t.low, t.test, bool(t.absent)) for t in terms)
    if conjunction:
        if_none = all(t.absent for t in terms)

        def all_of(r: Mapping[str, Any]) -> bool:
            try:
                get = r.get
            except AttributeError:
                return if_none
            plain: bool | None = None
            for key, low, test, absent in steps:
                v = get(key)
                if v is None:
                    if plain is None:
                        plain = r.keys() <= canon
                    if plain or key in r:
                        if not absent:
                            return False
                        continue
                    v = scan(r, low)
                if not test(v):
                    return False
            return True

        return all_of
    if_none = any(t.absent for t in terms)

    def any_of(r: Mapping[str, Any]) -> bool:
        try:
            get = r.get
        except AttributeError:
            return if_none
        plain: bool | None = None
        for key, low, test, absent in steps:
            v = get(key)
            if v is None:
                if plain is None:
                    plain = r.keys() <= canon
                if plain or key in r:
                    if absent:
                        return True
                    continue
                v = scan(r, low)
            if test(v):
                return True
        return False

    return any_of

"""Immutable filter AST nodes (RFC 7644 §3.4.2.2) and the printer whose output parses back to them.

The tree is small on purpose:

* :class:`AttrPath`: ``[urn ":"] name ["." sub]``; names keep the spelling the client sent.
* :class:`Compare`: ``path op value`` with ``op`` lower-cased and ``value`` a typed JSON literal
  (``str``, ``bool``, ``int``, ``float`` or ``None``).
* :class:`Present`: ``path pr``.
* :class:`And` / :class:`Or`: n-ary, so a long chain is a flat tuple and never a deep tree.
* :class:`Not`: ``not ( … )``.
* :class:`ValuePath`: ``attr[ … ]``: one element of ``attr`` must satisfy the whole bracket.

Parentheses leave no node of their own: ``(a and b) and c`` is ``And((And((a, b)), c))`` and the
printer puts parentheses back exactly where the tree needs them, so ``parse(to_text(n)) == n``.
"""

from __future__ import annotations

import json
import math

import attrs

Literal = str | bool | int | float | None
"""A comparison value as JSON gives it: string, boolean, number or null."""

COMPARE_OPS: frozenset[str] = frozenset(("eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le"))
ORDERING_OPS: frozenset[str] = frozenset(("gt", "lt", "ge", "le"))
SUBSTRING_OPS: frozenset[str] = frozenset(("co", "sw", "ew"))


@attrs.frozen(slots=True)
class AttrPath:
    """An attribute path: optional schema URN, attribute name, optional sub-attribute name.

    ``name`` is ``""`` only for a PATCH path that names a whole extension schema by its URN.
    """

    urn: str | None
    name: str
    sub: str | None = None
    pos: int = attrs.field(default=-1, eq=False, repr=False)
    """Offset of the path in the text it was parsed from (-1 when built by hand); not compared."""

    @property
    def text(self) -> str:
        """The path as text (``urn:…:User:name.givenName``), as the registry resolves it."""
        dotted = self.name if self.sub is None else f"{self.name}.{self.sub}"
        if self.urn is None:
            return dotted
        return f"{self.urn}:{dotted}" if dotted else self.urn

    def __str__(self) -> str:
        return self.text


@attrs.frozen(slots=True)
class Compare:
    """``path op value``: one of eq, ne, co, sw, ew, gt, lt, ge, le (lower case)."""

    path: AttrPath
    op: str
    value: Literal

    def __str__(self) -> str:
        return to_text(self)


@attrs.frozen(slots=True)
class Present:
    """``path pr``: the attribute has a non-empty value."""

    path: AttrPath

    def __str__(self) -> str:
        return to_text(self)


@attrs.frozen(slots=True)
class And:
    """All of ``terms`` hold (two or more)."""

    terms: tuple[Node, ...]

    def __str__(self) -> str:
        return to_text(self)


@attrs.frozen(slots=True)
class Or:
    """At least one of ``terms`` holds (two or more)."""

    terms: tuple[Node, ...]

    def __str__(self) -> str:
        return to_text(self)


@attrs.frozen(slots=True)
class Not:
    """``not (inner)``: the complement of ``inner`` (two-valued: an absent attribute is false)."""

    inner: Node

    def __str__(self) -> str:
        return to_text(self)


@attrs.frozen(slots=True)
class ValuePath:
    """``attr[filter]``: some element of the multi-valued complex ``attr`` satisfies ``filter``.

    Paths inside ``filter`` are sub-attribute names relative to the element.
    """

    path: AttrPath
    filter: Node

    def __str__(self) -> str:
        return to_text(self)


Node = Compare | Present | And | Or | Not | ValuePath
"""Any filter node."""


def literal_text(value: Literal) -> str:
    """Render a literal as the filter grammar (JSON) spells it."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} has no JSON spelling")
        return repr(value)
    return str(value)


def to_text(node: Node) -> str:
    """Print ``node`` as filter text that parses back to an equal node."""
    out: list[str] = []
    _emit(node, out)
    return "".join(out)


def _emit(node: Node, out: list[str]) -> None:
    if isinstance(node, Compare):
        out.append(f"{node.path.text} {node.op} {literal_text(node.value)}")
    elif isinstance(node, Present):
        out.append(f"{node.path.text} pr")
    elif isinstance(node, And | Or):
        word = " and " if isinstance(node, And) else " or "
        for i, term in enumerate(node.terms):
            if i:
                out.append(word)
            # A nested And always needs parentheses (otherwise it would flatten into this one);
            # an Or inside an And needs them for precedence; an And inside an Or does not.
            wrap = isinstance(term, Or) or (isinstance(term, And) and isinstance(node, And))
            if wrap:
                out.append("(")
            _emit(term, out)
            if wrap:
                out.append(")")
    elif isinstance(node, Not):
        out.append("not (")
        _emit(node.inner, out)
        out.append(")")
    else:
        out.append(f"{node.path.text}[")
        _emit(node.filter, out)
        out.append("]")

"""A recursive-descent parser for RFC 7644 filters (§3.4.2.2) and PATCH paths (§3.5.2).

Precedence is the RFC's: ``not`` binds tighter than ``and``, which binds tighter than ``or``.
Operators, ``and``/``or``/``not`` and ``true``/``false``/``null`` are case-insensitive (RFC 5234
strings are). Strings are JSON strings with every JSON escape. Numbers are JSON numbers. Every
error is an :class:`~scimcore.errors.InvalidFilter` (or :class:`~scimcore.errors.InvalidPath` for
PATCH paths) carrying the 0-based character offset of the problem, and the parser never recurses
deeper than :data:`MAX_DEPTH` nested groups, so hostile input cannot raise ``RecursionError``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable

import attrs

from scimcore.errors import InvalidFilter, InvalidPath, ScimError, TooMany
from scimcore.filter._ast import (
    COMPARE_OPS,
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
from scimcore.schema import DEFAULT_REGISTRY, split_urn

MAX_LENGTH = 20_000
"""Longest filter text accepted, in characters."""
MAX_TERMS = 1_000
"""Most comparisons (``attr op value`` / ``attr pr``) one filter may hold; more is ``tooMany``."""
MAX_DEPTH = 64
"""Deepest nesting of parentheses, ``not ( … )`` and brackets one filter may have."""

_WORD = re.compile(r"[A-Za-z$][A-Za-z0-9_$\-]*(?:[:.][A-Za-z0-9_$\-]+)*")
_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]+|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"')
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_SUB = re.compile(r"\.[A-Za-z$][A-Za-z0-9_$\-]*")
_PUNCT = {"(": "lp", ")": "rp", "[": "lb", "]": "rb"}
_SPACE = frozenset(" \t\r\n")
_NAME = re.compile(r"[A-Za-z$][A-Za-z0-9_$\-]*\Z")
_DEFAULT_URNS: tuple[str, ...] = tuple(s.id for s in DEFAULT_REGISTRY.schemas)

Token = tuple[str, str, int]
"""(kind, text, offset): kind is one of lp rp lb rb str num word sub end."""


def _describe(tok: Token) -> str:
    kind, text, _ = tok
    return "the end" if kind == "end" else repr(text)


def _bad_string(text: str, start: int) -> tuple[str, int]:
    """Explain why the string starting at ``start`` did not lex, and where."""
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == '"':
            break
        if ch == "\\":
            esc = text[i + 1 : i + 2]
            if esc == "u" and re.match(r"[0-9a-fA-F]{4}", text[i + 2 : i + 6]):
                i += 6
                continue
            if esc and esc in '"\\/bfnrt':
                i += 2
                continue
            return f"invalid escape '\\{esc}' in a string; use a JSON escape", i
        if ord(ch) < 0x20:
            return f"control character U+{ord(ch):04X} in a string must be escaped", i
        i += 1
    return "unterminated string; close it with a double quote", start


def tokenize(text: str, error: type[ScimError] = InvalidFilter) -> list[Token]:
    """Split ``text`` into tokens with their offsets, ending with an ``end`` token."""
    tokens: list[Token] = []
    append = tokens.append
    word, punct, space = _WORD.match, _PUNCT.get, _SPACE
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in space:
            i += 1
            continue
        kind = punct(ch)
        if kind is not None:
            append((kind, ch, i))
            i += 1
            continue
        if ch == '"':
            m = _STRING.match(text, i)
            if m is None:
                message, where = _bad_string(text, i)
                raise error(message, position=where)
            kind = "str"
        else:
            m = word(text, i)
            kind = "word"
            if m is None:
                m = _NUMBER.match(text, i)
                kind = "num"
                if m is None:
                    m = _SUB.match(text, i)
                    kind = "sub"
                    if m is None:
                        raise error(f"unexpected character {ch!r}", position=i)
        end = m.end()
        append((kind, text[i:end], i))
        i = end
    append(("end", "", n))
    return tokens


def _string_value(raw: str, pos: int, error: type[ScimError]) -> str:
    if "\\" not in raw:
        return raw[1:-1]
    try:
        value = json.loads(raw)
    except ValueError as exc:  # a lone surrogate escape and the like
        raise error(f"invalid string: {exc}", position=pos) from exc
    assert isinstance(value, str)
    return value


def _number_value(raw: str, pos: int, error: type[ScimError]) -> int | float:
    try:
        if "." in raw or "e" in raw or "E" in raw:
            value = float(raw)
            if not math.isfinite(value):
                raise ValueError("out of range")
            return value
        return int(raw)
    except ValueError as exc:
        raise error(f"number {raw!r} is out of range", position=pos) from exc


def split_attr_path(
    word: str, pos: int, known_urns: Iterable[str], error: type[ScimError] = InvalidFilter
) -> AttrPath:
    """Split ``[urn:]name[.sub]`` into an :class:`AttrPath`, checking each name's spelling."""
    if ":" not in word and "." not in word and _NAME.match(word):
        return AttrPath(None, word, None, pos)  # the common case: a plain attribute name
    urn: str | None = None
    rest = word
    if word[:4].lower() == "urn:":
        urn, rest = split_urn(word, known_urns)
        if not rest:
            return AttrPath(urn, "", None, pos)
    name, dot, sub = rest.partition(".")
    if not _NAME.match(name):
        raise error(f"{word!r} is not an attribute path", position=pos)
    if dot:
        if not _NAME.match(sub):
            raise error(f"{word!r} is not an attribute path: bad sub-attribute", position=pos)
        return AttrPath(urn, name, sub, pos)
    return AttrPath(urn, name, None, pos)


class _Parser:
    """One parse: a token list, a cursor, a term counter."""

    __slots__ = ("error", "i", "known_urns", "lenient", "terms", "text", "tokens")

    def __init__(
        self,
        text: str,
        known_urns: tuple[str, ...],
        lenient: bool,
        error: type[ScimError] = InvalidFilter,
    ) -> None:
        self.text = text
        self.error = error
        self.tokens = tokenize(text, error)
        self.i = 0
        self.terms = 0
        self.known_urns = known_urns
        self.lenient = lenient

    def fail(self, message: str, tok: Token) -> ScimError:
        return self.error(message, position=tok[2])

    def expect(self, kind: str, what: str) -> Token:
        tok = self.tokens[self.i]
        if tok[0] != kind:
            raise self.fail(f"expected {what} but found {_describe(tok)}", tok)
        self.i += 1
        return tok

    # filter = or_expr
    def parse_or(self, depth: int, in_bracket: bool) -> Node:
        terms = [self.parse_and(depth, in_bracket)]
        tokens = self.tokens
        while True:
            tok = tokens[self.i]
            if tok[0] == "word" and tok[1].lower() == "or":
                self.i += 1
                terms.append(self.parse_and(depth, in_bracket))
            else:
                break
        return terms[0] if len(terms) == 1 else Or(tuple(terms))

    def parse_and(self, depth: int, in_bracket: bool) -> Node:
        terms = [self.parse_unary(depth, in_bracket)]
        tokens = self.tokens
        while True:
            tok = tokens[self.i]
            if tok[0] == "word" and tok[1].lower() == "and":
                self.i += 1
                terms.append(self.parse_unary(depth, in_bracket))
            else:
                break
        return terms[0] if len(terms) == 1 else And(tuple(terms))

    def _group(self, depth: int, in_bracket: bool, tok: Token) -> Node:
        if depth >= MAX_DEPTH:
            raise self.fail(f"the filter nests deeper than {MAX_DEPTH} levels", tok)
        inner = self.parse_or(depth + 1, in_bracket)
        self.expect("rp", "')'")
        return inner

    def parse_unary(self, depth: int, in_bracket: bool) -> Node:
        tokens = self.tokens
        tok = tokens[self.i]
        kind = tok[0]
        if kind == "lp":
            self.i += 1
            return self._group(depth, in_bracket, tok)
        if kind != "word":
            raise self.fail(
                f"expected an attribute path, 'not' or '(' but found {_describe(tok)}", tok
            )
        if tok[1].lower() == "not" and tokens[self.i + 1][0] == "lp":
            self.i += 2
            return Not(self._group(depth, in_bracket, tok))
        self.i += 1
        path = split_attr_path(tok[1], tok[2], self.known_urns, self.error)
        if not path.name:
            raise self.fail(f"{tok[1]!r} names a schema, not an attribute", tok)
        nxt = tokens[self.i]
        if nxt[0] == "lb":
            return self._value_path(path, tok, depth, in_bracket)
        return self._comparison(path, tok)

    def _value_path(self, path: AttrPath, tok: Token, depth: int, in_bracket: bool) -> Node:
        if in_bracket:
            raise self.fail("a value filter cannot contain another '[…]'", tok)
        if path.sub is not None:
            raise self.fail(f"'[' must follow an attribute, not sub-attribute {tok[1]!r}", tok)
        if depth >= MAX_DEPTH:
            raise self.fail(f"the filter nests deeper than {MAX_DEPTH} levels", tok)
        self.i += 1
        inner = self.parse_or(depth + 1, True)
        self.expect("rb", "']'")
        after = self.tokens[self.i]
        if after[0] != "sub":
            return ValuePath(path, inner)
        # Entra's form: emails[type eq "work"].value eq "x" — the bracket and the comparison
        # must hold for the same element, which is exactly emails[type eq "work" and value eq "x"].
        if not self.lenient:
            raise self.fail(
                "a sub-attribute after ']' is not RFC filter syntax; "
                "write attr[filter and sub op value]",
                after,
            )
        self.i += 1
        sub = split_attr_path(after[1][1:], after[2] + 1, (), self.error)
        cmp = self._comparison(sub, after)
        terms = (*inner.terms, cmp) if isinstance(inner, And) else (inner, cmp)
        return ValuePath(path, And(terms))

    def _comparison(self, path: AttrPath, at: Token) -> Node:
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise TooMany(
                f"the filter has more than {MAX_TERMS} comparisons; split the request",
                position=at[2],
            )
        tokens = self.tokens
        op_tok = tokens[self.i]
        op = op_tok[1].lower()
        if op_tok[0] != "word" or (op != "pr" and op not in COMPARE_OPS):
            raise self.fail(
                f"expected an operator (eq, ne, co, sw, ew, gt, lt, ge, le, pr) after "
                f"{path.text!r} but found {_describe(op_tok)}",
                op_tok,
            )
        self.i += 1
        if op == "pr":
            return Present(path)
        val_tok = tokens[self.i]
        kind, raw, pos = val_tok
        value: Literal
        if kind == "str":
            value = _string_value(raw, pos, self.error)
        elif kind == "num":
            value = _number_value(raw, pos, self.error)
        elif kind == "word" and raw.lower() in ("true", "false", "null"):
            low = raw.lower()
            value = True if low == "true" else False if low == "false" else None
        else:
            raise self.fail(
                f"expected a value (a quoted string, number, true, false or null) after "
                f"{op_tok[1]!r} but found {_describe(val_tok)}",
                val_tok,
            )
        self.i += 1
        if op in ORDERING_OPS and (value is None or isinstance(value, bool)):
            raise self.fail(f"{op!r} orders values; it cannot compare with {raw}", val_tok)
        if op in SUBSTRING_OPS and not isinstance(value, str):
            raise self.fail(f"{op!r} needs a quoted string, not {raw}", val_tok)
        return Compare(path, op, value)


def parse(
    text: str,
    *,
    known_urns: Iterable[str] | None = None,
    lenient: bool = True,
) -> Node:
    """Parse filter ``text`` into an AST; raise InvalidFilter (with position) or TooMany.

    ``known_urns`` are schema URNs used to split URN-qualified paths (default: the built-in ones);
    ``lenient`` accepts Entra's ``attr[filter].sub op value`` form.
    """
    if not isinstance(text, str):
        raise InvalidFilter("the filter must be a string")
    if len(text) > MAX_LENGTH:
        raise InvalidFilter(
            f"the filter is {len(text)} characters long; at most {MAX_LENGTH} are accepted",
            position=MAX_LENGTH,
        )
    urns = _DEFAULT_URNS if known_urns is None else tuple(known_urns)
    parser = _Parser(text, urns, lenient)
    if parser.tokens[0][0] == "end":
        raise InvalidFilter("the filter is empty", position=0)
    node = parser.parse_or(0, False)
    tok = parser.tokens[parser.i]
    if tok[0] != "end":
        raise parser.fail(f"unexpected {_describe(tok)}; expected 'and', 'or' or the end", tok)
    return node


@attrs.frozen(slots=True)
class PatchPath:
    """A PATCH ``path`` (RFC 7644 §3.5.2): ``attr`` or ``attr[filter]`` or ``attr[filter].sub``.

    ``attr`` is the attribute path (``attr.name == ""`` when the path names a whole extension
    schema by its URN); ``value_filter`` is the bracket filter with paths relative to an element;
    ``sub_attr`` is the sub-attribute named after ``]``.
    """

    attr: AttrPath
    value_filter: Node | None = None
    sub_attr: str | None = None

    @property
    def text(self) -> str:
        """The path printed back as text."""
        from scimcore.filter._ast import to_text

        out = self.attr.text
        if self.value_filter is not None:
            out += f"[{to_text(self.value_filter)}]"
        if self.sub_attr is not None:
            out += f".{self.sub_attr}"
        return out

    def __str__(self) -> str:
        return self.text


def parse_path(text: str, *, known_urns: Iterable[str] | None = None) -> PatchPath:
    """Parse a PATCH path; raise InvalidPath (with position) when it is not one.

    Accepts ``name``, ``name.sub``, ``urn:…:name[.sub]``, a bare extension URN, ``attr[filter]``
    and ``attr[filter].sub``. The filter inside brackets follows the filter grammar.
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidPath("the PATCH path is empty", position=0)
    if len(text) > MAX_LENGTH:
        raise InvalidPath(f"the PATCH path is longer than {MAX_LENGTH} characters")
    urns = _DEFAULT_URNS if known_urns is None else tuple(known_urns)
    parser = _Parser(text, urns, lenient=False, error=InvalidPath)
    tokens = parser.tokens
    first = tokens[0]
    if first[0] != "word":
        raise InvalidPath(
            f"a PATCH path starts with an attribute name, not {_describe(first)}", position=first[2]
        )
    attr = split_attr_path(first[1], first[2], urns, InvalidPath)
    parser.i = 1
    value_filter: Node | None = None
    sub_attr: str | None = None
    tok = tokens[1]
    if tok[0] == "lb":
        if attr.sub is not None:
            raise InvalidPath(
                f"'[' must follow an attribute, not sub-attribute {first[1]!r}", position=tok[2]
            )
        if not attr.name:
            raise InvalidPath("a schema URN cannot take a value filter", position=tok[2])
        parser.i = 2
        value_filter = parser.parse_or(1, True)
        parser.expect("rb", "']'")
        tok = tokens[parser.i]
        if tok[0] == "sub":
            sub_attr = tok[1][1:]
            parser.i += 1
            tok = tokens[parser.i]
    if tok[0] != "end":
        raise InvalidPath(f"unexpected {_describe(tok)} in the PATCH path", position=tok[2])
    return PatchPath(attr, value_filter, sub_attr)

"""SCIM filters and PATCH paths: our own parser, in-memory evaluation, SQL, sorting and paging.

* :func:`parse_filter`: text to a cached, schema-checked :class:`Filter` with ``.matches()``.
* :func:`parse` / :func:`to_text`: text to an immutable AST and back.
* :func:`parse_path`: the PATCH path grammar (RFC 7644 §3.5.2) to a :class:`PatchPath`.
* :func:`element_matcher`: a bracket filter as a test of one element of a complex attribute.
* :func:`compile_sql`: a filter as a parameterised WHERE clause for SQLite or PostgreSQL.
* :func:`sort_resources` and :func:`page_bounds`: sortBy/sortOrder and startIndex/count.
"""

from scimcore.filter._ast import (
    COMPARE_OPS,
    And,
    AttrPath,
    Compare,
    Literal,
    Node,
    Not,
    Or,
    Present,
    ValuePath,
    literal_text,
    to_text,
)
from scimcore.filter._evaluate import element_matcher, is_present, parse_datetime
from scimcore.filter._filter import Filter, parse_filter
from scimcore.filter._parser import (
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_TERMS,
    PatchPath,
    parse,
    parse_path,
)
from scimcore.filter._sort import (
    DEFAULT_COUNT,
    MAX_COUNT,
    PageBounds,
    Paged,
    page_bounds,
    paginate,
    sort_resources,
)
from scimcore.filter._sql import SqlFilter, compile_sql, register_sqlite_functions

__all__ = [
    "COMPARE_OPS",
    "DEFAULT_COUNT",
    "MAX_COUNT",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_TERMS",
    "And",
    "AttrPath",
    "Compare",
    "Filter",
    "Literal",
    "Node",
    "Not",
    "Or",
    "PageBounds",
    "Paged",
    "PatchPath",
    "Present",
    "SqlFilter",
    "ValuePath",
    "compile_sql",
    "element_matcher",
    "is_present",
    "literal_text",
    "page_bounds",
    "paginate",
    "parse",
    "parse_datetime",
    "parse_filter",
    "parse_path",
    "register_sqlite_functions",
    "sort_resources",
    "to_text",
]

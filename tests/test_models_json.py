"""``scimcore.models.loads``: bad bodies give InvalidSyntax, never an unhandled exception."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scimcore import InvalidSyntax, ScimError
from scimcore.models import loads


def test_parses_objects_from_bytes_and_text() -> None:
    assert loads(b'{"a": [1, {"b": null}]}') == {"a": [1, {"b": None}]}
    assert loads('\ufeff{"a": "\u00e9"}') == {"a": "é"}


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b'{"a": 1',
        b"[1, 2]",
        b'"text"',
        b"42",
        b"null",
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b"\xff\xfe\x00",
        b'{"a": 1} trailing',
        "[" * 1000 + "]" * 1000,
        '{"a":' * 1000 + "1" + "}" * 1000,
        "[" * 100_000,
        '{"n": ' + "1" * 5000 + "}",
    ],
)
def test_bad_bodies_are_invalid_syntax(body: bytes | str) -> None:
    with pytest.raises(InvalidSyntax):
        loads(body)


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = json.dumps({"a": "[" * 5000 + '\\"{' * 100})
    assert loads(text)["a"].startswith("[[[")


def test_depth_limit_is_configurable() -> None:
    assert loads('{"a": {"b": {"c": {}}}}', max_depth=4)
    with pytest.raises(InvalidSyntax, match="deeper than 3"):
        loads('{"a": {"b": {"c": {}}}}', max_depth=3)


def test_a_ten_megabyte_string_is_refused_by_size_or_parsed_when_allowed() -> None:
    body = '{"userName": "' + "x" * 10_000_000 + '"}'
    with pytest.raises(InvalidSyntax, match="limit"):
        loads(body)
    assert len(loads(body, max_bytes=20_000_000)["userName"]) == 10_000_000


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64) | st.text(max_size=64))
def test_arbitrary_input_gives_a_dict_or_invalid_syntax(body: bytes | str) -> None:
    try:
        assert isinstance(loads(body), dict)
    except ScimError as exc:
        assert isinstance(exc, InvalidSyntax)


def test_core_import_needs_neither_hypothesis_nor_jsonschema_up_front() -> None:
    import subprocess
    import sys

    code = "import sys, scimcore.models; print(sorted({'hypothesis'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "hypothesis" not in out.stdout

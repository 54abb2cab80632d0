"""PHP serialize/unserialize: round trips, PHP 8's exact bytes, hostile input (checked with PHP)."""

from __future__ import annotations

import contextlib
import json
import math
import re
import shutil
import subprocess
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from scimcore.apps._phpserial import php_array_keys, php_serialize, php_unserialize

_INT = st.integers(min_value=-(2**63), max_value=2**63 - 1)
_SCALAR = st.none() | st.booleans() | _INT | st.floats(allow_nan=False) | st.text()
_KEY = _INT | st.text()
VALUES = st.recursive(
    _SCALAR,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEY, inner, max_size=4),
    max_leaves=12,
)


def _php_view(value: Any) -> Any:
    """What the value is once PHP has it: lists are arrays keyed 0..n-1, numeric keys are ints."""
    if isinstance(value, list):
        return {i: _php_view(v) for i, v in enumerate(value)}
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for k, v in value.items():
            key = k
            # ASCII digits only: str.isdigit() also accepts "¹", which int() refuses
            numeric = isinstance(k, str) and bool(re.fullmatch("-?[0-9]+", k)) and str(int(k)) == k
            if numeric and -(2**63) <= int(k) < 2**63:
                key = int(k)
            out[key] = _php_view(v)
        return out
    return value


@given(VALUES)
@example({"¹": None, "-0": 1, "12": 2})  # not an int key, not one, one
def test_round_trip(value: Any) -> None:
    text = php_serialize(value)
    assert php_unserialize(text) == _php_view(value)
    assert php_serialize(php_unserialize(text)) == text


@given(st.binary(max_size=60) | st.text(max_size=60))
def test_garbage_is_value_error_never_a_crash(data: bytes | str) -> None:
    with contextlib.suppress(ValueError):
        php_unserialize(data)


@given(VALUES, st.data())
def test_truncated_or_altered_data_is_value_error(value: Any, data: st.DataObject) -> None:
    raw = php_serialize(value).encode()
    cut = data.draw(st.integers(min_value=0, max_value=max(len(raw) - 1, 0)))
    with pytest.raises(ValueError):
        php_unserialize(raw[:cut])


@pytest.mark.parametrize(
    "text",
    ['O:8:"stdClass":0:{}', 'a:1:{i:0;r:1;}', 'C:3:"Foo":0:{}', 'E:7:"Foo:Bar";', "b:2;",
     's:5:"abc";', "a:-1:{}", "i:99999999999999999999;", 'a:1:{d:1.5;i:1;}', "N;N;"],
)  # fmt: skip
def test_objects_references_and_malformed_data_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        php_unserialize(text)


def test_floats_as_php_writes_them() -> None:
    cases = {1.0: "d:1;", -0.0: "d:-0;", 0.1: "d:0.1;", 1e16: "d:10000000000000000;",
             1e17: "d:1.0E+17;", 1.2345678901234568e17: "d:1.2345678901234568E+17;",
             1e-4: "d:0.0001;", 1e-5: "d:1.0E-5;", 5e-324: "d:5.0E-324;",
             math.inf: "d:INF;", -math.inf: "d:-INF;"}  # fmt: skip
    for value, text in cases.items():
        assert php_serialize(value) == text
        assert php_unserialize(text) == value
    assert math.isnan(php_unserialize(php_serialize(math.nan)))


def test_wordpress_shapes() -> None:
    caps = 'a:2:{s:6:"editor";b:1;s:13:"custom_access";b:0;}'
    assert php_unserialize(caps) == {"editor": True, "custom_access": False}
    assert php_array_keys(caps) == ["editor"]
    assert php_array_keys(caps, truthy=False) == ["editor", "custom_access"]
    assert php_array_keys("not serialized") == [] and php_array_keys(None) == []
    assert php_serialize({"é": "ü"}) == 'a:1:{s:2:"é";s:2:"ü";}'  # PHP counts bytes
    assert php_serialize(["a"]) == 'a:1:{i:0;s:1:"a";}'
    assert php_serialize({"7": 1}) == "a:1:{i:7;i:1;}"


_PHP = shutil.which("php")
_PHP_CHECK = r"""
$all = json_decode(stream_get_contents(STDIN), true);
$out = [];
foreach ($all as $s) {
    $v = @unserialize($s, ['allowed_classes' => false]);
    $out[] = ['ok' => $v !== false || $s === 'b:0;', 'again' => serialize($v),
              'json' => json_encode($v, JSON_PARTIAL_OUTPUT_ON_ERROR)];
}
echo json_encode($out);
"""


@pytest.mark.skipif(_PHP is None, reason="php-cli is not installed: cannot compare with PHP")
@settings(max_examples=15, deadline=None)
@given(st.lists(VALUES, min_size=20, max_size=40))
def test_php_reads_what_we_write_and_writes_the_same_bytes(values: list[Any]) -> None:
    texts = [php_serialize(v) for v in values]
    proc = subprocess.run(
        [str(_PHP), "-r", _PHP_CHECK], input=json.dumps(texts), capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    answers = json.loads(proc.stdout)
    for value, text, answer in zip(values, texts, answers, strict=True):
        assert answer["ok"], text
        assert answer["again"] == text, (value, text)
        assert php_unserialize(answer["again"]) == _php_view(value)

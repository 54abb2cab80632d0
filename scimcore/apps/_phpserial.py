"""PHP's ``serialize``/``unserialize`` format for scalars and arrays (WordPress options and meta).

Only data is accepted: ``N``, ``b``, ``i``, ``d``, ``s`` and ``a``. Objects (``O``, ``C``, ``E``)
and references (``r``, ``R``) raise :class:`ValueError`, never instantiate anything. Strings are
UTF-8 (PHP counts bytes). A PHP array decodes to a ``dict`` (keys ``int`` or ``str``, in order);
:func:`php_serialize` writes a ``dict`` as an array with its keys and a ``list``/``tuple`` as
one keyed 0..n-1. The output is byte for byte what PHP 8 writes (``serialize_precision = -1``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

__all__ = ["php_array_keys", "php_serialize", "php_unserialize"]

_INT_KEY = re.compile(rb"(?:0|-?[1-9][0-9]*)\Z")
_PHP_INT_MAX = 2**63 - 1
_PHP_INT_MIN = -(2**63)
_INT = re.compile(rb"[+-]?[0-9]+")
_FLOAT = re.compile(rb"[+-]?(?:INF|NAN|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_MAX_DEPTH = 64


def _float(value: float) -> str:
    """PHP 8's text of a float: shortest round-trip digits, ``E`` notation past 17 or before -3."""
    if math.isnan(value):
        return "NAN"
    if math.isinf(value):
        return "INF" if value > 0 else "-INF"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    sign, digit_tuple, exponent = Decimal(repr(value)).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0") or "0"
    assert isinstance(exponent, int)
    # decpt: where the decimal point falls relative to the digits (0.0123 -> "123", -1)
    decpt = len("".join(map(str, digit_tuple)).lstrip("0")) + exponent
    head = "-" if sign else ""
    if decpt < -3 or decpt > 17:
        mantissa = digits[0] + "." + (digits[1:] or "0")
        power = decpt - 1
        return f"{head}{mantissa}E{'+' if power >= 0 else '-'}{abs(power)}"
    if decpt <= 0:
        return f"{head}0.{'0' * -decpt}{digits}"
    if decpt >= len(digits):
        return head + digits + "0" * (decpt - len(digits))
    return f"{head}{digits[:decpt]}.{digits[decpt:]}"


def _key(key: Any) -> bytes:
    if isinstance(key, bool) or not isinstance(key, int | str):
        raise TypeError(f"a PHP array key is an int or a str, not {type(key).__name__}")
    if isinstance(key, int):
        return b"i:%d;" % key
    raw = key.encode("utf-8")
    # PHP stores a canonical decimal string key as that integer
    if _INT_KEY.match(raw) and _PHP_INT_MIN <= int(raw) <= _PHP_INT_MAX:
        return b"i:%s;" % raw
    return b's:%d:"%s";' % (len(raw), raw)


def _dump(value: Any, out: list[bytes], depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise ValueError("value nested too deeply for PHP serialization")
    if value is None:
        out.append(b"N;")
    elif isinstance(value, bool):
        out.append(b"b:1;" if value else b"b:0;")
    elif isinstance(value, int):
        if not _PHP_INT_MIN <= value <= _PHP_INT_MAX:
            raise ValueError(f"{value} does not fit a PHP integer")
        out.append(b"i:%d;" % value)
    elif isinstance(value, float):
        out.append(b"d:" + _float(value).encode("ascii") + b";")
    elif isinstance(value, str):
        raw = value.encode("utf-8")
        out.append(b's:%d:"%s";' % (len(raw), raw))
    elif isinstance(value, Mapping | list | tuple):
        items = value.items() if isinstance(value, Mapping) else enumerate(value)
        body: list[bytes] = []
        count = 0
        for key, item in items:
            body.append(_key(key))
            _dump(item, body, depth + 1)
            count += 1
        out.append(b"a:%d:{" % count)
        out.extend(body)
        out.append(b"}")
    else:
        raise TypeError(f"cannot PHP-serialize {type(value).__name__}")


def php_serialize(value: Any) -> str:
    """``serialize($value)`` as PHP writes it (None, bool, int, float, str, dict, list)."""
    out: list[bytes] = []
    _dump(value, out, 0)
    return b"".join(out).decode("utf-8")


class _Reader:
    """A cursor over the serialized bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def fail(self, why: str) -> ValueError:
        return ValueError(f"not PHP serialized data at offset {self.pos}: {why}")

    def expect(self, token: bytes) -> None:
        if not self.data.startswith(token, self.pos):
            raise self.fail(f"expected {token.decode()!r}")
        self.pos += len(token)

    def match(self, pattern: re.Pattern[bytes]) -> bytes:
        found = pattern.match(self.data, self.pos)
        if found is None:
            raise self.fail("malformed number")
        self.pos = found.end()
        return found.group()

    def integer(self) -> int:
        number = int(self.match(_INT))
        if not _PHP_INT_MIN <= number <= _PHP_INT_MAX:
            raise self.fail("integer out of range")
        return number

    def string(self) -> str:
        size = self.integer()
        if size < 0:
            raise self.fail("negative string length")
        self.expect(b':"')
        raw = self.data[self.pos : self.pos + size]
        if len(raw) != size:
            raise self.fail("string shorter than its length")
        self.pos += size
        self.expect(b'"')
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise self.fail("string is not UTF-8") from exc

    def value(self, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            raise self.fail("nested too deeply")
        tag = self.data[self.pos : self.pos + 2]
        self.pos += 2
        if tag == b"N;":
            return None
        result: Any
        if tag == b"b:":
            flag = self.data[self.pos : self.pos + 1]
            if flag not in (b"0", b"1"):
                raise self.fail("a boolean is 0 or 1")
            self.pos += 1
            result = flag == b"1"
        elif tag == b"i:":
            result = self.integer()
        elif tag == b"d:":
            text = self.match(_FLOAT).decode("ascii")
            result = float(text.replace("INF", "inf").replace("NAN", "nan"))
        elif tag == b"s:":
            result = self.string()
        elif tag == b"a:":
            return self.array(depth)
        else:
            raise self.fail("only N, b, i, d, s and a values are accepted (no objects)")
        self.expect(b";")
        return result

    def array(self, depth: int) -> dict[int | str, Any]:
        count = self.integer()
        if count < 0:
            raise self.fail("negative array size")
        self.expect(b":{")
        result: dict[int | str, Any] = {}
        for _ in range(count):
            key = self.value(depth + 1)
            if isinstance(key, str) and _INT_KEY.match(key.encode()):
                number = int(key)
                key = number if _PHP_INT_MIN <= number <= _PHP_INT_MAX else key
            if isinstance(key, bool) or not isinstance(key, int | str):
                raise self.fail("an array key is an integer or a string")
            result[key] = self.value(depth + 1)
        self.expect(b"}")
        return result


def php_unserialize(text: str | bytes) -> Any:
    """``unserialize($text)`` for data (no objects, no references); :class:`ValueError` if not."""
    reader = _Reader(text.encode("utf-8") if isinstance(text, str) else text)
    value = reader.value(0)
    if reader.pos != len(reader.data):
        raise reader.fail("trailing bytes")
    return value


def php_array_keys(text: str | bytes | None, *, truthy: bool = True) -> list[str]:
    """The keys of a serialized array as strings (whose value is truthy, by default).

    ``None``, an empty text or anything that is not a serialized array gives ``[]``, as
    WordPress treats a corrupt capabilities row (the user has no role).
    """
    if not text:
        return []
    try:
        value = php_unserialize(text)
    except ValueError:
        return []
    if not isinstance(value, dict):
        return []
    return [str(k) for k, v in value.items() if v or not truthy]

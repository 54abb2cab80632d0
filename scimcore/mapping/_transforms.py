"""Value transforms for mapping rules: lower, upper, strip, join, split, default, constant, call.

A transform is a small frozen value with ``apply(value) -> value`` and, where one exists, an
``inverse()`` used to derive the opposite direction of a rule (``join`` ⇄ ``split``).
Custom callables are registered by name with :func:`register_transform`, so a mapping file can
name them without importing code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from scimcore.errors import ConfigurationError

_REGISTERED: dict[str, Callable[[Any], Any]] = {}


def register_transform(name: str, func: Callable[[Any], Any]) -> None:
    """Register ``func`` under ``name`` so mapping rules can use ``{"call": name}``."""
    if not name or not isinstance(name, str):
        raise ConfigurationError("a transform needs a non-empty string name")
    _REGISTERED[name] = func


def registered_transforms() -> Mapping[str, Callable[[Any], Any]]:
    """The callables registered with :func:`register_transform` (read-only view)."""
    return dict(_REGISTERED)


@attrs.frozen(slots=True)
class Transform:
    """One step of a rule's value pipeline (``kind`` plus its ``arg``)."""

    kind: str
    arg: Any = None

    def apply(self, value: Any) -> Any:
        """Apply this step to ``value`` (None passes through unless the step supplies one)."""
        kind = self.kind
        if kind == "constant":
            return self.arg
        if kind == "default":
            return self.arg if value is None or value == "" or value == [] else value
        if value is None:
            return None
        if kind == "lower":
            return _each(value, str.lower)
        if kind == "upper":
            return _each(value, str.upper)
        if kind == "strip":
            return _each(value, str.strip)
        if kind == "join":
            if isinstance(value, list | tuple):
                return str(self.arg).join(str(v) for v in value)
            return value
        if kind == "split":
            if isinstance(value, str):
                return [part for part in value.split(str(self.arg)) if part != ""]
            return value
        if kind == "call":
            func = _REGISTERED.get(str(self.arg))
            if func is None:
                raise ConfigurationError(f"no transform registered as {self.arg!r}")
            return func(value)
        raise ConfigurationError(f"unknown transform {kind!r}")  # pragma: no cover (checked)

    def inverse(self) -> Transform | None:
        """The step undoing this one, when there is one (join ⇄ split); None otherwise."""
        if self.kind == "join":
            return Transform("split", self.arg)
        if self.kind == "split":
            return Transform("join", self.arg)
        return None

    def to_spec(self) -> Any:
        """The JSON form of this step, as accepted by :func:`parse_transform`."""
        return self.kind if self.arg is None else {self.kind: self.arg}


def _each(value: Any, func: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return func(value)
    if isinstance(value, list):
        return [func(v) if isinstance(v, str) else v for v in value]
    return value


_NO_ARG = frozenset(("lower", "upper", "strip"))
_WITH_ARG = frozenset(("join", "split", "default", "constant", "call"))
TRANSFORM_KINDS: frozenset[str] = _NO_ARG | _WITH_ARG
"""Every transform kind a mapping rule may name."""


def parse_transform(spec: Any, *, where: str = "transform") -> Transform:
    """Build a step from ``"lower"``, ``{"join": ","}``, ``{"call": "name"}``, ``"split:,"`` …"""
    if isinstance(spec, Transform):
        return spec
    if isinstance(spec, str):
        kind, sep, arg = spec.partition(":")
        if kind in _NO_ARG and not sep:
            return Transform(kind)
        if kind in _WITH_ARG and sep:
            return _checked(Transform(kind, arg), where)
        raise ConfigurationError(
            f"{where}: {spec!r} is not a transform; use one of {sorted(TRANSFORM_KINDS)} "
            "(with ':arg' or as {kind: arg} for join, split, default, constant and call)"
        )
    if isinstance(spec, Mapping) and len(spec) == 1:
        ((kind, arg),) = spec.items()
        if kind in _WITH_ARG:
            return _checked(Transform(kind, arg), where)
        if kind in _NO_ARG and arg in (None, True):
            return Transform(kind)
    raise ConfigurationError(f"{where}: {spec!r} is not a transform")


def _checked(step: Transform, where: str) -> Transform:
    if step.kind in ("join", "split") and (not isinstance(step.arg, str) or not step.arg):
        raise ConfigurationError(f"{where}: {step.kind} needs a non-empty separator string")
    if step.kind == "call" and str(step.arg) not in _REGISTERED:
        raise ConfigurationError(
            f"{where}: no transform registered as {step.arg!r}; "
            "call scimcore.mapping.register_transform first"
        )
    return step

"""What the target says it supports: ``/ServiceProviderConfig`` and ``/ResourceTypes``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.errors import TransportError
from conformance.recording import CAPABILITIES
from conformance.transport import Request, Transport

__all__ = ["Capabilities", "discover"]


@dataclass(frozen=True)
class Capabilities:
    """Features and resource types the target advertises; unknown means "assume supported"."""

    features: Mapping[str, bool] = field(default_factory=dict)
    resource_types: frozenset[str] | None = None
    note: str = ""

    def missing(self, requirement: str) -> str | None:
        """Why ``requirement`` is unsupported, or None when it is (or may be) supported."""
        if requirement in CAPABILITIES:
            if self.features.get(requirement, True):
                return None
            return f"the target's ServiceProviderConfig says {requirement}.supported is false"
        if self.resource_types is None:
            return None
        wanted = requirement.lower().rstrip("s")
        if wanted in self.resource_types:
            return None
        return f"the target's /ResourceTypes does not list {requirement}"


def _supported(config: Mapping[str, Any], name: str) -> bool | None:
    for key, value in config.items():
        if key.lower() == name.lower() and isinstance(value, Mapping):
            for sub, flag in value.items():
                if sub.lower() == "supported" and isinstance(flag, bool):
                    return flag
    return None


def _get(transport: Transport, path: str, headers: Mapping[str, str]) -> Any:
    response = transport.send(Request("GET", path, {}, dict(headers)))
    if response.status != 200:
        raise ValueError(f"GET {path} answered {response.status}")
    return response.json()


def discover(transport: Transport, headers: Mapping[str, str]) -> Capabilities:
    """Read the target's capabilities; on any problem assume all is supported (and say so)."""
    try:
        config = _get(transport, "/ServiceProviderConfig", headers)
    except (TransportError, ValueError) as exc:
        return Capabilities(note=f"could not read /ServiceProviderConfig ({exc}): nothing skipped")
    features: dict[str, bool] = {}
    if isinstance(config, Mapping):
        for name in CAPABILITIES:
            flag = _supported(config, name)
            if flag is not None:
                features[name] = flag
    resource_types: frozenset[str] | None = None
    try:
        listed = _get(transport, "/ResourceTypes", headers)
        items = listed.get("Resources", []) if isinstance(listed, Mapping) else listed
        names: set[str] = set()
        for item in items if isinstance(items, list) else []:
            if isinstance(item, Mapping):
                for key in ("name", "id", "endpoint"):
                    value = item.get(key)
                    if isinstance(value, str):
                        names.add(value.strip("/").lower().rstrip("s"))
        resource_types = frozenset(names) if names else None
    except (TransportError, ValueError, AttributeError):
        resource_types = None
    return Capabilities(features=features, resource_types=resource_types)

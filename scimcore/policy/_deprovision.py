"""Deprovisioning and reactivation: what ``active:false`` and ``DELETE`` do to a user.

Modes (chosen by configuration, default ``rfc``):

``rfc``
    RFC semantics: ``active:false`` stores an inactive user, ``DELETE`` deletes. This is also
    what Entra's gallery requires.
``delete``
    Deactivation deletes the user, as DELETE does. Reactivation is refused: there is nothing
    left to reactivate.
``deactivate``
    ``DELETE`` and ``active:false`` both keep the user with ``active:false`` (login blocked).
``deactivate_then_delete``
    As ``deactivate``; :meth:`DeprovisioningPolicy.due_for_purge` then says which inactive users
    have been untouched for ``retention`` and the host deletes them (``purge(now)``).
``strip_roles``
    As ``deactivate``, and the role attributes (``roles`` by default) are removed.

``active:false`` through PUT or PATCH and ``DELETE`` follow the same policy. The time a user was
deactivated is its ``meta.lastModified``: any later write to an inactive user restarts the clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from scimcore.errors import ConfigurationError, InvalidValue

DeprovisionMode = Literal["rfc", "delete", "deactivate", "deactivate_then_delete", "strip_roles"]
DEPROVISION_MODES: tuple[str, ...] = (
    "rfc",
    "delete",
    "deactivate",
    "deactivate_then_delete",
    "strip_roles",
)


def is_active(resource: Mapping[str, Any] | None) -> bool:
    """The user's ``active`` flag; absent means active, ``"False"`` strings count (Entra)."""
    if resource is None:
        return False
    value = next((v for k, v in resource.items() if k.lower() == "active"), True)
    if isinstance(value, str):
        return value.strip().lower() != "false"
    return value is not False


@attrs.frozen(slots=True)
class Decision:
    """What the service should do with a write: store ``resource``, or delete the user.

    ``resource`` is also the body to answer with when the decision is ``delete`` after an
    ``active:false`` update (the IdP asked for a deactivation and gets the inactive user back).
    """

    action: Literal["write", "delete"]
    resource: dict[str, Any] | None = None
    reason: str = ""


def _set_active(resource: Mapping[str, Any], value: bool) -> dict[str, Any]:
    out = {k: v for k, v in resource.items() if k.lower() != "active"}
    out["active"] = value
    return out


@attrs.frozen(slots=True)
class DeprovisioningPolicy:
    """How deactivation and DELETE are carried out (see the module docstring for the modes)."""

    mode: DeprovisionMode = "rfc"
    retention: dt.timedelta | None = None
    role_attributes: tuple[str, ...] = ("roles",)

    def __attrs_post_init__(self) -> None:
        if self.mode not in DEPROVISION_MODES:
            raise ConfigurationError(
                f"deprovisioning mode {self.mode!r} is not one of {list(DEPROVISION_MODES)}"
            )
        if self.mode == "deactivate_then_delete" and (
            self.retention is None or self.retention <= dt.timedelta(0)
        ):
            raise ConfigurationError(
                "deprovisioning mode 'deactivate_then_delete' needs a positive retention period"
            )

    @property
    def keeps_users(self) -> bool:
        """True when DELETE keeps the user (deactivated) instead of deleting it."""
        return self.mode in ("deactivate", "deactivate_then_delete", "strip_roles")

    def _deactivated(self, resource: Mapping[str, Any]) -> dict[str, Any]:
        out = _set_active(resource, False)
        if self.mode == "strip_roles":
            drop = {r.lower() for r in self.role_attributes}
            out = {k: v for k, v in out.items() if k.lower() not in drop}
        return out

    def on_delete(self, current: Mapping[str, Any]) -> Decision:
        """Decide what ``DELETE /Users/{id}`` does to ``current``."""
        if self.keeps_users:
            return Decision(
                "write", self._deactivated(current), f"DELETE deactivates (policy {self.mode})"
            )
        return Decision("delete", None, f"DELETE deletes (policy {self.mode})")

    def on_update(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> Decision:
        """Decide what a PUT or PATCH result ``new`` of ``old`` does (deactivate, reactivate)."""
        was, now = is_active(old), is_active(new)
        if was and not now:
            if self.mode == "delete":
                return Decision(
                    "delete", _set_active(new, False), "deactivation deletes (policy delete)"
                )
            if self.mode == "rfc":
                return Decision("write", dict(new))
            return Decision("write", self._deactivated(new), f"deactivated (policy {self.mode})")
        if not was and now and self.mode == "delete":
            raise InvalidValue(
                "reactivation is refused: the deprovisioning policy is 'delete', so deactivated "
                "users are deleted rather than kept; create the user again with POST",
                path=["active"],
            )
        if not now and self.mode == "strip_roles":
            return Decision("write", self._deactivated(new))
        return Decision("write", dict(new))

    def due_for_purge(self, resource: Mapping[str, Any], now: dt.datetime) -> bool:
        """True when ``resource`` is inactive and untouched for longer than ``retention``.

        Only mode ``deactivate_then_delete`` ever purges.
        """
        if self.mode != "deactivate_then_delete" or self.retention is None:
            return False
        if is_active(resource):
            return False
        meta = resource.get("meta")
        stamp = meta.get("lastModified") if isinstance(meta, Mapping) else None
        if not isinstance(stamp, str):
            return False
        try:
            when = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            return False
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        if now.tzinfo is None:
            now = now.replace(tzinfo=dt.UTC)
        return now - when >= self.retention


def can_log_in(resource: Mapping[str, Any] | None) -> bool:
    """Whether the application should let this user log in: exists and is active."""
    return resource is not None and is_active(resource)

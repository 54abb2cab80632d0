"""The provisioning policy bundle: one object the service consults before every write."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

import attrs

from scimcore.errors import ConfigurationError
from scimcore.policy._deprovision import (
    DEPROVISION_MODES,
    Decision,
    DeprovisioningPolicy,
)
from scimcore.policy._groups import GroupPolicy
from scimcore.policy._password import PasswordPolicy
from scimcore.policy._username import USERNAME_MODES, UserNamePolicy

WriteAction = Literal["create", "replace", "patch", "delete"]

_KEYS = frozenset(
    ("deprovision", "retention_days", "role_attributes", "username", "password_sync",
     "nested_groups")
)  # fmt: skip


@attrs.frozen(slots=True)
class ProvisioningPolicy:
    """Deprovisioning, userName, password and group policies together.

    :meth:`decide` is the single entry point: given the action, the resource type and the
    stored (``old``) and requested (``new``) resources, it returns a :class:`Decision` or raises
    a :class:`~scimcore.ScimError` that tells the IdP why the write is refused.
    """

    deprovisioning: DeprovisioningPolicy = attrs.field(factory=DeprovisioningPolicy)
    username: UserNamePolicy = attrs.field(factory=UserNamePolicy)
    password: PasswordPolicy = attrs.field(factory=PasswordPolicy)
    groups: GroupPolicy = attrs.field(factory=GroupPolicy)

    @property
    def change_password(self) -> bool:
        """Whether ServiceProviderConfig should advertise ``changePassword``."""
        return self.password.sync

    def decide(
        self,
        action: WriteAction,
        resource_type: str,
        old: Mapping[str, Any] | None,
        new: Mapping[str, Any] | None,
        *,
        is_group: Callable[[str], bool] | None = None,
    ) -> Decision:
        """Decide what a write does; raise a ScimError when the policy refuses it."""
        if resource_type.lower() == "group":
            if action == "delete" or new is None:
                return Decision("delete")
            self.groups.check(new, is_group=is_group)
            return Decision("write", dict(new))
        if resource_type.lower() != "user":
            return Decision("delete") if action == "delete" else Decision("write", dict(new or {}))
        if action == "delete":
            if old is None:
                return Decision("delete")
            return self.deprovisioning.on_delete(old)
        assert new is not None
        resource = self.password.apply(old, dict(new))
        if old is None:
            return Decision("write", resource)
        resource = self.username.apply(old, resource)
        return self.deprovisioning.on_update(old, resource)

    def due_for_purge(self, resource: Mapping[str, Any], now: dt.datetime) -> bool:
        """See :meth:`DeprovisioningPolicy.due_for_purge`."""
        return self.deprovisioning.due_for_purge(resource, now)

    def purge_ids(self, users: Iterable[Mapping[str, Any]], now: dt.datetime) -> list[str]:
        """The ids among ``users`` that the retention period says to delete now."""
        return [str(u["id"]) for u in users if "id" in u and self.due_for_purge(u, now)]

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, hasher: Callable[[str], str] | None = None
    ) -> ProvisioningPolicy:
        """Build from configuration (the ``[policy]`` table of ``scimcore serve --config``).

        Keys: ``deprovision`` (one of the modes), ``retention_days``, ``role_attributes``,
        ``username`` (mutable/immutable/email), ``password_sync`` (bool), ``nested_groups``
        (bool). Unknown keys and bad values raise ConfigurationError naming the key.
        """
        unknown = sorted(set(data) - _KEYS)
        if unknown:
            raise ConfigurationError(
                f"policy: unknown key {unknown[0]!r}; known keys are {sorted(_KEYS)}"
            )
        mode = data.get("deprovision", "rfc")
        if mode not in DEPROVISION_MODES:
            raise ConfigurationError(
                f"policy.deprovision: {mode!r} is not one of {list(DEPROVISION_MODES)}"
            )
        days = data.get("retention_days")
        if days is not None and (
            isinstance(days, bool) or not isinstance(days, int | float) or days <= 0
        ):
            raise ConfigurationError("policy.retention_days: must be a positive number of days")
        roles = data.get("role_attributes", ["roles"])
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise ConfigurationError("policy.role_attributes: must be a list of attribute names")
        uname = data.get("username", "mutable")
        if uname not in USERNAME_MODES:
            raise ConfigurationError(
                f"policy.username: {uname!r} is not one of {list(USERNAME_MODES)}"
            )
        for key in ("password_sync", "nested_groups"):
            if key in data and not isinstance(data[key], bool):
                raise ConfigurationError(f"policy.{key}: must be true or false")
        password = PasswordPolicy(sync=bool(data.get("password_sync", False)))
        if hasher is not None:
            password = PasswordPolicy(sync=password.sync, hasher=hasher)
        return cls(
            deprovisioning=DeprovisioningPolicy(
                mode=mode,
                retention=dt.timedelta(days=days) if days is not None else None,
                role_attributes=tuple(roles),
            ),
            username=UserNamePolicy(mode=uname),
            password=password,
            groups=GroupPolicy(allow_nested=bool(data.get("nested_groups", False))),
        )

"""The policy as the service's before-write hook (``ServiceConfig.before_write``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from scimcore.policy._policy import ProvisioningPolicy
from scimcore.service import DeleteInstead, HookResult, ServiceConfig, WriteEvent, WriteHook
from scimcore.service._settings import register_config_section


def policy_hook(policy: ProvisioningPolicy) -> WriteHook:
    """A before-write hook that applies ``policy`` to every create, replace, patch and delete.

    A DELETE the policy turns into a deactivation returns the kept resource; an ``active:false``
    the policy turns into a deletion returns :class:`~scimcore.service.DeleteInstead`.
    """

    def hook(event: WriteEvent, /) -> HookResult:
        tx = event.transaction
        is_group = None if tx is None else (lambda value: tx.get("Group", value) is not None)
        decision = policy.decide(
            event.action, event.resource_type, event.old, event.new, is_group=is_group
        )
        if decision.action == "delete":
            if event.action == "delete":
                return None
            return DeleteInstead(decision.resource or {})
        return decision.resource

    return hook


def with_policy(config: ServiceConfig, policy: ProvisioningPolicy) -> ServiceConfig:
    """``config`` with ``policy`` added as a before-write hook and ``changePassword`` set."""
    hooks: list[WriteHook] = [*config.before_write, policy_hook(policy)]
    return attrs.evolve(
        config,
        before_write=hooks,  # type: ignore[arg-type]  # (attrs plugin: converter=tuple)
        change_password=config.change_password or policy.change_password,
    )


def parse_policy_section(
    table: Mapping[str, Any], base: Path
) -> Callable[[ServiceConfig], ServiceConfig]:
    """Parse the ``[policy]`` table of ``scimcore serve --config`` (keys: ProvisioningPolicy)."""
    policy = ProvisioningPolicy.from_dict(table)
    return lambda config: with_policy(config, policy)


register_config_section("policy", parse_policy_section)

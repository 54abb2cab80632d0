"""The policy as the service's before-write hook (``ServiceConfig.before_write``)."""

from __future__ import annotations

from scimcore.policy._policy import ProvisioningPolicy
from scimcore.service import DeleteInstead, HookResult, WriteEvent, WriteHook


def policy_hook(policy: ProvisioningPolicy) -> WriteHook:
    """A before-write hook that applies ``policy`` to every create, replace, patch and delete.

    A DELETE the policy turns into a deactivation returns the kept resource; an ``active:false``
    the policy turns into a deletion returns :class:`~scimcore.service.DeleteInstead`.
    """

    def hook(event: WriteEvent, /) -> HookResult:
        decision = policy.decide(event.action, event.resource_type, event.old, event.new)
        if decision.action == "delete":
            if event.action == "delete":
                return None
            return DeleteInstead(decision.resource or {})
        return decision.resource

    return hook

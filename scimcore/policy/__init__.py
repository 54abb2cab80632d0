"""Provisioning policies: deprovisioning and reactivation, userName, passwords, nested groups.

::

    from scimcore.policy import ProvisioningPolicy
    policy = ProvisioningPolicy.from_dict({"deprovision": "deactivate", "username": "immutable"})
    decision = policy.decide("patch", "User", stored, patched)   # Decision("write", {...})
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scimcore._lazy import lazy_exports

if TYPE_CHECKING:
    from scimcore.policy._deprovision import (
        DEPROVISION_MODES,
        Decision,
        DeprovisioningPolicy,
        can_log_in,
        is_active,
    )
    from scimcore.policy._groups import GroupPolicy
    from scimcore.policy._password import PasswordPolicy, hash_password, is_hashed, verify_password
    from scimcore.policy._policy import ProvisioningPolicy
    from scimcore.policy._purge import purge
    from scimcore.policy._service import policy_hook, with_policy
    from scimcore.policy._username import USERNAME_MODES, UserNamePolicy

_EXPORTS = {
    "DEPROVISION_MODES": "scimcore.policy._deprovision",
    "Decision": "scimcore.policy._deprovision",
    "DeprovisioningPolicy": "scimcore.policy._deprovision",
    "GroupPolicy": "scimcore.policy._groups",
    "PasswordPolicy": "scimcore.policy._password",
    "ProvisioningPolicy": "scimcore.policy._policy",
    "USERNAME_MODES": "scimcore.policy._username",
    "UserNamePolicy": "scimcore.policy._username",
    "can_log_in": "scimcore.policy._deprovision",
    "hash_password": "scimcore.policy._password",
    "is_active": "scimcore.policy._deprovision",
    "is_hashed": "scimcore.policy._password",
    "policy_hook": "scimcore.policy._service",
    "purge": "scimcore.policy._purge",
    "verify_password": "scimcore.policy._password",
    "with_policy": "scimcore.policy._service",
}

__all__ = [
    "DEPROVISION_MODES",
    "USERNAME_MODES",
    "Decision",
    "DeprovisioningPolicy",
    "GroupPolicy",
    "PasswordPolicy",
    "ProvisioningPolicy",
    "UserNamePolicy",
    "can_log_in",
    "hash_password",
    "is_active",
    "is_hashed",
    "policy_hook",
    "purge",
    "verify_password",
    "with_policy",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)

"""Provisioning policies: deprovisioning and reactivation, userName, passwords, nested groups.

::

    from scimcore.policy import ProvisioningPolicy
    policy = ProvisioningPolicy.from_dict({"deprovision": "deactivate", "username": "immutable"})
    decision = policy.decide("patch", "User", stored, patched)   # Decision("write", {...})
"""

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

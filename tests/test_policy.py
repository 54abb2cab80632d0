"""Provisioning policies as decisions: deprovisioning, reactivation, userName, passwords, groups."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from scimcore.errors import ConfigurationError, InvalidValue, Mutability
from scimcore.policy import (
    DeprovisioningPolicy,
    GroupPolicy,
    PasswordPolicy,
    ProvisioningPolicy,
    UserNamePolicy,
    can_log_in,
    hash_password,
    is_active,
    is_hashed,
    verify_password,
)

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


def stored(**extra: Any) -> dict[str, Any]:
    u: dict[str, Any] = {
        "id": "u1",
        "userName": "jane",
        "active": True,
        "roles": [{"value": "editor"}],
        "meta": {"lastModified": "2026-11-01T00:00:00Z"},
    }
    u.update(extra)
    return u


def deactivated(**extra: Any) -> dict[str, Any]:
    return {**stored(**extra), "active": False}


@pytest.mark.parametrize("value", [False, "False", "false"])
def test_is_active_reads_entra_strings(value: Any) -> None:
    assert not is_active({"active": value})
    assert is_active({}) and is_active({"active": "True"})


def test_rfc_default() -> None:
    p = DeprovisioningPolicy()
    assert p.on_delete(stored()).action == "delete"
    d = p.on_update(stored(), deactivated())
    assert d.action == "write" and d.resource is not None and d.resource["active"] is False
    assert p.on_update(deactivated(), stored()).resource == stored()


def test_delete_mode_deletes_on_deactivation_and_refuses_reactivation() -> None:
    p = DeprovisioningPolicy("delete")
    d = p.on_update(stored(), deactivated())
    assert d.action == "delete" and d.resource is not None and d.resource["active"] is False
    assert p.on_delete(stored()).action == "delete"
    with pytest.raises(InvalidValue, match=r"reactivation is refused.*'delete'") as info:
        p.on_update(deactivated(), stored())
    assert info.value.path == ("active",)


@pytest.mark.parametrize("mode", ["deactivate", "deactivate_then_delete", "strip_roles"])
def test_keeping_modes_turn_delete_into_deactivation(mode: Any) -> None:
    p = DeprovisioningPolicy(mode, retention=dt.timedelta(days=30))
    d = p.on_delete(stored())
    assert d.action == "write" and d.resource is not None
    assert d.resource["active"] is False and d.resource["userName"] == "jane"
    assert ("roles" in d.resource) == (mode != "strip_roles")
    assert not can_log_in(d.resource)
    back = p.on_update(d.resource, {**d.resource, "active": True})
    assert back.action == "write" and back.resource is not None and back.resource["active"]
    assert can_log_in(back.resource)


def test_strip_roles_on_patch_deactivation_and_while_inactive() -> None:
    p = DeprovisioningPolicy("strip_roles", role_attributes=("roles", "entitlements"))
    d = p.on_update(
        stored(entitlements=[{"value": "x"}]), deactivated(entitlements=[{"value": "x"}])
    )
    assert d.resource is not None and "roles" not in d.resource and "entitlements" not in d.resource
    again = p.on_update(deactivated(), deactivated(roles=[{"value": "admin"}]))
    assert again.resource is not None and "roles" not in again.resource


def test_retention_purge() -> None:
    p = ProvisioningPolicy.from_dict(
        {"deprovision": "deactivate_then_delete", "retention_days": 30}
    )
    old = deactivated(meta={"lastModified": "2026-10-01T00:00:00Z"})
    recent = deactivated(id="u2", meta={"lastModified": "2026-11-20T00:00:00Z"})
    active = stored(id="u3", meta={"lastModified": "2026-01-01T00:00:00Z"})
    assert p.purge_ids([old, recent, active], NOW) == ["u1"]
    assert ProvisioningPolicy.from_dict({"deprovision": "deactivate"}).purge_ids([old], NOW) == []


def test_retention_needs_a_period() -> None:
    with pytest.raises(ConfigurationError, match="retention"):
        DeprovisioningPolicy("deactivate_then_delete")


def test_username_immutable_refuses_with_mutability() -> None:
    p = UserNamePolicy("immutable")
    with pytest.raises(Mutability, match="cannot rename a login") as info:
        p.apply(stored(), stored(userName="john"))
    assert info.value.scim_type == "mutability" and info.value.path == ("userName",)
    assert p.apply(stored(), stored())["userName"] == "jane"


def test_username_email_mode_maps_rename_to_email() -> None:
    p = UserNamePolicy("email")
    old = stored(emails=[{"value": "jane@old.example", "type": "work", "primary": True}])
    out = p.apply(old, {**old, "userName": "jane@new.example"})
    assert out["userName"] == "jane"
    assert out["emails"] == [{"value": "jane@new.example", "type": "work", "primary": True}]
    out2 = p.apply(stored(), stored(userName="j@x.example"))
    assert out2["emails"] == [{"value": "j@x.example", "type": "work", "primary": True}]
    with pytest.raises(Mutability, match="only when the new userName is an email"):
        p.apply(stored(), stored(userName="john"))


def test_password_hashing_with_the_standard_library() -> None:
    h = hash_password("s3cret!")
    assert is_hashed(h) and "s3cret" not in h
    assert verify_password("s3cret!", h) and not verify_password("wrong", h)
    assert not verify_password("x", "garbage")


def test_password_policy_sync_off_drops_and_on_hashes_and_keeps() -> None:
    off = PasswordPolicy()
    assert "password" not in off.apply(None, {"userName": "a", "password": "pw"})
    on = PasswordPolicy(sync=True, hasher=lambda pw: f"h({pw})")
    created = on.apply(None, {"userName": "a", "password": "pw"})
    assert created["password"] == "h(pw)"
    # a PUT echoing a GET (no password) keeps the stored hash
    assert on.apply(created, {"userName": "a"})["password"] == "h(pw)"
    # a PATCH result still holding the stored hash is not hashed again
    assert on.apply(created, dict(created))["password"] == "h(pw)"
    assert on.apply(created, {"userName": "a", "password": "new"})["password"] == "h(new)"


def test_nested_groups() -> None:
    g = {"displayName": "g", "members": [{"value": "u1"}, {"value": "g2", "type": "Group"}]}
    with pytest.raises(InvalidValue, match="'g2' is a group: nested groups") as info:
        GroupPolicy().check(g)
    assert info.value.path == ("members", 1)
    with pytest.raises(InvalidValue):
        GroupPolicy().check({"members": [{"value": "g3"}]}, is_group=lambda v: v == "g3")
    with pytest.raises(InvalidValue):
        GroupPolicy().check({"members": [{"value": "g3", "$ref": "https://x/scim/v2/Groups/g3"}]})
    GroupPolicy(allow_nested=True).check(g)
    GroupPolicy().check({"members": [{"value": "u1"}]})


def test_bundle_decide() -> None:
    p = ProvisioningPolicy.from_dict(
        {"deprovision": "deactivate", "username": "immutable", "password_sync": True}
    )
    assert p.change_password
    created = p.decide("create", "User", None, {"userName": "a", "password": "pw"})
    assert created.resource is not None and is_hashed(created.resource["password"])
    with pytest.raises(Mutability):
        p.decide("replace", "User", stored(), stored(userName="b"))
    assert p.decide("delete", "User", stored(), None).action == "write"
    assert p.decide("delete", "Group", {"id": "g"}, None).action == "delete"
    with pytest.raises(InvalidValue):
        p.decide("patch", "Group", {}, {"members": [{"value": "x", "type": "Group"}]})


@pytest.mark.parametrize(
    ("conf", "needle"),
    [
        ({"deprovision": "archive"}, "policy.deprovision"),
        ({"retention_days": -1}, "policy.retention_days"),
        ({"username": "frozen"}, "policy.username"),
        ({"password_sync": "yes"}, "policy.password_sync"),
        ({"colour": 1}, "unknown key 'colour'"),
        ({"deprovision": "deactivate_then_delete"}, "retention"),
    ],
)
def test_bad_policy_configuration_names_the_key(conf: dict[str, Any], needle: str) -> None:
    with pytest.raises(ConfigurationError, match=needle):
        ProvisioningPolicy.from_dict(conf)


def test_purge_deletes_only_users_past_retention_from_a_store() -> None:
    from scimcore.policy import purge
    from scimcore.store import MemoryStore

    store = MemoryStore()
    with store.transaction() as tx:
        tx.create(
            "User",
            deactivated(id="old", userName="old", meta={"lastModified": "2026-10-01T00:00:00Z"}),
        )
        tx.create(
            "User",
            deactivated(id="new", userName="new", meta={"lastModified": "2026-11-23T00:00:00Z"}),
        )
        tx.create(
            "User", stored(id="act", userName="act", meta={"lastModified": "2020-01-01T00:00:00Z"})
        )
        tx.create(
            "Group",
            {"id": "g", "displayName": "g", "members": [{"value": "old"}, {"value": "act"}]},
        )
    keep = ProvisioningPolicy.from_dict({"deprovision": "deactivate"})
    assert purge(store, keep, NOW) == []
    policy = ProvisioningPolicy.from_dict(
        {"deprovision": "deactivate_then_delete", "retention_days": 30}
    )
    assert purge(store, policy, NOW) == ["old"]
    with store.transaction() as tx:
        assert tx.get("User", "old") is None
        assert tx.get("User", "new") is not None
        group = tx.get("Group", "g")
        assert group is not None
        assert [m["value"] for m in group.resource["members"]] == ["act"]

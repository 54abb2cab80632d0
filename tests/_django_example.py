"""The Django example in a child process: migrate, then drive it and report what Django's ORM sees.

``python -m tests._django_example SCENARIO [ARG]`` with ``DJANGO_DB_URL`` (and the example's other
variables) set prints one JSON object. Django's settings are process-wide, so each run of the
example gets its own process (``tests/test_example_django.py`` starts them); the facts are read
with Django's own API (``User.objects``, ``check_password``, ``authenticate``, ``user.groups``).

Scenarios: ``setup`` (``migrate`` alone), ``migrate`` (the schema and a user made with
``create_user``), ``users`` (the SCIM user lifecycle checked with the ORM), ``delete_mode``,
``groups`` (membership as ``user.groups``), ``group_orm`` (``Group.user_set``, ``has_perm``
through a group permission, a group's delete), ``grid IDP [users|groups]`` (the bundled recordings
of one IdP through the site's WSGI handler).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any

TOKEN = "django-example-test-token"
SCIM = "application/scim+json"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "examples.django.scimsite.settings")
    os.environ.setdefault("SCIM_TOKEN", TOKEN)
    os.environ.setdefault("SCIM_BASE_URL", "http://testserver/scim/v2")
    import django
    from django.core.management import call_command

    django.setup()
    if os.environ.get("DJANGO_PASSWORD_ITERATIONS"):
        # The ORM's own hashes (create_user, authenticate's dummy hash) as cheap as the pushed
        # ones; check_password reads the count from each hash, so nothing else changes.
        from django.contrib.auth.hashers import PBKDF2PasswordHasher

        PBKDF2PasswordHasher.iterations = int(os.environ["DJANGO_PASSWORD_ITERATIONS"])
    call_command("migrate", verbosity=0)


class _Scim:
    """SCIM requests through Django's test client (the site's full middleware stack)."""

    def __init__(self) -> None:
        from django.test import Client

        self.client = Client(enforce_csrf_checks=True)
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {os.environ['SCIM_TOKEN']}"}

    def call(self, method: str, path: str, body: Any = None, **query: str) -> tuple[int, Any]:
        send: Callable[..., Any] = getattr(self.client, method.lower())
        url = f"/scim/v2/{path}"
        if body is not None:
            response = send(url, json.dumps(body), content_type=SCIM, **self.auth)
        else:
            response = send(url, query or None, **self.auth)
        content = json.loads(response.content) if response.content else None
        return response.status_code, content

    def patch(self, path: str, *operations: dict[str, Any]) -> int:
        status, _ = self.call("PATCH", path, {"schemas": [PATCH_URN], "Operations": operations})
        return status

    def find(self, resource: str, expression: str) -> list[dict[str, Any]]:
        status, listed = self.call("GET", resource, filter=expression)
        assert status == 200, (status, listed)
        found: list[dict[str, Any]] = listed.get("Resources", [])
        return found


def _user(name: str, password: str, **extra: Any) -> dict[str, Any]:
    return {
        "schemas": [USER_URN],
        "userName": name,
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"value": f"{name}@example.com", "type": "work", "primary": True}],
        "password": password,
        "active": True,
        **extra,
    }


def scenario_setup() -> dict[str, Any]:
    """Nothing but ``migrate`` (a template database for the tests to copy)."""
    return {}


def scenario_migrate() -> dict[str, Any]:
    """The tables ``migrate`` made, and a user made with the ORM read back with the ORM."""
    from django.contrib.auth import authenticate, get_user_model
    from django.db import connection

    user_model = get_user_model()
    user_model.objects.create_user("orm-user", email="orm@example.com", password="orm-pw")
    user = user_model.objects.get(username="orm-user")
    return {
        "vendor": connection.vendor,
        "tables": sorted(connection.introspection.table_names()),
        "check_password": user.check_password("orm-pw"),
        "authenticate": authenticate(username="orm-user", password="orm-pw") is not None,
    }


def scenario_users() -> dict[str, Any]:
    """The SCIM user lifecycle, every step read back with Django's ORM."""
    from django.contrib.auth import authenticate, get_user_model

    users = get_user_model().objects
    scim, facts = _Scim(), {}
    users.create_user("before", email="before@example.com", password="before-pw")

    status, ada = scim.call("POST", "Users", _user("ada", "first-Secret-1"))
    facts["create"] = status
    row = users.get(username="ada")
    facts["orm_after_create"] = [row.first_name, row.last_name, row.email, row.is_active]
    facts["hash_format"] = row.password.split("$", 1)[0]
    facts["check_pushed"] = row.check_password("first-Secret-1")
    facts["login_pushed"] = authenticate(username="ada", password="first-Secret-1") is not None
    uid = ada["id"]

    facts["patch_password"] = scim.patch(
        f"Users/{uid}", {"op": "replace", "path": "password", "value": "second-Secret-2"}
    )
    row.refresh_from_db()
    facts["check_after_patch"] = [
        row.check_password("second-Secret-2"), row.check_password("first-Secret-1")
    ]  # fmt: skip
    facts["password_returned"] = "password" in scim.call("GET", f"Users/{uid}")[1]

    facts["deactivate"] = scim.patch(
        f"Users/{uid}", {"op": "replace", "path": "active", "value": False}
    )
    row.refresh_from_db()
    facts["after_deactivate"] = [
        row.is_active, authenticate(username="ada", password="second-Secret-2") is not None
    ]  # fmt: skip
    facts["reactivate"] = scim.patch(
        f"Users/{uid}", {"op": "replace", "path": "active", "value": True}
    )
    row.refresh_from_db()
    facts["after_reactivate"] = [
        row.is_active, authenticate(username="ada", password="second-Secret-2") is not None
    ]  # fmt: skip

    facts["site_edit_changes_etag"] = _site_edit_changes_etag(scim, uid, row)

    users.create_user("after", email="after@example.com", password="after-pw")
    for name in ("before", "after"):
        found = scim.find("Users", f'userName eq "{name}"')
        facts[f"listed_{name}"] = [u["userName"] for u in found]
        facts[f"post_{name}"] = scim.call("POST", "Users", _user(name, "x-Secret-9"))[0]
        upper = _user(name.upper(), "x-Secret-9")
        facts[f"post_{name}_upper"] = scim.call("POST", "Users", upper)[0]
    facts["check_before_untouched"] = users.get(username="before").check_password("before-pw")
    status, listed = scim.call("GET", "Users")
    facts["total"] = [listed["totalResults"], users.count()]

    facts["delete"] = scim.call("DELETE", f"Users/{uid}")[0]
    facts["get_deleted"] = scim.call("GET", f"Users/{uid}")[0]
    gone = users.filter(username="ada").first()
    facts["after_delete"] = None if gone is None else [gone.pk == row.pk, gone.is_active]
    facts["recreate"] = scim.call("POST", "Users", _user("ada", "third-Secret-3"))[0]
    back = users.filter(username="ada").first()
    facts["after_recreate"] = None if back is None else [
        back.pk == row.pk, back.is_active, back.check_password("third-Secret-3")
    ]  # fmt: skip
    return facts


def _site_edit_changes_etag(scim: _Scim, uid: str, row: Any) -> list[Any]:
    """An edit made through the ORM shows in SCIM, with a new version."""
    _, before = scim.call("GET", f"Users/{uid}")
    row.first_name = "Augusta"
    row.save(update_fields=["first_name"])
    _, after = scim.call("GET", f"Users/{uid}")
    return [after["name"]["givenName"], before["meta"]["version"] != after["meta"]["version"]]


def scenario_groups() -> dict[str, Any]:
    """SCIM group membership as Django's ``user.groups``, and groups the site made in SCIM."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    users = get_user_model().objects
    scim, facts = _Scim(), {}
    _, ada = scim.call("POST", "Users", _user("ada", "first-Secret-1"))
    _, bob = scim.call("POST", "Users", _user("bob", "first-Secret-1"))
    status, editors = scim.call(
        "POST",
        "Groups",
        {"schemas": [GROUP_URN], "displayName": "Editors", "members": [{"value": ada["id"]}]},
    )
    facts["create_group"] = status
    ada_row, bob_row = users.get(username="ada"), users.get(username="bob")

    def names(user: Any) -> list[str]:
        return sorted(user.groups.values_list("name", flat=True))

    facts["groups_after_create"] = [names(ada_row), names(bob_row)]
    gid = editors["id"]
    facts["add_bob"] = scim.patch(
        f"Groups/{gid}", {"op": "add", "path": "members", "value": [{"value": bob["id"]}]}
    )
    facts["remove_ada"] = scim.patch(
        f"Groups/{gid}", {"op": "remove", "path": f'members[value eq "{ada["id"]}"]'}
    )
    facts["groups_after_patch"] = [names(ada_row), names(bob_row)]
    facts["rename"] = scim.patch(
        f"Groups/{gid}", {"op": "replace", "path": "displayName", "value": "Authors"}
    )
    facts["orm_group_names"] = sorted(Group.objects.values_list("name", flat=True))

    staff = Group.objects.create(name="Staff")
    ada_row.groups.add(staff)
    found = scim.find("Groups", 'displayName eq "staff"')
    facts["site_group"] = [
        [g["displayName"], [m["value"] for m in g.get("members", [])]] for g in found
    ]
    facts["ada_id"] = ada["id"]
    _, ada_now = scim.call("GET", f"Users/{ada['id']}")
    facts["groups_of_ada"] = sorted(g["display"] for g in ada_now.get("groups", []))

    facts["dangling_member"] = scim.patch(
        f"Groups/{gid}", {"op": "add", "path": "members", "value": [{"value": "no-such-user"}]}
    )
    facts["delete_group"] = scim.call("DELETE", f"Groups/{gid}")[0]
    facts["orm_after_group_delete"] = [
        sorted(Group.objects.values_list("name", flat=True)), names(bob_row)
    ]  # fmt: skip
    return facts


def scenario_group_orm() -> dict[str, Any]:
    """A SCIM group as Django's ORM sees it: ``Group.user_set``, ``user.groups``, ``has_perm``
    through a permission the site gave the group; a member that is not a user; the delete."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission

    users = get_user_model().objects
    scim, facts = _Scim(), {}
    _, ada = scim.call("POST", "Users", _user("ada", "first-Secret-1"))
    _, bob = scim.call("POST", "Users", _user("bob", "first-Secret-1"))
    body = {"schemas": [GROUP_URN], "displayName": "Editors", "members": [{"value": ada["id"]}]}
    status, created = scim.call("POST", "Groups", body)
    facts["create"] = status
    gid = created["id"]
    group = Group.objects.get(name="Editors")
    group.permissions.add(Permission.objects.get(codename="change_user"))

    def seen() -> dict[str, Any]:
        fresh = {n: users.get(username=n) for n in ("ada", "bob")}  # no permission cache
        return {
            "user_set": sorted(group.user_set.values_list("username", flat=True)),
            "groups": {
                n: sorted(u.groups.values_list("name", flat=True)) for n, u in fresh.items()
            },
            "has_perm": {n: u.has_perm("auth.change_user") for n, u in fresh.items()},
        }

    facts["after_create"] = seen()
    facts["add_bob"] = scim.patch(
        f"Groups/{gid}", {"op": "add", "path": "members", "value": [{"value": bob["id"]}]}
    )
    facts["remove_ada"] = scim.patch(
        f"Groups/{gid}", {"op": "remove", "path": f'members[value eq "{ada["id"]}"]'}
    )
    facts["after_patch"] = seen()

    _, before = scim.call("GET", f"Groups/{gid}")
    status, error = scim.call(
        "PATCH",
        f"Groups/{gid}",
        {
            "schemas": [PATCH_URN],
            "Operations": [
                {
                    "op": "add",
                    "path": "members",
                    "value": [{"value": ada["id"]}, {"value": "no-such-user"}],
                }
            ],
        },
    )
    facts["dangling"] = [status, (error or {}).get("scimType")]
    _, after = scim.call("GET", f"Groups/{gid}")
    facts["dangling_changed_nothing"] = [
        after["meta"]["version"] == before["meta"]["version"],
        after.get("members") == before.get("members"),
    ]
    facts["after_dangling"] = seen()

    pk = group.pk
    facts["delete"] = scim.call("DELETE", f"Groups/{gid}")[0]
    facts["get_deleted"] = scim.call("GET", f"Groups/{gid}")[0]
    facts["after_delete"] = {
        "group_exists": Group.objects.filter(pk=pk).exists(),
        "permission_rows": Group.permissions.through.objects.filter(group_id=pk).count(),
        "membership_rows": Group.user_set.through.objects.filter(group_id=pk).count(),
        "bob_has_perm": users.get(username="bob").has_perm("auth.change_user"),
        "permission_kept": Permission.objects.filter(codename="change_user").exists(),
    }
    return facts


def scenario_delete_mode() -> dict[str, Any]:
    """``DJANGO_DEPROVISION=delete``: the user row goes, with what Django would cascade."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    users = get_user_model().objects
    scim, facts = _Scim(), {}
    _, ada = scim.call("POST", "Users", _user("ada", "first-Secret-1"))
    row = users.get(username="ada")
    row.groups.add(Group.objects.create(name="Staff"))
    facts["delete"] = scim.call("DELETE", f"Users/{ada['id']}")[0]
    facts["orm_exists"] = users.filter(username="ada").exists()
    facts["memberships_left"] = row.groups.through.objects.filter(user_id=row.pk).count()
    facts["get_deleted"] = scim.call("GET", f"Users/{ada['id']}")[0]
    return facts


def scenario_grid(idp: str, part: str = "all") -> dict[str, Any]:
    """The bundled recordings of ``idp`` through the site's WSGI handler, and the ORM after.

    ``part``: ``users`` (the recordings that need no Groups), ``groups`` (those that do) or ``all``.
    """
    from django.contrib.auth import get_user_model
    from django.core.wsgi import get_wsgi_application

    from conformance.loader import bundled_recordings_dir, load_recordings
    from conformance.results import Outcome
    from conformance.runner import run
    from conformance.transport import AppTransport

    transport = AppTransport(get_wsgi_application(), base_url="http://testserver/scim/v2")
    recordings = load_recordings([bundled_recordings_dir() / idp])
    if part != "all":
        recordings = [r for r in recordings if ("Groups" in r.requires) == (part == "groups")]
    result = run(recordings, transport, token=os.environ["SCIM_TOKEN"])
    good = (Outcome.PASSED, Outcome.WARNED)
    failed = {
        r.recording.name: f"{r.outcome.name} {r.reason}: "
        + "; ".join(s.summary for s in r.failed_steps)
        for r in result.results
        if r.outcome not in good
    }
    return {
        "recordings": sorted(r.recording.name for r in result.results),
        "passed": sum(r.outcome in good for r in result.results),
        "failed": failed,
        "orm_users": get_user_model().objects.count(),
    }


SCENARIOS: dict[str, Callable[..., dict[str, Any]]] = {
    "setup": scenario_setup,
    "migrate": scenario_migrate,
    "users": scenario_users,
    "groups": scenario_groups,
    "group_orm": scenario_group_orm,
    "delete_mode": scenario_delete_mode,
    "grid": scenario_grid,
}


def main(argv: list[str]) -> int:
    """Run one scenario and print its facts as JSON."""
    _setup()
    facts = SCENARIOS[argv[0]](*argv[1:])
    json.dump(facts, sys.stdout, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

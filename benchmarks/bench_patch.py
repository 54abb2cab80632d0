"""PATCH a realistic User: a 5-operation Okta-style and Entra-style request, scimcore vs scim2-models.

The user is the realistic User of ``bench_models`` (enterprise extension with manager, name, two
emails, two phones, two addresses, meta). The requests:

- Okta-style (lower-case ops; deactivate without a path, as Okta's OIN apps do): no-path
  ``replace {"active": false}``, ``replace name.familyName``, ``add emails [...]``,
  ``remove emails[type eq "home"]``, ``replace title``.
- Entra-style (the update Microsoft's SCIM tutorial shows): ``replace emails[type eq "work"].value``,
  ``replace name.familyName``, ``replace userName``, ``add nickName``,
  ``replace urn:…:enterprise:2.0:User:employeeNumber``, spelled ``Replace``/``Add`` as Entra's
  default job sends them (both libraries accept that spelling).

Timed paths, each from the dicts a server holds to a patched result:

- scimcore: ``apply_patch(user_dict, request_dict)`` — parses and checks the request, patches a
  copy, validates the result against the schema, returns a new dict (the input is untouched).
- scim2-models (whole): ``PatchOp[User[EnterpriseUser]].model_validate(request)`` +
  ``User.model_validate(user_dict)`` + ``patch.patch(user)`` + ``model_dump()`` (dict in, dict out).
- scim2-models (patch only): ``patch.patch(user.model_copy(deep=True))`` on a pre-validated
  request and a pre-built model (a copy, since it patches in place) — its most favourable figure.

Figures are the median of several ``timeit`` repeats, in µs per PATCH.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchmarks.bench_models import USER, _measure
from scimcore import ENTERPRISE_USER_URN, apply_patch

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

OKTA: dict[str, Any] = {
    "schemas": [PATCH_OP],
    "Operations": [
        {"op": "replace", "value": {"active": False}},
        {"op": "replace", "path": "name.familyName", "value": "Jensen-Smith"},
        {
            "op": "add",
            "path": "emails",
            "value": [{"value": "barbara@example.org", "type": "other"}],
        },
        {"op": "remove", "path": 'emails[type eq "home"]'},
        {"op": "replace", "path": "title", "value": "Head Tour Guide"},
    ],
}

ENTRA: dict[str, Any] = {
    "schemas": [PATCH_OP],
    "Operations": [
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "babs@example.com"},
        {"op": "Replace", "path": "name.familyName", "value": "Jensen-Smith"},
        {"op": "Replace", "path": "userName", "value": "babs@example.com"},
        {"op": "Add", "path": "nickName", "value": "Barbie"},
        {"op": "Replace", "path": f"{ENTERPRISE_USER_URN}:employeeNumber", "value": "701985"},
    ],
}


def _check_ours() -> None:
    okta = apply_patch(USER, OKTA)
    assert okta["active"] is False and [e["type"] for e in okta["emails"]] == ["work", "other"]
    entra = apply_patch(USER, ENTRA)
    assert entra["emails"][0]["value"] == "babs@example.com"
    assert entra[ENTERPRISE_USER_URN]["employeeNumber"] == "701985"


def _scim2(request: dict[str, Any]) -> tuple[Callable[[], Any], Callable[[], Any]] | None:
    try:
        from scim2_models import EnterpriseUser, PatchOp
        from scim2_models import User as Scim2User
    except ImportError:
        return None
    model = Scim2User[EnterpriseUser]  # type: ignore[type-arg,misc]
    patch_model = PatchOp[model]  # type: ignore[valid-type]
    user = model.model_validate(USER)
    patch = patch_model.model_validate(request)

    def whole() -> Any:
        op = patch_model.model_validate(request)
        resource = model.model_validate(USER)
        op.patch(resource)
        return resource.model_dump()

    def patch_only() -> Any:
        resource = user.model_copy(deep=True)
        patch.patch(resource)
        return resource

    whole()  # fails loudly here if scim2-models refuses the request
    return whole, patch_only


def main() -> None:
    """Print µs per PATCH for scimcore and scim2-models, with the ratios."""
    _check_ours()
    print("user: realistic User + enterprise extension; 5 operations per PATCH")
    print(f"{'request / path':58} {'µs/PATCH':>9} {'vs scimcore':>12}")
    for label, request in (("Okta-style", OKTA), ("Entra-style", ENTRA)):
        ours = _measure(lambda r=request: apply_patch(USER, r))  # type: ignore[misc]
        print(f"{label + ': scimcore apply_patch (dict -> new dict)':58} {ours:9.1f} {1:11.2f}x")
        try:
            peer = _scim2(request)
        except Exception as exc:  # the peer refusing a shape is a finding, not a crash
            print(f"{label + ': scim2-models':58} refused the request: {exc!r:.80}")
            continue
        if peer is None:
            print("scim2-models is not installed (pip install '.[bench]') — peer rows skipped")
            continue
        whole, patch_only = peer
        for name, fn in (
            ("validate + patch + dump", whole),
            ("patch only (pre-built)", patch_only),
        ):
            micros = _measure(fn, repeat=3)
            print(f"{label + ': scim2-models ' + name:58} {micros:9.1f} {micros / ours:11.2f}x")


if __name__ == "__main__":
    main()

"""The hypothesis state machine: IdP-shaped traffic sent to the target and to the reference model.

Every step goes to both sides. The reference is scimcore's own service over a fresh in-memory
store, so "what a correct server answers" is executable. Resources are created under a fresh
``${unique}`` prefix per example and every lookup is restricted to it, so a long-lived target
(a real server with other data) compares fairly. After each write the resource is read back from
both sides: that is how a non-atomic PATCH, a lost update or a lost ``primary`` shows.
"""

from __future__ import annotations

import contextlib
import functools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    multiple,
    rule,
)

from conformance.fuzz._traffic import (
    ENTERPRISE_URN,
    GROUP_URN,
    PATCH_URN,
    USER_URN,
    Divergence,
    Exchange,
    Side,
    Template,
    body_of,
    compare,
    status_class,
)
from conformance.transport import Transport

NAMES = ("alice", "Alice", "bob", "BOB", "carol")
DEPARTMENTS = (None, "Sales", "R&D")
_PREFIX = 'userName sw "${unique}."'

FILTERS = (
    f"emails pr and {_PREFIX}",
    f"active eq false and {_PREFIX}",
    f'emails[type eq "work" and primary eq true] and {_PREFIX}',
    f'{ENTERPRISE_URN}:department eq "Sales" and {_PREFIX}',
    f'emails.value co "@work.example" and {_PREFIX}',
    f"not (active eq true) and {_PREFIX}",
    f'title eq "Engineer" or (displayName sw "alice" and {_PREFIX})',
)


@dataclass
class FuzzEnv:
    """What every example of a run shares: the target, the reference factory, budget and sinks."""

    target: Transport
    reference: Callable[[], Transport]
    token: str | None = None
    deadline: float | None = None
    on_example: Callable[[int, int], None] | None = None
    examples: int = 0
    requests: int = 0
    replays: int = 0
    max_shrinks: int = 300
    hunt_replays: int = 0
    excluded: set[str] = field(default_factory=set)
    occurrences: dict[str, int] = field(default_factory=dict)
    hunting: str | None = None
    failing_trace: list[Exchange] = field(default_factory=list)
    failing_message: str = ""
    failing_unique: str = ""
    failing_ref_ids: dict[str, str] = field(default_factory=dict)

    def start_hunt(self) -> None:
        """Forget the last finding: the next new signature is the one to raise and shrink."""
        self.hunting = None
        self.hunt_replays = 0
        self.failing_trace = []
        self.failing_message = self.failing_unique = ""
        self.failing_ref_ids = {}

    def expired(self) -> bool:
        """True once the time budget is spent."""
        return self.deadline is not None and time.monotonic() > self.deadline

    def shrink_spent(self) -> bool:
        """True once shrinking the current finding has used its replays or the time budget:
        later candidates are skipped (they pass), so hypothesis stops with the smallest failing
        sequence seen so far, which is what :attr:`failing_trace` holds."""
        return self.hunt_replays > self.max_shrinks or self.expired()


def _user_body(name: str, emails: str, active: bool, department: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "schemas": [USER_URN] + ([ENTERPRISE_URN] if department else []),
        "userName": f"${{unique}}.{name}@example.com",
        "name": {"givenName": name, "familyName": "Fuzz"},
        "displayName": f"{name} Fuzz",
        "active": active,
    }
    work = {"value": f"${{unique}}.{name}@work.example", "type": "work", "primary": True}
    home = {"value": f"${{unique}}.{name}@home.example", "type": "home"}
    if emails == "empty":
        body["emails"] = []
    elif emails == "one":
        body["emails"] = [work]
    elif emails == "two":
        body["emails"] = [work, home]
    if department:
        body[ENTERPRISE_URN] = {"department": department}
    return body


_ENTRA_OP = 'Entra capitalises the op ("Add"), RFC 7644 §3.5.2 names it "add"'
#: The non-RFC shapes among the PATCHes below, and whose they are (see research/idp-catalog.md).
QUIRKS: dict[str, str] = {
    "entra-deactivate": (
        'Entra sends active as the string "False" (RFC 7643 §2.3.2: a boolean)'
        " and capitalises the op"
    ),
    "entra-title": _ENTRA_OP,
    "entra-add-member": _ENTRA_OP,
    "entra-remove-member": (
        "Entra removes a member with path members and a value list; RFC 7644 §3.5.2.2 defines "
        "no value for remove (a filterless multi-valued path means remove all)"
    ),
}


def _patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_URN], "Operations": list(operations)}


# PATCH shapes real IdPs send (see conformance/recordings and research/idp-catalog.md).
USER_PATCHES: dict[str, dict[str, Any]] = {
    "okta-deactivate": _patch({"op": "replace", "value": {"active": False}}),
    "okta-reactivate": _patch({"op": "replace", "value": {"active": True}}),
    "entra-deactivate": _patch({"op": "Replace", "path": "active", "value": "False"}),
    "entra-title": _patch({"op": "Add", "path": "title", "value": "Engineer"}),
    "add-primary-email": _patch(
        {
            "op": "add",
            "path": "emails",
            "value": [{"value": "${unique}.new@other.example", "type": "other", "primary": True}],
        }
    ),
    "replace-work-email": _patch(
        {
            "op": "replace",
            "path": 'emails[type eq "work"].value',
            "value": "${unique}.changed@work.example",
        }
    ),
    "department": _patch(
        {"op": "replace", "path": f"{ENTERPRISE_URN}:department", "value": "Sales"}
    ),
    "atomic-failure": _patch(
        {"op": "replace", "path": "displayName", "value": "Half Applied"},
        {"op": "replace", "path": "emails[type eq]", "value": "x"},
    ),
    "remove-emails": _patch({"op": "remove", "path": "emails"}),
}


class _Skip(Exception):
    """Unwinds a rule after a divergence that is counted, not raised (caught by ``_rule``)."""


def _rule(method: Callable[..., Any]) -> Callable[..., Any]:
    """Skip the rule once the example is spent; end it quietly on a counted divergence.

    A rule adding to a bundle (``create_*``) then adds nothing.
    """
    skipped: Any = multiple() if method.__name__.startswith("create_") else None

    @functools.wraps(method)
    def wrapper(self: FuzzMachine, *args: Any, **kwargs: Any) -> Any:
        if self.spent:
            return skipped
        try:
            return method(self, *args, **kwargs)
        except _Skip:
            return skipped

    return wrapper


class FuzzMachine(RuleBasedStateMachine):
    """Random but valid provisioning traffic, compared step by step with the reference model."""

    env: FuzzEnv  # set on the subclass built by :func:`machine_for`

    users = Bundle("users")
    groups = Bundle("groups")

    def __init__(self) -> None:
        super().__init__()
        if self.env.hunting is None:
            self.env.examples += 1
        else:  # hypothesis is shrinking a finding: a replay, not a new sequence
            self.env.replays += 1
            self.env.hunt_replays += 1
        unique = "fz" + secrets.token_hex(4)
        self.unique = unique
        self.ref = Side(self.env.reference(), unique)
        self.tgt = Side(self.env.target, unique, self.env.token)
        self.trace: list[Exchange] = []
        self.created: list[tuple[str, str]] = []
        self.group_handles: list[str] = []
        self.count = 0
        # After a divergence that is not raised (a known or already reported signature, or a
        # new one while another is being shrunk) the two sides no longer share a state: the
        # rest of the example is skipped rather than compared.
        self.spent = self.env.hunting is not None and self.env.shrink_spent()

    # -- plumbing -----------------------------------------------------------------------------

    def _handle(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def _send(self, template: Template) -> Exchange:
        exchange = Exchange(template, self.ref.send(template), self.tgt.send(template))
        self.env.requests += 1
        self.trace.append(exchange)
        try:
            compare(exchange, self.ref, self.tgt)
        except Divergence as exc:
            self._fail(exc.message, exc.signature)
        return exchange

    def _fail(self, message: str, signature: str) -> None:
        env = self.env
        if env.hunting is None:  # counted while generating, not while shrinking
            env.occurrences[signature] = env.occurrences.get(signature, 0) + 1
            if signature not in env.excluded:
                env.hunting = signature  # the first new one: raised, so hypothesis shrinks it
        if env.hunting != signature:
            self.spent = True
            raise _Skip
        env.failing_trace = list(self.trace)
        env.failing_message = message
        env.failing_unique = self.unique
        env.failing_ref_ids = dict(self.ref.ids)
        raise Divergence(message, signature)

    def _created(self, exchange: Exchange, handle: str, endpoint: str) -> bool:
        if status_class(exchange.reference.status) != 2:
            return False
        ref_id = (body_of(exchange.reference) or {}).get("id")
        tgt_body = body_of(exchange.target)
        tgt_id = tgt_body.get("id") if isinstance(tgt_body, dict) else None
        if not isinstance(tgt_id, str) or not tgt_id:
            self._fail(
                f"POST {endpoint}: the target's 2xx answer carries no id",
                f"POST {endpoint} ({exchange.template.label}) | id | missing",
            )
        assert isinstance(ref_id, str) and isinstance(tgt_id, str)
        self.ref.ids[handle] = ref_id
        self.tgt.ids[handle] = tgt_id
        self.created.append((endpoint, tgt_id))
        return True

    def _read_back(self, endpoint: str, handle: str, why: str) -> None:
        self._send(
            Template(
                f"read back after {why}", "GET", f"{endpoint}/${{id_{handle}}}", check="resource"
            )
        )

    # -- users --------------------------------------------------------------------------------

    @rule(
        target=users,
        name=st.sampled_from(NAMES),
        emails=st.sampled_from(("none", "empty", "one", "two")),
        active=st.booleans(),
        department=st.sampled_from(DEPARTMENTS),
    )
    @_rule
    def create_user(self, name: str, emails: str, active: bool, department: str | None) -> Any:
        """An IdP assigns a user: POST /Users (userNames collide, sometimes only by case)."""
        handle = self._handle("u")
        body = _user_body(name, emails, active, department)
        exchange = self._send(
            Template("create user", "POST", "/Users", body=body, check="resource", capture=handle)
        )
        return handle if self._created(exchange, handle, "/Users") else multiple()

    @rule(name=st.sampled_from(NAMES))
    @_rule
    def lookup_user(self, name: str) -> None:
        """The IdP's lookup before create: filter userName eq (case-insensitive by the RFC)."""
        flt = f'userName eq "${{unique}}.{name}@example.com"'
        self._send(Template("lookup by userName", "GET", "/Users", {"filter": flt}, check="list"))

    @rule(flt=st.sampled_from(FILTERS))
    @_rule
    def filter_users(self, flt: str) -> None:
        """A filter over the users of this example."""
        self._send(Template("filter users", "GET", "/Users", {"filter": flt}, check="list"))

    @rule(start=st.integers(1, 4), count=st.integers(0, 3))
    @_rule
    def page_users(self, start: int, count: int) -> None:
        """An import: paged listing of this example's users."""
        query = {"filter": _PREFIX, "startIndex": str(start), "count": str(count)}
        self._send(Template("page users", "GET", "/Users", query, check="page"))

    @rule(user=users)
    @_rule
    def get_user(self, user: str) -> None:
        """GET /Users/{id}."""
        self._send(Template("get user", "GET", f"/Users/${{id_{user}}}", check="resource"))

    @rule(user=users, title=st.sampled_from(("Engineer", "Manager")), active=st.booleans())
    @_rule
    def put_user(self, user: str, title: str, active: bool) -> None:
        """Okta's GET-then-PUT profile update (and its AIW deactivation: PUT active false)."""
        current = body_of(self.ref.send(Template("", "GET", f"/Users/${{id_{user}}}")))
        if not isinstance(current, dict):
            return
        body = {k: v for k, v in current.items() if k not in ("id", "meta", "groups")}
        body = _templated(body, self.unique)
        body.update(title=title, active=active)
        self._send(Template("replace user", "PUT", f"/Users/${{id_{user}}}", body=body))
        self._read_back("/Users", user, "PUT")

    @rule(user=users, shape=st.sampled_from(sorted(USER_PATCHES)))
    @_rule
    def patch_user(self, user: str, shape: str) -> None:
        """A PATCH in one of the shapes Okta, Entra and JumpCloud send."""
        self._send(
            Template(
                f"patch user ({shape})",
                "PATCH",
                f"/Users/${{id_{user}}}",
                body=USER_PATCHES[shape],
                quirk=QUIRKS.get(shape, ""),
            )
        )
        self._read_back("/Users", user, f"PATCH {shape}")

    @rule(user=consumes(users))
    @_rule
    def delete_user(self, user: str) -> None:
        """DELETE /Users/{id}, then the id is gone (404) on both sides."""
        self._send(Template("delete user", "DELETE", f"/Users/${{id_{user}}}"))
        self._send(Template("get deleted user", "GET", f"/Users/${{id_{user}}}"))
        for group in self.group_handles[-2:]:  # a deleted user leaves its groups
            self._read_back("/Groups", group, "user delete")

    # -- groups -------------------------------------------------------------------------------

    @rule(target=groups, members=st.lists(users, max_size=2, unique=True))
    @_rule
    def create_group(self, members: list[str]) -> Any:
        """Group push: POST /Groups with (or without) members."""
        handle = self._handle("g")
        body = {
            "schemas": [GROUP_URN],
            "displayName": f"${{unique}} group {handle}",
            "members": [{"value": f"${{id_{m}}}"} for m in members],
        }
        exchange = self._send(
            Template("create group", "POST", "/Groups", body=body, check="resource", capture=handle)
        )
        if not self._created(exchange, handle, "/Groups"):
            return multiple()
        self.group_handles.append(handle)
        return handle

    @rule(group=groups, user=users, style=st.sampled_from(("okta", "entra", "jumpcloud")))
    @_rule
    def add_member(self, group: str, user: str, style: str) -> None:
        """Member add as Okta (with display), Entra (capitalised op) or JumpCloud sends it."""
        member: dict[str, Any] = {"value": f"${{id_{user}}}"}
        if style == "okta":
            member["display"] = "member"
        op = "Add" if style == "entra" else "add"
        body = _patch({"op": op, "path": "members", "value": [member]})
        self._send(
            Template(
                f"add member ({style})",
                "PATCH",
                f"/Groups/${{id_{group}}}",
                body=body,
                quirk=QUIRKS.get(f"{style}-add-member", ""),
            )
        )
        self._read_back("/Groups", group, "member add")

    @rule(group=groups, user=users, style=st.sampled_from(("okta", "entra")))
    @_rule
    def remove_member(self, group: str, user: str, style: str) -> None:
        """Member removal: Okta's filtered path, Entra's value list."""
        if style == "okta":
            op: dict[str, Any] = {"op": "remove", "path": f'members[value eq "${{id_{user}}}"]'}
        else:
            op = {"op": "Remove", "path": "members", "value": [{"value": f"${{id_{user}}}"}]}
        body = _patch(op)
        path = f"/Groups/${{id_{group}}}"
        quirk = QUIRKS.get(f"{style}-remove-member", "")
        self._send(Template(f"remove member ({style})", "PATCH", path, body=body, quirk=quirk))
        self._read_back("/Groups", group, "member removal")

    @rule(group=groups)
    @_rule
    def empty_group(self, group: str) -> None:
        """Okta's push of an emptied group: replace members with []."""
        body = _patch({"op": "replace", "path": "members", "value": []})
        self._send(Template("replace members []", "PATCH", f"/Groups/${{id_{group}}}", body=body))
        self._read_back("/Groups", group, "members replace")

    def teardown(self) -> None:
        """Report progress and remove what the example created on the target (best effort)."""
        if self.env.on_example is not None:
            self.env.on_example(self.env.examples, self.env.requests)
        for endpoint, id_ in sorted(self.created, key=lambda c: c[0] != "/Groups"):
            # clean-up is best effort; the verdict is already made
            with contextlib.suppress(Exception):
                self.tgt.send(Template("clean up", "DELETE", f"{endpoint}/{id_}"))


def _templated(value: Any, unique: str) -> Any:
    """Put the ``${unique}`` placeholder back where the concrete token stands."""
    if isinstance(value, str):
        return value.replace(unique, "${unique}")
    if isinstance(value, list):
        return [_templated(v, unique) for v in value]
    if isinstance(value, dict):
        return {k: _templated(v, unique) for k, v in value.items()}
    return value


def machine_for(env: FuzzEnv) -> type[FuzzMachine]:
    """A FuzzMachine subclass bound to ``env`` (hypothesis builds one instance per example)."""
    return type("TargetFuzzMachine", (FuzzMachine,), {"env": env})

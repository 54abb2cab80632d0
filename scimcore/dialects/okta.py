"""Okta's SCIM 2.0 client (OIN template apps): deactivation, group rename and group push."""

from __future__ import annotations

from scimcore.dialects._base import Dialect


class Okta(Dialect):
    """Okta, as documented in its SCIM 2.0 protocol reference (OIN apps use PATCH).

    Real request shapes (developer.okta.com SCIM 2.0 reference: "Update a specific User (PATCH)",
    "Update a specific Group name", "Update specific Group membership"; empty push observed
    in Captain-P-Goldfish/SCIM-SDK#757; message without ``schemas`` observed in
    ssoready/ssoready#206)::

        {"op": "replace", "value": {"active": false}}
        {"op": "replace", "value": {"id": "<gid>", "displayName": "New name"}}
        {"op": "remove", "path": "members[value eq \\"<uid>\\"]"}
        {"op": "add", "path": "members", "value": [{"value": "<uid>", "display": "<userName>"}]}
        {"op": "replace", "path": "members", "value": []}

    Deactivation, the membership pair and ``replace members []`` are plain RFC 7644 and need no
    leniency. What this dialect allows: the group rename repeats the group's readOnly ``id`` in a
    no-path ``replace`` (on every membership change), which is accepted and ignored when it equals
    the current id (strict mode answers ``mutability``); and a message without ``schemas``.
    """

    name = "okta"
    readonly_echo = True
    missing_schemas = True

"""JumpCloud's SCIM client: group rename, repeated member adds and value-list member removal."""

from __future__ import annotations

from scimcore.dialects._base import Dialect


class JumpCloud(Dialect):
    """JumpCloud custom SCIM integrations (group management).

    Real request shapes (observed: rename in ssoready/ssoready ``internal/authservice/scim.go``;
    repeated adds in Infisical/infisical PR #2138; removal in the uni-moni JumpCloud KB)::

        {"op": "replace", "value": {"displayName": "New name"}}
        {"op": "add", "path": "members", "value": [{"value": "<uid>"}]}   (sent again and again)
        {"op": "remove", "path": "members", "value": [{"value": "<uid>"}]}

    The rename and the repeated adds are RFC 7644 (adds of a value already present change
    nothing, in every mode). What this dialect allows: ``remove`` of ``members`` with a ``value``
    list removes just those members.
    """

    name = "jumpcloud"
    value_list_removal = True

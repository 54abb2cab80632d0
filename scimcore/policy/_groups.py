"""Group policy: whether a group may have other groups as members (nested groups)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from scimcore.errors import InvalidValue


def _is_group_member(member: Mapping[str, Any], is_group: Callable[[str], bool] | None) -> bool:
    kind = next((v for k, v in member.items() if k.lower() == "type"), None)
    if isinstance(kind, str) and kind.lower() == "group":
        return True
    ref = next((v for k, v in member.items() if k.lower() == "$ref"), None)
    if isinstance(ref, str) and "/groups/" in ref.lower():
        return True
    value = next((v for k, v in member.items() if k.lower() == "value"), None)
    return is_group is not None and isinstance(value, str) and is_group(value)


@attrs.frozen(slots=True)
class GroupPolicy:
    """Group rules: ``allow_nested`` (default False, as Entra supports one level only)."""

    allow_nested: bool = False

    def check(
        self, group: Mapping[str, Any], *, is_group: Callable[[str], bool] | None = None
    ) -> None:
        """Raise InvalidValue naming the member when ``group`` nests a group and that is off.

        A member is a group when its ``type`` is ``Group``, its ``$ref`` points at ``/Groups/``,
        or ``is_group(value)`` (a lookup the service passes) says so.
        """
        if self.allow_nested:
            return
        members = next((v for k, v in group.items() if k.lower() == "members"), None) or []
        for i, member in enumerate(members):
            if isinstance(member, Mapping) and _is_group_member(member, is_group):
                raise InvalidValue(
                    f"member {member.get('value')!r} is a group: nested groups are not allowed "
                    "by this server's configuration (GroupPolicy.allow_nested is off)",
                    path=["members", i],
                )

"""userName immutability: refuse a rename, or turn it into an email change, when configured."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs

from scimcore.errors import ConfigurationError, Mutability

UserNameMode = Literal["mutable", "immutable", "email"]
USERNAME_MODES: tuple[str, ...] = ("mutable", "immutable", "email")


def _get(resource: Mapping[str, Any], key: str) -> Any:
    return next((v for k, v in resource.items() if k.lower() == key.lower()), None)


@attrs.frozen(slots=True)
class UserNamePolicy:
    """Whether ``userName`` may change after creation.

    ``mutable`` (default, RFC): renames are stored. ``immutable``: a rename is refused with
    ``mutability`` (some applications, WordPress among them, cannot rename a login).
    ``email``: the login keeps its name and the new userName, when it is an email address,
    becomes the user's primary email instead; a non-email rename is refused as in ``immutable``.
    Never silently ignored.
    """

    mode: UserNameMode = "mutable"

    def __attrs_post_init__(self) -> None:
        if self.mode not in USERNAME_MODES:
            raise ConfigurationError(
                f"userName policy {self.mode!r} is not one of {list(USERNAME_MODES)}"
            )

    def apply(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
        """Return the resource to store for an update of ``old`` to ``new``; raise if refused."""
        out = dict(new)
        before, after = _get(old, "userName"), _get(new, "userName")
        if self.mode == "mutable" or after is None or before == after:
            return out
        if self.mode == "email" and isinstance(after, str) and "@" in after:
            out = {k: v for k, v in out.items() if k.lower() != "username"}
            out["userName"] = before
            emails = [dict(e) for e in (_get(new, "emails") or []) if isinstance(e, Mapping)]
            primary = next((e for e in emails if e.get("primary") is True), None)
            if primary is None:
                primary = next((e for e in emails if e.get("type") == "work"), None)
            if primary is None:
                emails.insert(0, {"value": after, "type": "work", "primary": True})
            else:
                primary["value"] = after
            out = {k: v for k, v in out.items() if k.lower() != "emails"}
            out["emails"] = emails
            return out
        hint = (
            " (policy 'email' maps a rename to the email only when the new userName is an "
            "email address)"
            if self.mode == "email"
            else ""
        )
        raise Mutability(
            f"userName cannot change from {before!r} to {after!r}: this application cannot "
            f"rename a login (userName policy {self.mode!r}){hint}",
            path=["userName"],
        )

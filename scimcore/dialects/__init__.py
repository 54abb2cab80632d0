"""IdP dialects: named, documented leniencies for the PATCH shapes real identity providers send.

A dialect never changes what an RFC-correct request does; it only makes a non-RFC shape that a
named IdP really sends mean what that IdP intends. :func:`scimcore.apply_patch` uses
:data:`DEFAULT_DIALECTS` unless ``strict=True`` (no dialect at all).
"""

from scimcore.dialects._base import UNCHANGED, Dialect
from scimcore.dialects.entra import EntraAadOptscim062020, EntraLegacy
from scimcore.dialects.jumpcloud import JumpCloud
from scimcore.dialects.okta import Okta

DEFAULT_DIALECTS: tuple[Dialect, ...] = (
    EntraLegacy(),
    EntraAadOptscim062020(),
    Okta(),
    JumpCloud(),
)
"""Every dialect this library knows, on by default."""


def dialect(name: str) -> Dialect:
    """Return the default dialect called ``name`` (``okta``, ``entra-legacy``, …; any case)."""
    for d in DEFAULT_DIALECTS:
        if d.name.lower() == name.lower():
            return d
    known = ", ".join(d.name for d in DEFAULT_DIALECTS)
    raise KeyError(f"no dialect called {name!r}; known: {known}")


__all__ = [
    "DEFAULT_DIALECTS",
    "UNCHANGED",
    "Dialect",
    "EntraAadOptscim062020",
    "EntraLegacy",
    "JumpCloud",
    "Okta",
    "dialect",
]

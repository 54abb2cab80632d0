"""The dialect hook points: what a named IdP leniency may change in a PATCH request."""

from __future__ import annotations

from typing import Any

from scimcore.schema import Attribute

UNCHANGED: Any = object()
"""Returned by :meth:`Dialect.coerce` when the dialect has nothing to say about a value."""


class Dialect:
    """A named, documented way an identity provider bends RFC 7644 PATCH.

    Every hook defaults to strict RFC behaviour; a subclass overrides only the hooks for the
    shapes its IdP really sends. The PATCH engine consults the active dialects (all of
    :data:`scimcore.dialects.DEFAULT_DIALECTS` unless the caller passes ``strict=True`` or its own
    tuple) at these points:

    - :meth:`op_name`: the operation name, before it is checked against add/remove/replace.
    - :meth:`coerce`: a value about to be written to an attribute, before its type is checked
      (:meth:`coerces` says which attributes it may touch at all).
    - :attr:`path_keys`: whether a no-path value may use attribute paths as keys
      (``name.givenName``, ``urn:…:enterprise:2.0:User:employeeNumber``).
    - :attr:`value_list_removal`: whether ``remove`` of a multi-valued attribute without a filter
      but with a ``value`` list removes just those values (instead of being refused).
    - :attr:`readonly_echo`: whether a no-path ``replace`` may repeat a readOnly attribute's
      current value (which is then ignored instead of refused).
    - :attr:`upsert_filtered`: whether ``add`` on a value-filter path that matches no element
      creates one from the filter's ``eq`` terms (instead of ``noTarget``). A ``replace`` that
      matches nothing is ``noTarget`` whatever the dialects (RFC 7644 §3.5.2.3 "SHALL").
    - :attr:`missing_schemas`: whether the PatchOp message may omit its ``schemas``.
    """

    name: str = "rfc"
    path_keys: bool = False
    value_list_removal: bool = False
    readonly_echo: bool = False
    upsert_filtered: bool = False
    missing_schemas: bool = False

    def op_name(self, raw: str) -> str | None:
        """Map a non-RFC operation name to ``add``/``remove``/``replace``; None if unknown."""
        return None

    def coerce(self, attribute: Attribute, value: Any) -> Any:
        """Turn a non-RFC value for ``attribute`` into its RFC form, or return UNCHANGED."""
        return UNCHANGED

    def coerces(self, attribute: Attribute) -> bool:
        """Whether :meth:`coerce` may change some value of ``attribute`` (False: it never does).

        The PATCH engine asks once per attribute of a big list and skips :meth:`coerce` for the
        values of the attributes this answers False for. The default is True for a dialect that
        overrides :meth:`coerce` (override this too, to be precise) and False otherwise.
        """
        return type(self).coerce is not Dialect.coerce

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

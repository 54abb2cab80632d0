"""The error hierarchy: statuses, scimTypes, Error bodies and the scimType registry."""

from __future__ import annotations

import pytest

import scimcore
from scimcore import errors


@pytest.mark.parametrize(
    ("cls", "status", "scim_type"),
    [
        (errors.InvalidFilter, 400, "invalidFilter"),
        (errors.TooMany, 400, "tooMany"),
        (errors.InvalidSyntax, 400, "invalidSyntax"),
        (errors.InvalidPath, 400, "invalidPath"),
        (errors.NoTarget, 400, "noTarget"),
        (errors.InvalidValue, 400, "invalidValue"),
        (errors.Mutability, 400, "mutability"),
        (errors.InvalidVersion, 400, "invalidVers"),
        (errors.Sensitive, 400, "sensitive"),
        (errors.Uniqueness, 409, "uniqueness"),
        (errors.NotFound, 404, None),
        (errors.Unauthorized, 401, None),
        (errors.PreconditionFailed, 412, None),
        (errors.PayloadTooLarge, 413, None),
        (errors.NotImplementedFeature, 501, None),
    ],
)
def test_status_and_scim_type(
    cls: type[errors.ScimError], status: int, scim_type: str | None
) -> None:
    err = cls("fix this")
    assert isinstance(err, scimcore.ScimError)
    assert err.status == status
    assert err.scim_type == scim_type
    body = err.to_dict()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert body["status"] == str(status)
    assert body["detail"] == "fix this"
    assert ("scimType" in body) == (scim_type is not None)


def test_detail_carries_json_path_and_position() -> None:
    err = errors.InvalidValue("expected a boolean", path=["emails", 1, "primary"])
    assert err.json_path == "$.emails[1].primary"
    assert err.to_dict()["detail"] == "expected a boolean (at $.emails[1].primary)"
    flt = errors.InvalidFilter("unexpected 'x'", position=9)
    assert "at position 9" in str(flt)


def test_error_class_for_round_trips_every_scim_type() -> None:
    for scim_type in errors.SCIM_TYPES:
        cls = errors.error_class_for(scim_type, 400)
        assert cls.scim_type == scim_type
    assert errors.error_class_for(None, 404) is errors.NotFound
    assert errors.error_class_for("unknownType", 409) is errors.Conflict

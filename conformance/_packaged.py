"""JSON files shipped in the ``conformance`` package, read once, and validators of its schemas."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jsonschema


@cache
def packaged_json(name: str) -> dict[str, Any]:
    """The JSON object in the package's file ``name`` (read and parsed once)."""
    text = resources.files("conformance").joinpath(name).read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


@cache
def schema_validator(name: str) -> jsonschema.protocols.Validator:
    """A validator of the JSON Schema in the package's file ``name`` (the schema checked once)."""
    import jsonschema

    schema = packaged_json(name)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator: jsonschema.protocols.Validator = cls(schema)
    return validator

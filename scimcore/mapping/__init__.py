"""Attribute mapping: declarative rules between SCIM attribute paths and application fields.

::

    from scimcore.mapping import preset
    mapping = preset("okta")
    record = mapping.to_app(scim_user)        # AppRecord(fields={...}, meta={...})
    scim_user_again = mapping.to_scim(record)
"""

from scimcore.mapping._engine import AppRecord, AttributeMapping, MappingRule, make_rule
from scimcore.mapping._load import (
    MAPPING_JSON_SCHEMA,
    PRESETS,
    load_mapping,
    mapping_from_dict,
    preset,
)
from scimcore.mapping._path import MappingPath, parse_mapping_path, read_path, write_path
from scimcore.mapping._transforms import (
    TRANSFORM_KINDS,
    Transform,
    parse_transform,
    register_transform,
    registered_transforms,
)

__all__ = [
    "MAPPING_JSON_SCHEMA",
    "PRESETS",
    "TRANSFORM_KINDS",
    "AppRecord",
    "AttributeMapping",
    "MappingPath",
    "MappingRule",
    "Transform",
    "load_mapping",
    "make_rule",
    "mapping_from_dict",
    "parse_mapping_path",
    "parse_transform",
    "preset",
    "read_path",
    "register_transform",
    "registered_transforms",
    "write_path",
]

"""The attribute-mapping engine: declarative rules between SCIM resources and application rows.

A rule ties one SCIM path to one application *field* (a column of the application's user table)
or one *meta* key (a row of a key/value table such as WordPress's ``usermeta``). ``to_app`` runs
the rules SCIM → application, ``to_scim`` runs them back, so an IdP can import the users an
application already had. Unmapped attributes of extension schemas can go to the meta table too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

import attrs

from scimcore.errors import ConfigurationError, InvalidValue, ScimError
from scimcore.mapping._path import MappingPath, parse_mapping_path, read_path, write_path
from scimcore.mapping._transforms import Transform, parse_transform
from scimcore.schema import DEFAULT_REGISTRY, SchemaRegistry

Direction = Literal["both", "to_app", "to_scim"]
_DIRECTIONS = ("both", "to_app", "to_scim")


@attrs.define(slots=True)
class AppRecord:
    """One application user as the mapping sees it: table columns and key/value meta rows.

    A value of None means "clear it" (the SCIM side has no value for a mapped attribute).
    """

    fields: dict[str, Any] = attrs.field(factory=dict)
    meta: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen(slots=True)
class MappingRule:
    """One declarative rule: a SCIM path ⇄ an application field or meta key, with transforms."""

    scim: str
    path: MappingPath
    field: str | None = None
    meta: str | None = None
    to_app: tuple[Transform, ...] = ()
    to_scim: tuple[Transform, ...] = ()
    required: bool = False
    direction: Direction = "both"
    index: int = 0

    @property
    def target(self) -> str:
        """``field user_email`` or ``meta first_name``: where the value lives in the app."""
        return f"field {self.field}" if self.field is not None else f"meta {self.meta}"

    @property
    def label(self) -> str:
        """How errors name this rule: ``rule 2 (name.givenName ⇄ meta first_name)``."""
        return f"mapping rule {self.index} ({self.scim} ⇄ {self.target})"


def _pipeline(steps: Iterable[Transform], value: Any) -> Any:
    for step in steps:
        value = step.apply(value)
    return value


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


@attrs.frozen(slots=True)
class AttributeMapping:
    """A set of rules for one resource type, applied in order.

    ``extensions_to_meta`` sends every attribute of an extension schema that no rule maps into
    the meta table under ``meta_prefix + "<urn>:<attribute>"`` (and back), so custom attributes an
    IdP pushes are kept without a rule for each.
    """

    rules: tuple[MappingRule, ...]
    resource_type: str = "User"
    registry: SchemaRegistry = attrs.field(default=DEFAULT_REGISTRY, repr=False, eq=False)
    extensions_to_meta: bool = False
    meta_prefix: str = "scim:"

    def __attrs_post_init__(self) -> None:
        seen_targets: dict[tuple[str, str], MappingRule] = {}
        seen_paths: dict[str, MappingRule] = {}
        for rule in self.rules:
            if rule.direction != "to_scim":
                key = ("field", rule.field) if rule.field is not None else ("meta", rule.meta)
                other = seen_targets.get(key)  # type: ignore[arg-type]
                if other is not None:
                    raise ConfigurationError(
                        f"{rule.label} writes {rule.target}, which {other.label} writes too"
                    )
                seen_targets[key] = rule  # type: ignore[index]
            if rule.direction != "to_app":
                path_key = rule.path.text.lower().replace(" ", "")
                other = seen_paths.get(path_key)
                if other is not None:
                    raise ConfigurationError(
                        f"{rule.label} produces {rule.scim}, which {other.label} produces too"
                    )
                seen_paths[path_key] = rule

    # -- SCIM → application -------------------------------------------------------------------

    def to_app(self, resource: Mapping[str, Any]) -> AppRecord:
        """Map a SCIM resource to an :class:`AppRecord`; InvalidValue names the failing rule."""
        record = AppRecord()
        for rule in self.rules:
            if rule.direction == "to_scim":
                continue
            raw = read_path(resource, rule.path)
            try:
                value = _pipeline(rule.to_app, _copy(raw))
            except ScimError:
                raise
            except Exception as exc:
                raise InvalidValue(
                    f"{rule.label} cannot map the value {raw!r}: {exc}", path=rule.path.keys
                ) from exc
            if value is None and rule.required:
                raise InvalidValue(
                    f"{rule.label} is required: the request has no value at {rule.scim}",
                    path=rule.path.keys,
                )
            if rule.field is not None:
                record.fields[rule.field] = value
            else:
                assert rule.meta is not None
                record.meta[rule.meta] = value
        if self.extensions_to_meta:
            self._extensions_to_meta(resource, record)
        return record

    def _mapped_extension_keys(self) -> set[tuple[str, str]]:
        return {
            (rule.path.keys[0].lower(), rule.path.keys[1].lower())
            for rule in self.rules
            if len(rule.path.keys) >= 2 and rule.path.keys[0].lower().startswith("urn:")
        }

    def _extensions_to_meta(self, resource: Mapping[str, Any], record: AppRecord) -> None:
        mapped = self._mapped_extension_keys()
        for schema in self.registry.schemas_of(self.resource_type)[1:]:
            block = next((v for k, v in resource.items() if k.lower() == schema.id.lower()), None)
            if not isinstance(block, Mapping):
                continue
            for name, value in block.items():
                attr = schema.attribute(name)
                if attr is None or (schema.id.lower(), attr.name.lower()) in mapped:
                    continue
                record.meta[f"{self.meta_prefix}{schema.id}:{attr.name}"] = _copy(value)

    # -- application → SCIM -------------------------------------------------------------------

    def to_scim(
        self,
        record: AppRecord | None = None,
        *,
        fields: Mapping[str, Any] | None = None,
        meta: Mapping[str, Any] | None = None,
        base: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Build the SCIM resource (with ``schemas``) that an application row maps to.

        ``base`` is a resource the mapped values are written into (a copy of it): the attributes
        an application store keeps beside the row, which the rules then complete.
        """
        if record is not None:
            fields = record.fields if fields is None else fields
            meta = record.meta if meta is None else meta
        fields = fields or {}
        meta = meta or {}
        out: dict[str, Any] = _copy(dict(base)) if base else {}
        out.pop("schemas", None)
        for rule in self.rules:
            if rule.direction == "to_app":
                continue
            source = fields if rule.field is not None else meta
            raw = source.get(rule.field if rule.field is not None else rule.meta)  # type: ignore[arg-type]
            steps = rule.to_scim
            try:
                value = _pipeline(steps, _copy(raw))
            except ScimError:
                raise
            except Exception as exc:
                raise InvalidValue(f"{rule.label} cannot map {raw!r} back: {exc}") from exc
            if value is None or value == []:
                continue
            write_path(out, rule.path, value)
        if self.extensions_to_meta:
            self._meta_to_extensions(meta, out)
        schemas = self.registry.schemas_of(self.resource_type)
        used = [schemas[0].id] + [s.id for s in schemas[1:] if s.id in out]
        return {"schemas": used, **out}

    def _meta_to_extensions(self, meta: Mapping[str, Any], out: dict[str, Any]) -> None:
        prefix = self.meta_prefix
        for key, value in meta.items():
            if not key.startswith(prefix) or value is None:
                continue
            urn, _, name = key[len(prefix) :].rpartition(":")
            schema = self.registry.schema(urn)
            if schema is None or schema.attribute(name) is None:
                continue
            out.setdefault(schema.id, {})[schema.attribute(name).name] = _copy(value)  # type: ignore[union-attr]

    @property
    def fields(self) -> tuple[str, ...]:
        """The application fields (columns) the rules use, in rule order."""
        return tuple(r.field for r in self.rules if r.field is not None)

    @property
    def meta_keys(self) -> tuple[str, ...]:
        """The meta keys the rules use, in rule order."""
        return tuple(r.meta for r in self.rules if r.meta is not None)


def make_rule(
    spec: Mapping[str, Any],
    *,
    index: int = 0,
    resource_type: str = "User",
    registry: SchemaRegistry = DEFAULT_REGISTRY,
) -> MappingRule:
    """Build one rule from its JSON form (see :data:`MAPPING_JSON_SCHEMA`)."""
    where = f"mapping rule {index}"
    scim = spec.get("scim")
    if not isinstance(scim, str) or not scim:
        raise ConfigurationError(f"{where}: 'scim' must be a SCIM attribute path")
    where = f"mapping rule {index} ({scim})"
    field, meta = spec.get("field"), spec.get("meta")
    if (field is None) == (meta is None):
        raise ConfigurationError(f"{where}: give exactly one of 'field' or 'meta'")
    direction = spec.get("direction", "both")
    if direction not in _DIRECTIONS:
        raise ConfigurationError(f"{where}: direction must be one of {list(_DIRECTIONS)}")
    try:
        path = parse_mapping_path(scim, resource_type=resource_type, registry=registry)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{where}: {exc.detail}") from exc
    to_app = [
        parse_transform(s, where=f"{where} transform")
        for s in _as_list(spec.get("transform", spec.get("to_app")))
    ]
    if "default" in spec:
        to_app.append(Transform("default", spec["default"]))
    if "to_scim" in spec:
        to_scim = [parse_transform(s, where=f"{where} to_scim") for s in _as_list(spec["to_scim"])]
    else:
        to_scim = [inv for inv in (t.inverse() for t in reversed(to_app)) if inv is not None]
    return MappingRule(
        scim=scim,
        path=path,
        field=field,
        meta=meta,
        to_app=tuple(to_app),
        to_scim=tuple(to_scim),
        required=bool(spec.get("required", False)),
        direction=direction,
        index=index,
    )


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]

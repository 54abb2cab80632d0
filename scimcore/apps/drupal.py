"""Drupal 10 parts for the application store: roles as groups, blocking, the data row.

A Drupal user is a ``users`` row (uid, uuid, langcode), its ``users_field_data`` row (name,
pass, mail, status, …; :func:`data_row`) and one ``user__field_*`` table per field
(:func:`field_tables`). Roles are config entities: one ``config`` row ``user.role.<id>`` each,
its ``data`` PHP's ``serialize()`` of the role; a user's roles are ``user__roles`` rows.
``authenticated`` and ``anonymous`` are implicit and never stored, so they are no SCIM groups.
Blocking is ``status = 0``: Drupal's login form refuses a blocked name, and the cookie
provider drops a session whose user is blocked; :class:`DrupalHooks` also deletes the user's
``sessions`` rows, as ``User::postSave`` does when an account is blocked.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from scimcore.errors import ConfigurationError, InvalidValue, Uniqueness
from scimcore.mapping import register_transform
from scimcore.store._fields import FieldTableStorage
from scimcore.store._rows import RowStorage

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Connection, Engine
    from sqlalchemy.sql.schema import Table

    from scimcore.mapping import AttributeMapping
    from scimcore.passwords import BcryptHasher
    from scimcore.store import TableStore

__all__ = [
    "DEPROVISION_MODES",
    "IMPLICIT_ROLES",
    "NAMESPACE",
    "DrupalHooks",
    "DrupalRoles",
    "data_row",
    "drupal_hasher",
    "drupal_store",
    "field_tables",
    "new_uuid",
    "register_transforms",
]

#: The SCIM ids of a site's accounts: ``uuid5(NAMESPACE, "User:<uid>")``.
NAMESPACE = uuid.UUID("3f5a9e1c-2b7d-5c40-8e61-64727570616c")
#: ``deactivate``: a DELETE blocks the account (``status = 0``; content and history kept);
#: ``delete``: it deletes the account's rows (``user_cancel``'s "delete the account").
DEPROVISION_MODES = ("deactivate", "delete")
#: Meta keys that name a field (a ``user__<key>`` table); every other one is a data-table column.
_FIELD_PREFIX = "field_"

#: Roles every account has (or the anonymous visitor has) without a ``user__roles`` row.
IMPLICIT_ROLES = ("anonymous", "authenticated")
_ROLE_PREFIX = "user.role."
#: The machine name of a role is at most 64 characters (RoleForm's ``#maxlength``).
_ID_LENGTH = 64
_LABEL_LENGTH = 255


def register_transforms() -> None:
    """Register the transforms ``mapping.toml`` names: ``active`` ⇄ ``status``, locales."""
    register_transform("drupal_status", lambda active: 0 if active is False else 1)
    register_transform("drupal_active", lambda flag: None if flag is None else bool(flag))
    register_transform("drupal_langcode", lambda tag: tag.split("-")[0].lower() if tag else None)


def new_uuid(row: Mapping[str, Any]) -> str:
    """A ``users.uuid`` for a new account (Drupal's are version 4)."""
    return str(uuid.uuid4())


def _now(row: Mapping[str, Any]) -> int:
    return int(time.time())


def data_row(columns: Mapping[str, str], *, prefix: str = "", langcode: str = "en") -> RowStorage:
    """The ``users_field_data`` storage: ``columns`` maps meta keys to its columns; a new row
    gets what Drupal's ``User::create`` gives an account (created/changed now, never accessed,
    ``init`` the first mail, the default translation)."""
    on_insert: dict[str, Any] = {
        "created": _now,
        "access": 0,
        "login": 0,
        "default_langcode": 1,
        "preferred_langcode": langcode,
        "init": lambda row: row.get("mail"),
        "status": 1,
    }
    return RowStorage(
        f"{prefix}users_field_data",
        key="uid",
        columns=dict(columns),
        on_insert=on_insert,
        on_update={"changed": _now},
        where={"langcode": langcode},
    )


def field_tables(
    fields: Mapping[str, str], *, prefix: str = "", langcode: str = "en"
) -> FieldTableStorage:
    """The ``user__field_*`` storage: ``fields`` maps meta keys to field names."""
    return FieldTableStorage(f"{prefix}user", dict(fields), langcode=langcode)


# -- PHP serialize() / unserialize(), the subset config data uses -----------------------------


def _php_serialize(value: Any) -> str:
    """PHP's ``serialize()`` of str, int, float, bool, None, list and dict values."""
    if value is None:
        return "N;"
    if isinstance(value, bool):
        return f"b:{int(value)};"
    if isinstance(value, int):
        return f"i:{value};"
    if isinstance(value, float):
        return f"d:{value!r};"
    if isinstance(value, str):
        return f's:{len(value.encode("utf-8"))}:"{value}";'
    if isinstance(value, list | tuple):
        value = dict(enumerate(value))
    if isinstance(value, Mapping):
        body = "".join(_php_serialize(k) + _php_serialize(v) for k, v in value.items())
        return f"a:{len(value)}:{{{body}}}"
    raise TypeError(f"cannot serialize {type(value).__name__} for PHP")


def _php_unserialize(data: str | bytes) -> Any:
    """PHP's ``unserialize()`` of what :func:`_php_serialize` writes (arrays become dicts, or
    lists when their keys are 0..n-1)."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    value, end = _read(raw, 0)
    if end != len(raw):
        raise ValueError("trailing data after a serialized PHP value")
    return value


def _read(raw: bytes, at: int) -> tuple[Any, int]:
    kind = raw[at : at + 1]
    if kind == b"N":
        return None, at + 2
    colon = raw.index(b":", at) + 1
    if kind in (b"b", b"i", b"d"):
        semi = raw.index(b";", colon)
        text = raw[colon:semi].decode()
        if kind == b"b":
            return text == "1", semi + 1
        return (int(text) if kind == b"i" else float(text)), semi + 1
    if kind == b"s":
        sep = raw.index(b":", colon)
        size = int(raw[colon:sep])
        start = sep + 2  # past ':"'
        return raw[start : start + size].decode("utf-8"), start + size + 2  # past '";'
    if kind == b"a":
        sep = raw.index(b":", colon)
        count = int(raw[colon:sep])
        at = sep + 2  # past ':{'
        out: dict[Any, Any] = {}
        for _ in range(count):
            key, at = _read(raw, at)
            out[key], at = _read(raw, at)
        if list(out) == list(range(len(out))) and out:
            return list(out.values()), at + 1
        return out, at + 1  # past '}'
    raise ValueError(f"unsupported serialized PHP value at byte {at}: {kind!r}")


def machine_name(label: str) -> str:
    """A role id from its label, as Drupal's machine-name widget makes one ("Content Editors"
    -> ``content_editors``)."""
    return re.sub(r"[^a-z0-9_]+", "_", label.lower()).strip("_")[:_ID_LENGTH]


@attrs.define
class DrupalRoles:
    """Drupal roles as SCIM groups: ``config`` rows ``user.role.<id>`` (the label is the SCIM
    displayName), membership ``user__roles`` rows.

    A new role gets a machine name from its label (made unique with a numeric suffix), a fresh
    uuid and the next weight; deleting one removes it from every user, as ``Role::postDelete``
    does. A user's ``user__roles`` deltas are kept 0..n-1 (Drupal rewrites them on save).
    """

    prefix: str = ""
    collection: str = ""
    langcode: str = "en"
    _config: Table | None = attrs.field(default=None, init=False, repr=False)
    _roles: Table | None = attrs.field(default=None, init=False, repr=False)

    def prepare(self, conn: Connection, users: Table) -> None:
        """Reflect ``config`` and ``user__roles``."""
        from sqlalchemy import MetaData, Table

        meta = MetaData()
        self._config = Table(f"{self.prefix}config", meta, autoload_with=conn)
        self._roles = Table(f"{self.prefix}user__roles", meta, autoload_with=conn)

    def _t(self) -> tuple[Table, Table]:
        if self._config is None or self._roles is None:
            raise RuntimeError("DrupalRoles used before prepare()")
        return self._config, self._roles

    def _rows(self, conn: Connection, ids: Sequence[str] | None) -> dict[str, dict[str, Any]]:
        from sqlalchemy import select

        config, _ = self._t()
        query = select(config.c.name, config.c.data).where(config.c.collection == self.collection)
        if ids is None:
            query = query.where(config.c.name.like(_ROLE_PREFIX + "%"))
        else:
            query = query.where(config.c.name.in_([_ROLE_PREFIX + str(i) for i in ids]))
        out: dict[str, dict[str, Any]] = {}
        for name, data in conn.execute(query.order_by(config.c.name)):
            role_id = str(name)[len(_ROLE_PREFIX) :]
            if role_id in IMPLICIT_ROLES or data is None:
                continue
            parsed = _php_unserialize(data)
            if isinstance(parsed, dict):
                out[role_id] = parsed
        return out

    def names(self, conn: Connection, keys: Sequence[Any] | None = None) -> dict[Any, str]:
        """Role id -> label (None: every role but the implicit two)."""
        rows = self._rows(conn, None if keys is None else [str(k) for k in keys])
        return {rid: str(data.get("label") or rid) for rid, data in rows.items()}

    def find(self, conn: Connection, name: str) -> Any | None:
        """The role labelled ``name`` (case-insensitively), else the one whose id it is."""
        wanted = name.lower()
        labels = self.names(conn)
        for rid, label in labels.items():
            if label.lower() == wanted:
                return rid
        return wanted if wanted in labels else None

    @staticmethod
    def _checked(name: str) -> str:
        if not name.strip():
            raise InvalidValue("a Drupal role needs a non-blank name")
        if len(name) > _LABEL_LENGTH:
            raise InvalidValue(f"Drupal role labels hold at most {_LABEL_LENGTH} characters")
        return name

    def create(self, conn: Connection, name: str) -> Any:
        """A new role labelled ``name`` (409 when a role has that label)."""
        config, _ = self._t()
        if self.find(conn, self._checked(name)) is not None:
            raise Uniqueness(f"Drupal already has a role {name!r}")
        existing = self._rows(conn, None)
        taken = {*existing, *IMPLICIT_ROLES}
        base = machine_name(name) or "role"
        role_id, n = base, 1
        while role_id in taken:
            n += 1
            suffix = f"_{n}"
            role_id = base[: _ID_LENGTH - len(suffix)] + suffix
        weight = max((int(d.get("weight") or 0) for d in existing.values()), default=1) + 1
        data = {
            "uuid": str(uuid.uuid4()),
            "langcode": self.langcode,
            "status": True,
            "dependencies": {},
            "id": role_id,
            "label": name,
            "weight": weight,
            "permissions": {},
        }
        conn.execute(
            config.insert().values(
                collection=self.collection,
                name=_ROLE_PREFIX + role_id,
                data=_php_serialize(data).encode("utf-8"),
            )
        )
        return role_id

    def rename(self, conn: Connection, key: Any, name: str) -> None:
        """Change the role's label (its machine name stays, as in Drupal)."""
        config, _ = self._t()
        other = self.find(conn, self._checked(name))
        if other is not None and other != str(key):
            raise Uniqueness(f"Drupal already has a role {name!r}")
        data = self._rows(conn, [str(key)]).get(str(key))
        if data is None:
            return
        data["label"] = name
        conn.execute(
            config.update()
            .where(config.c.collection == self.collection)
            .where(config.c.name == _ROLE_PREFIX + str(key))
            .values(data=_php_serialize(data).encode("utf-8"))
        )

    def delete(self, conn: Connection, key: Any) -> None:
        """Drop the role and every user's grant of it."""
        config, roles = self._t()
        holders = self.members(conn, [key]).get(str(key), [])
        conn.execute(roles.delete().where(roles.c.roles_target_id == str(key)))
        conn.execute(
            config.delete()
            .where(config.c.collection == self.collection)
            .where(config.c.name == _ROLE_PREFIX + str(key))
        )
        self._renumber(conn, holders)

    def members(self, conn: Connection, keys: Sequence[Any]) -> dict[Any, list[Any]]:
        """Role id -> the uids holding it."""
        from sqlalchemy import select

        _, roles = self._t()
        wanted = [str(k) for k in keys]
        out: dict[Any, list[Any]] = {k: [] for k in wanted}
        if not wanted:
            return out
        rows = conn.execute(
            select(roles.c.roles_target_id, roles.c.entity_id)
            .where(roles.c.roles_target_id.in_(wanted))
            .where(roles.c.deleted == 0)
            .order_by(roles.c.entity_id)
        )
        for rid, uid in rows:
            if uid not in out[str(rid)]:
                out[str(rid)].append(uid)
        return out

    def groups_of(self, conn: Connection, user_keys: Sequence[Any]) -> dict[Any, list[Any]]:
        """Uid -> the role ids it holds."""
        from sqlalchemy import select

        _, roles = self._t()
        out: dict[Any, list[Any]] = {k: [] for k in user_keys}
        if not user_keys:
            return out
        rows = conn.execute(
            select(roles.c.entity_id, roles.c.roles_target_id)
            .where(roles.c.entity_id.in_(list(user_keys)))
            .where(roles.c.deleted == 0)
            .order_by(roles.c.entity_id, roles.c.delta)
        )
        for uid, rid in rows:
            out.setdefault(uid, []).append(str(rid))
        return out

    def add_members(self, conn: Connection, key: Any, user_keys: Sequence[Any]) -> None:
        """Grant the role to these users (at the next delta of each; held already: kept)."""
        _, roles = self._t()
        held = self.groups_of(conn, user_keys)
        rows = [
            {
                "bundle": "user",
                "deleted": 0,
                "entity_id": uid,
                "revision_id": uid,
                "langcode": self.langcode,
                "delta": len(held.get(uid, [])),
                "roles_target_id": str(key),
            }
            for uid in dict.fromkeys(user_keys)
            if str(key) not in held.get(uid, [])
        ]
        if rows:
            conn.execute(roles.insert(), rows)

    def remove_members(self, conn: Connection, key: Any, user_keys: Sequence[Any]) -> None:
        """Revoke the role from these users."""
        _, roles = self._t()
        if not user_keys:
            return
        conn.execute(
            roles.delete()
            .where(roles.c.roles_target_id == str(key))
            .where(roles.c.entity_id.in_(list(user_keys)))
        )
        self._renumber(conn, list(user_keys))

    def _renumber(self, conn: Connection, uids: Sequence[Any]) -> None:
        """Deltas 0..n-1 again for these users' role rows."""
        from sqlalchemy import select

        _, roles = self._t()
        if not uids:
            return
        rows = conn.execute(
            select(roles.c.entity_id, roles.c.delta)
            .where(roles.c.entity_id.in_(list(uids)))
            .where(roles.c.deleted == 0)
            .order_by(roles.c.entity_id, roles.c.delta)
        ).all()
        seen: dict[Any, int] = {}
        for uid, delta in rows:
            want = seen.get(uid, 0)
            seen[uid] = want + 1
            if int(delta) != want:
                conn.execute(
                    roles.update()
                    .where(roles.c.entity_id == uid)
                    .where(roles.c.deleted == 0)
                    .where(roles.c.delta == delta)
                    .values(delta=want)
                )


@attrs.define
class DrupalHooks:
    """What Drupal does around an account write beyond the mapped columns.

    - ``after_write`` / ``deactivate``: a blocked account's ``sessions`` rows are deleted
      (``User::postSave`` logs a user out when blocked).
    - ``before_delete``: the account's role rows and sessions go (``user_delete`` with the
      "delete the account" cancel method; the data row and field rows are the storages').
    """

    prefix: str = ""

    def _table(self, name: str, *columns: str) -> Any:
        from sqlalchemy import column, table

        return table(f"{self.prefix}{name}", *(column(c) for c in columns))

    def _end_sessions(self, conn: Connection, key: Any) -> None:
        sessions = self._table("sessions", "uid")
        conn.execute(sessions.delete().where(sessions.c.uid == key))

    def after_write(
        self,
        conn: Connection,
        key: Any,
        resource: Mapping[str, Any],
        previous: Mapping[str, Any] | None,
    ) -> None:
        """End a blocked account's sessions."""
        if resource.get("active") is False:
            self._end_sessions(conn, key)

    def deactivate(self, conn: Connection, key: Any) -> None:
        """Block: end the sessions (``status = 0`` is the mapping's ``active`` rule)."""
        self._end_sessions(conn, key)

    def before_delete(self, conn: Connection, key: Any) -> None:
        """Remove the account's role grants and sessions."""
        roles = self._table("user__roles", "entity_id")
        conn.execute(roles.delete().where(roles.c.entity_id == key))
        self._end_sessions(conn, key)


def drupal_hasher() -> BcryptHasher:
    """Drupal 10.1+'s password hash: PHP's ``password_hash`` bcrypt, ``$2y$10$…``."""
    from scimcore.passwords import BcryptHasher

    return BcryptHasher()


def drupal_store(
    database: str | URL | Engine,
    *,
    mapping: AttributeMapping,
    prefix: str = "",
    deprovision: str = "deactivate",
    langcode: str = "en",
    groups: bool = True,
    namespace: uuid.UUID = NAMESPACE,
) -> TableStore:
    """The :class:`~scimcore.store.TableStore` over a Drupal 10 site's user tables.

    ``database`` is an SQLAlchemy URL or Engine of Drupal's database, ``prefix`` its table prefix
    (``settings.php``'s ``prefix``). Every account but the anonymous one (uid 0) is a User: the
    ``users`` row (uid, uuid, langcode), its ``users_field_data`` row in ``langcode`` and its
    field tables. The mapping's rules are all ``meta``: a key starting ``field_`` is a field
    (the ``user__<key>`` table, :func:`field_tables`), any other a column of
    ``users_field_data`` (:func:`data_row`: ``name``, ``mail``, ``pass``, ``status``,
    ``timezone``, ``preferred_langcode``, …). Groups are roles (:class:`DrupalRoles`) unless
    ``groups`` is false; :class:`DrupalHooks` end a blocked account's sessions. The store adds
    ``<prefix>scim_resource`` and ``<prefix>scim_audit``.
    """
    if deprovision not in DEPROVISION_MODES:
        raise ConfigurationError(
            f"deprovision must be one of {DEPROVISION_MODES}, not {deprovision!r}"
        )
    fielded = [r for r in mapping.rules if r.field is not None]
    if fielded:
        raise ConfigurationError(
            f"{fielded[0].label} writes users.{fielded[0].field}: Drupal's users table holds"
            " only uid, uuid and langcode; map to users_field_data columns and fields with meta"
        )
    # the modules themselves, not the lazy package root: a re-import (a nested test session)
    # then never pairs a cached class with a fresh SQLAlchemy
    from scimcore.store._table import TableStore, UserTable

    register_transforms()
    keys = list(dict.fromkeys(r.meta for r in mapping.rules if r.meta))
    fields = {k: k for k in keys if k.startswith(_FIELD_PREFIX)}
    storages: list[Any] = [
        data_row({k: k for k in keys if k not in fields}, prefix=prefix, langcode=langcode)
    ]
    if fields:
        storages.append(field_tables(fields, prefix=prefix, langcode=langcode))
    users = UserTable(
        table=f"{prefix}users",
        key="uid",
        mapping=mapping,
        storages=tuple(storages),
        on_insert={"uuid": new_uuid, "langcode": langcode},
        hidden_keys=(0,),
        hooks=DrupalHooks(prefix=prefix),
        deprovision="delete" if deprovision == "delete" else "deactivate",
    )
    return TableStore(
        database,
        users=users,
        groups=DrupalRoles(prefix=prefix, langcode=langcode) if groups else None,
        side_table=f"{prefix}scim_resource",
        audit_table=f"{prefix}scim_audit",
        namespace=namespace,
    )

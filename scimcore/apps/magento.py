"""Magento 2 parts for the application store: customer groups, the login lock, userName.

Magento Open Source does not look at ``customer_entity.is_active`` when a customer logs in
(magento/magento2#10362, closed as "correct behavior"; only Adobe Commerce B2B reads it). Its
login, ``Customer\\Model\\AccountManagement\\Authenticate::execute``, refuses a customer whose
``lock_expires`` lies in the future ("The account is locked.", ``Customer::isCustomerLocked``),
and ``Session\\Validators\\CutoffValidator`` ends every session started before
``session_cutoff``. So :class:`MagentoHooks` deactivates with all three: ``is_active = 0`` (what
the admin and B2B show), a lock until :data:`DEACTIVATED_UNTIL`, and ``session_cutoff = now``;
reactivation lifts only that lock (a lock from failed logins, minutes long, stays).
"""

from __future__ import annotations

import datetime as _dt
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from scimcore.errors import ConfigurationError, InvalidValue, Mutability, Uniqueness
from scimcore.mapping import register_transform
from scimcore.store._eav import EavStorage
from scimcore.store._sqlops import text_condition

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Connection, Engine
    from sqlalchemy.sql.elements import ColumnElement
    from sqlalchemy.sql.schema import Table

    from scimcore.mapping import AttributeMapping
    from scimcore.passwords import MagentoHasher
    from scimcore.store import TableStore

__all__ = [
    "DEACTIVATED_UNTIL",
    "DEFAULT_GROUP",
    "DEPROVISION_MODES",
    "NAMESPACE",
    "MagentoGroups",
    "MagentoHooks",
    "MagentoUserName",
    "customer_defaults",
    "magento_hasher",
    "magento_store",
    "register_transforms",
]

#: The SCIM ids of a store's customers: ``uuid5(NAMESPACE, "User:<entity_id>")``.
NAMESPACE = uuid.UUID("0b6f3c52-7d1e-5a8c-9e43-6d61676e746f")
#: ``deactivate``: a DELETE deactivates the customer (kept, with orders and addresses);
#: ``delete``: it deletes the customer row (its EAV rows go by ``ON DELETE CASCADE``).
DEPROVISION_MODES = ("deactivate", "delete")

#: ``customer_group`` 1, "General": where a customer in no other group is (Magento's default).
DEFAULT_GROUP = 1
#: ``customer_group`` 0, "NOT LOGGED IN": the guests' group, never a customer's.
NOT_LOGGED_IN = 0
#: ``lock_expires`` of a deactivated customer: far past any failed-login lock, inside TIMESTAMP.
DEACTIVATED_UNTIL = _dt.datetime(2037, 12, 31)
#: A lock at or after this is a deactivation (failed-login locks last minutes).
_DEACTIVATION_FLOOR = _dt.datetime(2037, 1, 1)
#: ``customer_group.customer_group_code`` is varchar(32).
_CODE_LENGTH = 32
#: The grid columns copied from ``customer_entity`` (Customers > All Customers reads the grid).
_GRID_COLUMNS = (
    "email",
    "group_id",
    "created_at",
    "website_id",
    "confirmation",
    "created_in",
    "dob",
    "gender",
    "taxvat",
    "lock_expires",
)
_NAME_PARTS = ("prefix", "firstname", "middlename", "lastname", "suffix")


def register_transforms() -> None:
    """Register the mapping transforms ``mapping.toml`` names (``active`` ⇄ ``is_active``)."""
    register_transform("magento_is_active", lambda active: 0 if active is False else 1)
    register_transform("magento_active", lambda flag: None if flag is None else bool(flag))


def customer_defaults(website_id: int = 1, store_id: int = 1) -> dict[str, Any]:
    """``on_insert`` columns of a new customer: the Main Website's default store view, in
    General, as the storefront's registration creates one."""
    return {
        "website_id": website_id,
        "store_id": store_id,
        "group_id": DEFAULT_GROUP,
        "created_in": "Default Store View",
        "disable_auto_group_change": 0,
        "failures_num": 0,
    }


def _tables(conn: Connection, prefix: str, *names: str) -> list[Table]:
    from sqlalchemy import MetaData, Table

    meta = MetaData()
    return [Table(prefix + name, meta, autoload_with=conn) for name in names]


def _has_table(conn: Connection, name: str) -> bool:
    from sqlalchemy import inspect

    return bool(inspect(conn).has_table(name))


@attrs.define
class MagentoUserName:
    """``userName`` as an EAV attribute (``scim_username``), read as the customer's email where
    the customer has none: customers the store had before provisioning are listed, found by
    ``userName eq`` and clash (409) with a POST for their email, with no import step.

    ``key`` is the meta key the mapping's userName rule writes; ``attribute`` the attribute code.
    """

    key: str = "scim_username"
    attribute: str = "scim_username"
    prefix: str = ""
    email_column: str = "email"
    _eav: EavStorage | None = attrs.field(default=None, init=False, repr=False)
    _main: Table | None = attrs.field(default=None, init=False, repr=False)

    def owns(self, key: str) -> bool:
        """Whether ``key`` is the userName key."""
        return key == self.key

    @property
    def eav(self) -> EavStorage:
        """The EAV storage holding the attribute."""
        if self._eav is None:
            p = self.prefix
            self._eav = EavStorage(
                f"{p}customer_entity",
                {self.key: self.attribute},
                attribute_table=f"{p}eav_attribute",
                entity_type_table=f"{p}eav_entity_type",
            )
        return self._eav

    def _table(self) -> Table:
        if self._main is None:
            raise RuntimeError("MagentoUserName used before prepare()")
        return self._main

    def prepare(self, conn: Connection, main: Table) -> None:
        """Resolve the attribute; keep the customer table for the email fallback."""
        self.eav.prepare(conn, main)
        self._main = main

    def load(self, conn: Connection, owners: Sequence[Any]) -> dict[Any, dict[str, Any]]:
        """The attribute's value, else the customer's email."""
        from sqlalchemy import select

        out = self.eav.load(conn, owners)
        missing = [o for o in owners if out.get(o, {}).get(self.key) is None]
        if missing:
            main = self._table()
            key = next(iter(main.primary_key.columns))
            rows = conn.execute(
                select(key, main.c[self.email_column]).where(key.in_(missing))
            ).all()
            for owner, email in rows:
                if email is not None:
                    out.setdefault(owner, {})[self.key] = email
        return out

    def save(self, conn: Connection, owner: Any, values: Mapping[str, Any]) -> None:
        """Write the attribute (None deletes it)."""
        self.eav.save(conn, owner, values)

    def delete(self, conn: Connection, owner: Any) -> None:
        """Remove the customer's attribute row."""
        self.eav.delete(conn, owner)

    def condition(
        self, key: str, op: str, value: Any, owner: ColumnElement[Any]
    ) -> ColumnElement[bool] | None:
        """The attribute compares, or the customer has none and the email compares."""
        from sqlalchemy import not_, or_, select

        own = self.eav.condition(key, op, value, owner)
        has = self.eav.condition(key, "pr", None, owner)
        main = self._table()
        email = text_condition(main.c[self.email_column], op, value)
        if own is None or has is None or email is None:
            return None
        pk = next(iter(main.primary_key.columns))
        by_email = owner.in_(select(pk).where(email))
        return or_(own, not_(has) & by_email)


@attrs.define
class MagentoGroups:
    """Customer groups (``customer_group``) as SCIM groups; membership is the customer's
    ``customer_entity.group_id``, so a customer is in exactly one group.

    Adding a customer to a group moves them out of the one they were in; removing them puts them
    back in General (id 1), which they therefore never leave; deleting a group moves its
    customers to General too (Magento does the same). "NOT LOGGED IN" (id 0, the guests) is no
    SCIM group, and General cannot be deleted. New groups get ``tax_class_id`` 3, "Retail
    Customer", as Magento's own. The admin grid's ``group_id`` follows when the table is there.
    """

    prefix: str = ""
    default_group: int = DEFAULT_GROUP
    tax_class_id: int = 3
    _groups: Table | None = attrs.field(default=None, init=False, repr=False)
    _users: Table | None = attrs.field(default=None, init=False, repr=False)
    _grid: bool = attrs.field(default=False, init=False, repr=False)

    def prepare(self, conn: Connection, users: Table) -> None:
        """Reflect ``customer_group``; note whether the admin grid table exists."""
        (self._groups,) = _tables(conn, self.prefix, "customer_group")
        self._users = users
        self._grid = _has_table(conn, f"{self.prefix}customer_grid_flat")

    def _t(self) -> tuple[Table, Table]:
        if self._groups is None or self._users is None:
            raise RuntimeError("MagentoGroups used before prepare()")
        return self._groups, self._users

    @staticmethod
    def _checked(name: str) -> str:
        if not name.strip():
            raise InvalidValue("a Magento customer group needs a non-blank name")
        if len(name) > _CODE_LENGTH:
            raise InvalidValue(
                f"Magento customer group names hold at most {_CODE_LENGTH} characters"
                f" (customer_group_code), not {len(name)}"
            )
        return name

    def names(self, conn: Connection, keys: Sequence[Any] | None = None) -> dict[Any, str]:
        """Group id -> code, for these ids (None: every group but NOT LOGGED IN)."""
        from sqlalchemy import select

        groups, _ = self._t()
        query = select(groups.c.customer_group_id, groups.c.customer_group_code).where(
            groups.c.customer_group_id != NOT_LOGGED_IN
        )
        if keys is not None:
            query = query.where(groups.c.customer_group_id.in_([int(k) for k in keys]))
        rows = conn.execute(query.order_by(groups.c.customer_group_id))
        return {int(gid): str(code) for gid, code in rows}

    def find(self, conn: Connection, name: str) -> Any | None:
        """The group whose code is ``name``, case-insensitively (the lowest id if several)."""
        from sqlalchemy import func, select

        groups, _ = self._t()
        found = conn.execute(
            select(groups.c.customer_group_id)
            .where(func.lower(groups.c.customer_group_code) == name.lower())
            .where(groups.c.customer_group_id != NOT_LOGGED_IN)
            .order_by(groups.c.customer_group_id)
            .limit(1)
        ).scalar()
        return None if found is None else int(found)

    def create(self, conn: Connection, name: str) -> Any:
        """A new customer group (Magento refuses a second group with the same code: 409)."""
        groups, _ = self._t()
        if self.find(conn, self._checked(name)) is not None:
            raise Uniqueness(f"Magento already has a customer group {name!r}")
        result = conn.execute(
            groups.insert().values(customer_group_code=name, tax_class_id=self.tax_class_id)
        )
        inserted = result.inserted_primary_key
        assert inserted is not None
        return int(inserted[0])

    def rename(self, conn: Connection, key: Any, name: str) -> None:
        """Change the group's code."""
        groups, _ = self._t()
        other = self.find(conn, self._checked(name))
        if other is not None and other != int(key):
            raise Uniqueness(f"Magento already has a customer group {name!r}")
        conn.execute(
            groups.update()
            .where(groups.c.customer_group_id == int(key))
            .values(customer_group_code=name)
        )

    def delete(self, conn: Connection, key: Any) -> None:
        """Move the group's customers to General, then drop the group."""
        groups, users = self._t()
        gid = int(key)
        if gid in (NOT_LOGGED_IN, self.default_group):
            raise Mutability("Magento's default customer group cannot be deleted")
        moved = self._ids(conn, users.c.group_id == gid)
        conn.execute(
            users.update().where(users.c.group_id == gid).values(group_id=self.default_group)
        )
        conn.execute(groups.delete().where(groups.c.customer_group_id == gid))
        self._grid_groups(conn, moved)

    def _ids(self, conn: Connection, where: ColumnElement[bool]) -> list[Any]:
        from sqlalchemy import select

        _, users = self._t()
        return list(conn.execute(select(users.c.entity_id).where(where)).scalars())

    def members(self, conn: Connection, keys: Sequence[Any]) -> dict[Any, list[Any]]:
        """Group id -> the ids of its customers."""
        from sqlalchemy import select

        _, users = self._t()
        wanted = [int(k) for k in keys]
        out: dict[Any, list[Any]] = {k: [] for k in wanted}
        if not wanted:
            return out
        rows = conn.execute(
            select(users.c.group_id, users.c.entity_id)
            .where(users.c.group_id.in_(wanted))
            .order_by(users.c.entity_id)
        )
        for gid, uid in rows:
            out[int(gid)].append(uid)
        return out

    def groups_of(self, conn: Connection, user_keys: Sequence[Any]) -> dict[Any, list[Any]]:
        """Customer id -> [its group id] (none for a customer in NOT LOGGED IN)."""
        from sqlalchemy import select

        _, users = self._t()
        out: dict[Any, list[Any]] = {k: [] for k in user_keys}
        if not user_keys:
            return out
        rows = conn.execute(
            select(users.c.entity_id, users.c.group_id).where(
                users.c.entity_id.in_(list(user_keys))
            )
        )
        for uid, gid in rows:
            if int(gid) != NOT_LOGGED_IN:
                out.setdefault(uid, []).append(int(gid))
        return out

    def add_members(self, conn: Connection, key: Any, user_keys: Sequence[Any]) -> None:
        """Put these customers in the group (out of the one each was in)."""
        _, users = self._t()
        if not user_keys:
            return
        conn.execute(
            users.update().where(users.c.entity_id.in_(list(user_keys))).values(group_id=int(key))
        )
        self._grid_groups(conn, list(user_keys))

    def remove_members(self, conn: Connection, key: Any, user_keys: Sequence[Any]) -> None:
        """Put these customers, where they are in the group, back in General."""
        _, users = self._t()
        gid = int(key)
        if not user_keys or gid == self.default_group:
            return
        conn.execute(
            users.update()
            .where(users.c.entity_id.in_(list(user_keys)))
            .where(users.c.group_id == gid)
            .values(group_id=self.default_group)
        )
        self._grid_groups(conn, list(user_keys))

    def _grid_groups(self, conn: Connection, ids: Sequence[Any]) -> None:
        if self._grid and ids:
            refresh_grid(conn, ids, prefix=self.prefix)


def refresh_grid(conn: Connection, ids: Sequence[Any], *, prefix: str = "") -> None:
    """Rewrite the admin grid rows (``customer_grid_flat``) of these customers from
    ``customer_entity``, as Magento's customer_grid indexer does on save (customers gone from
    ``customer_entity`` lose their row)."""
    from sqlalchemy import column, select, table

    names = (*_GRID_COLUMNS, *_NAME_PARTS)
    customers = table(f"{prefix}customer_entity", column("entity_id"), *map(column, names))
    grid = table(
        f"{prefix}customer_grid_flat", column("entity_id"), column("name"),
        *map(column, _GRID_COLUMNS),
    )  # fmt: skip
    wanted = list(ids)
    conn.execute(grid.delete().where(grid.c.entity_id.in_(wanted)))
    rows = []
    query = select(customers).where(customers.c.entity_id.in_(wanted))
    for row in conn.execute(query).mappings():
        parts = (str(row[p]).strip() for p in _NAME_PARTS if row[p] is not None)
        name = " ".join(p for p in parts if p)
        rows.append({"entity_id": row["entity_id"], "name": name or None,
                     **{c: row[c] for c in _GRID_COLUMNS}})  # fmt: skip
    if rows:
        conn.execute(grid.insert(), rows)


@attrs.define
class MagentoHooks:
    """What Magento does around a customer write that the mapping alone does not.

    - ``after_write``: a customer without an email gets the userName as one (Magento logs in
      by email; 409 when another customer of the website has it), ``active: false`` locks the
      login (see the module docstring) and ``active: true`` lifts that lock; the admin grid row
      is rewritten.
    - ``deactivate`` / ``reactivate``: the lock, the session cutoff and any pending password
      reset token (a reset link mailed before deactivation no longer works).
    - ``before_delete``: the grid row (the EAV rows go with the customer, ``ON DELETE CASCADE``).
    """

    prefix: str = ""
    username_key: str = "userName"
    _has_grid: bool | None = attrs.field(default=None, init=False, repr=False)

    def _customers(self) -> Any:
        from sqlalchemy import column, table

        names = ("entity_id", "email", "website_id", "is_active", "lock_expires",
                 "session_cutoff", "rp_token", "rp_token_created_at", "failures_num",
                 "first_failure")  # fmt: skip
        return table(f"{self.prefix}customer_entity", *(column(n) for n in names))

    def _grid(self, conn: Connection) -> bool:
        if self._has_grid is None:
            self._has_grid = _has_table(conn, f"{self.prefix}customer_grid_flat")
        return self._has_grid

    def after_write(
        self,
        conn: Connection,
        key: Any,
        resource: Mapping[str, Any],
        previous: Mapping[str, Any] | None,
    ) -> None:
        """Email fallback, the lock following ``active``, the grid row."""
        from sqlalchemy import select

        t = self._customers()
        row = conn.execute(select(t.c.email, t.c.website_id).where(t.c.entity_id == key)).first()
        if row is None:
            return
        user_name = resource.get(self.username_key)
        if row[0] is None and isinstance(user_name, str) and user_name:
            email = user_name.lower()
            clash = conn.execute(
                select(t.c.entity_id)
                .where(t.c.email == email)
                .where(t.c.website_id == row[1])
                .where(t.c.entity_id != key)
            ).first()
            if clash is not None:
                raise Uniqueness(f"a customer with the email {email!r} already exists")
            conn.execute(t.update().where(t.c.entity_id == key).values(email=email))
        if resource.get("active") is False:
            self.deactivate(conn, key)
        else:
            self.reactivate(conn, key)
        if self._grid(conn):
            refresh_grid(conn, [key], prefix=self.prefix)

    def deactivate(self, conn: Connection, key: Any) -> None:
        """Refuse the login, end the sessions, void a pending password reset."""
        from sqlalchemy import func

        t = self._customers()
        conn.execute(
            t.update()
            .where(t.c.entity_id == key)
            .values(
                is_active=0,
                lock_expires=DEACTIVATED_UNTIL,
                session_cutoff=func.now(),
                rp_token=None,
                rp_token_created_at=None,
            )
        )

    def reactivate(self, conn: Connection, key: Any) -> None:
        """Lift a deactivation's lock (not a failed-login lock) and mark the customer active."""
        t = self._customers()
        conn.execute(
            t.update()
            .where(t.c.entity_id == key)
            .where(t.c.lock_expires >= _DEACTIVATION_FLOOR)
            .values(is_active=1, lock_expires=None, failures_num=0, first_failure=None)
        )

    def before_delete(self, conn: Connection, key: Any) -> None:
        """Drop the customer's grid row."""
        from sqlalchemy import column, table

        if self._grid(conn):
            grid = table(f"{self.prefix}customer_grid_flat", column("entity_id"))
            conn.execute(grid.delete().where(grid.c.entity_id == key))


def magento_hasher() -> MagentoHasher:
    """Magento 2.4's Encryptor hash: argon2id13, written ``digest:salt:3_32_2_67108864``."""
    from scimcore.passwords import MagentoHasher

    return MagentoHasher(version=3)


def _utcnow(row: Mapping[str, Any]) -> _dt.datetime:
    """``updated_at``: Magento keeps its timestamps in UTC."""
    return _dt.datetime.now(_dt.UTC).replace(tzinfo=None, microsecond=0)


def magento_store(
    database: str | URL | Engine,
    *,
    mapping: AttributeMapping,
    prefix: str = "",
    deprovision: str = "deactivate",
    website_id: int = 1,
    store_id: int = 1,
    groups: bool = True,
    username_attribute: str = "scim_username",
    namespace: uuid.UUID = NAMESPACE,
) -> TableStore:
    """The :class:`~scimcore.store.TableStore` over a Magento 2 store's customer tables.

    ``database`` is an SQLAlchemy URL or Engine of Magento's database, ``prefix`` its table
    prefix (``env.php``'s ``table_prefix``). ``mapping`` places SCIM attributes in
    ``customer_entity`` columns (``field``) and customer EAV attributes (``meta``, the attribute
    code; the attributes must exist in ``eav_attribute``); its ``meta`` key
    ``username_attribute`` is the userName (:class:`MagentoUserName`: the email of a customer
    that has none, so every customer the store has is listed and found). New customers join
    ``website_id`` through ``store_id`` in General; SCIM groups are customer groups
    (:class:`MagentoGroups`) unless ``groups`` is false; :class:`MagentoHooks` lock a
    deactivated login. The store adds ``<prefix>scim_resource`` and ``<prefix>scim_audit``.
    """
    if deprovision not in DEPROVISION_MODES:
        raise ConfigurationError(
            f"deprovision must be one of {DEPROVISION_MODES}, not {deprovision!r}"
        )
    # the modules themselves, not the lazy package root: a re-import (a nested test session)
    # then never pairs a cached class with a fresh SQLAlchemy
    from scimcore.store._eav import EavStorage
    from scimcore.store._table import TableStore, UserTable

    register_transforms()
    username = MagentoUserName(key=username_attribute, attribute=username_attribute, prefix=prefix)
    codes = [r.meta for r in mapping.rules if r.meta and r.meta != username.key]
    storages: list[Any] = [username]
    if codes:
        storages.append(
            EavStorage(
                f"{prefix}customer_entity",
                {code: code for code in dict.fromkeys(codes)},
                attribute_table=f"{prefix}eav_attribute",
                entity_type_table=f"{prefix}eav_entity_type",
            )
        )
    users = UserTable(
        table=f"{prefix}customer_entity",
        key="entity_id",
        mapping=mapping,
        storages=tuple(storages),
        on_insert=customer_defaults(website_id, store_id),
        on_update={"updated_at": _utcnow},
        hooks=MagentoHooks(prefix=prefix),
        deprovision="delete" if deprovision == "delete" else "deactivate",
        created="created_at",
    )
    return TableStore(
        database,
        users=users,
        groups=MagentoGroups(prefix=prefix) if groups else None,
        side_table=f"{prefix}scim_resource",
        audit_table=f"{prefix}scim_audit",
        namespace=namespace,
    )

"""WordPress: roles as SCIM groups, deactivation and deletion the way WordPress itself does them.

Everything works on a stock WordPress's own tables (no plugin), through SQLAlchemy Core, with the
connection of the request's transaction:

- :class:`WordPressRoles` is a ``GroupSource``: the groups are the site's roles (the
  ``{prefix}user_roles`` option, a PHP-serialized array), a member is a user whose
  ``{prefix}capabilities`` usermeta holds the role's key, and ``{prefix}user_level`` is kept
  as WordPress computes it. A group is found by the role's display name ("Editor") or its key.
  The site's ``default_role`` stands for "no other role": joining another group replaces it,
  leaving every group gives it back.
- :class:`WordPressHooks` is the store's ``AppHooks``: deactivation prefixes ``user_pass`` with
  ``!`` (``wp_check_password`` then fails, the hash is kept) and deletes the ``session_tokens``
  usermeta (every login session ends); reactivation removes the ``!``. ``before_delete`` does what
  ``wp_delete_user($id)`` (no reassign) does with the trash off: the user's posts, pages,
  attachments and revisions go, with their postmeta, comments (and commentmeta) and term
  relationships (term counts recomputed), children re-parented; the user's links go too.
- :func:`wordpress_store` puts them together: the :class:`~scimcore.store.TableStore` over a
  site's ``{prefix}users`` and ``{prefix}usermeta``, with passwords as :func:`wordpress_hasher`
  writes them (bcrypt ``$2y$``, which ``wp_check_password`` accepts).
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
import uuid
import weakref
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from scimcore.apps._phpserial import php_serialize, php_unserialize
from scimcore.errors import ConfigurationError, Conflict, InvalidValue
from scimcore.mapping import register_transform

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Connection, Engine
    from sqlalchemy.sql.expression import TableClause

    from scimcore.mapping import AttributeMapping
    from scimcore.passwords import BcryptHasher
    from scimcore.store import TableStore

__all__ = [
    "DEPROVISION_MODES",
    "LOCK_PREFIX",
    "NAMESPACE",
    "STOCK_ROLES",
    "WordPressHooks",
    "WordPressRoles",
    "display_name_for",
    "register_transforms",
    "user_nicename",
    "wordpress_hasher",
    "wordpress_store",
]

#: The SCIM ids of a site's users: ``uuid5(NAMESPACE, "User:<ID>")``.
NAMESPACE = uuid.UUID("5d2c8a41-93e7-5b06-a1f4-776f72647072")
#: ``deactivate``: a DELETE locks the login and ends the sessions (the user, their posts and
#: meta are kept; a later POST of the same login re-links that user); ``delete``: it does what
#: ``wp_delete_user`` does (the user's content, meta and row go).
DEPROVISION_MODES = ("deactivate", "delete")

#: What deactivation puts before the password hash (no hash WordPress writes starts with it).
LOCK_PREFIX = "!"

#: Post types WordPress 6.1 deletes with their author (``delete_with_user`` true, or unset on a
#: type that supports an author: the block templates).
_USER_POST_TYPES = ("post", "page", "attachment", "revision", "wp_template", "wp_template_part")
#: Taxonomies of those post types (``get_object_taxonomies``) in a stock WordPress 6.1.
_POST_TAXONOMIES = {
    "post": ("category", "post_tag", "post_format"),
    "wp_template": ("wp_theme",),
    "wp_template_part": ("wp_theme", "wp_template_part_area"),
}
#: ``wp_delete_attachment`` drops these explicitly.
_ATTACHMENT_TAXONOMIES = ("category", "post_tag")
#: Stock taxonomies counted by ``_update_post_term_count`` (published objects of these types);
#: any other (link_category) is counted by ``_update_generic_term_count`` (every relationship).
_POST_COUNTED = {
    "category": ("post",),
    "post_tag": ("post",),
    "post_format": ("post",),
    "nav_menu": ("nav_menu_item",),
    "wp_theme": ("wp_template", "wp_template_part", "wp_global_styles"),
    "wp_template_part_area": ("wp_template_part",),
}
_HIERARCHICAL = ("page",)
#: The roles ``populate_roles`` gives every site (kept by :class:`WordPressRoles`).
STOCK_ROLES = ("administrator", "editor", "author", "contributor", "subscriber")
#: ``wp_users.display_name`` is varchar(250).
_DISPLAY_NAME_LENGTH = 250
_LEVEL = re.compile(r"level_(10|[0-9])\Z", re.IGNORECASE)


def _tables(prefix: str) -> dict[str, TableClause]:
    """Lightweight table clauses (no reflection) for the WordPress tables used here."""
    from sqlalchemy import String, column, table

    def t(name: str, *cols: str) -> TableClause:
        return table(prefix + name, *(column(c, String) if c == "user_pass" else column(c)
                                      for c in cols))  # fmt: skip

    return {
        "users": t("users", "ID", "user_pass", "user_login", "display_name"),
        "usermeta": t("usermeta", "umeta_id", "user_id", "meta_key", "meta_value"),
        "options": t("options", "option_id", "option_name", "option_value", "autoload"),
        "posts": t("posts", "ID", "post_author", "post_type", "post_parent", "post_status"),
        "postmeta": t("postmeta", "meta_id", "post_id", "meta_key", "meta_value"),
        "comments": t("comments", "comment_ID", "comment_post_ID", "comment_parent"),
        "commentmeta": t("commentmeta", "meta_id", "comment_id"),
        "term_relationships": t("term_relationships", "object_id", "term_taxonomy_id"),
        "term_taxonomy": t("term_taxonomy", "term_taxonomy_id", "taxonomy", "count"),
        "links": t("links", "link_id", "link_owner"),
    }


def user_nicename(login: str) -> str:
    """``user_nicename`` as ``wp_insert_user`` derives it from a login (``sanitize_title``).

    ``"John.Doe@Example.com"`` -> ``"john-doeexample-com"``; at most 50 characters.
    """
    text = unicodedata.normalize("NFKD", login).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-zA-Z0-9 _.\-@]", "", text)  # sanitize_user(strict)
    text = text.lower().replace(".", "-")
    text = re.sub(r"[^a-z0-9 _-]", "", text)
    text = re.sub(r"\s+", "-", text)
    text = re.sub(r"-+", "-", text).strip("-")
    return text[:50]


def display_name_for(login: str, first: str | None = None, last: str | None = None) -> str:
    """``display_name`` as ``wp_insert_user`` picks it: "first last", first, last or the login."""
    first, last = (first or "").strip(), (last or "").strip()
    if first and last:
        return f"{first} {last}"
    return first or last or login


def _active(user_pass: Any) -> bool | None:
    """``active`` as the hash says: a locked one (``!`` in front) is a deactivated login."""
    return None if user_pass is None else not str(user_pass).startswith(LOCK_PREFIX)


_SCIM_LOCALE = re.compile(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*\Z")


def _locale_to_wp(locale: Any) -> Any:
    """A SCIM locale (``en-US``, BCP 47) as WordPress writes one (``en_US``)."""
    if isinstance(locale, str) and _SCIM_LOCALE.match(locale):
        return locale.replace("-", "_")
    return locale


def _locale_to_scim(locale: Any) -> Any:
    """A WordPress locale (``en_US``) as SCIM writes one (``en-US``); '' (the site's) is none."""
    if isinstance(locale, str) and _SCIM_LOCALE.match(locale):
        return locale.replace("_", "-")
    return locale or None


def register_transforms() -> None:
    """Register the mapping transforms the WordPress ``mapping.toml`` names.

    ``wordpress_active`` reads ``active`` from ``user_pass`` (a ``to_scim`` rule: the login lock
    itself is the hooks' work), ``wordpress_locale`` and ``wordpress_scim_locale`` turn ``en-US``
    into the ``locale`` usermeta's ``en_US`` and back.
    """
    register_transform("wordpress_active", _active)
    register_transform("wordpress_locale", _locale_to_wp)
    register_transform("wordpress_scim_locale", _locale_to_scim)


def _caps_of(value: Any) -> dict[Any, Any]:
    """A capabilities usermeta value as an array (``{}`` for one PHP cannot read either)."""
    try:
        caps = php_unserialize(value) if value else {}
    except ValueError:
        return {}
    return caps if isinstance(caps, dict) else {}


def _roles_dict(value: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, dict)}


def _role_key(name: str, taken: Iterable[str]) -> str:
    """A new role key from a display name (``sanitize_key``: lower-case ``[a-z0-9_-]``)."""
    base = re.sub(r"[^a-z0-9_\-]", "", name.lower().replace(" ", "_")) or "role"
    taken = set(taken)
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


class WordPressRoles:
    """A ``GroupSource`` over a WordPress site's roles (group key = role key, e.g. ``editor``).

    ``kept`` are roles a DELETE of their group cannot remove (409): by default WordPress's own
    five, whose removal would take every member's role and leave the site without it (an
    IdP's group clean-up must not strip the administrators). Their membership still follows.
    """

    def __init__(self, prefix: str = "wp_", *, kept: Sequence[str] = STOCK_ROLES) -> None:
        self.prefix = prefix
        self.kept = tuple(kept)
        self.caps_key = f"{prefix}capabilities"
        self.level_key = f"{prefix}user_level"
        self.roles_option = f"{prefix}user_roles"
        self._t = _tables(prefix)
        self._parsed: tuple[str, dict[str, dict[str, Any]]] = ("", {})
        """The roles option last read, and its parse (parsed once per distinct text)."""
        self._read: weakref.WeakKeyDictionary[Any, dict[str, str | None]] = (
            weakref.WeakKeyDictionary()
        )
        """Options already read, by the (innermost) transaction that read them: a request asks
        the database once, however many parts of it need the roles."""

    # -- the role list (the user_roles option) -------------------------------------------------

    def prepare(self, conn: Connection, users: Any) -> None:
        """Check the site has its roles option (a WordPress that was installed)."""
        if self._option(conn, self.roles_option) is None:
            raise InvalidValue(f"{self.prefix}options has no {self.roles_option!r} row")

    def _option(self, conn: Connection, name: str, *, lock: bool = False) -> str | None:
        return self._options(conn, (name,), lock=lock)[name]

    def _options(
        self, conn: Connection, names: Sequence[str], *, lock: bool = False
    ) -> dict[str, str | None]:
        """The options ``names`` (None where absent), read once per transaction; a locking read
        always asks the database."""
        from sqlalchemy import select

        tx = conn.get_nested_transaction() or conn.get_transaction()
        seen = self._read.get(tx) if tx is not None else None
        if seen is not None and not lock and all(n in seen for n in names):
            return {n: seen[n] for n in names}
        o = self._t["options"]
        query = select(o.c.option_name, o.c.option_value).where(o.c.option_name.in_(names))
        if lock:
            query = query.with_for_update()
        found = {str(n).lower(): None if v is None else str(v) for n, v in conn.execute(query)}
        out = {n: found.get(n.lower()) for n in names}
        if tx is not None:
            self._read.setdefault(tx, {}).update(out)
        return out

    def _forget(self, conn: Connection) -> None:
        """Drop what this connection's transactions read (the options are being written)."""
        for tx in (conn.get_nested_transaction(), conn.get_transaction()):
            if tx is not None:
                self._read.pop(tx, None)

    def roles(self, conn: Connection, *, lock: bool = False) -> dict[str, dict[str, Any]]:
        """The site's roles: key -> ``{"name": display name, "capabilities": {...}}``."""
        return self._parse(self._option(conn, self.roles_option, lock=lock))

    def _parse(self, raw: str | None) -> dict[str, dict[str, Any]]:
        """The roles in the option's text (parsed once per distinct text; a copy each time)."""
        if not raw:
            return {}
        cached, parsed = self._parsed
        if raw != cached:
            try:
                parsed = _roles_dict(php_unserialize(raw))
            except ValueError:
                parsed = {}
            self._parsed = (raw, parsed)
        return {key: dict(role) for key, role in parsed.items()}

    def _roles_and_default(self, conn: Connection) -> tuple[dict[str, dict[str, Any]], Any]:
        """:meth:`roles` and :meth:`default_role` in one query."""
        found = self._options(conn, (self.roles_option, "default_role"))
        raw, default = found[self.roles_option], found["default_role"]
        return self._parse(raw), (default or None) if default is not None else None

    def _save_roles(self, conn: Connection, roles: Mapping[str, Any]) -> None:
        from sqlalchemy import update

        o = self._t["options"]
        self._forget(conn)
        conn.execute(
            update(o).where(o.c.option_name == self.roles_option).values(
                option_value=php_serialize(dict(roles)))
        )  # fmt: skip

    def default_role(self, conn: Connection) -> str | None:
        """The site's ``default_role`` option (the role of a user in no other group)."""
        return self._option(conn, "default_role") or None

    def names(self, conn: Connection, keys: Sequence[Any] | None = None) -> dict[Any, str]:
        """Role key -> display name (every role when ``keys`` is None)."""
        roles = self.roles(conn)
        wanted = roles if keys is None else [k for k in keys if k in roles]
        return {k: str(roles[k].get("name") or k) for k in wanted}

    def find(self, conn: Connection, name: str) -> Any | None:
        """The role whose display name (or else key) is ``name``, case-insensitively."""
        roles = self.roles(conn)
        folded = name.casefold()
        for key, role in roles.items():
            if str(role.get("name") or key).casefold() == folded:
                return key
        for key in roles:
            if key.casefold() == folded:
                return key
        return None

    def create(self, conn: Connection, name: str) -> Any:
        """``add_role``: a new role named ``name`` with no capabilities; its key."""
        roles = self.roles(conn, lock=True)
        key = _role_key(name, roles)
        roles[key] = {"name": name, "capabilities": {}}
        self._save_roles(conn, roles)
        return key

    def rename(self, conn: Connection, key: Any, name: str) -> None:
        """Give the role ``key`` the display name ``name`` (its key, in every user, stays)."""
        roles = self.roles(conn, lock=True)
        if key in roles:
            roles[key] = {**roles[key], "name": name}
            self._save_roles(conn, roles)

    def delete(self, conn: Connection, key: Any) -> None:
        """``remove_role`` and take it from every user; the default and kept roles cannot go."""
        if key == self.default_role(conn):
            raise Conflict(f"{key!r} is the site's default role; WordPress cannot delete it")
        if key in self.kept:
            raise Conflict(
                f"{key!r} is one of WordPress's own roles; it is kept (remove its members instead)"
            )
        members = self.members(conn, [key]).get(key, [])
        self.remove_members(conn, key, members)
        roles = self.roles(conn, lock=True)
        if roles.pop(key, None) is not None:
            self._save_roles(conn, roles)

    # -- membership (the capabilities usermeta) -------------------------------------------------

    def _caps(
        self, conn: Connection, user_keys: Sequence[Any], *, lock: bool = False
    ) -> dict[Any, dict[Any, Any]]:
        """user -> its capabilities array (the first row, as ``get_user_meta(..., true)``)."""
        from sqlalchemy import select

        m = self._t["usermeta"]
        found: dict[Any, dict[Any, Any]] = {}
        if not user_keys:
            return found
        query = (
            select(m.c.user_id, m.c.meta_value)
            .where(m.c.meta_key == self.caps_key, m.c.user_id.in_(list(user_keys)))
            .order_by(m.c.umeta_id)
        )
        if lock:
            query = query.with_for_update()
        for user_id, value in conn.execute(query):
            if user_id not in found:
                found[user_id] = _caps_of(value)
        return found

    def members(self, conn: Connection, keys: Sequence[Any]) -> dict[Any, list[Any]]:
        """Role key -> the users holding it, in ID order."""
        from sqlalchemy import or_, select

        m = self._t["usermeta"]
        result: dict[Any, list[Any]] = {k: [] for k in keys}
        if not keys:
            return result
        roles = self.roles(conn)
        # narrow in SQL by the serialized key text, decide exactly after unserializing
        likes = [m.c.meta_value.like(f"%{php_serialize(str(k))[:-1]}%") for k in keys]
        query = (
            select(m.c.user_id, m.c.meta_value)
            .where(m.c.meta_key == self.caps_key, or_(*likes))
            .order_by(m.c.user_id, m.c.umeta_id)
        )
        seen: set[Any] = set()
        for user_id, value in conn.execute(query):
            if user_id in seen:
                continue
            seen.add(user_id)
            try:
                caps = php_unserialize(value) if value else {}
            except ValueError:
                continue
            if not isinstance(caps, dict):
                continue
            for key in keys:
                if key in roles and caps.get(key):
                    result[key].append(user_id)
        return result

    def groups_of(self, conn: Connection, user_keys: Sequence[Any]) -> dict[Any, list[Any]]:
        """User -> the role keys it holds (roles the site has, as ``$user->roles``)."""
        roles = self.roles(conn)
        caps = self._caps(conn, user_keys)
        return {u: [k for k, v in caps.get(u, {}).items() if v and k in roles] for u in user_keys}

    def add_members(self, conn: Connection, key: Any, user_keys: Sequence[Any]) -> None:
        """Grant the role ``key``; the default role, held as the fallback, is replaced."""
        self._change(conn, key, user_keys, add=True)

    def remove_members(self, conn: Connection, key: Any, user_keys: Sequence[Any]) -> None:
        """Take the role ``key``; a user left with no role gets the site's default role."""
        self._change(conn, key, user_keys, add=False)

    def ensure_role(self, conn: Connection, user_key: Any) -> None:
        """Give a user with no role the default role (what ``wp_insert_user`` does)."""
        roles, default = self._roles_and_default(conn)
        caps, has_level = self._own_meta(conn, user_key)
        if caps is not None and any(v and k in roles for k, v in caps.items()):
            return
        new = dict(caps or {})
        if default in roles:
            new[default] = True
        if caps is None and not has_level:  # a new user: both rows in one statement
            from sqlalchemy import insert

            level = str(self._level(new, roles))
            conn.execute(
                insert(self._t["usermeta"]),
                [
                    {"user_id": user_key, "meta_key": self.caps_key,
                     "meta_value": php_serialize(new)},
                    {"user_id": user_key, "meta_key": self.level_key, "meta_value": level},
                ],
            )  # fmt: skip
            return
        self._write(conn, user_key, new, roles, exists=caps is not None)

    def _own_meta(self, conn: Connection, user_key: Any) -> tuple[dict[Any, Any] | None, bool]:
        """A user's capabilities (None without the row) and whether it has a user_level row,
        read and locked in one query."""
        from sqlalchemy import select

        m = self._t["usermeta"]
        query = (
            select(m.c.meta_key, m.c.meta_value)
            .where(m.c.user_id == user_key, m.c.meta_key.in_((self.caps_key, self.level_key)))
            .order_by(m.c.umeta_id)
            .with_for_update()
        )
        caps: dict[Any, Any] | None = None
        has_level = False
        for key, value in conn.execute(query):
            if str(key).lower() == self.level_key.lower():
                has_level = True
            elif caps is None:
                caps = _caps_of(value)
        return caps, has_level

    def _change(self, conn: Connection, key: Any, user_keys: Sequence[Any], *, add: bool) -> None:
        roles, default = self._roles_and_default(conn)
        if key not in roles:
            raise InvalidValue(f"the site has no role {key!r}")
        current = self._caps(conn, user_keys, lock=True)
        for user in dict.fromkeys(user_keys):
            caps = dict(current.get(user, {}))
            if add:
                if key != default:
                    caps.pop(default, None)
                caps[key] = True
            else:
                caps.pop(key, None)
                if default in roles and not any(v and k in roles for k, v in caps.items()):
                    caps[default] = True
            self._write(conn, user, caps, roles, exists=user in current)

    def _level(self, caps: Mapping[Any, Any], roles: Mapping[str, Mapping[str, Any]]) -> int:
        """``update_user_level_from_caps``: the highest ``level_N`` key in the user's allcaps."""
        allcaps: dict[str, Any] = {}
        for key, granted in caps.items():
            if granted and key in roles:
                role_caps = roles[key].get("capabilities")
                if isinstance(role_caps, dict):
                    allcaps.update({str(k): v for k, v in role_caps.items()})
        allcaps.update({str(k): v for k, v in caps.items()})
        levels = [int(m.group(1)) for k in allcaps if (m := _LEVEL.match(k))]
        return max(levels, default=0)

    def _write(
        self, conn: Connection, user: Any, caps: Mapping[Any, Any],
        roles: Mapping[str, Mapping[str, Any]], *, exists: bool,
    ) -> None:  # fmt: skip
        self._set_meta(conn, user, self.caps_key, php_serialize(dict(caps)), exists=exists)
        self._set_meta(conn, user, self.level_key, str(self._level(caps, roles)))

    def _set_meta(
        self, conn: Connection, user: Any, key: str, value: str, *, exists: bool | None = None
    ) -> None:
        from sqlalchemy import insert, select, update

        m = self._t["usermeta"]
        if exists is None:
            found = conn.execute(
                select(m.c.umeta_id).where(m.c.user_id == user, m.c.meta_key == key).limit(1)
            ).first()  # fmt: skip
            exists = found is not None
        if exists:
            conn.execute(
                update(m).where(m.c.user_id == user, m.c.meta_key == key).values(meta_value=value)
            )
        else:
            conn.execute(insert(m).values(user_id=user, meta_key=key, meta_value=value))


class WordPressHooks:
    """The store's ``AppHooks`` for WordPress (deactivate, reactivate, before_delete, after_write).

    ``roles`` (a :class:`WordPressRoles`) gives a new user the site's default role, as
    ``wp_insert_user`` does; ``after_write`` also follows ``active`` (a PATCH ``active: false``
    locks the login just as a deactivating DELETE does). With ``display_names``, a user created
    without a ``displayName`` gets the ``display_name`` ``wp_insert_user`` would give it, from
    ``name.givenName`` and ``name.familyName`` (:func:`display_name_for`).
    """

    def __init__(
        self, prefix: str = "wp_", roles: WordPressRoles | None = None, *,
        display_names: bool = False,
    ) -> None:  # fmt: skip
        self.prefix = prefix
        self.roles = roles
        self.display_names = display_names
        self._t = _tables(prefix)

    # -- login lock -------------------------------------------------------------------------------

    def deactivate(self, conn: Connection, key: Any) -> None:
        """Lock the password hash (``!`` in front) and end every session of the user."""
        from sqlalchemy import String, delete, func, literal, update

        u, m = self._t["users"], self._t["usermeta"]
        conn.execute(
            update(u)
            .where(u.c["ID"] == key, func.substr(u.c.user_pass, 1, 1) != LOCK_PREFIX)
            .values(user_pass=literal(LOCK_PREFIX, String) + u.c.user_pass)
        )
        conn.execute(delete(m).where(m.c.user_id == key, m.c.meta_key == "session_tokens"))

    def reactivate(self, conn: Connection, key: Any) -> None:
        """Unlock the hash: the same password logs in again."""
        from sqlalchemy import func, update

        u = self._t["users"]
        conn.execute(
            update(u)
            .where(u.c["ID"] == key, func.substr(u.c.user_pass, 1, 1) == LOCK_PREFIX)
            .values(user_pass=func.substr(u.c.user_pass, 2))
        )

    def after_write(
        self,
        conn: Connection,
        key: Any,
        resource: Mapping[str, Any],
        previous: Mapping[str, Any] | None,
    ) -> None:
        """A new user gets the default role; ``active`` false locks the login, true unlocks it."""
        if previous is None and self.roles is not None:
            self.roles.ensure_role(conn, key)
        if previous is None and self.display_names and not resource.get("displayName"):
            self._display_name(conn, key, resource)
        active = resource.get("active")
        if active is False:
            self.deactivate(conn, key)
        elif previous is None:
            # a new row is locked only if what was written starts with the lock (a relinked
            # row was unlocked by the reactivate hook already)
            written = resource.get("password")
            if isinstance(written, str) and written.startswith(LOCK_PREFIX):
                self.reactivate(conn, key)
        elif active is True or previous.get("active") is False:
            self.reactivate(conn, key)

    def _display_name(self, conn: Connection, key: Any, resource: Mapping[str, Any]) -> None:
        """``display_name`` from the names, as ``wp_insert_user`` picks it for a new user."""
        from sqlalchemy import update

        name = resource.get("name")
        parts = name if isinstance(name, Mapping) else {}
        first, last = parts.get("givenName"), parts.get("familyName")
        login = resource.get("userName")
        shown = display_name_for(
            login if isinstance(login, str) else "",
            first if isinstance(first, str) else None,
            last if isinstance(last, str) else None,
        )[:_DISPLAY_NAME_LENGTH]
        u = self._t["users"]
        conn.execute(update(u).where(u.c["ID"] == key).values(display_name=shown))

    # -- wp_delete_user ---------------------------------------------------------------------------

    def before_delete(self, conn: Connection, key: Any) -> None:
        """What ``wp_delete_user($key)`` does before it drops the usermeta and the user row."""
        from sqlalchemy import select

        p, links = self._t["posts"], self._t["links"]
        post_ids = conn.execute(
            select(p.c["ID"]).where(p.c.post_author == key, p.c.post_type.in_(_USER_POST_TYPES))
            .order_by(p.c["ID"])
        ).scalars().all()  # fmt: skip
        for post_id in post_ids:
            self._delete_post(conn, post_id)
        link_ids = conn.execute(
            select(links.c.link_id).where(links.c.link_owner == key).order_by(links.c.link_id)
        ).scalars().all()  # fmt: skip
        for link_id in link_ids:
            self._delete_link(conn, link_id)

    def _delete_post(self, conn: Connection, post_id: Any) -> None:
        """``wp_delete_post($id, true)`` (``wp_delete_attachment`` for attachments), no files."""
        from sqlalchemy import delete, select, update

        p, pm = self._t["posts"], self._t["postmeta"]
        row = conn.execute(
            select(p.c.post_type, p.c.post_parent).where(p.c["ID"] == post_id)
        ).first()  # fmt: skip
        if row is None:
            return  # gone already (a revision of a post deleted before it)
        post_type, parent = str(row[0]), row[1]
        if post_type == "attachment":
            self._delete_terms(conn, post_id, _ATTACHMENT_TAXONOMIES)
            conn.execute(
                delete(pm).where(pm.c.meta_key == "_thumbnail_id", pm.c.meta_value == str(post_id))
            )
        else:
            self._delete_terms(conn, post_id, _POST_TAXONOMIES.get(post_type, ()))
            if post_type in _HIERARCHICAL:
                conn.execute(
                    update(p).where(p.c.post_parent == post_id, p.c.post_type == post_type)
                    .values(post_parent=parent)
                )  # fmt: skip
            revisions = conn.execute(
                select(p.c["ID"]).where(p.c.post_parent == post_id, p.c.post_type == "revision")
                .order_by(p.c["ID"])
            ).scalars().all()  # fmt: skip
            for revision in revisions:
                self._delete_post(conn, revision)
            conn.execute(
                update(p).where(p.c.post_parent == post_id, p.c.post_type == "attachment")
                .values(post_parent=parent)
            )  # fmt: skip
        self._delete_comments(conn, post_id)
        conn.execute(delete(pm).where(pm.c.post_id == post_id))
        conn.execute(delete(p).where(p.c["ID"] == post_id))

    def _delete_comments(self, conn: Connection, post_id: Any) -> None:
        """``wp_delete_comment($id, true)`` for each comment on the post, newest first."""
        from sqlalchemy import delete, select, update

        c, cm = self._t["comments"], self._t["commentmeta"]
        rows = conn.execute(
            select(c.c.comment_ID, c.c.comment_parent).where(c.c.comment_post_ID == post_id)
            .order_by(c.c.comment_ID.desc())
        ).all()  # fmt: skip
        for comment_id, parent in rows:
            # read the parent now: an earlier deletion may have re-parented this comment
            parent = conn.execute(
                select(c.c.comment_parent).where(c.c.comment_ID == comment_id)
            ).scalar()  # fmt: skip
            conn.execute(
                update(c).where(c.c.comment_parent == comment_id).values(comment_parent=parent)
            )
            conn.execute(delete(cm).where(cm.c.comment_id == comment_id))
            conn.execute(delete(c).where(c.c.comment_ID == comment_id))

    def _delete_link(self, conn: Connection, link_id: Any) -> None:
        """``wp_delete_link``: its link_category relationships, then the row."""
        from sqlalchemy import delete

        links = self._t["links"]
        self._delete_terms(conn, link_id, ("link_category",))
        conn.execute(delete(links).where(links.c.link_id == link_id))

    def _delete_terms(self, conn: Connection, object_id: Any, taxonomies: Sequence[str]) -> None:
        """``wp_delete_object_term_relationships`` and the term counts it updates."""
        from sqlalchemy import delete, select

        if not taxonomies:
            return
        tr, tt = self._t["term_relationships"], self._t["term_taxonomy"]
        rows = conn.execute(
            select(tt.c.term_taxonomy_id, tt.c.taxonomy)
            .select_from(tr.join(tt, tr.c.term_taxonomy_id == tt.c.term_taxonomy_id))
            .where(tr.c.object_id == object_id, tt.c.taxonomy.in_(list(taxonomies)))
        ).all()
        if not rows:
            return
        ids = [r[0] for r in rows]
        conn.execute(delete(tr).where(tr.c.object_id == object_id, tr.c.term_taxonomy_id.in_(ids)))
        for tt_id, taxonomy in rows:
            self._recount(conn, tt_id, str(taxonomy))

    def _recount(self, conn: Connection, tt_id: Any, taxonomy: str) -> None:
        from sqlalchemy import func, select, update

        tr, tt, p = self._t["term_relationships"], self._t["term_taxonomy"], self._t["posts"]
        query = select(func.count()).select_from(tr).where(tr.c.term_taxonomy_id == tt_id)
        types = _POST_COUNTED.get(taxonomy)
        if types is not None:
            query = query.join(p, p.c["ID"] == tr.c.object_id).where(
                p.c.post_status == "publish", p.c.post_type.in_(types)
            )
        count = conn.execute(query).scalar() or 0
        conn.execute(update(tt).where(tt.c.term_taxonomy_id == tt_id).values(count=count))


def wordpress_hasher() -> BcryptHasher:
    """A password hash WordPress accepts: PHP's ``password_hash`` bcrypt, ``$2y$10$…``.

    WordPress 6.1's ``wp_check_password`` falls back to PHP's ``crypt()`` for a hash that is no
    phpass ``$P$`` one, which verifies bcrypt; WordPress 6.8 reads bcrypt natively.
    """
    from scimcore.passwords import BcryptHasher

    return BcryptHasher()


def _utc_now() -> _dt.datetime:
    """``user_registered``: WordPress keeps it in UTC, to the second."""
    return _dt.datetime.now(_dt.UTC).replace(tzinfo=None, microsecond=0)


def _insert_defaults() -> dict[str, Any]:
    """``on_insert`` columns of a new user, as ``wp_insert_user`` fills them."""
    return {
        "user_registered": lambda row: _utc_now(),
        "user_nicename": lambda row: user_nicename(str(row.get("user_login") or "")),
        "display_name": lambda row: str(row.get("user_login") or "")[:_DISPLAY_NAME_LENGTH],
    }


def wordpress_store(
    database: str | URL | Engine,
    *,
    mapping: AttributeMapping,
    prefix: str = "wp_",
    deprovision: str = "deactivate",
    groups: bool = True,
    namespace: uuid.UUID = NAMESPACE,
) -> TableStore:
    """The :class:`~scimcore.store.TableStore` over a WordPress site's user tables.

    ``database`` is an SQLAlchemy URL or Engine of WordPress's database, ``prefix`` its table
    prefix (``wp-config.php``'s ``$table_prefix``). Every ``{prefix}users`` row is a User;
    ``mapping`` places SCIM attributes in its columns (``field``: ``user_login``,
    ``user_email``, ``user_pass``, ``display_name``, …) and ``{prefix}usermeta`` keys
    (``meta``: ``first_name``, ``nickname``, ``locale``, …). A new user gets
    ``user_registered`` (UTC), ``user_nicename``, a ``display_name`` from its names and the
    site's default role, as ``wp_insert_user`` gives them. Groups are the site's roles
    (:class:`WordPressRoles`) unless ``groups`` is false; :class:`WordPressHooks` lock a
    deactivated login and end its sessions, and do what ``wp_delete_user`` does when
    ``deprovision`` is ``delete``. The store adds ``{prefix}scim_resource`` and
    ``{prefix}scim_audit``.
    """
    if deprovision not in DEPROVISION_MODES:
        raise ConfigurationError(
            f"deprovision must be one of {DEPROVISION_MODES}, not {deprovision!r}"
        )
    # the modules themselves, not the lazy package root: a re-import (a nested test session)
    # then never pairs a cached class with a fresh SQLAlchemy
    from scimcore.store._meta import MetaStorage
    from scimcore.store._table import TableStore, UserTable

    register_transforms()
    roles = WordPressRoles(prefix)
    users = UserTable(
        table=f"{prefix}users",
        key="ID",
        mapping=mapping,
        storages=(MetaStorage(f"{prefix}usermeta", "user_id", "meta_key", "meta_value"),),
        on_insert=_insert_defaults(),
        hooks=WordPressHooks(prefix, roles, display_names=True),
        deprovision="delete" if deprovision == "delete" else "deactivate",
        created="user_registered",
    )
    return TableStore(
        database,
        users=users,
        groups=roles if groups else None,
        side_table=f"{prefix}scim_resource",
        audit_table=f"{prefix}scim_audit",
        namespace=namespace,
    )

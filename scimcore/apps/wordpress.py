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
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from scimcore.apps._phpserial import php_serialize, php_unserialize
from scimcore.errors import Conflict, InvalidValue

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.sql.expression import TableClause

__all__ = [
    "LOCK_PREFIX",
    "WordPressHooks",
    "WordPressRoles",
    "display_name_for",
    "user_nicename",
]

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
_LEVEL = re.compile(r"level_(10|[0-9])\Z", re.IGNORECASE)


def _tables(prefix: str) -> dict[str, TableClause]:
    """Lightweight table clauses (no reflection) for the WordPress tables used here."""
    from sqlalchemy import String, column, table

    def t(name: str, *cols: str) -> TableClause:
        return table(prefix + name, *(column(c, String) if c == "user_pass" else column(c)
                                      for c in cols))  # fmt: skip

    return {
        "users": t("users", "ID", "user_pass", "user_login"),
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
    """A ``GroupSource`` over a WordPress site's roles (group key = role key, e.g. ``editor``)."""

    def __init__(self, prefix: str = "wp_") -> None:
        self.prefix = prefix
        self.caps_key = f"{prefix}capabilities"
        self.level_key = f"{prefix}user_level"
        self.roles_option = f"{prefix}user_roles"
        self._t = _tables(prefix)
        self._parsed: tuple[str, dict[str, dict[str, Any]]] = ("", {})
        """The roles option last read, and its parse (the text is read every time)."""

    # -- the role list (the user_roles option) -------------------------------------------------

    def prepare(self, conn: Connection, users: Any) -> None:
        """Check the site has its roles option (a WordPress that was installed)."""
        if self._option(conn, self.roles_option) is None:
            raise InvalidValue(f"{self.prefix}options has no {self.roles_option!r} row")

    def _option(self, conn: Connection, name: str, *, lock: bool = False) -> str | None:
        from sqlalchemy import select

        o = self._t["options"]
        query = select(o.c.option_value).where(o.c.option_name == name)
        if lock:
            query = query.with_for_update()
        value = conn.execute(query).scalar()
        return None if value is None else str(value)

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
        from sqlalchemy import select

        o = self._t["options"]
        names = (self.roles_option, "default_role")
        query = select(o.c.option_name, o.c.option_value).where(o.c.option_name.in_(names))
        found = {str(n).lower(): v for n, v in conn.execute(query)}
        raw, default = found.get(self.roles_option.lower()), found.get("default_role")
        roles = self._parse(None if raw is None else str(raw))
        return roles, (str(default) or None) if default is not None else None

    def _save_roles(self, conn: Connection, roles: Mapping[str, Any]) -> None:
        from sqlalchemy import update

        o = self._t["options"]
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
        """``remove_role`` and take it from every user; the default role cannot go."""
        if key == self.default_role(conn):
            raise Conflict(f"{key!r} is the site's default role; WordPress cannot delete it")
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
            if user_id in found:
                continue
            try:
                caps = php_unserialize(value) if value else {}
            except ValueError:
                caps = {}
            found[user_id] = caps if isinstance(caps, dict) else {}
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
        caps = self._caps(conn, [user_key], lock=True).get(user_key)
        if caps is not None and any(v and k in roles for k, v in caps.items()):
            return
        new = dict(caps or {})
        if default in roles:
            new[default] = True
        self._write(conn, user_key, new, roles, exists=caps is not None)

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
    locks the login just as a deactivating DELETE does).
    """

    def __init__(self, prefix: str = "wp_", roles: WordPressRoles | None = None) -> None:
        self.prefix = prefix
        self.roles = roles
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
        active = resource.get("active")
        if active is False:
            self.deactivate(conn, key)
        elif active is True or previous is None or previous.get("active") is False:
            self.reactivate(conn, key)

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

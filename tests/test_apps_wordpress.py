"""scimcore.apps.wordpress against a real stock WordPress 6.1: roles, login lock, wp_delete_user.

Every claim is checked with WordPress's own PHP (``wp-load.php``): ``$user->roles``, the user
level WordPress computes, ``wp_check_password``/``wp_authenticate``, ``WP_Session_Tokens``, and
``wp_delete_user`` itself, whose effect on the tables must equal :meth:`before_delete`'s.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from scimcore.apps.wordpress import (
    _POST_TAXONOMIES,
    _USER_POST_TYPES,
    WordPressHooks,
    WordPressRoles,
    display_name_for,
    user_nicename,
)
from scimcore.passwords import hasher_for
from tests import wordpress_support as wp


@pytest.fixture(scope="module")
def engine(wordpress_site: Any) -> Iterator[Any]:
    sqlalchemy = pytest.importorskip("sqlalchemy")
    eng = sqlalchemy.create_engine(wordpress_site.url)
    yield eng
    eng.dispose()


def _user(site: Any, login: str) -> int:
    return wp.wp_create_user(site, login, f"{login}-Pass-1", f"{login}@example.com")


def _wp_view(site: Any, uid: int) -> dict[str, Any]:
    """Roles, the level WordPress computes from them and the level stored, per WordPress."""
    body = f"""
        $u = new WP_User({uid});
        return ['roles' => array_values($u->roles),
                'computed' => array_reduce(array_keys($u->allcaps), [$u, 'level_reduction'], 0),
                'stored' => (int) get_user_option('user_level', {uid})];
    """
    result: dict[str, Any] = wp.wp_php(site, body)
    return result


def test_the_sites_roles_are_the_groups(wordpress_site: Any, engine: Any) -> None:
    roles = WordPressRoles()
    with engine.begin() as conn:
        roles.prepare(conn, None)
        names = roles.names(conn)
        assert names == {"administrator": "Administrator", "editor": "Editor",
                         "author": "Author", "contributor": "Contributor",
                         "subscriber": "Subscriber"}  # fmt: skip
        assert roles.find(conn, "EDITOR") == "editor" and roles.find(conn, "nope") is None
        assert roles.default_role(conn) == "subscriber"


def test_membership_is_the_users_roles_as_wordpress_sees_them(
    wordpress_site: Any, engine: Any
) -> None:
    site, roles = wordpress_site, WordPressRoles()
    ann, ben = _user(site, "roles-ann"), _user(site, "roles-ben")
    with engine.begin() as conn:
        assert roles.groups_of(conn, [ann, ben]) == {ann: ["subscriber"], ben: ["subscriber"]}
        roles.add_members(conn, "editor", [ann, ben])
        roles.add_members(conn, "author", [ben])
    assert _wp_view(site, ann) == {"roles": ["editor"], "computed": 7, "stored": 7}
    assert _wp_view(site, ben) == {"roles": ["editor", "author"], "computed": 7, "stored": 7}
    with engine.begin() as conn:
        assert set(roles.members(conn, ["editor", "author", "subscriber"])["editor"]) >= {ann, ben}
        assert roles.members(conn, ["author"])["author"] == [ben]
        roles.remove_members(conn, "editor", [ann, ben])
    # leaving every group falls back to the default role; ben keeps author
    assert _wp_view(site, ann) == {"roles": ["subscriber"], "computed": 0, "stored": 0}
    assert _wp_view(site, ben) == {"roles": ["author"], "computed": 2, "stored": 2}


def test_created_renamed_and_deleted_roles_are_wordpress_roles(
    wordpress_site: Any, engine: Any
) -> None:
    site, roles = wordpress_site, WordPressRoles()
    cat = _user(site, "roles-cat")
    with engine.begin() as conn:
        key = roles.create(conn, "Shop Managers")
        assert key == "shop_managers" and roles.create(conn, "Shop Managers") == "shop_managers_2"
        roles.add_members(conn, key, [cat])
        roles.rename(conn, key, "Shop Staff")
    found = wp.wp_php(site, f"return [wp_roles()->get_names(), get_userdata({cat})->roles];")
    assert found[0]["shop_managers"] == "Shop Staff" and found[1] == ["shop_managers"]
    with engine.begin() as conn:
        roles.delete(conn, key)
        roles.delete(conn, "shop_managers_2")
        assert roles.find(conn, "Shop Staff") is None
    assert _wp_view(site, cat)["roles"] == ["subscriber"]
    with engine.begin() as conn, pytest.raises(Exception, match="default role"):
        roles.delete(conn, "subscriber")


def test_bcrypt_hash_is_accepted_by_wordpress_and_the_lock_refuses_the_login(
    wordpress_site: Any, engine: Any
) -> None:
    site, hooks = wordpress_site, WordPressHooks()
    sqlalchemy = pytest.importorskip("sqlalchemy")
    uid = _user(site, "lock-dan")
    hashed = hasher_for("wordpress").hash("Dan's new pässword")
    with engine.begin() as conn:
        sql = sqlalchemy.text("UPDATE wp_users SET user_pass = :h WHERE ID = :i")
        conn.execute(sql, {"h": hashed, "i": uid})
    assert wp.wp_login(site, "lock-dan", "Dan's new pässword")["ok"]
    assert wp.wp_login(site, "lock-dan", "lock-dan-Pass-1")["error"] == "incorrect_password"
    assert wp.wp_start_session(site, "lock-dan") == 1
    with engine.begin() as conn:
        hooks.deactivate(conn, uid)
        hooks.deactivate(conn, uid)  # idempotent: one "!" only
        stored = conn.execute(sqlalchemy.text(f"SELECT user_pass FROM wp_users WHERE ID = {uid}"))
        assert stored.scalar() == "!" + hashed
    refused = wp.wp_login(site, "lock-dan", "Dan's new pässword")
    assert refused["ok"] is False and refused["check"] is False
    assert wp.wp_user(site, "login", "lock-dan")["sessions"] == 0  # type: ignore[index]
    with engine.begin() as conn:
        hooks.reactivate(conn, uid)
    assert wp.wp_login(site, "lock-dan", "Dan's new pässword")["ok"]


def test_names_as_wp_insert_user_derives_them() -> None:
    assert user_nicename("John.Doe@Example.com") == "john-doeexample-com"
    assert user_nicename("Émile  Zola") == "emile-zola"
    assert display_name_for("jd", "John", "Doe") == "John Doe"
    assert display_name_for("jd", "", "Doe") == "Doe" and display_name_for("jd") == "jd"


def test_nicename_matches_wordpress(wordpress_site: Any) -> None:
    logins = ["John.Doe@Example.com", "okta.abc_1@example.com", "a--b  c"]
    body = "return array_map(function ($l) { return sanitize_title(mb_substr(sanitize_user($l, true), 0, 50)); }, %s);"  # noqa: E501
    got = wp.wp_php(wordpress_site, body % ("['" + "','".join(logins) + "']"))
    assert got == [user_nicename(login) for login in logins]


# -- wp_delete_user, differentially ---------------------------------------------------------------

_CONTENT = r"""
require_once ABSPATH . 'wp-admin/includes/bookmark.php';
$a = get_user_by('login', 'del-author')->ID;
$b = get_user_by('login', 'del-other')->ID;
$cat = wp_insert_term('News', 'category')['term_id'];
$lcat = wp_insert_term('Friends', 'link_category')['term_id'];
$p1 = wp_insert_post(['post_author' => $a, 'post_title' => 'P1', 'post_status' => 'publish',
    'post_category' => [$cat], 'tags_input' => ['shared-tag']]);
wp_update_post(['ID' => $p1, 'post_content' => 'a revised body']);
add_post_meta($p1, 'color', 'blue');
$p2 = wp_insert_post(['post_author' => $b, 'post_title' => 'P2', 'post_status' => 'publish',
    'post_category' => [$cat], 'tags_input' => ['shared-tag']]);
$draft = wp_insert_post(['post_author' => $a, 'post_title' => 'draft', 'post_status' => 'draft']);
$img = wp_insert_attachment(['post_author' => $a, 'post_title' => 'img',
    'post_mime_type' => 'image/png', 'post_status' => 'inherit'], false, $p1);
update_post_meta($p2, '_thumbnail_id', $img);
update_post_meta($p1, '_thumbnail_id', $img);
$other_img = wp_insert_attachment(['post_author' => $b, 'post_title' => 'b-img',
    'post_mime_type' => 'image/png', 'post_status' => 'inherit'], false, $p1);
$c1 = wp_insert_comment(['comment_post_ID' => $p1, 'comment_content' => 'first',
    'user_id' => $b, 'comment_approved' => 1]);
$c2 = wp_insert_comment(['comment_post_ID' => $p1, 'comment_content' => 'reply',
    'comment_parent' => $c1, 'comment_approved' => 1]);
add_comment_meta($c1, 'rating', '5');
$c3 = wp_insert_comment(['comment_post_ID' => $p2, 'comment_content' => 'by a',
    'user_id' => $a, 'comment_approved' => 1]);
$g0 = wp_insert_post(['post_author' => $b, 'post_type' => 'page', 'post_title' => 'G0',
    'post_status' => 'publish']);
$g1 = wp_insert_post(['post_author' => $a, 'post_type' => 'page', 'post_title' => 'G1',
    'post_status' => 'publish', 'post_parent' => $g0]);
$g2 = wp_insert_post(['post_author' => $b, 'post_type' => 'page', 'post_title' => 'G2',
    'post_status' => 'publish', 'post_parent' => $g1]);
$menu = wp_insert_post(['post_author' => $a, 'post_type' => 'nav_menu_item',
    'post_title' => 'kept', 'post_status' => 'publish']);
wp_insert_link(['link_url' => 'http://example.com', 'link_name' => 'ex', 'link_owner' => $a,
    'link_category' => [$lcat]]);
wp_insert_link(['link_url' => 'http://example.org', 'link_name' => 'org', 'link_owner' => $b,
    'link_category' => [$lcat]]);
update_user_meta($a, 'session_tokens', ['x' => ['expiration' => time() + 60]]);
$types = [];
foreach (get_post_types([], 'objects') as $t) {
    if ($t->delete_with_user || (null === $t->delete_with_user && post_type_supports($t->name, 'author'))) $types[] = $t->name;
}
$taxonomies = [];
foreach ($types as $t) $taxonomies[$t] = get_object_taxonomies($t);
return ['a' => $a, 'types' => $types, 'taxonomies' => $taxonomies];
"""  # noqa: E501

_TABLES = {"posts": "ID", "postmeta": "meta_id", "comments": "comment_ID",
           "commentmeta": "meta_id", "term_relationships": "object_id, term_taxonomy_id",
           "term_taxonomy": "term_taxonomy_id", "links": "link_id", "users": "ID",
           "usermeta": "umeta_id"}  # fmt: skip


def _snapshot(conn: Any) -> dict[str, list[tuple[Any, ...]]]:
    from sqlalchemy import text

    return {t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM wp_{t} ORDER BY {k}"))]
            for t, k in _TABLES.items()}  # fmt: skip


def _orphans(conn: Any) -> dict[str, int]:
    from sqlalchemy import text

    checks = {
        "postmeta": "SELECT COUNT(*) FROM wp_postmeta m LEFT JOIN wp_posts p ON p.ID = m.post_id WHERE p.ID IS NULL",  # noqa: E501
        "comments": "SELECT COUNT(*) FROM wp_comments c LEFT JOIN wp_posts p ON p.ID = c.comment_post_ID WHERE p.ID IS NULL",  # noqa: E501
        "commentmeta": "SELECT COUNT(*) FROM wp_commentmeta m LEFT JOIN wp_comments c ON c.comment_ID = m.comment_id WHERE c.comment_ID IS NULL",  # noqa: E501
        "usermeta": "SELECT COUNT(*) FROM wp_usermeta m LEFT JOIN wp_users u ON u.ID = m.user_id WHERE u.ID IS NULL",  # noqa: E501
        "posts": "SELECT COUNT(*) FROM wp_posts p LEFT JOIN wp_users u ON u.ID = p.post_author WHERE u.ID IS NULL AND p.post_author <> 0 AND p.post_type IN ('post', 'page', 'attachment', 'revision')",  # noqa: E501
        "parents": "SELECT COUNT(*) FROM wp_posts c LEFT JOIN wp_posts p ON p.ID = c.post_parent WHERE c.post_parent <> 0 AND p.ID IS NULL",  # noqa: E501
    }
    return {name: int(conn.execute(text(sql)).scalar()) for name, sql in checks.items()}


def test_before_delete_does_what_wp_delete_user_does(wordpress_site: Any, engine: Any) -> None:
    from sqlalchemy import text

    site, hooks = wordpress_site, WordPressHooks()
    _user(site, "del-author")
    _user(site, "del-other")
    made = wp.wp_php(site, _CONTENT)
    assert sorted(made["types"]) == sorted(_USER_POST_TYPES)
    assert {t: x for t, x in made["taxonomies"].items() if x} == {
        t: list(x) for t, x in _POST_TAXONOMIES.items()}  # fmt: skip
    author = made["a"]
    with engine.connect() as conn:
        tx = conn.begin()
        before = _snapshot(conn)
        hooks.before_delete(conn, author)
        conn.execute(text("DELETE FROM wp_usermeta WHERE user_id = :a"), {"a": author})
        conn.execute(text("DELETE FROM wp_users WHERE ID = :a"), {"a": author})
        ours = _snapshot(conn)
        assert _orphans(conn) == dict.fromkeys(_orphans(conn), 0)
        tx.rollback()
        assert _snapshot(conn) == before
        conn.rollback()
    # WordPress itself, with the trash off (what the trash does after EMPTY_TRASH_DAYS)
    wp.wp_php(site, f"return wp_delete_user({author});",
              before_load="define('EMPTY_TRASH_DAYS', 0);")  # fmt: skip
    with engine.connect() as conn:
        theirs = _snapshot(conn)
    for table in _TABLES:
        assert ours[table] == theirs[table], table
    assert ours["posts"] != before["posts"] and ours["comments"] != before["comments"]


# -- wordpress_store ------------------------------------------------------------------------------


def test_wordpress_store_refuses_an_unknown_deprovision_mode() -> None:
    from scimcore.apps import wordpress_store
    from scimcore.errors import ConfigurationError
    from scimcore.mapping import mapping_from_dict

    mapping = mapping_from_dict({"rules": [{"scim": "userName", "field": "user_login"}]})
    with pytest.raises(ConfigurationError, match="deprovision"):
        wordpress_store("sqlite://", mapping=mapping, deprovision="rfc")


def test_wordpress_hasher_is_bcrypt_2y() -> None:
    from scimcore.apps import wordpress_hasher

    hashed = wordpress_hasher().hash("pässword")
    assert hashed.startswith("$2y$10$") and len(hashed) == 60
    assert wordpress_hasher().verify("pässword", hashed)


def test_active_and_locale_transforms() -> None:
    from scimcore.apps.wordpress import _active, _locale_to_scim, _locale_to_wp

    assert _active("$2y$10$abc") is True and _active("!$2y$10$abc") is False
    assert _active("") is True and _active(None) is None
    assert _locale_to_wp("en-US") == "en_US" and _locale_to_scim("pt_BR") == "pt-BR"
    assert _locale_to_scim("") is None and _locale_to_wp("not a locale") == "not a locale"

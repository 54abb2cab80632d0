"""The WordPress example against a real stock WordPress 6.1 on MariaDB, checked with its own PHP.

IdP-shaped traffic (Okta, JumpCloud, miniOrange, as the bundled recordings send it) goes through
the example's ASGI app (``examples.wordpress.app.build_service``); WordPress itself then says what
happened (``get_user_by``, ``wp_check_password``/``wp_authenticate``, ``$user->roles``,
``WP_Session_Tokens``), through ``tests.wordpress_support``. The tests skip, with the reason,
without php-cli, php-mysql, Debian's WordPress or MariaDB. A small test runs the SQLite stand-in.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.loader import bundled_recordings_dir, load_file
from conformance.results import Outcome
from conformance.runner import run
from conformance.transport import transport_for
from examples.wordpress.app import build_service
from scimcore.adapters import asgi_app
from scimcore.apps import php_unserialize
from scimcore.passwords import BcryptHasher
from tests import wordpress_support as wp

TOKEN = "wordpress-scim-token-0123456789"
BASE = "http://127.0.0.1:8000/scim/v2"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
#: What each IdP's requests carry (the recordings' headers).
AGENTS = {"okta": "Okta SCIM Client 1.0.0", "jumpcloud": "JumpCloud", "miniorange": "miniOrange"}


class Idp:
    """The example app as one IdP talks to it: ``WP_IDP``'s mapping, its requests' headers."""

    def __init__(self, env: Mapping[str, str], idp: str) -> None:
        self.service = build_service({**env, "WP_IDP": idp, "SCIM_TOKEN": TOKEN})
        self.app = asgi_app(self.service)
        self.idp = idp

    def __call__(self, method: str, path: str, body: Any = None) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
                headers = {
                    "Authorization": f"Bearer {TOKEN}",
                    "User-Agent": AGENTS[self.idp],
                    "Accept": "application/scim+json",
                }
                content = None
                if body is not None:
                    content = json.dumps(body).encode()
                    headers["Content-Type"] = "application/scim+json; charset=utf-8"
                return await client.request(method, path, content=content, headers=headers)

        return asyncio.run(go())

    def close(self) -> None:
        self.service.store.close()  # type: ignore[attr-defined]


def patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_URN], "Operations": list(operations)}


def okta_user(login: str, given: str, family: str, password: str) -> dict[str, Any]:
    """Okta's POST /Users (okta/user-lifecycle-oin): primary work email, locale, groups []."""
    return {
        "schemas": [USER_URN],
        "userName": login,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"primary": True, "value": login, "type": "work"}],
        "displayName": f"{given} {family}",
        "locale": "en-US",
        "externalId": f"00u{uuid.uuid4().hex[:14]}",
        "groups": [],
        "password": password,
        "active": True,
    }


def jumpcloud_user(login: str, given: str, family: str) -> dict[str, Any]:
    """JumpCloud's POST /Users with no displayName set (jumpcloud/user-lifecycle otherwise)."""
    return {
        "schemas": [USER_URN],
        "userName": login,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"primary": True, "value": f"{login}@example.com", "type": "work"}],
        "externalId": uuid.uuid4().hex[:24],
        "active": True,
    }


def miniorange_user(login: str, given: str, family: str) -> dict[str, Any]:
    """miniOrange's POST /Users (miniorange/user-create-update)."""
    return {
        "schemas": [USER_URN],
        "userName": login,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"primary": True, "value": login, "type": "work"}],
        "displayName": f"{given} {family}",
        "active": True,
    }


def unique(stem: str) -> str:
    return f"{stem}.{uuid.uuid4().hex[:8]}"


# -- a real WordPress -------------------------------------------------------------------------


@pytest.fixture
def site(wordpress_site: wp.WpSite) -> wp.WpSite:
    return wordpress_site


@pytest.fixture
def env(site: wp.WpSite) -> dict[str, str]:
    return {"WP_DB_URL": site.url, "WP_TABLE_PREFIX": site.prefix}


@pytest.fixture
def connect(env: dict[str, str]) -> Iterator[Any]:
    """The example with ``WP_IDP`` and ``WP_DEPROVISION`` chosen; every app closed afterwards."""
    made: list[Idp] = []

    def make(idp: str, deprovision: str = "deactivate") -> Idp:
        made.append(Idp({**env, "WP_DEPROVISION": deprovision}, idp))
        return made[-1]

    yield make
    for app in made:
        app.close()


def wp_set_password(site: wp.WpSite, login: str, password: str) -> None:
    """The user sets a password on the site (``wp_set_password``, as the profile screen does)."""
    body = f"""
        $u = get_user_by('login', {json.dumps(login)});
        wp_set_password({json.dumps(password)}, $u->ID);
        return $u->ID;
    """
    wp.wp_php(site, body)


def wp_meta(site: wp.WpSite, uid: int, key: str) -> Any:
    return wp.wp_php(site, f"return get_user_meta({uid}, {json.dumps(key)}, true);")


def test_okta_user_is_a_wordpress_user_with_its_password(site: wp.WpSite, connect: Any) -> None:
    okta = connect("okta")
    login = unique("okta.ann") + "@example.com"
    created = okta("POST", "/Users", okta_user(login, "Ann", "Lee", "1mz050nq"))
    assert created.status_code == 201, created.text
    assert created.json()["active"] is True and "password" not in created.json()
    by_login = wp.wp_user(site, "login", login)
    assert by_login is not None
    assert wp.wp_user(site, "email", login) == by_login
    assert by_login["user_email"] == login and by_login["display_name"] == "Ann Lee"
    assert (by_login["first_name"], by_login["last_name"]) == ("Ann", "Lee")
    assert by_login["roles"] == ["subscriber"] and by_login["user_level"] == 0
    nicename = wp.wp_php(site, f"return sanitize_title(sanitize_user({json.dumps(login)}, true));")
    assert by_login["user_nicename"] == nicename
    assert wp_meta(site, by_login["ID"], "locale") == "en_US"
    registered = wp.wp_php(site, f"return get_userdata({by_login['ID']})->user_registered;")
    assert registered[:10] == created.json()["meta"]["created"][:10]

    ok = wp.wp_login(site, login, "1mz050nq")
    assert ok["ok"] and ok["ID"] == by_login["ID"]
    # Okta's password sync (okta/password-sync): a PATCH with no path
    changed = okta("PATCH", f"/Users/{created.json()['id']}",
                   patch({"op": "replace", "value": {"password": "N3w-Passw0rd!"}}))  # fmt: skip
    assert changed.status_code in (200, 204), changed.text
    assert wp.wp_login(site, login, "N3w-Passw0rd!")["ok"]
    assert wp.wp_login(site, login, "1mz050nq")["error"] == "incorrect_password"

    found = okta("GET", f'/Users?filter=userName eq "{login}"&startIndex=1&count=100')
    assert [r["id"] for r in found.json()["Resources"]] == [created.json()["id"]]


def test_group_membership_is_the_wordpress_role(site: wp.WpSite, connect: Any) -> None:
    okta = connect("okta")
    login = unique("okta.grace") + "@example.com"
    user = okta("POST", "/Users", okta_user(login, "Grace", "Hopper", "1mz050nq")).json()
    # Okta looks the group up first (okta/group-push-oin): the role "Editor" is that group
    editors = okta("GET", '/Groups?filter=displayName eq "Editor"&startIndex=1&count=100').json()
    assert [g["displayName"] for g in editors["Resources"]] == ["Editor"]
    group = editors["Resources"][0]["id"]
    added = okta("PATCH", f"/Groups/{group}",
                 patch({"op": "add", "path": "members",
                        "value": [{"value": user["id"], "display": login}]}))  # fmt: skip
    assert added.status_code in (200, 204), added.text
    shown = wp.wp_user(site, "login", login)
    assert shown is not None and shown["roles"] == ["editor"] and shown["user_level"] == 7
    got = okta("GET", f"/Users/{user['id']}").json()
    assert [g["display"] for g in got["groups"]] == ["Editor"]
    left = okta("PATCH", f"/Groups/{group}",
                patch({"op": "remove", "path": f'members[value eq "{user["id"]}"]'}))  # fmt: skip
    assert left.status_code in (200, 204), left.text
    shown = wp.wp_user(site, "login", login)
    assert shown is not None and shown["roles"] == ["subscriber"] and shown["user_level"] == 0
    # a pushed group WordPress does not have becomes a role of the site
    made = okta("POST", "/Groups", {"schemas": [GROUP_URN], "displayName": "Shop Staff",
                                    "members": [{"value": user["id"]}]})  # fmt: skip
    assert made.status_code == 201, made.text
    names = wp.wp_php(site, "return wp_roles()->get_names();")
    assert "Shop Staff" in names.values()
    shown = wp.wp_user(site, "login", login)
    assert shown is not None and shown["roles"] == ["shop_staff"]
    # an IdP's group clean-up cannot take WordPress's own roles from the site
    refused = okta("DELETE", f"/Groups/{group}")
    assert refused.status_code == 409, refused.text
    assert "editor" in wp.wp_php(site, "return wp_roles()->get_names();")
    assert okta("DELETE", f"/Groups/{made.json()['id']}").status_code == 204
    shown = wp.wp_user(site, "login", login)
    assert shown is not None and shown["roles"] == ["subscriber"]
    assert "Shop Staff" not in wp.wp_php(site, "return wp_roles()->get_names();").values()


def test_jumpcloud_deactivation_locks_the_login_and_ends_sessions(
    site: wp.WpSite, connect: Any
) -> None:
    jumpcloud = connect("jumpcloud")
    login = unique("jc.jane")
    created = jumpcloud("POST", "/Users", jumpcloud_user(login, "Jane", "Doe"))
    assert created.status_code == 201, created.text
    shown = wp.wp_user(site, "login", login)
    # no displayName sent: the one wp_insert_user gives ("first last")
    assert shown is not None and shown["display_name"] == "Jane Doe"
    assert shown["user_email"] == f"{login}@example.com"
    assert wp.wp_user(site, "email", f"{login}@example.com") == shown
    wp_set_password(site, login, "Site-Pass-77")
    assert wp.wp_login(site, login, "Site-Pass-77")["ok"]
    assert wp.wp_start_session(site, login) == 1
    uid = created.json()["id"]

    off = jumpcloud("PATCH", f"/Users/{uid}", patch({"op": "replace", "path": "active",
                                                     "value": False}))  # fmt: skip
    assert off.status_code in (200, 204), off.text
    refused = wp.wp_login(site, login, "Site-Pass-77")
    assert refused["ok"] is False and refused["check"] is False
    shown = wp.wp_user(site, "login", login)
    assert shown is not None and shown["sessions"] == 0
    assert jumpcloud("GET", f"/Users/{uid}").json()["active"] is False

    on = jumpcloud("PATCH", f"/Users/{uid}", patch({"op": "replace", "path": "active",
                                                    "value": True}))  # fmt: skip
    assert on.status_code in (200, 204), on.text
    assert wp.wp_login(site, login, "Site-Pass-77")["ok"]
    assert jumpcloud("GET", f"/Users/{uid}").json()["active"] is True


def test_miniorange_delete_deactivates_and_a_post_relinks_the_same_user(
    site: wp.WpSite, connect: Any
) -> None:
    mini = connect("miniorange", "deactivate")
    login = unique("mo.ken") + "@example.com"
    created = mini("POST", "/Users", miniorange_user(login, "Ken", "Thompson"))
    assert created.status_code == 201, created.text
    uid, scim_id = wp.wp_user(site, "login", login)["ID"], created.json()["id"]  # type: ignore[index]
    wp_set_password(site, login, "Unix-Pass-1969")
    wp.wp_start_session(site, login)

    assert mini("DELETE", f"/Users/{scim_id}").status_code == 204
    assert mini("GET", f"/Users/{scim_id}").status_code == 404  # RFC 7644 3.6
    listed = mini("GET", f'/Users?filter=userName eq "{login}"').json()
    assert listed["totalResults"] == 0
    kept = wp.wp_user(site, "login", login)
    assert kept is not None and kept["ID"] == uid and kept["sessions"] == 0  # kept, locked
    assert wp.wp_login(site, login, "Unix-Pass-1969")["ok"] is False

    again = mini("POST", "/Users", miniorange_user(login, "Ken", "Thompson"))
    assert again.status_code == 201, again.text
    assert again.json()["id"] == scim_id and again.json()["active"] is True
    back = wp.wp_user(site, "login", login)
    assert back is not None and back["ID"] == uid and back["roles"] == ["subscriber"]
    assert wp.wp_login(site, login, "Unix-Pass-1969")["ok"]  # the same password again
    count = wp.wp_php(site, f"return count(get_users(['login' => {json.dumps(login)}]));")
    assert count == 1


_CONTENT = """
$a = get_user_by('login', %s)->ID;
$post = wp_insert_post(['post_author' => $a, 'post_title' => 'By the IdP user',
    'post_status' => 'publish', 'tags_input' => ['scim']]);
add_post_meta($post, 'color', 'blue');
$c = wp_insert_comment(['comment_post_ID' => $post, 'comment_content' => 'hi',
    'comment_approved' => 1]);
add_comment_meta($c, 'rating', '5');
wp_insert_link(['link_url' => 'http://example.com', 'link_name' => 'ex', 'link_owner' => $a]);
update_user_meta($a, 'session_tokens', ['x' => ['expiration' => time() + 60]]);
return ['ID' => $a, 'post' => $post];
"""


def _orphans(site: wp.WpSite, uid: int) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    p = site.prefix
    checks = {
        "usermeta": f"SELECT COUNT(*) FROM {p}usermeta WHERE user_id = {uid}",
        "posts": f"SELECT COUNT(*) FROM {p}posts WHERE post_author = {uid}",
        "links": f"SELECT COUNT(*) FROM {p}links WHERE link_owner = {uid}",
        "postmeta": f"SELECT COUNT(*) FROM {p}postmeta m LEFT JOIN {p}posts x"
        " ON x.ID = m.post_id WHERE x.ID IS NULL",
        "comments": f"SELECT COUNT(*) FROM {p}comments c LEFT JOIN {p}posts x"
        " ON x.ID = c.comment_post_ID WHERE x.ID IS NULL",
        "commentmeta": f"SELECT COUNT(*) FROM {p}commentmeta m LEFT JOIN {p}comments c"
        " ON c.comment_ID = m.comment_id WHERE c.comment_ID IS NULL",
        "term_relationships": f"SELECT COUNT(*) FROM {p}term_relationships r LEFT JOIN {p}posts x"
        f" ON x.ID = r.object_id LEFT JOIN {p}links l ON l.link_id = r.object_id"
        " WHERE x.ID IS NULL AND l.link_id IS NULL",
    }
    engine = create_engine(site.url)
    try:
        with engine.connect() as conn:
            return {n: int(conn.execute(text(sql)).scalar() or 0) for n, sql in checks.items()}
    finally:
        engine.dispose()


def test_delete_mode_does_what_wp_delete_user_does(site: wp.WpSite, connect: Any) -> None:
    mini = connect("miniorange", "delete")
    login = unique("mo.gone") + "@example.com"
    created = mini("POST", "/Users", miniorange_user(login, "Dennis", "Ritchie"))
    assert created.status_code == 201, created.text
    made = wp.wp_php(site, _CONTENT % json.dumps(login))
    tags = wp.wp_php(site, "return (int) get_term_by('slug', 'scim', 'post_tag')->count;")
    assert tags == 1
    assert mini("DELETE", f"/Users/{created.json()['id']}").status_code == 204
    assert mini("GET", f"/Users/{created.json()['id']}").status_code == 404
    assert wp.wp_user(site, "login", login) is None
    assert wp.wp_php(site, f"return get_post({made['post']}) === null;") is True
    assert _orphans(site, made["ID"]) == dict.fromkeys(_orphans(site, made["ID"]), 0)
    # the term counts follow, as wp_delete_post leaves them
    tags = wp.wp_php(site, "return (int) get_term_by('slug', 'scim', 'post_tag')->count;")
    assert tags == 0
    # gone for good: a new POST is a new WordPress user
    again = mini("POST", "/Users", miniorange_user(login, "Dennis", "Ritchie"))
    assert again.status_code == 201, again.text
    assert wp.wp_user(site, "login", login)["ID"] != made["ID"]  # type: ignore[index]


def test_the_sites_own_users_are_listed_and_a_post_for_one_is_409(
    site: wp.WpSite, env: dict[str, str], connect: Any
) -> None:
    before = unique("site-before")
    before_id = wp.wp_create_user(site, before, "Before-Pass-1", f"{before}@example.com")
    for idp in ("okta", "jumpcloud", "miniorange"):
        app = connect(idp)
        assert app("GET", "/Users?count=1").status_code == 200  # the bridge is serving
        after = unique(f"site-after-{idp}")
        after_id = wp.wp_create_user(site, after, "After-Pass-1", f"{after}@example.com")
        for login, uid in ((before, before_id), (after, after_id)):
            found = app("GET", f'/Users?filter=userName eq "{login}"&startIndex=1&count=100')
            assert found.status_code == 200, found.text
            (user,) = found.json()["Resources"]
            assert user["userName"] == login and user["active"] is True
            assert user["emails"][0]["value"] == f"{login}@example.com"
            assert [g["display"] for g in user["groups"]] == ["Subscriber"]
            shaped = {"okta": okta_user(login, "Bob", "Site", "1mz050nq"),
                      "jumpcloud": jumpcloud_user(login, "Bob", "Site"),
                      "miniorange": miniorange_user(login, "Bob", "Site")}[idp]  # fmt: skip
            clash = app("POST", "/Users", {**shaped, "userName": login.upper()})
            assert clash.status_code == 409, clash.text
            assert clash.json()["scimType"] == "uniqueness"
            # WordPress still has the one user, untouched
            shown = wp.wp_user(site, "login", login)
            assert shown is not None and shown["ID"] == uid and shown["first_name"] == ""
            assert wp.wp_login(site, login, "After-Pass-1" if uid == after_id else
                               "Before-Pass-1")["ok"]  # fmt: skip


def test_the_bundled_recordings_pass_against_the_real_site(site: wp.WpSite, connect: Any) -> None:
    for idp in ("okta", "jumpcloud", "miniorange"):
        app = connect(idp)
        recordings = sorted((bundled_recordings_dir() / idp).glob("*.json"))
        result = run([load_file(p) for p in recordings], transport_for(app.app), token=TOKEN)
        ok = (Outcome.PASSED, Outcome.WARNED)
        bad = [(r.recording.name, r.reason, [s.summary for s in r.failed_steps])
               for r in result.results if r.outcome not in ok]  # fmt: skip
        assert not bad, bad


# -- the SQLite stand-in ----------------------------------------------------------------------


def test_sqlite_stand_in_is_a_wordpress_shaped_site(tmp_path: Path) -> None:
    db = tmp_path / "wordpress.db"
    okta = Idp({"WP_DB": str(db)}, "okta")
    try:
        recording = load_file(bundled_recordings_dir() / "okta" / "user-lifecycle-oin.json")
        result = run([recording], transport_for(okta.app), token=TOKEN, cleanup=False)
        assert result.results[0].outcome is Outcome.PASSED, result.results[0].failed_steps
        login = result.results[0].variables["userName"]
        conn = sqlite3.connect(db)
        conn.row_factory = sqlite3.Row
        conn.execute(
            "INSERT INTO wp_users (user_login, user_email, user_registered)"
            " VALUES ('bob', 'bob@example.com', '2024-01-01 00:00:00')"
        )
        conn.commit()
        row = conn.execute("SELECT * FROM wp_users WHERE user_login = ?", (login,)).fetchone()
        meta = dict(conn.execute(
            "SELECT meta_key, meta_value FROM wp_usermeta WHERE user_id = ?", (row["ID"],)
        ).fetchall())  # fmt: skip
        audited = conn.execute("SELECT COUNT(*) FROM wp_scim_audit").fetchone()[0]
        conn.close()
        assert row["user_email"] == login and row["display_name"] == "Jane Q Doe"
        assert BcryptHasher().verify("1mz050nq", row["user_pass"])
        assert row["user_pass"].startswith("$2y$")  # deactivated, then reactivated: unlocked
        assert meta["first_name"] == "Jane" and meta["locale"] == "en_US"
        assert meta["wp_capabilities"] == 'a:1:{s:10:"subscriber";b:1;}'
        assert audited >= 4
        bob = okta("GET", '/Users?filter=userName eq "bob"').json()["Resources"]
        assert [(u["userName"], u["meta"]["created"]) for u in bob] == [
            ("bob", "2024-01-01T00:00:00Z")
        ]
        clash = okta("POST", "/Users", okta_user("Bob", "Bob", "B", "1mz050nq"))
        assert clash.status_code == 409 and clash.json()["scimType"] == "uniqueness"
    finally:
        okta.close()


def test_sqlite_stand_in_follows_the_table_prefix(tmp_path: Path) -> None:
    db = tmp_path / "blog.db"
    mini = Idp({"WP_DB": str(db), "WP_TABLE_PREFIX": "blog_"}, "miniorange")
    try:
        created = mini("POST", "/Users", miniorange_user("ada@example.com", "Ada", "Byron"))
        assert created.status_code == 201, created.text
        assert [g["display"] for g in created.json()["groups"]] == ["Subscriber"]
    finally:
        mini.close()
    conn = sqlite3.connect(db)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    caps = conn.execute(
        "SELECT meta_value FROM blog_usermeta WHERE meta_key = 'blog_capabilities'"
    ).fetchall()
    conn.close()
    assert {"blog_users", "blog_usermeta", "blog_options", "blog_scim_resource"} <= tables
    assert not any(t.startswith("wp_") for t in tables)
    assert caps == [('a:1:{s:10:"subscriber";b:1;}',)]


# -- the MariaDB stand-in (schema.mysql.sql) --------------------------------------------------


def _columns(url: str) -> dict[str, list[tuple[Any, ...]]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT,"
                " COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()"
                " AND TABLE_NAME NOT LIKE '%scim%' ORDER BY TABLE_NAME, ORDINAL_POSITION"
            )).all()  # fmt: skip
            roles = conn.execute(text(
                "SELECT option_name, option_value FROM wp_options"
                " WHERE option_name IN ('wp_user_roles', 'default_role') ORDER BY 1"
            )).all()  # fmt: skip
    finally:
        engine.dispose()
    stock = ("administrator", "editor", "author", "contributor", "subscriber")
    options = {str(name): value for name, value in roles}
    parsed = php_unserialize(options.pop("wp_user_roles"))
    # the stock roles (other tests of the module add roles to the real site)
    kept = [("wp_user_roles", {k: parsed[k] for k in stock}), *sorted(options.items())]
    out: dict[str, list[tuple[Any, ...]]] = {"options": kept}
    for table, *column in rows:
        out.setdefault(str(table), []).append(tuple(column))
    return out


def test_the_mariadb_stand_in_is_wordpress_own_schema(site: wp.WpSite, mysql_url: str) -> None:
    from examples._sql import run_script

    run_script(mysql_url, Path(__file__).parent.parent / "examples/wordpress/schema.mysql.sql")
    assert _columns(mysql_url) == _columns(site.url)
    okta = Idp({"WP_DB_URL": mysql_url}, "okta")
    try:
        recordings = sorted((bundled_recordings_dir() / "okta").glob("*.json"))
        result = run([load_file(p) for p in recordings], transport_for(okta.app), token=TOKEN)
        assert all(r.outcome in (Outcome.PASSED, Outcome.WARNED) for r in result.results)
    finally:
        okta.close()


def test_another_table_prefix(mysql_url: str) -> None:
    missing = wp.wordpress_missing()
    if missing:
        pytest.skip(f"WordPress cannot run: {missing}")
    other = wp.install_site(mysql_url, prefix="blog_")
    jumpcloud = Idp({"WP_DB_URL": mysql_url, "WP_TABLE_PREFIX": "blog_"}, "jumpcloud")
    try:
        created = jumpcloud("POST", "/Users", jumpcloud_user("prefixed.ada", "Ada", "Byron"))
        assert created.status_code == 201, created.text
        editors = jumpcloud("GET", '/Groups?filter=displayName eq "Editor"').json()["Resources"]
        joined = jumpcloud("PATCH", f"/Groups/{editors[0]['id']}",
                           patch({"op": "add", "path": "members",
                                  "value": [{"value": created.json()["id"]}]}))  # fmt: skip
        assert joined.status_code in (200, 204), joined.text
        shown = wp.wp_user(other, "login", "prefixed.ada")
        assert shown is not None and shown["roles"] == ["editor"]
        assert shown["display_name"] == "Ada Byron"
        listed = jumpcloud("GET", '/Users?filter=userName eq "admin"').json()["Resources"]
        assert [u["userName"] for u in listed] == ["admin"]  # wp_install()'s administrator
    finally:
        jumpcloud.close()
        wp.remove_site(other)

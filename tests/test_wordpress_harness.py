"""The real-WordPress harness itself: install, PHP round trip, users made by WordPress."""

from __future__ import annotations

from typing import Any

from tests import wordpress_support as wp


def test_stock_wordpress_is_installed_and_answers(wordpress_site: Any) -> None:
    site = wordpress_site
    assert wp.wp_php(site, "return $GLOBALS['wp_version'];").startswith("6.")
    admin = wp.wp_user(site, "login", "admin")
    assert admin is not None and admin["roles"] == ["administrator"]
    assert wp.wp_login(site, "admin", wp.ADMIN_PASSWORD)["ok"]
    assert wp.wp_login(site, "admin", "wrong")["error"] == "incorrect_password"


def test_wp_create_user_gets_the_default_role_and_a_session(wordpress_site: Any) -> None:
    site = wordpress_site
    uid = wp.wp_create_user(site, "harness-bob", "bob-Pass-1", "bob@example.com")
    user = wp.wp_user(site, "email", "bob@example.com")
    assert user is not None and user["ID"] == uid and user["roles"] == ["subscriber"]
    assert wp.wp_start_session(site, "harness-bob") == 1
    assert wp.wp_login(site, "harness-bob", "bob-Pass-1") == {
        "ok": True, "check": True, "error": None, "ID": uid}  # fmt: skip

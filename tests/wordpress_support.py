"""A real stock WordPress (Debian's package) on a fresh MariaDB database, driven through its PHP.

Debian's ``/usr/share/wordpress/wp-config.php`` loads ``/etc/wordpress/config-<HTTP_HOST>.php``;
:func:`install_site` writes one for a unique host naming a new database, runs ``wp_install()``
and returns a :class:`WpSite`. :func:`wp_php` runs a PHP function body through ``wp-load.php``
for that host and returns what it ``return``s, decoded from JSON. :func:`wordpress_missing`
says why the tests cannot run here (no php, no WordPress, no mysqli), or None.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WP_ROOT = Path(os.environ.get("SCIMCORE_TEST_WORDPRESS", "/usr/share/wordpress"))
WP_CONFIG_DIR = Path("/etc/wordpress")
ADMIN_PASSWORD = "admin-Pass-1"
_MARK = "\n@@scimcore-json@@"


@dataclass(frozen=True)
class WpSite:
    """One installed WordPress: its host name, database (SQLAlchemy URL) and table prefix."""

    host: str
    url: str
    prefix: str
    config: Path

    def table(self, name: str) -> str:
        """The prefixed table name (``users`` -> ``wp_users``)."""
        return self.prefix + name


def wordpress_missing() -> str | None:
    """Why a real WordPress cannot run here, or None when it can."""
    php = shutil.which("php")
    if php is None:
        return "php-cli is not installed (apt-get install php-cli php-mysql)"
    if not (WP_ROOT / "wp-load.php").exists():
        return f"WordPress is not installed at {WP_ROOT} (apt-get install wordpress)"
    if not WP_CONFIG_DIR.is_dir() or not os.access(WP_CONFIG_DIR, os.W_OK):
        return f"{WP_CONFIG_DIR} is missing or not writable (Debian's per-host WordPress config)"
    mods = subprocess.run([php, "-m"], capture_output=True, text=True, check=False).stdout
    if "mysqli" not in mods.split():
        return "PHP has no mysqli extension (apt-get install php-mysql)"
    return None


def _php_literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _write_config(url: str, prefix: str, host: str, extra: str = "") -> Path:
    from sqlalchemy.engine import make_url

    db = make_url(url)
    db_host = f"{db.host or '127.0.0.1'}:{db.port or 3306}"
    config = WP_CONFIG_DIR / f"config-{host}.php"
    lines = [
        "<?php",
        f"define('DB_NAME', {_php_literal(db.database or '')});",
        f"define('DB_USER', {_php_literal(db.username or '')});",
        f"define('DB_PASSWORD', {_php_literal(db.password or '')});",
        f"define('DB_HOST', {_php_literal(db_host)});",
        "define('DB_CHARSET', 'utf8mb4');",
        "define('WP_HOME', 'http://" + host + "');",
        "define('WP_SITEURL', 'http://" + host + "');",
        "define('DISABLE_WP_CRON', true);",
        "define('WP_HTTP_BLOCK_EXTERNAL', true);",
        "// no mail from a test site (there is no sendmail): the pluggable wp_mail, replaced",
        "if (!function_exists('wp_mail')) { function wp_mail(...$args) { return true; } }",
        extra,
        f"$table_prefix = {_php_literal(prefix)};",
    ]
    config.write_text("\n".join(lines) + "\n")
    return config


def wp_php(site: WpSite, body: str, *, installing: bool = False, before_load: str = "") -> Any:
    """Run ``body`` (a PHP function body) in ``site`` and decode what it returns (JSON).

    ``before_load`` runs before ``wp-load.php`` (e.g. ``define('EMPTY_TRASH_DAYS', 0);``).

    A PHP error, a fatal or a non-JSON answer raises :class:`RuntimeError` with PHP's output.
    """
    script = "\n".join([
        "<?php",
        "error_reporting(E_ALL & ~E_DEPRECATED & ~E_NOTICE);",
        "ini_set('display_errors', 'stderr');",
        f"$_SERVER['HTTP_HOST'] = {_php_literal(site.host)};",
        "$_SERVER['REQUEST_URI'] = '/';",
        "$_SERVER['SERVER_NAME'] = $_SERVER['HTTP_HOST'];",
        "$_SERVER['REQUEST_METHOD'] = 'GET';",
        "define('WP_INSTALLING', true);" if installing else "",
        before_load,
        f"require {_php_literal(str(WP_ROOT / 'wp-load.php'))};",
        "require_once ABSPATH . 'wp-admin/includes/upgrade.php';" if installing else "",
        "require_once ABSPATH . 'wp-admin/includes/user.php';",
        "require_once ABSPATH . 'wp-admin/includes/bookmark.php';",
        "$__scimcore = (function () {",
        body,
        "})();",
        f"echo {json.dumps(_MARK)} . json_encode($__scimcore);",
    ])  # fmt: skip
    proc = subprocess.run(
        ["php", "-d", "memory_limit=256M"], input=script, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    _out, marked, answer = proc.stdout.rpartition(_MARK)
    if proc.returncode != 0 or not marked or proc.stderr.strip():
        raise RuntimeError(f"php failed ({proc.returncode}):\n{proc.stderr}\n{proc.stdout[-2000:]}")
    return json.loads(answer)


def install_site(url: str, *, prefix: str = "wp_", extra_config: str = "") -> WpSite:
    """Install a fresh WordPress into the (empty) database ``url`` under a unique host."""
    host = f"scimcore-{uuid.uuid4().hex[:12]}.test"
    config = _write_config(url, prefix, host, extra_config)
    site = WpSite(host=host, url=url, prefix=prefix, config=config)
    body = f"""
        $r = wp_install('scimcore test', 'admin', 'admin@example.com', false, '',
                        {_php_literal(ADMIN_PASSWORD)});
        return ['user_id' => $r['user_id']];
    """
    try:
        wp_php(site, body, installing=True)
    except BaseException:
        config.unlink(missing_ok=True)
        raise
    return site


def remove_site(site: WpSite) -> None:
    """Forget the site's host config (the caller drops the database)."""
    site.config.unlink(missing_ok=True)


def wp_user(site: WpSite, by: str, value: str) -> dict[str, Any] | None:
    """What WordPress itself says of a user: ``get_user_by(by, value)``, roles and names."""
    body = f"""
        $u = get_user_by({_php_literal(by)}, {_php_literal(value)});
        if (!$u) return null;
        return [
            'ID' => $u->ID, 'user_login' => $u->user_login, 'user_email' => $u->user_email,
            'display_name' => $u->display_name, 'first_name' => $u->first_name,
            'last_name' => $u->last_name, 'nickname' => $u->nickname, 'user_url' => $u->user_url,
            'user_nicename' => $u->user_nicename, 'roles' => array_values($u->roles),
            'user_level' => (int) get_user_option('user_level', $u->ID),
            'sessions' => count(WP_Session_Tokens::get_instance($u->ID)->get_all()),
        ];
    """
    result: dict[str, Any] | None = wp_php(site, body)
    return result


def wp_login(site: WpSite, login: str, password: str) -> dict[str, Any]:
    """``wp_authenticate`` and ``wp_check_password`` for ``login``: ok, error code, hash check."""
    body = f"""
        $u = get_user_by('login', {_php_literal(login)});
        $check = $u ? wp_check_password({_php_literal(password)}, $u->user_pass, $u->ID) : null;
        $a = wp_authenticate({_php_literal(login)}, {_php_literal(password)});
        return ['ok' => !is_wp_error($a), 'check' => $check,
                'error' => is_wp_error($a) ? $a->get_error_code() : null,
                'ID' => is_wp_error($a) ? null : $a->ID];
    """
    result: dict[str, Any] = wp_php(site, body)
    return result


def wp_create_user(site: WpSite, login: str, password: str, email: str) -> int:
    """``wp_create_user`` as a site admin would (the site's default role); the new ID."""
    body = f"""
        $id = wp_create_user({_php_literal(login)}, {_php_literal(password)},
                             {_php_literal(email)});
        if (is_wp_error($id)) throw new Exception($id->get_error_message());
        return $id;
    """
    return int(wp_php(site, body))


def wp_start_session(site: WpSite, login: str) -> int:
    """A logged-in session for ``login`` (``WP_Session_Tokens::create``); the session count."""
    body = f"""
        $u = get_user_by('login', {_php_literal(login)});
        $m = WP_Session_Tokens::get_instance($u->ID);
        $m->create(time() + 3600);
        return count($m->get_all());
    """
    return int(wp_php(site, body))

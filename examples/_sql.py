"""Run a site's DDL script (``schema.mysql.sql`` or ``schema.sql``) against an SQLAlchemy URL."""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["run_script", "schema_for", "split_statements"]


def split_statements(script: str) -> list[str]:
    """The statements of an SQL script: ``;`` at the end of a line ends one; ``--`` lines drop."""
    statements: list[str] = []
    current: list[str] = []
    for line in script.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("--")):
            continue
        current.append(line)
        if line.rstrip().endswith(";"):
            statements.append("\n".join(current).rstrip().rstrip(";"))
            current = []
    if current and "".join(current).strip():
        statements.append("\n".join(current))
    return statements


def schema_for(site_dir: Path, url: str) -> Path:
    """The site's DDL for the URL's database: ``schema.mysql.sql`` on MySQL/MariaDB, else
    ``schema.sql`` (SQLite)."""
    mysql = url.startswith(("mysql", "mariadb"))
    return site_dir / ("schema.mysql.sql" if mysql else "schema.sql")


def run_script(url: str, path: Path) -> None:
    """Execute every statement of ``path`` on the database at ``url``, in one connection."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in split_statements(path.read_text()):
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def _main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("wordpress", "magento", "drupal"):
        print("usage: python -m examples._sql {wordpress|magento|drupal} DB_URL", file=sys.stderr)
        return 2
    site, url = argv
    run_script(url, schema_for(Path(__file__).parent / site, url))
    print(f"created the {site} tables in {url.split('@')[-1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))

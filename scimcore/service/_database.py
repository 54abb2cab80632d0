"""``--db URL``: which database a URL names, checked before anything opens it (one-line errors).

A URL is ``memory:``, ``sqlite:///FILE`` (or a plain path) or ``postgresql://…``. Anything else
is refused with what is supported. A SQLite file's directory must exist; tools that only read an
existing database (``scimcore audit``, ``scimcore token``) also need the file itself, so that a
misspelled path is an error instead of a new empty database. A PostgreSQL URL is probed with
one connection and a short connect timeout, so that a server that can't be reached, a database
that does not exist or a refused login is one line within seconds, not a pool retrying for 30 s.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import attrs

from scimcore.errors import ConfigurationError

MEMORY_URLS = ("memory:", ":memory:", "memory")
POSTGRES_PREFIXES = ("postgresql://", "postgres://")
_SQLITE_PREFIXES = ("sqlite:///", "sqlite://", "sqlite:")
_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://")
_PASSWORD = re.compile(r"(?P<head>://[^:/@]*:)[^@/]*@")
_QUERY_PASSWORD = re.compile(r"(?P<head>[?&]password=)[^&]*", re.IGNORECASE)
_SQLITE_MAGIC = b"SQLite format 3\x00"
_SUPPORTED = (
    "use --db sqlite:///FILE, --db postgresql://USER@HOST/DATABASE "
    "(pip install 'scimcore[postgres]') or --db memory:"
)

Kind = Literal["memory", "sqlite", "postgresql"]


@attrs.frozen(slots=True)
class Database:
    """A checked ``--db``: its kind, the URL as given and (SQLite) the file path."""

    kind: Kind
    url: str
    path: str = ""

    @property
    def shown(self) -> str:
        """The URL with any password masked, for messages."""
        return shown_url(self.url)


def shown_url(url: str) -> str:
    """``url`` with the password of a ``scheme://user:password@host`` URL replaced by ``***``."""
    return _QUERY_PASSWORD.sub(r"\g<head>***", _PASSWORD.sub(r"\g<head>***@", url))


def parse_database(url: str, *, flag: str = "--db") -> Database:
    """Classify a database URL; ConfigurationError (one line, naming ``flag``) if unsupported."""
    if url in MEMORY_URLS:
        return Database("memory", url)
    if url.startswith(POSTGRES_PREFIXES):
        return Database("postgresql", url)
    for prefix in _SQLITE_PREFIXES:
        if url.startswith(prefix):
            path = url[len(prefix) :]
            if not path:
                raise ConfigurationError(f"{flag} {url!r} names no SQLite file; {_SUPPORTED}")
            return Database("sqlite", url, path)
    found = _SCHEME.match(url)
    if found is not None:
        scheme = found["scheme"].lower()
        if scheme.split("+")[0] in ("mysql", "mariadb"):
            raise ConfigurationError(
                f"{flag} {shown_url(url)}: the reference server keeps its data in SQLite, "
                "PostgreSQL or memory (MySQL/MariaDB is for application stores over an "
                f"application's own tables: the app and mysql extras); {_SUPPORTED}"
            )
        raise ConfigurationError(f"{flag} {shown_url(url)}: unsupported database; {_SUPPORTED}")
    if not url.strip():
        raise ConfigurationError(f"{flag} is empty; {_SUPPORTED}")
    return Database("sqlite", url, url)


def check_database(
    url: str, *, flag: str = "--db", must_exist: bool = False, timeout: float = 4.0
) -> Database:
    """Parse ``url`` and check it can be opened: ConfigurationError, one line, when not.

    ``must_exist`` refuses a SQLite file that is not there yet (for tools that read an existing
    server's database). PostgreSQL gets one probe connection that gives up after ``timeout``
    seconds.
    """
    db = parse_database(url, flag=flag)
    if db.kind == "sqlite":
        _check_sqlite(db, flag, must_exist)
    elif db.kind == "postgresql":
        probe_postgres(db.url, flag=flag, timeout=timeout)
    return db


def _check_sqlite(db: Database, flag: str, must_exist: bool) -> None:
    path = Path(db.path)
    if path.is_dir():
        raise ConfigurationError(
            f"{flag} {db.url}: {str(path)!r} is a directory; name a file in it"
        )
    parent = path.parent
    if not parent.is_dir():
        raise ConfigurationError(
            f"{flag} {db.url}: the directory {str(parent)!r} does not exist; "
            f"create it (mkdir -p {parent}) or give another path"
        )
    if not path.exists():
        if must_exist:
            raise ConfigurationError(
                f"{flag} {db.url}: no such database file {str(path)!r}; give the --db the "
                "server runs with (the server creates the file when it first starts)"
            )
        return
    try:
        with path.open("rb") as fh:
            head = fh.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise ConfigurationError(f"{flag} {db.url}: cannot read it: {exc.strerror}") from None
    if head and head != _SQLITE_MAGIC:
        raise ConfigurationError(f"{flag} {db.url}: {str(path)!r} is not a SQLite database")


def probe_postgres(dsn: str, *, flag: str = "--db", timeout: float = 4.0) -> None:
    """Connect once to PostgreSQL (giving up after ``timeout`` s); one-line error when it fails."""
    from scimcore._extras import require

    psycopg = require("psycopg", extra="postgres", feature=f"{flag} postgresql://…")
    require("psycopg_pool", extra="postgres", feature=f"{flag} postgresql://…")
    options = {} if "connect_timeout" in dsn else {"connect_timeout": max(1, round(timeout))}
    try:
        psycopg.connect(dsn, **options).close()
    except psycopg.Error as exc:
        raise ConfigurationError(
            f"{flag} {shown_url(dsn)}: cannot connect to PostgreSQL: {_reason(str(exc))}"
        ) from None


def _reason(text: str) -> str:
    """libpq's message on one line, with the hint that fits the usual causes."""
    line = " ".join(part.strip() for part in text.strip().splitlines() if part.strip())
    line = re.sub(r"^connection failed: ", "", line)
    line = re.sub(r"\s+", " ", line)
    missing = re.search(r'database "([^"]+)" does not exist', line)
    if missing:
        return f"{line} (create it: createdb {missing[1]})"
    return line

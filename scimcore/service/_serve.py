"""Running the reference server: open the store a ``--db`` URL names and serve over HTTP."""

from __future__ import annotations

import importlib
import importlib.util
import secrets
import socket
import socketserver
import sys
from typing import Any, cast
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from scimcore.errors import ConfigurationError
from scimcore.service._config import ServiceConfig
from scimcore.service._database import parse_database
from scimcore.service._service import ScimService
from scimcore.store import MemoryStore, Store


def open_store(url: str, config: ServiceConfig) -> Store:
    """Open the store a database URL names.

    ``memory:`` keeps everything in memory; ``postgresql://…`` (or ``postgres://…``) uses
    PostgreSQL; ``sqlite:///path``, ``sqlite:path`` or a plain file path use SQLite. Another
    scheme (``mysql://…``) is a ConfigurationError saying what is supported; call
    :func:`~scimcore.service._database.check_database` first for one-line errors on a missing
    directory or an unreachable PostgreSQL.
    """
    options: dict[str, Any] = {
        "registry": config.registry,
        "unique_group_display_name": config.group_display_name_unique,
    }
    db = parse_database(url)
    if db.kind == "memory":
        return MemoryStore(**options)
    if db.kind == "postgresql":
        return cast(Store, _store_class("PostgresStore")(db.url, **options))
    return cast(Store, _store_class("SqliteStore")(db.path, **options))


def _store_class(name: str) -> Any:
    found = getattr(importlib.import_module("scimcore.store"), name, None)
    if found is None:
        raise ConfigurationError(f"{name} is not available in this build")
    return found


def new_token() -> str:
    """A fresh random bearer token (for a server started without one)."""
    return secrets.token_urlsafe(32)


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"{self.address_string()} {format % args}\n")


def _use_uvicorn(server: str) -> bool:
    if server == "auto":
        try:
            importlib.import_module("uvicorn")
        except ImportError:
            return False
        return True
    return server == "uvicorn"


def _uvicorn_config(service: ScimService, **options: Any) -> Any:
    """uvicorn's settings: httptools and uvloop when installed (the ``server`` extra), else h11."""
    from scimcore._extras import require

    uvicorn = require("uvicorn", extra="server", feature="--server uvicorn")

    from scimcore.adapters import asgi_app

    return uvicorn.Config(
        asgi_app(service),
        log_level="warning",
        access_log=False,
        http="httptools" if importlib.util.find_spec("httptools") else "h11",
        **options,
    )


def run_server(service: ScimService, host: str, port: int, *, server: str = "auto") -> None:
    """Serve until interrupted: uvicorn (ASGI) when installed, else the stdlib WSGI server."""
    if _use_uvicorn(server):
        from scimcore._extras import require

        uvicorn = require("uvicorn", extra="server", feature="--server uvicorn")
        uvicorn.Server(_uvicorn_config(service, host=host, port=port)).run()
        return
    from scimcore.adapters import wsgi_app

    with make_server(
        host,
        port,
        wsgi_app(service),
        server_class=_ThreadingWSGIServer,
        handler_class=_QuietHandler,
    ) as httpd:
        httpd.serve_forever()


def serve_socket(service: ScimService, sock: socket.socket, *, server: str = "auto") -> None:
    """Serve on a socket that is already listening (one ``--workers`` process)."""
    if _use_uvicorn(server):
        from scimcore._extras import require

        uvicorn = require("uvicorn", extra="server", feature="--server uvicorn")
        uvicorn.Server(_uvicorn_config(service)).run(sockets=[sock])
        return
    from scimcore.adapters import wsgi_app

    httpd = _ThreadingWSGIServer(sock.getsockname()[:2], _QuietHandler, bind_and_activate=False)
    httpd.socket.close()
    httpd.socket = sock
    host, port = sock.getsockname()[:2]
    httpd.server_name = socket.getfqdn(host)
    httpd.server_port = port
    httpd.setup_environ()
    httpd.set_app(wsgi_app(service))
    httpd.serve_forever()

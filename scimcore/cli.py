"""The ``scimcore`` command line: the reference server and the audit log (subcommands grow here).

Each subcommand is added by one ``_add_<name>(subparsers)`` function that sets ``func`` on its
parser; :func:`main` calls it. Add a subcommand by writing such a function and listing it in
:data:`_COMMANDS`.
"""

from __future__ import annotations

import argparse
import errno
import os
import socket
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scimcore import __version__
from scimcore.audit._cli import add_audit_parser, run_audit
from scimcore.errors import ConfigurationError

if TYPE_CHECKING:
    from scimcore.service._kept_token import KeptToken

_Subparsers = Any


def _serve(args: argparse.Namespace) -> int:
    import attrs

    from scimcore._extras import require
    from scimcore.audit._service import attach_audit_log
    from scimcore.service import BearerTokens
    from scimcore.service._database import check_database
    from scimcore.service._kept_token import kept_token
    from scimcore.service._serve import open_store, serve_socket
    from scimcore.service._service import ScimService
    from scimcore.service._settings import DEFAULT_DB, ServeSettings, load_settings
    from scimcore.service._workers import parse_workers, run_workers, worker_rate_limit

    if args.server == "uvicorn":
        require("uvicorn", extra="server", feature="scimcore serve --server uvicorn")
    workers = parse_workers(args.workers)
    settings = load_settings(args.config) if args.config else ServeSettings()
    host = args.host or settings.host
    port = args.port if args.port is not None else settings.port
    db = check_database(args.db or settings.db or DEFAULT_DB)
    if workers > 1 and db.kind == "memory":
        raise ConfigurationError("--workers above 1 needs a database the workers share")
    created = db.kind == "sqlite" and not Path(db.path).exists()
    config = settings.config
    if args.token:
        auth = BearerTokens.from_tokens({f"cli-{i + 1}": t for i, t in enumerate(args.token)})
        config = attrs.evolve(config, authenticator=auth)
    config = attrs.evolve(config, rate_limit=worker_rate_limit(config.rate_limit, workers))
    sock = _listen(host, port)
    try:
        if created:
            print(f"scimcore: creating the database {db.path}", file=sys.stderr)
        if args.base_url or not settings.base_url_set:  # else the file's public URL stays
            served = f"http://{_url_host(host)}:{sock.getsockname()[1]}/scim/v2"
            config = attrs.evolve(config, base_url=args.base_url or served)
        if config.authenticator is None and not args.no_auth:
            # Decided before any fork: every worker accepts the same token.
            kept = kept_token(db)
            config = attrs.evolve(
                config, authenticator=BearerTokens.from_hashes({"generated": kept.sha256})
            )
            _say_token(kept, db.kind, db.shown)

        def open_service() -> tuple[ScimService, Callable[[], None]]:
            store = open_store(db.url, config)
            served, audit_log = attach_audit_log(config, db.url)

            def close() -> None:
                store.close()
                if audit_log is not None:
                    audit_log.close()

            return ScimService(store, served), close

        service, close = open_service()
        if workers > 1:  # the parent only checks the store (and creates its tables) and listens
            close()
    except BaseException:
        sock.close()
        raise
    shown = f"{workers} workers, " if workers > 1 else ""
    print(
        f"scimcore: serving SCIM 2.0 at {config.base_url} ({shown}store: {db.shown})",
        file=sys.stderr,
    )
    if workers > 1:
        return run_workers(
            open_service,
            sock,
            workers=workers,
            serve=lambda svc, s: serve_socket(svc, s, server=args.server),
        )
    try:
        serve_socket(service, sock, server=args.server)
    except KeyboardInterrupt:
        pass
    finally:
        close()
        sock.close()
    return 0


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything is opened: a busy port is one line."""
    from scimcore.service._workers import bind

    try:
        return bind(host, port)
    except ConfigurationError as exc:
        cause = exc.__cause__
        code = cause.errno if isinstance(cause, OSError) else None
        hint = {
            errno.EADDRINUSE: "another server is listening there: stop it or pick another --port",
            errno.EACCES: "ports below 1024 need privileges: pick a --port above 1023",
            errno.EADDRNOTAVAIL: "--host is not an address of this machine",
        }.get(code or 0, "check --host and --port")
        reason = cause.strerror if isinstance(cause, OSError) and cause.strerror else exc.detail
        reason = reason.split(" (while attempting", 1)[0]
        raise ConfigurationError(f"cannot listen on {host}:{port}: {reason} ({hint})") from None


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _say_token(kept: KeptToken, kind: str, shown: str) -> None:
    """Tell the operator about the generated token: shown once, then only where it is kept."""
    rotate = f"scimcore token rotate --db {shown}"
    if kept.token is None:
        print(
            f"scimcore: accepting the bearer token generated {kept.created} (its SHA-256 hash is "
            f"kept in the database); to replace it: {rotate}, then restart",
            file=sys.stderr,
        )
        return
    print(f"scimcore: no token configured; use this one: {kept.token}", file=sys.stderr)
    if kind == "memory":
        print(
            "scimcore: (memory: keeps no data, so the token lasts until this process ends)",
            file=sys.stderr,
        )
        return
    print(
        "scimcore: it is shown only now; restarts on this database accept it (only its SHA-256 "
        f"hash is kept); to replace it: {rotate}, then restart",
        file=sys.stderr,
    )


def _port(text: str) -> int:
    """``--port``: an integer from 0 (any free port) to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(
            f"{value} is not a port: give 1 to 65535 (0: any free one)"
        )
    return value


def _add_serve(sub: _Subparsers) -> None:
    p = sub.add_parser(
        "serve",
        help="run the reference SCIM 2.0 server",
        description="Run the reference SCIM 2.0 server; base URL http://HOST:PORT/scim/v2.",
    )
    p.add_argument("--config", metavar="FILE", help="a TOML config file (see README.md)")
    p.add_argument(
        "--db",
        metavar="URL",
        help="sqlite:///FILE (default sqlite:///scimcore.sqlite3), postgresql://… or memory:",
    )
    p.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=_port, help="port to listen on (default 8080; 0: any free one)")
    p.add_argument(
        "--token",
        action="append",
        metavar="TOKEN",
        help="a bearer token to accept (repeat for several); without one a token is generated",
    )
    p.add_argument("--base-url", help="the public SCIM base URL, if not http://HOST:PORT/scim/v2")
    p.add_argument(
        "--server",
        choices=("auto", "uvicorn", "wsgiref"),
        default="auto",
        help="HTTP server: uvicorn when installed (auto), or the standard library's",
    )
    p.add_argument(
        "--workers",
        default="1",
        metavar="N",
        help="processes serving the one database (default 1; 'auto' = one per CPU); they share "
        "the port, tokens and data, each keeps 1/N of a rate limit",
    )
    p.add_argument(
        "--no-auth", action="store_true", help="serve without authentication (local testing only)"
    )
    p.set_defaults(func=_serve)


def _token(args: argparse.Namespace) -> int:
    from scimcore.service._database import check_database
    from scimcore.service._kept_token import rotate_token

    db = check_database(args.db, must_exist=True)
    if db.kind == "memory":
        raise ConfigurationError("--db memory: keeps no token (each start generates its own)")
    made = rotate_token(db)
    print(made.token)
    print(
        "scimcore: the server accepts this token (and no longer the old one) once it restarts on "
        f"{db.shown}; give it to the IdP",
        file=sys.stderr,
    )
    return 0


def _add_token(sub: _Subparsers) -> None:
    p = sub.add_parser(
        "token",
        help="replace the bearer token the server generated",
        description="The token 'scimcore serve' generates without --token is kept (as a SHA-256 "
        "hash) in its database. 'rotate' makes a new one, prints it once and stores its hash.",
    )
    actions = p.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    rotate = actions.add_parser("rotate", help="generate a new token and print it")
    rotate.add_argument("--db", required=True, metavar="URL", help="the server's --db")
    p.set_defaults(func=_token)


_COMMANDS: list[Callable[[_Subparsers], None]] = [_add_serve, _add_token]


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser for ``scimcore``."""
    parser = argparse.ArgumentParser(
        prog="scimcore", description="scimcore: a SCIM 2.0 core library and reference server"
    )
    parser.add_argument("--version", action="version", version=f"scimcore {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in _COMMANDS:
        add(sub)
    add_audit_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``scimcore`` command; return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        func: Callable[[argparse.Namespace], int] = (
            run_audit if args.command == "audit" else args.func
        )
        status = func(args)
        sys.stdout.flush()  # here, where a closed pipe is caught, not at interpreter exit
        return status
    except ConfigurationError as exc:
        print(f"scimcore {args.command}: {exc.detail}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (``| head``): stop quietly
        _silence_stdout()
        return 141


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush can't raise again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file (a test's capture)
        pass
    finally:
        os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())

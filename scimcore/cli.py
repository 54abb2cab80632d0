"""The ``scimcore`` command line: the reference server and the audit log (subcommands grow here).

Each subcommand is added by one ``_add_<name>(subparsers)`` function that sets ``func`` on its
parser; :func:`main` calls it. Add a subcommand by writing such a function and listing it in
:data:`_COMMANDS`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from scimcore.audit._cli import add_audit_parser, run_audit
from scimcore.audit._service import attach_audit_log
from scimcore.errors import ConfigurationError

_Subparsers = Any


def _serve(args: argparse.Namespace) -> int:
    import attrs

    from scimcore.service import BearerTokens
    from scimcore.service._serve import new_token, open_store, run_server, serve_socket
    from scimcore.service._service import ScimService
    from scimcore.service._settings import DEFAULT_DB, ServeSettings, load_settings
    from scimcore.service._workers import bind, parse_workers, run_workers, worker_rate_limit

    try:
        workers = parse_workers(args.workers)
        settings = load_settings(args.config) if args.config else ServeSettings()
        host = args.host or settings.host
        port = args.port if args.port is not None else settings.port
        db = args.db or settings.db or DEFAULT_DB
        if workers > 1 and db in ("memory:", ":memory:", "memory"):
            raise ConfigurationError("--workers above 1 needs a database the workers share")
        config = settings.config
        if not args.config or args.base_url:
            base_url = args.base_url or f"http://{host}:{port}/scim/v2"
            config = attrs.evolve(config, base_url=base_url)
        if args.token:
            auth = BearerTokens.from_tokens({f"cli-{i + 1}": t for i, t in enumerate(args.token)})
            config = attrs.evolve(config, authenticator=auth)
        generated = None
        if config.authenticator is None and not args.no_auth:
            generated = new_token()  # before any fork: every worker accepts the same token
            config = attrs.evolve(
                config, authenticator=BearerTokens.from_tokens({"generated": generated})
            )
        config = attrs.evolve(config, rate_limit=worker_rate_limit(config.rate_limit, workers))

        def open_service() -> tuple[ScimService, Callable[[], None]]:
            store = open_store(db, config)
            served, audit_log = attach_audit_log(config, db)

            def close() -> None:
                store.close()
                if audit_log is not None:
                    audit_log.close()

            return ScimService(store, served), close

        service, close = open_service()
        sock = None
        if workers > 1:  # the parent only checks the store (and creates its tables) and listens
            close()
            sock = bind(host, port)
    except ConfigurationError as exc:
        print(f"scimcore serve: {exc.detail}", file=sys.stderr)
        return 2
    shown = f"{workers} workers, " if workers > 1 else ""
    print(f"scimcore: serving SCIM 2.0 at {config.base_url} ({shown}store: {db})", file=sys.stderr)
    if generated is not None:
        print(f"scimcore: no token configured; use this one: {generated}", file=sys.stderr)
    if sock is not None:
        return run_workers(
            open_service,
            sock,
            workers=workers,
            serve=lambda svc, s: serve_socket(svc, s, server=args.server),
        )
    try:
        run_server(service, host, port, server=args.server)
    except KeyboardInterrupt:
        pass
    finally:
        close()
    return 0


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
    p.add_argument("--port", type=int, help="port to listen on (default 8080)")
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


_COMMANDS: list[Callable[[_Subparsers], None]] = [_add_serve]


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser for ``scimcore``."""
    parser = argparse.ArgumentParser(
        prog="scimcore", description="scimcore: a SCIM 2.0 core library and reference server"
    )
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
    if args.command == "audit":
        return run_audit(args)
    func: Callable[[argparse.Namespace], int] = args.func
    return func(args)


if __name__ == "__main__":
    sys.exit(main())

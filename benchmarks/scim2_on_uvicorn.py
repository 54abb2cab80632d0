"""scim2-server's WSGI application served by uvicorn (httptools), for the same-stack comparison.

    python -m benchmarks.scim2_on_uvicorn --port 8000 --bearer-token TOKEN

Builds the application from scim2-server's public API with its defaults (the default schemas,
resource types and service provider configuration, in-memory storage, bearer tokens), as its
own command does, and hands it to uvicorn's WSGI interface instead of wsgiref.
"""

from __future__ import annotations

import argparse
import os
import secrets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bearer-token", action="append", default=[])
    args = parser.parse_args()

    import uvicorn
    from scim2_models import ScimProvider
    from scim2_server.memory import InMemoryStorage
    from scim2_server.service import ScimService
    from scim2_server.testserver.application import BEARER_TOKEN_SCHEME, BearerTokenApplication
    from scim2_server.utils import (
        load_default_resource_types,
        load_default_schemas,
        load_default_service_provider_config,
    )

    config = load_default_service_provider_config()
    if args.bearer_token:
        config.authentication_schemes = [
            *(config.authentication_schemes or []),
            BEARER_TOKEN_SCHEME,
        ]
    provider = ScimProvider.from_discovery(
        load_default_schemas().values(), load_default_resource_types().values(), config=config
    )
    secret = os.environ.get("SCIM2_SERVER_SECRET") or secrets.token_urlsafe(32)
    app = BearerTokenApplication(
        InMemoryStorage(),
        provider,
        service=ScimService(provider, secret=secret),
        bearer_tokens=args.bearer_token,
    )
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        interface="wsgi",
        http="httptools",
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()

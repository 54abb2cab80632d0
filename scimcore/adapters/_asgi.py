"""The ASGI adapter: an ASGI 3 application that hands each HTTP request to a ScimService."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from scimcore.service import ScimRequest, ScimResponse, ScimService

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _body_limit(service: ScimService) -> int:
    config = service.config
    return max(config.max_body_bytes, config.bulk_max_payload_bytes)


def asgi_app(service: ScimService, *, threads: int = 32) -> ASGIApp:
    """Wrap ``service`` as an ASGI application.

    The handler runs in a pool of ``threads`` worker threads (stores block; a PostgreSQL store
    waits on the network), so the event loop stays free. Bodies are read only up to one byte past
    the service's limit, which then answers 413 itself.
    """
    limit = _body_limit(service)
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="scimcore")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    pool.shutdown(wait=False)
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            if size <= limit:
                chunk = message.get("body", b"")
                chunks.append(chunk)
                size += len(chunk)
            more = bool(message.get("more_body", False))
        raw_path = scope.get("raw_path")
        path = raw_path.decode("latin-1") if raw_path else scope["path"]
        client = scope.get("client")
        request = ScimRequest(
            method=scope["method"],
            path=path,
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]],
            body=b"".join(chunks),
            client=client[0] if client else None,
        )
        loop = asyncio.get_running_loop()
        response: ScimResponse = await loop.run_in_executor(pool, service.handle, request)
        headers = [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.items()
        ]
        headers.append((b"content-length", str(len(response.body)).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": response.body})

    return app

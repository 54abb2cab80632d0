"""Thin ASGI and WSGI glue around a ScimService, so any server (uvicorn, gunicorn, …) hosts it."""

from scimcore.adapters._asgi import asgi_app
from scimcore.adapters._wsgi import wsgi_app

__all__ = ["asgi_app", "wsgi_app"]

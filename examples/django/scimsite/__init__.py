"""The example Django project: settings, URLs (the admin and SCIM at /scim/v2/), ASGI and WSGI."""

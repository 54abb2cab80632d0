"""The site as ASGI, under the name every example has: ``uvicorn examples.django.app:app``.

Importing it sets up Django with ``examples.django.scimsite.settings`` (unless
``DJANGO_SETTINGS_MODULE`` names other settings); it reads the environment and nothing else.
"""

from examples.django.scimsite.asgi import application as app

__all__ = ["app"]

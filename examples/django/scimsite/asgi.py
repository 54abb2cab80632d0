"""The site as an ASGI application (``uvicorn examples.django.scimsite.asgi:application``)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "examples.django.scimsite.settings")
application = get_asgi_application()

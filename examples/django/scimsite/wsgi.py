"""The site as a WSGI application (``gunicorn examples.django.scimsite.wsgi``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "examples.django.scimsite.settings")
application = get_wsgi_application()

"""Settings of the example site, read from the environment (the table is in README.md)."""

import os

from scimcore.apps.django import database_from_url

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-set-DJANGO_SECRET_KEY")
DEBUG = os.environ.get("DJANGO_DEBUG", "") == "1"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "examples.django.scimsite.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
WSGI_APPLICATION = "examples.django.scimsite.wsgi.application"
ASGI_APPLICATION = "examples.django.scimsite.asgi.application"

# sqlite:///django.db (a file, relative to the working directory) or postgresql://user:pw@host/db
DATABASES = {"default": database_from_url(os.environ.get("DJANGO_DB_URL", "sqlite:///django.db"))}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "static/"

# SCIM (read by examples/django/scimsite/scim.py)
SCIM_TOKEN = os.environ.get("SCIM_TOKEN", "change-me")
SCIM_BASE_URL = os.environ.get("SCIM_BASE_URL", "http://127.0.0.1:8000/scim/v2")
SCIM_IDP = os.environ.get("DJANGO_IDP", "okta")
SCIM_DEPROVISION = os.environ.get("DJANGO_DEPROVISION", "deactivate")
SCIM_PASSWORD_ITERATIONS = int(os.environ.get("DJANGO_PASSWORD_ITERATIONS", "0")) or None

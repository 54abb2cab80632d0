"""The minimal project's settings: in-memory SQLite, bearer-token login, django-scim2."""

SECRET_KEY = "peer-test-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
USE_TZ = True
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_scim",
    "peer_django_scim2",
]
AUTH_USER_MODEL = "peer_django_scim2.User"
MIDDLEWARE = [
    "peer_django_scim2.auth.BearerTokenMiddleware",
    "django_scim.middleware.SCIMAuthCheckMiddleware",
]
ROOT_URLCONF = "peer_django_scim2.urls"
SCIM_SERVICE_PROVIDER = {
    "NETLOC": "testserver",
    "GROUP_MODEL": "peer_django_scim2.models.Group",
    "AUTHENTICATION_SCHEMES": [
        {
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication scheme using the OAuth Bearer Token Standard",
        }
    ],
}
TOKEN = "peer-conformance-token"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

"""A minimal Django project serving django-scim2, to run the conformance suite against it."""

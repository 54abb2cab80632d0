"""A minimal Django project whose auth tables are the SCIM store (see README.md)."""

"""A WordPress site's own tables provisioned over SCIM (the application store): see README.md."""

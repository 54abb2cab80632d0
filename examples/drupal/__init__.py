"""A Drupal-shaped site provisioned over SCIM (see README.md)."""

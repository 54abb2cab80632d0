"""WordPress tables (wp_users, wp_usermeta) provisioned over SCIM: see README.md."""

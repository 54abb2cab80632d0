-- The site's own tables, shaped like WordPress's wp_users and wp_usermeta (same columns).
-- The SCIM id of a provisioned user is kept as a usermeta row (meta_key 'scim_id').
CREATE TABLE IF NOT EXISTS wp_users (
  ID INTEGER PRIMARY KEY AUTOINCREMENT,
  user_login TEXT NOT NULL UNIQUE,
  user_pass TEXT NOT NULL DEFAULT '',
  user_nicename TEXT NOT NULL DEFAULT '',
  user_email TEXT NOT NULL DEFAULT '',
  user_url TEXT NOT NULL DEFAULT '',
  user_registered TEXT NOT NULL DEFAULT '0000-00-00 00:00:00',
  user_activation_key TEXT NOT NULL DEFAULT '',
  user_status INTEGER NOT NULL DEFAULT 0,
  display_name TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS user_email ON wp_users (user_email);
CREATE TABLE IF NOT EXISTS wp_usermeta (
  umeta_id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL DEFAULT 0,
  meta_key TEXT,
  meta_value TEXT);
CREATE INDEX IF NOT EXISTS usermeta_user_id ON wp_usermeta (user_id);
CREATE INDEX IF NOT EXISTS usermeta_meta_key ON wp_usermeta (meta_key, meta_value);

-- The site's own tables, WordPress-style: a user row plus key/value usermeta rows.
CREATE TABLE IF NOT EXISTS users (ID INTEGER PRIMARY KEY, user_login TEXT UNIQUE NOT NULL,
  user_email TEXT, user_pass TEXT, display_name TEXT, user_status INTEGER DEFAULT 0,
  scim_id TEXT UNIQUE);
CREATE TABLE IF NOT EXISTS usermeta (umeta_id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL,
  meta_key TEXT NOT NULL, meta_value TEXT, UNIQUE (user_id, meta_key));

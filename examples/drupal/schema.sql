-- Drupal-shaped user storage: base table, data table, one table per field, roles.
CREATE TABLE IF NOT EXISTS users (uid INTEGER PRIMARY KEY, uuid TEXT UNIQUE NOT NULL,
  langcode TEXT NOT NULL DEFAULT 'en');
CREATE TABLE IF NOT EXISTS users_field_data (uid INTEGER NOT NULL, langcode TEXT NOT NULL,
  preferred_langcode TEXT, name TEXT NOT NULL, pass TEXT, mail TEXT, timezone TEXT,
  status INTEGER, created INTEGER NOT NULL, changed INTEGER, access INTEGER NOT NULL DEFAULT 0,
  login INTEGER, init TEXT, default_langcode INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (uid, langcode), UNIQUE (name, langcode));
CREATE TABLE IF NOT EXISTS user__roles (bundle TEXT NOT NULL DEFAULT 'user',
  deleted INTEGER NOT NULL DEFAULT 0, entity_id INTEGER NOT NULL, revision_id INTEGER NOT NULL,
  langcode TEXT NOT NULL DEFAULT 'en', delta INTEGER NOT NULL, roles_target_id TEXT NOT NULL,
  PRIMARY KEY (entity_id, deleted, delta, langcode));
-- Which Drupal role each SCIM group became (a rename keeps the role's machine name).
CREATE TABLE IF NOT EXISTS scim_role (scim_id TEXT PRIMARY KEY, role_id TEXT UNIQUE NOT NULL,
  label TEXT);

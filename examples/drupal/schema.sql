-- Drupal 10's user storage on SQLite: schema.mysql.sql (the tables Drupal's entity storage
-- creates for the user entity; see there for the sources) with the same tables, columns, keys
-- and seed rows, in SQLite's dialect (text MariaDB compares case-insensitively,
-- utf8mb4_general_ci, is COLLATE NOCASE here). For trying the example without MariaDB.

CREATE TABLE IF NOT EXISTS users (
  uid INTEGER PRIMARY KEY, uuid VARCHAR(128) NOT NULL UNIQUE, langcode VARCHAR(12) NOT NULL);
CREATE TABLE IF NOT EXISTS users_field_data (
  uid INTEGER NOT NULL, langcode VARCHAR(12) NOT NULL, preferred_langcode VARCHAR(12),
  preferred_admin_langcode VARCHAR(12), name VARCHAR(60) COLLATE NOCASE NOT NULL,
  pass VARCHAR(255), mail VARCHAR(254) COLLATE NOCASE, timezone VARCHAR(32), status TINYINT,
  created INTEGER NOT NULL, changed INTEGER, access INTEGER NOT NULL, login INTEGER,
  init VARCHAR(254), default_langcode TINYINT NOT NULL,
  PRIMARY KEY (uid, langcode), UNIQUE (name, langcode));
CREATE INDEX IF NOT EXISTS user_field__mail ON users_field_data (mail);
CREATE TABLE IF NOT EXISTS user__roles (
  bundle VARCHAR(128) NOT NULL DEFAULT '', deleted TINYINT NOT NULL DEFAULT 0,
  entity_id INTEGER NOT NULL, revision_id INTEGER NOT NULL,
  langcode VARCHAR(32) NOT NULL DEFAULT '', delta INTEGER NOT NULL,
  roles_target_id VARCHAR(255) NOT NULL,
  PRIMARY KEY (entity_id, deleted, delta, langcode));
CREATE TABLE IF NOT EXISTS user__field_first_name (
  bundle VARCHAR(128) NOT NULL DEFAULT '', deleted TINYINT NOT NULL DEFAULT 0,
  entity_id INTEGER NOT NULL, revision_id INTEGER NOT NULL,
  langcode VARCHAR(32) NOT NULL DEFAULT '', delta INTEGER NOT NULL,
  field_first_name_value VARCHAR(255) NOT NULL,
  PRIMARY KEY (entity_id, deleted, delta, langcode));
CREATE TABLE IF NOT EXISTS user__field_last_name (
  bundle VARCHAR(128) NOT NULL DEFAULT '', deleted TINYINT NOT NULL DEFAULT 0,
  entity_id INTEGER NOT NULL, revision_id INTEGER NOT NULL,
  langcode VARCHAR(32) NOT NULL DEFAULT '', delta INTEGER NOT NULL,
  field_last_name_value VARCHAR(255) NOT NULL,
  PRIMARY KEY (entity_id, deleted, delta, langcode));
CREATE TABLE IF NOT EXISTS user__field_department (
  bundle VARCHAR(128) NOT NULL DEFAULT '', deleted TINYINT NOT NULL DEFAULT 0,
  entity_id INTEGER NOT NULL, revision_id INTEGER NOT NULL,
  langcode VARCHAR(32) NOT NULL DEFAULT '', delta INTEGER NOT NULL,
  field_department_value VARCHAR(255) NOT NULL,
  PRIMARY KEY (entity_id, deleted, delta, langcode));
CREATE TABLE IF NOT EXISTS sessions (
  uid INTEGER NOT NULL, sid VARCHAR(128) PRIMARY KEY, hostname VARCHAR(128) NOT NULL DEFAULT '',
  timestamp INTEGER NOT NULL DEFAULT 0, session BLOB);
CREATE INDEX IF NOT EXISTS sessions_uid ON sessions (uid);
CREATE TABLE IF NOT EXISTS config (
  collection VARCHAR(255) NOT NULL DEFAULT '', name VARCHAR(255) NOT NULL DEFAULT '', data BLOB,
  PRIMARY KEY (collection, name));

INSERT OR IGNORE INTO users (uid, uuid, langcode)
VALUES (0, '00000000-0000-4000-8000-000000000000', 'en');
INSERT OR IGNORE INTO users_field_data (uid, langcode, preferred_langcode, name, status, created,
  changed, access, login, default_langcode)
VALUES (0, 'en', 'en', '', 0, 0, 0, 0, 0, 1);
INSERT OR IGNORE INTO config (collection, name, data) VALUES
  ('', 'user.role.anonymous', 'a:8:{s:4:"uuid";s:0:"";s:8:"langcode";s:2:"en";s:6:"status";b:1;s:12:"dependencies";a:0:{}s:2:"id";s:9:"anonymous";s:5:"label";s:14:"Anonymous user";s:6:"weight";i:0;s:11:"permissions";a:0:{}}'),
  ('', 'user.role.authenticated', 'a:8:{s:4:"uuid";s:0:"";s:8:"langcode";s:2:"en";s:6:"status";b:1;s:12:"dependencies";a:0:{}s:2:"id";s:13:"authenticated";s:5:"label";s:18:"Authenticated user";s:6:"weight";i:1;s:11:"permissions";a:0:{}}'),
  ('', 'user.role.content_editor', 'a:8:{s:4:"uuid";s:0:"";s:8:"langcode";s:2:"en";s:6:"status";b:1;s:12:"dependencies";a:0:{}s:2:"id";s:14:"content_editor";s:5:"label";s:14:"Content editor";s:6:"weight";i:2;s:11:"permissions";a:0:{}}'),
  ('', 'user.role.administrator', 'a:9:{s:4:"uuid";s:0:"";s:8:"langcode";s:2:"en";s:6:"status";b:1;s:12:"dependencies";a:0:{}s:2:"id";s:13:"administrator";s:5:"label";s:13:"Administrator";s:6:"weight";i:3;s:8:"is_admin";b:1;s:11:"permissions";a:0:{}}');

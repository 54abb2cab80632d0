-- Drupal 10 user storage on MariaDB/MySQL, as Drupal's entity storage creates it.
--
-- Drupal has no schema file for these tables: SqlContentEntityStorageSchema derives them from
-- the user entity's base fields, and these are the tables it makes on MySQL. Sources (drupal/drupal):
--   core/modules/user/src/Entity/User.php         (base fields: name, pass, mail, timezone,
--                                                  status, created, changed, access, login, init,
--                                                  roles; preferred_langcode, langcode)
--   core/modules/user/src/UserStorageSchema.php   @ 139f9114172b31ea35595d741f52a2abb8b7a3d6
--                                                 (unique user__name (name, langcode); name
--                                                  NOT NULL varchar(60); indexes on mail, created,
--                                                  access)
--   core/modules/user/src/UserStorage.php         @ 139f9114172b31ea35595d741f52a2abb8b7a3d6
--                                                 (uid is a serial: uid 0 needs NO_AUTO_VALUE_ON_ZERO)
--   core/lib/Drupal/Core/Entity/Sql/SqlContentEntityStorageSchema.php (base table users:
--     uid, uuid, langcode, unique uuid; data table users_field_data keyed (uid, langcode);
--     dedicated multi-value tables <entity>__<field>: bundle, deleted, entity_id, revision_id,
--     langcode, delta, <field>_<property>, primary key (entity_id, deleted, delta, langcode))
--   core/lib/Drupal/Core/Session/SessionHandler.php (sessions: uid, sid, hostname, timestamp,
--     session) and core/lib/Drupal/Core/Config/DatabaseStorage.php (config: collection, name,
--     data); roles are config entities: one config row 'user.role.<id>' each, data = PHP
--     serialize() of the role's config (user.role.*.yml).
-- user__field_first_name, user__field_last_name, user__field_department are the tables Drupal
-- creates for string fields of those names added to the user entity (Manage fields).
-- Run with the client, e.g.   mysql -u drupal -p drupal < examples/drupal/schema.mysql.sql

SET SESSION sql_mode = CONCAT(@@SESSION.sql_mode, ',NO_AUTO_VALUE_ON_ZERO');

CREATE TABLE IF NOT EXISTS users (
  uid int unsigned NOT NULL AUTO_INCREMENT,
  uuid varchar(128) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL,
  langcode varchar(12) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL,
  PRIMARY KEY (uid),
  UNIQUE KEY user_field__uuid__value (uuid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci
  COMMENT='The base table for user entities.';

CREATE TABLE IF NOT EXISTS users_field_data (
  uid int unsigned NOT NULL,
  langcode varchar(12) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL,
  preferred_langcode varchar(12) CHARACTER SET ascii COLLATE ascii_general_ci DEFAULT NULL,
  preferred_admin_langcode varchar(12) CHARACTER SET ascii COLLATE ascii_general_ci DEFAULT NULL,
  name varchar(60) NOT NULL,
  pass varchar(255) DEFAULT NULL,
  mail varchar(254) DEFAULT NULL,
  timezone varchar(32) DEFAULT NULL,
  status tinyint DEFAULT NULL,
  created int NOT NULL,
  changed int DEFAULT NULL,
  access int NOT NULL,
  login int DEFAULT NULL,
  init varchar(254) DEFAULT NULL,
  default_langcode tinyint NOT NULL,
  PRIMARY KEY (uid, langcode),
  UNIQUE KEY user__name (name, langcode),
  KEY user__id__default_langcode__langcode (uid, default_langcode, langcode),
  KEY user_field__mail (mail(191)),
  KEY user_field__created (created),
  KEY user_field__access (access)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci
  COMMENT='The data table for user entities.';

CREATE TABLE IF NOT EXISTS user__roles (
  bundle varchar(128) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL DEFAULT '',
  deleted tinyint NOT NULL DEFAULT 0,
  entity_id int unsigned NOT NULL,
  revision_id int unsigned NOT NULL,
  langcode varchar(32) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL DEFAULT '',
  delta int unsigned NOT NULL,
  roles_target_id varchar(255) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL,
  PRIMARY KEY (entity_id, deleted, delta, langcode),
  KEY bundle (bundle),
  KEY revision_id (revision_id),
  KEY roles_target_id (roles_target_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci
  COMMENT='Data storage for user field roles.';

CREATE TABLE IF NOT EXISTS user__field_first_name (
  bundle varchar(128) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL DEFAULT '',
  deleted tinyint NOT NULL DEFAULT 0,
  entity_id int unsigned NOT NULL,
  revision_id int unsigned NOT NULL,
  langcode varchar(32) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL DEFAULT '',
  delta int unsigned NOT NULL,
  field_first_name_value varchar(255) NOT NULL,
  PRIMARY KEY (entity_id, deleted, delta, langcode),
  KEY bundle (bundle),
  KEY revision_id (revision_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci
  COMMENT='Data storage for user field field_first_name.';

CREATE TABLE IF NOT EXISTS user__field_last_name (
  bundle varchar(128) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL DEFAULT '',
  deleted tinyint NOT NULL DEFAULT 0,
  entity_id int unsigned NOT NULL,
  revision_id int unsigned NOT NULL,
  langcode varchar(32) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL DEFAULT '',
  delta int unsigned NOT NULL,
  field_last_name_value varchar(255) NOT NULL,
  PRIMARY KEY (entity_id, deleted, delta, langcode),
  KEY bundle (bundle),
  KEY revision_id (revision_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci
  COMMENT='Data storage for user field field_last_name.';

CREATE TABLE IF NOT EXISTS user__field_department (
  bundle varchar(128) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL DEFAULT '',
  deleted tinyint NOT NULL DEFAULT 0,
  entity_id int unsigned NOT NULL,
  revision_id int unsigned NOT NULL,
  langcode varchar(32) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL DEFAULT '',
  delta int unsigned NOT NULL,
  field_department_value varchar(255) NOT NULL,
  PRIMARY KEY (entity_id, deleted, delta, langcode),
  KEY bundle (bundle),
  KEY revision_id (revision_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci
  COMMENT='Data storage for user field field_department.';

CREATE TABLE IF NOT EXISTS sessions (
  uid int unsigned NOT NULL,
  sid varchar(128) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL,
  hostname varchar(128) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL DEFAULT '',
  timestamp int NOT NULL DEFAULT 0,
  session longblob DEFAULT NULL,
  PRIMARY KEY (sid),
  KEY timestamp (timestamp),
  KEY uid (uid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci
  COMMENT='Drupal''s session handlers read and write into the sessions table.';

CREATE TABLE IF NOT EXISTS config (
  collection varchar(255) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL DEFAULT '',
  name varchar(255) NOT NULL DEFAULT '',
  data longblob DEFAULT NULL,
  PRIMARY KEY (collection, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci
  COMMENT='The base table for configuration data.';

-- Seed rows of a fresh (standard profile) install: the anonymous user (uid 0, never a SCIM
-- resource) and the standard profile's roles. "authenticated" is implicit for every account
-- and never stored in user__roles.
INSERT IGNORE INTO users (uid, uuid, langcode)
VALUES (0, '00000000-0000-4000-8000-000000000000', 'en');
INSERT IGNORE INTO users_field_data (uid, langcode, preferred_langcode, name, status, created,
  changed, access, login, default_langcode)
VALUES (0, 'en', 'en', '', 0, 0, 0, 0, 0, 1);
INSERT IGNORE INTO config (collection, name, data) VALUES
  ('', 'user.role.anonymous', 'a:8:{s:4:"uuid";s:0:"";s:8:"langcode";s:2:"en";s:6:"status";b:1;s:12:"dependencies";a:0:{}s:2:"id";s:9:"anonymous";s:5:"label";s:14:"Anonymous user";s:6:"weight";i:0;s:11:"permissions";a:0:{}}'),
  ('', 'user.role.authenticated', 'a:8:{s:4:"uuid";s:0:"";s:8:"langcode";s:2:"en";s:6:"status";b:1;s:12:"dependencies";a:0:{}s:2:"id";s:13:"authenticated";s:5:"label";s:18:"Authenticated user";s:6:"weight";i:1;s:11:"permissions";a:0:{}}'),
  ('', 'user.role.content_editor', 'a:8:{s:4:"uuid";s:0:"";s:8:"langcode";s:2:"en";s:6:"status";b:1;s:12:"dependencies";a:0:{}s:2:"id";s:14:"content_editor";s:5:"label";s:14:"Content editor";s:6:"weight";i:2;s:11:"permissions";a:0:{}}'),
  ('', 'user.role.administrator', 'a:9:{s:4:"uuid";s:0:"";s:8:"langcode";s:2:"en";s:6:"status";b:1;s:12:"dependencies";a:0:{}s:2:"id";s:13:"administrator";s:5:"label";s:13:"Administrator";s:6:"weight";i:3;s:8:"is_admin";b:1;s:11:"permissions";a:0:{}}');

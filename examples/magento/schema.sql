-- Magento 2 customer tables (the columns SCIM can fill), plus one link table scimcore owns.
CREATE TABLE IF NOT EXISTS store_website (website_id INTEGER PRIMARY KEY, code TEXT UNIQUE NOT NULL,
  name TEXT, sort_order INTEGER DEFAULT 0, default_group_id INTEGER DEFAULT 0, is_default INTEGER DEFAULT 0);
INSERT OR IGNORE INTO store_website VALUES (0, 'admin', 'Admin', 0, 0, 0), (1, 'base', 'Main Website', 0, 1, 1);
CREATE TABLE IF NOT EXISTS customer_group (customer_group_id INTEGER PRIMARY KEY,
  customer_group_code TEXT UNIQUE NOT NULL, tax_class_id INTEGER NOT NULL DEFAULT 3);
INSERT OR IGNORE INTO customer_group VALUES (0, 'NOT LOGGED IN', 3), (1, 'General', 3),
  (2, 'Wholesale', 3), (3, 'Retailer', 3);
CREATE TABLE IF NOT EXISTS customer_entity (entity_id INTEGER PRIMARY KEY,
  website_id INTEGER REFERENCES store_website (website_id) ON DELETE SET NULL,
  email TEXT, group_id INTEGER NOT NULL DEFAULT 1 REFERENCES customer_group (customer_group_id),
  increment_id TEXT, store_id INTEGER DEFAULT 1, created_at TEXT, updated_at TEXT,
  is_active INTEGER NOT NULL DEFAULT 1, disable_auto_group_change INTEGER NOT NULL DEFAULT 0,
  created_in TEXT, prefix TEXT, firstname TEXT, middlename TEXT, lastname TEXT, suffix TEXT,
  dob TEXT, password_hash TEXT, gender INTEGER, taxvat TEXT, UNIQUE (email, website_id));
CREATE TABLE IF NOT EXISTS eav_attribute (attribute_id INTEGER PRIMARY KEY,
  entity_type_id INTEGER NOT NULL DEFAULT 1, attribute_code TEXT NOT NULL,
  backend_type TEXT NOT NULL DEFAULT 'varchar', frontend_label TEXT,
  UNIQUE (entity_type_id, attribute_code));
CREATE TABLE IF NOT EXISTS customer_entity_varchar (value_id INTEGER PRIMARY KEY,
  attribute_id INTEGER NOT NULL REFERENCES eav_attribute (attribute_id),
  entity_id INTEGER NOT NULL REFERENCES customer_entity (entity_id) ON DELETE CASCADE,
  value TEXT, UNIQUE (entity_id, attribute_id));
CREATE TABLE IF NOT EXISTS customer_entity_int (value_id INTEGER PRIMARY KEY,
  attribute_id INTEGER NOT NULL REFERENCES eav_attribute (attribute_id),
  entity_id INTEGER NOT NULL REFERENCES customer_entity (entity_id) ON DELETE CASCADE,
  value INTEGER, UNIQUE (entity_id, attribute_id));
-- SCIM id <-> Magento row: kind 'customer' (customer_entity) or 'group' (customer_group/store_website).
CREATE TABLE IF NOT EXISTS scim_link (scim_id TEXT PRIMARY KEY, kind TEXT NOT NULL,
  entity_id INTEGER NOT NULL, target TEXT NOT NULL DEFAULT 'customer_entity');

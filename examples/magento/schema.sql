-- Magento 2.4's customer tables on SQLite: schema.mysql.sql (transcribed from Magento's own
-- db_schema.xml files; see there) with the same tables, columns, keys and seed rows, in SQLite's
-- dialect (text that MariaDB compares case-insensitively, utf8mb4_general_ci, is COLLATE NOCASE
-- here). For trying the example without MariaDB; Magento itself runs on MySQL/MariaDB.
PRAGMA foreign_keys = ON;

CREATE TABLE IF NOT EXISTS store_website (
  website_id INTEGER PRIMARY KEY, code VARCHAR(32) UNIQUE, name VARCHAR(64),
  sort_order SMALLINT NOT NULL DEFAULT 0, default_group_id SMALLINT NOT NULL DEFAULT 0,
  is_default SMALLINT DEFAULT 0);
CREATE TABLE IF NOT EXISTS store_group (
  group_id INTEGER PRIMARY KEY,
  website_id SMALLINT NOT NULL DEFAULT 0 REFERENCES store_website (website_id) ON DELETE CASCADE,
  name VARCHAR(255) NOT NULL, root_category_id INTEGER NOT NULL DEFAULT 0,
  default_store_id SMALLINT NOT NULL DEFAULT 0, code VARCHAR(32) UNIQUE);
CREATE TABLE IF NOT EXISTS store (
  store_id INTEGER PRIMARY KEY, code VARCHAR(32) UNIQUE,
  website_id SMALLINT NOT NULL DEFAULT 0 REFERENCES store_website (website_id) ON DELETE CASCADE,
  group_id SMALLINT NOT NULL DEFAULT 0 REFERENCES store_group (group_id) ON DELETE CASCADE,
  name VARCHAR(255) NOT NULL, sort_order SMALLINT NOT NULL DEFAULT 0,
  is_active SMALLINT NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS eav_entity_type (
  entity_type_id INTEGER PRIMARY KEY, entity_type_code VARCHAR(50) NOT NULL,
  entity_model VARCHAR(255) NOT NULL, attribute_model VARCHAR(255), entity_table VARCHAR(255),
  value_table_prefix VARCHAR(255), entity_id_field VARCHAR(255),
  is_data_sharing SMALLINT NOT NULL DEFAULT 1, data_sharing_key VARCHAR(100) DEFAULT 'default',
  default_attribute_set_id SMALLINT NOT NULL DEFAULT 0, increment_model VARCHAR(255),
  increment_per_store SMALLINT NOT NULL DEFAULT 0,
  increment_pad_length SMALLINT NOT NULL DEFAULT 8,
  increment_pad_char VARCHAR(1) NOT NULL DEFAULT '0', additional_attribute_table VARCHAR(255),
  entity_attribute_collection VARCHAR(255));
CREATE TABLE IF NOT EXISTS eav_attribute (
  attribute_id INTEGER PRIMARY KEY,
  entity_type_id SMALLINT NOT NULL DEFAULT 0
    REFERENCES eav_entity_type (entity_type_id) ON DELETE CASCADE,
  attribute_code VARCHAR(255) NOT NULL, attribute_model VARCHAR(255), backend_model VARCHAR(255),
  backend_type VARCHAR(8) NOT NULL DEFAULT 'static', backend_table VARCHAR(255),
  frontend_model VARCHAR(255), frontend_input VARCHAR(50), frontend_label VARCHAR(255),
  frontend_class VARCHAR(255), source_model VARCHAR(255), is_required SMALLINT NOT NULL DEFAULT 0,
  is_user_defined SMALLINT NOT NULL DEFAULT 0, default_value TEXT,
  is_unique SMALLINT NOT NULL DEFAULT 0, note VARCHAR(255),
  UNIQUE (entity_type_id, attribute_code));
CREATE TABLE IF NOT EXISTS customer_eav_attribute (
  attribute_id INTEGER PRIMARY KEY REFERENCES eav_attribute (attribute_id) ON DELETE CASCADE,
  is_visible SMALLINT NOT NULL DEFAULT 1, input_filter VARCHAR(255),
  multiline_count SMALLINT NOT NULL DEFAULT 1, validate_rules TEXT,
  is_system SMALLINT NOT NULL DEFAULT 0, sort_order INTEGER NOT NULL DEFAULT 0,
  data_model VARCHAR(255), is_used_in_grid SMALLINT NOT NULL DEFAULT 0,
  is_visible_in_grid SMALLINT NOT NULL DEFAULT 0, is_filterable_in_grid SMALLINT NOT NULL DEFAULT 0,
  is_searchable_in_grid SMALLINT NOT NULL DEFAULT 0,
  grid_filter_condition_type SMALLINT NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS customer_group (
  customer_group_id INTEGER PRIMARY KEY, customer_group_code VARCHAR(32) COLLATE NOCASE NOT NULL,
  tax_class_id INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS customer_entity (
  entity_id INTEGER PRIMARY KEY,
  website_id SMALLINT REFERENCES store_website (website_id) ON DELETE SET NULL,
  email VARCHAR(255) COLLATE NOCASE, group_id SMALLINT NOT NULL DEFAULT 0, increment_id VARCHAR(50),
  store_id SMALLINT DEFAULT 0 REFERENCES store (store_id) ON DELETE SET NULL,
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  is_active SMALLINT NOT NULL DEFAULT 1, disable_auto_group_change SMALLINT NOT NULL DEFAULT 0,
  created_in VARCHAR(255), prefix VARCHAR(40), firstname VARCHAR(255), middlename VARCHAR(255),
  lastname VARCHAR(255), suffix VARCHAR(40), dob DATE, password_hash VARCHAR(128),
  rp_token VARCHAR(128), rp_token_created_at DATETIME, default_billing INTEGER,
  default_shipping INTEGER, taxvat VARCHAR(50), confirmation VARCHAR(64), gender SMALLINT,
  failures_num SMALLINT DEFAULT 0, first_failure TIMESTAMP NULL, lock_expires TIMESTAMP NULL,
  session_cutoff TIMESTAMP NULL,
  UNIQUE (email, website_id));
CREATE INDEX IF NOT EXISTS CUSTOMER_ENTITY_WEBSITE_ID ON customer_entity (website_id);
CREATE TABLE IF NOT EXISTS customer_entity_datetime (
  value_id INTEGER PRIMARY KEY,
  attribute_id SMALLINT NOT NULL DEFAULT 0
    REFERENCES eav_attribute (attribute_id) ON DELETE CASCADE,
  entity_id INTEGER NOT NULL DEFAULT 0 REFERENCES customer_entity (entity_id) ON DELETE CASCADE,
  value DATETIME, UNIQUE (entity_id, attribute_id));
CREATE TABLE IF NOT EXISTS customer_entity_decimal (
  value_id INTEGER PRIMARY KEY,
  attribute_id SMALLINT NOT NULL DEFAULT 0
    REFERENCES eav_attribute (attribute_id) ON DELETE CASCADE,
  entity_id INTEGER NOT NULL DEFAULT 0 REFERENCES customer_entity (entity_id) ON DELETE CASCADE,
  value DECIMAL(12, 4) NOT NULL DEFAULT 0, UNIQUE (entity_id, attribute_id));
CREATE TABLE IF NOT EXISTS customer_entity_int (
  value_id INTEGER PRIMARY KEY,
  attribute_id SMALLINT NOT NULL DEFAULT 0
    REFERENCES eav_attribute (attribute_id) ON DELETE CASCADE,
  entity_id INTEGER NOT NULL DEFAULT 0 REFERENCES customer_entity (entity_id) ON DELETE CASCADE,
  value INTEGER NOT NULL DEFAULT 0, UNIQUE (entity_id, attribute_id));
CREATE TABLE IF NOT EXISTS customer_entity_text (
  value_id INTEGER PRIMARY KEY,
  attribute_id SMALLINT NOT NULL DEFAULT 0
    REFERENCES eav_attribute (attribute_id) ON DELETE CASCADE,
  entity_id INTEGER NOT NULL DEFAULT 0 REFERENCES customer_entity (entity_id) ON DELETE CASCADE,
  value TEXT NOT NULL, UNIQUE (entity_id, attribute_id));
CREATE TABLE IF NOT EXISTS customer_entity_varchar (
  value_id INTEGER PRIMARY KEY,
  attribute_id SMALLINT NOT NULL DEFAULT 0
    REFERENCES eav_attribute (attribute_id) ON DELETE CASCADE,
  entity_id INTEGER NOT NULL DEFAULT 0 REFERENCES customer_entity (entity_id) ON DELETE CASCADE,
  value VARCHAR(255), UNIQUE (entity_id, attribute_id));
CREATE TABLE IF NOT EXISTS customer_grid_flat (
  entity_id INTEGER PRIMARY KEY, name TEXT, email VARCHAR(255), group_id INTEGER,
  created_at TIMESTAMP NULL, website_id INTEGER, confirmation VARCHAR(255), created_in TEXT,
  dob DATE, gender INTEGER, taxvat VARCHAR(255), lock_expires TIMESTAMP NULL, shipping_full TEXT,
  billing_full TEXT, billing_firstname VARCHAR(255), billing_lastname VARCHAR(255),
  billing_telephone VARCHAR(255), billing_postcode VARCHAR(255), billing_country_id VARCHAR(255),
  billing_region VARCHAR(255), billing_region_id INTEGER, billing_street VARCHAR(255),
  billing_city VARCHAR(255), billing_fax VARCHAR(255), billing_vat_id VARCHAR(255),
  billing_company VARCHAR(255));

INSERT OR IGNORE INTO store_website (website_id, code, name, sort_order, default_group_id,
  is_default) VALUES (0, 'admin', 'Admin', 0, 0, 0), (1, 'base', 'Main Website', 0, 1, 1);
INSERT OR IGNORE INTO store_group (group_id, website_id, name, root_category_id,
  default_store_id, code)
VALUES (0, 0, 'Default', 0, 0, 'default'), (1, 1, 'Main Website Store', 2, 1, 'main_website_store');
INSERT OR IGNORE INTO store (store_id, code, website_id, group_id, name, sort_order, is_active)
VALUES (0, 'admin', 0, 0, 'Admin', 0, 1), (1, 'default', 1, 1, 'Default Store View', 0, 1);
INSERT OR IGNORE INTO customer_group (customer_group_id, customer_group_code, tax_class_id)
VALUES (0, 'NOT LOGGED IN', 3), (1, 'General', 3), (2, 'Wholesale', 3), (3, 'Retailer', 3);
INSERT OR IGNORE INTO eav_entity_type (entity_type_id, entity_type_code, entity_model,
  attribute_model, entity_table, increment_model, increment_per_store,
  additional_attribute_table, entity_attribute_collection, default_attribute_set_id)
VALUES (1, 'customer', 'Magento\Customer\Model\ResourceModel\Customer',
  'Magento\Customer\Model\Attribute', 'customer_entity',
  'Magento\Eav\Model\Entity\Increment\NumericValue', 0, 'customer_eav_attribute',
  'Magento\Customer\Model\ResourceModel\Attribute\Collection', 1);
INSERT OR IGNORE INTO eav_attribute (attribute_id, entity_type_id, attribute_code, backend_type,
  frontend_input, frontend_label, is_required, is_user_defined)
VALUES
  (1, 1, 'website_id', 'static', 'select', 'Associate to Website', 1, 0),
  (2, 1, 'store_id', 'static', 'select', 'Create In', 1, 0),
  (3, 1, 'created_in', 'static', 'text', 'Created From', 0, 0),
  (4, 1, 'prefix', 'static', 'text', 'Name Prefix', 0, 0),
  (5, 1, 'firstname', 'static', 'text', 'First Name', 1, 0),
  (6, 1, 'middlename', 'static', 'text', 'Middle Name/Initial', 0, 0),
  (7, 1, 'lastname', 'static', 'text', 'Last Name', 1, 0),
  (8, 1, 'suffix', 'static', 'text', 'Name Suffix', 0, 0),
  (9, 1, 'email', 'static', 'text', 'Email', 1, 0),
  (10, 1, 'group_id', 'static', 'select', 'Group', 1, 0),
  (11, 1, 'dob', 'static', 'date', 'Date of Birth', 0, 0),
  (12, 1, 'password_hash', 'static', 'hidden', NULL, 0, 0),
  (13, 1, 'rp_token', 'static', 'hidden', NULL, 0, 0),
  (14, 1, 'rp_token_created_at', 'static', 'date', NULL, 0, 0),
  (15, 1, 'default_billing', 'static', 'text', 'Default Billing Address', 0, 0),
  (16, 1, 'default_shipping', 'static', 'text', 'Default Shipping Address', 0, 0),
  (17, 1, 'taxvat', 'static', 'text', 'Tax/VAT Number', 0, 0),
  (18, 1, 'confirmation', 'static', 'text', 'Is Confirmed', 0, 0),
  (19, 1, 'created_at', 'static', 'date', 'Created At', 0, 0),
  (20, 1, 'gender', 'static', 'select', 'Gender', 0, 0),
  (21, 1, 'disable_auto_group_change', 'static', 'boolean', 'Disable Automatic Group Change', 0, 0),
  (22, 1, 'updated_at', 'static', 'date', 'Updated At', 0, 0),
  (23, 1, 'failures_num', 'static', 'hidden', NULL, 0, 0),
  (24, 1, 'first_failure', 'static', 'date', NULL, 0, 0),
  (25, 1, 'lock_expires', 'static', 'date', NULL, 0, 0),
  (200, 1, 'scim_username', 'varchar', 'text', 'SCIM User Name', 0, 1),
  (201, 1, 'telephone', 'varchar', 'text', 'Phone Number', 0, 1),
  (202, 1, 'locale', 'varchar', 'text', 'Locale', 0, 1),
  (203, 1, 'display_name', 'varchar', 'text', 'Display Name', 0, 1),
  (204, 1, 'department', 'varchar', 'text', 'Department', 0, 1);
INSERT OR IGNORE INTO customer_eav_attribute (attribute_id, is_visible, is_system, sort_order)
VALUES (200, 0, 0, 200), (201, 1, 0, 201), (202, 1, 0, 202), (203, 1, 0, 203), (204, 1, 0, 204);

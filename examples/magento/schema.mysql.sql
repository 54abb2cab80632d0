-- Magento 2.4 customer tables on MariaDB/MySQL, as Magento's declarative schema defines them.
--
-- Column names, types, nullability, defaults, primary/unique keys, indexes and foreign keys are
-- transcribed from Magento Open Source (github.com/magento/magento2):
--   app/code/Magento/Customer/etc/db_schema.xml @ 05da4bc1dc899598042daaa65c6d7e0d1898abb9
--     customer_entity, customer_entity_{datetime,decimal,int,text,varchar}, customer_group,
--     customer_eav_attribute
--   app/code/Magento/Eav/etc/db_schema.xml      @ 021c1e2ee89871faebaeb24e1514b35596d80fd5
--     eav_entity_type, eav_attribute
--   app/code/Magento/Store/etc/db_schema.xml    @ 1d0316d756987e4453c38bb432eee03153a7fec0
--     store_website, store_group, store (the targets of customer_entity's foreign keys)
--   customer_grid_flat has no db_schema.xml entry: the customer_grid indexer creates it from
--   app/code/Magento/Customer/etc/indexer.xml (fields; mage-os/mageos-magento2 @ 5fd6839e6a)
--   through lib/internal/Magento/Framework/Indexer/GridStructure.php @ 0c5e0788f5 (entity_id
--   primary key, one column per field named <fieldset>_<field> outside the primary fieldset,
--   an index per filterable field, one FULLTEXT index over the searchable ones).
-- Index names are Magento's referenceIds. The seed rows are a fresh install's scopes, customer
-- groups and customer entity type; attribute ids are this file's own (an install numbers them
-- in module order), which is why the code looks attributes up by attribute_code.
-- Only the customer model is here (no addresses, quotes or orders). Run with the client, e.g.
--   mysql -u magento -p magento < examples/magento/schema.mysql.sql

SET SESSION sql_mode = CONCAT(@@SESSION.sql_mode, ',NO_AUTO_VALUE_ON_ZERO');

CREATE TABLE IF NOT EXISTS store_website (
  website_id smallint unsigned NOT NULL AUTO_INCREMENT COMMENT 'Website ID',
  code varchar(32) DEFAULT NULL COMMENT 'Code',
  name varchar(64) DEFAULT NULL COMMENT 'Website Name',
  sort_order smallint unsigned NOT NULL DEFAULT 0 COMMENT 'Sort Order',
  default_group_id smallint unsigned NOT NULL DEFAULT 0 COMMENT 'Default Group ID',
  is_default smallint unsigned DEFAULT 0 COMMENT 'Defines Is Website Default',
  PRIMARY KEY (website_id),
  UNIQUE KEY STORE_WEBSITE_CODE (code),
  KEY STORE_WEBSITE_SORT_ORDER (sort_order),
  KEY STORE_WEBSITE_DEFAULT_GROUP_ID (default_group_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='Websites';

CREATE TABLE IF NOT EXISTS store_group (
  group_id smallint unsigned NOT NULL AUTO_INCREMENT COMMENT 'Group ID',
  website_id smallint unsigned NOT NULL DEFAULT 0 COMMENT 'Website ID',
  name varchar(255) NOT NULL COMMENT 'Store Group Name',
  root_category_id int unsigned NOT NULL DEFAULT 0 COMMENT 'Root Category ID',
  default_store_id smallint unsigned NOT NULL DEFAULT 0 COMMENT 'Default Store ID',
  code varchar(32) DEFAULT NULL COMMENT 'Store group unique code',
  PRIMARY KEY (group_id),
  UNIQUE KEY STORE_GROUP_CODE (code),
  KEY STORE_GROUP_WEBSITE_ID (website_id),
  KEY STORE_GROUP_DEFAULT_STORE_ID (default_store_id),
  CONSTRAINT STORE_GROUP_WEBSITE_ID_STORE_WEBSITE_WEBSITE_ID FOREIGN KEY (website_id)
    REFERENCES store_website (website_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='Store Groups';

CREATE TABLE IF NOT EXISTS store (
  store_id smallint unsigned NOT NULL AUTO_INCREMENT COMMENT 'Store ID',
  code varchar(32) DEFAULT NULL COMMENT 'Code',
  website_id smallint unsigned NOT NULL DEFAULT 0 COMMENT 'Website ID',
  group_id smallint unsigned NOT NULL DEFAULT 0 COMMENT 'Group ID',
  name varchar(255) NOT NULL COMMENT 'Store Name',
  sort_order smallint unsigned NOT NULL DEFAULT 0 COMMENT 'Store Sort Order',
  is_active smallint unsigned NOT NULL DEFAULT 0 COMMENT 'Store Activity',
  PRIMARY KEY (store_id),
  UNIQUE KEY STORE_CODE (code),
  KEY STORE_WEBSITE_ID (website_id),
  KEY STORE_IS_ACTIVE_SORT_ORDER (is_active, sort_order),
  KEY STORE_GROUP_ID (group_id),
  CONSTRAINT STORE_GROUP_ID_STORE_GROUP_GROUP_ID FOREIGN KEY (group_id)
    REFERENCES store_group (group_id) ON DELETE CASCADE,
  CONSTRAINT STORE_WEBSITE_ID_STORE_WEBSITE_WEBSITE_ID FOREIGN KEY (website_id)
    REFERENCES store_website (website_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='Stores';

CREATE TABLE IF NOT EXISTS eav_entity_type (
  entity_type_id smallint unsigned NOT NULL AUTO_INCREMENT COMMENT 'Entity Type ID',
  entity_type_code varchar(50) NOT NULL COMMENT 'Entity Type Code',
  entity_model varchar(255) NOT NULL COMMENT 'Entity Model',
  attribute_model varchar(255) DEFAULT NULL COMMENT 'Attribute Model',
  entity_table varchar(255) DEFAULT NULL COMMENT 'Entity Table',
  value_table_prefix varchar(255) DEFAULT NULL COMMENT 'Value Table Prefix',
  entity_id_field varchar(255) DEFAULT NULL COMMENT 'Entity ID Field',
  is_data_sharing smallint unsigned NOT NULL DEFAULT 1 COMMENT 'Defines Is Data Sharing',
  data_sharing_key varchar(100) DEFAULT 'default' COMMENT 'Data Sharing Key',
  default_attribute_set_id smallint unsigned NOT NULL DEFAULT 0 COMMENT 'Default Attribute Set ID',
  increment_model varchar(255) DEFAULT NULL COMMENT 'Increment Model',
  increment_per_store smallint unsigned NOT NULL DEFAULT 0 COMMENT 'Increment Per Store',
  increment_pad_length smallint unsigned NOT NULL DEFAULT 8 COMMENT 'Increment Pad Length',
  increment_pad_char varchar(1) NOT NULL DEFAULT '0' COMMENT 'Increment Pad Char',
  additional_attribute_table varchar(255) DEFAULT NULL COMMENT 'Additional Attribute Table',
  entity_attribute_collection varchar(255) DEFAULT NULL COMMENT 'Entity Attribute Collection',
  PRIMARY KEY (entity_type_id),
  KEY EAV_ENTITY_TYPE_ENTITY_TYPE_CODE (entity_type_code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='Eav Entity Type';

CREATE TABLE IF NOT EXISTS eav_attribute (
  attribute_id smallint unsigned NOT NULL AUTO_INCREMENT COMMENT 'Attribute ID',
  entity_type_id smallint unsigned NOT NULL DEFAULT 0 COMMENT 'Entity Type ID',
  attribute_code varchar(255) NOT NULL COMMENT 'Attribute Code',
  attribute_model varchar(255) DEFAULT NULL COMMENT 'Attribute Model',
  backend_model varchar(255) DEFAULT NULL COMMENT 'Backend Model',
  backend_type varchar(8) NOT NULL DEFAULT 'static' COMMENT 'Backend Type',
  backend_table varchar(255) DEFAULT NULL COMMENT 'Backend Table',
  frontend_model varchar(255) DEFAULT NULL COMMENT 'Frontend Model',
  frontend_input varchar(50) DEFAULT NULL COMMENT 'Frontend Input',
  frontend_label varchar(255) DEFAULT NULL COMMENT 'Frontend Label',
  frontend_class varchar(255) DEFAULT NULL COMMENT 'Frontend Class',
  source_model varchar(255) DEFAULT NULL COMMENT 'Source Model',
  is_required smallint unsigned NOT NULL DEFAULT 0 COMMENT 'Defines Is Required',
  is_user_defined smallint unsigned NOT NULL DEFAULT 0 COMMENT 'Defines Is User Defined',
  default_value text DEFAULT NULL COMMENT 'Default Value',
  is_unique smallint unsigned NOT NULL DEFAULT 0 COMMENT 'Defines Is Unique',
  note varchar(255) DEFAULT NULL COMMENT 'Note',
  PRIMARY KEY (attribute_id),
  UNIQUE KEY EAV_ATTRIBUTE_ENTITY_TYPE_ID_ATTRIBUTE_CODE (entity_type_id, attribute_code),
  KEY EAV_ATTRIBUTE_FRONTEND_INPUT_ENTITY_TYPE_ID_IS_USER_DEFINED
    (frontend_input, entity_type_id, is_user_defined),
  CONSTRAINT EAV_ATTRIBUTE_ENTITY_TYPE_ID_EAV_ENTITY_TYPE_ENTITY_TYPE_ID FOREIGN KEY
    (entity_type_id) REFERENCES eav_entity_type (entity_type_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='Eav Attribute';

CREATE TABLE IF NOT EXISTS customer_eav_attribute (
  attribute_id smallint unsigned NOT NULL COMMENT 'Attribute ID',
  is_visible smallint unsigned NOT NULL DEFAULT 1 COMMENT 'Is Visible',
  input_filter varchar(255) DEFAULT NULL COMMENT 'Input Filter',
  multiline_count smallint unsigned NOT NULL DEFAULT 1 COMMENT 'Multiline Count',
  validate_rules text DEFAULT NULL COMMENT 'Validate Rules',
  is_system smallint unsigned NOT NULL DEFAULT 0 COMMENT 'Is System',
  sort_order int unsigned NOT NULL DEFAULT 0 COMMENT 'Sort Order',
  data_model varchar(255) DEFAULT NULL COMMENT 'Data Model',
  is_used_in_grid smallint unsigned NOT NULL DEFAULT 0 COMMENT 'Is Used in Grid',
  is_visible_in_grid smallint unsigned NOT NULL DEFAULT 0 COMMENT 'Is Visible in Grid',
  is_filterable_in_grid smallint unsigned NOT NULL DEFAULT 0 COMMENT 'Is Filterable in Grid',
  is_searchable_in_grid smallint unsigned NOT NULL DEFAULT 0 COMMENT 'Is Searchable in Grid',
  grid_filter_condition_type smallint unsigned NOT NULL DEFAULT 0
    COMMENT 'Grid Filter Condition Type',
  PRIMARY KEY (attribute_id),
  KEY CUSTOMER_EAV_ATTRIBUTE_SORT_ORDER (sort_order),
  CONSTRAINT CUSTOMER_EAV_ATTRIBUTE_ATTRIBUTE_ID_EAV_ATTRIBUTE_ATTRIBUTE_ID FOREIGN KEY
    (attribute_id) REFERENCES eav_attribute (attribute_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='Customer Eav Attribute';

CREATE TABLE IF NOT EXISTS customer_group (
  customer_group_id int unsigned NOT NULL AUTO_INCREMENT,
  customer_group_code varchar(32) NOT NULL COMMENT 'Customer Group Code',
  tax_class_id int unsigned NOT NULL DEFAULT 0 COMMENT 'Tax Class ID',
  PRIMARY KEY (customer_group_id),
  KEY CUSTOMER_GROUP_CUSTOMER_GROUP_CODE (customer_group_code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='Customer Group';

CREATE TABLE IF NOT EXISTS customer_entity (
  entity_id int unsigned NOT NULL AUTO_INCREMENT COMMENT 'Entity ID',
  website_id smallint unsigned DEFAULT NULL COMMENT 'Website ID',
  email varchar(255) DEFAULT NULL COMMENT 'Email',
  group_id smallint unsigned NOT NULL DEFAULT 0 COMMENT 'Group ID',
  increment_id varchar(50) DEFAULT NULL COMMENT 'Increment ID',
  store_id smallint unsigned DEFAULT 0 COMMENT 'Store ID',
  created_at timestamp NOT NULL DEFAULT current_timestamp() COMMENT 'Created At',
  updated_at timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp()
    COMMENT 'Updated At',
  is_active smallint unsigned NOT NULL DEFAULT 1 COMMENT 'Is Active',
  disable_auto_group_change smallint unsigned NOT NULL DEFAULT 0
    COMMENT 'Disable automatic group change based on VAT ID',
  created_in varchar(255) DEFAULT NULL COMMENT 'Created From',
  prefix varchar(40) DEFAULT NULL COMMENT 'Name Prefix',
  firstname varchar(255) DEFAULT NULL COMMENT 'First Name',
  middlename varchar(255) DEFAULT NULL COMMENT 'Middle Name/Initial',
  lastname varchar(255) DEFAULT NULL COMMENT 'Last Name',
  suffix varchar(40) DEFAULT NULL COMMENT 'Name Suffix',
  dob date DEFAULT NULL COMMENT 'Date of Birth',
  password_hash varchar(128) DEFAULT NULL COMMENT 'Password_hash',
  rp_token varchar(128) DEFAULT NULL COMMENT 'Reset password token',
  rp_token_created_at datetime DEFAULT NULL COMMENT 'Reset password token creation time',
  default_billing int unsigned DEFAULT NULL COMMENT 'Default Billing Address',
  default_shipping int unsigned DEFAULT NULL COMMENT 'Default Shipping Address',
  taxvat varchar(50) DEFAULT NULL COMMENT 'Tax/VAT Number',
  confirmation varchar(64) DEFAULT NULL COMMENT 'Is Confirmed',
  gender smallint unsigned DEFAULT NULL COMMENT 'Gender',
  failures_num smallint DEFAULT 0 COMMENT 'Failure Number',
  first_failure timestamp NULL DEFAULT NULL COMMENT 'First Failure',
  lock_expires timestamp NULL DEFAULT NULL COMMENT 'Lock Expiration Date',
  session_cutoff timestamp NULL DEFAULT NULL COMMENT 'Session Cutoff Time',
  PRIMARY KEY (entity_id),
  UNIQUE KEY CUSTOMER_ENTITY_EMAIL_WEBSITE_ID (email, website_id),
  KEY CUSTOMER_ENTITY_STORE_ID (store_id),
  KEY CUSTOMER_ENTITY_WEBSITE_ID (website_id),
  KEY CUSTOMER_ENTITY_FIRSTNAME (firstname),
  KEY CUSTOMER_ENTITY_LASTNAME (lastname),
  CONSTRAINT CUSTOMER_ENTITY_STORE_ID_STORE_STORE_ID FOREIGN KEY (store_id)
    REFERENCES store (store_id) ON DELETE SET NULL,
  CONSTRAINT CUSTOMER_ENTITY_WEBSITE_ID_STORE_WEBSITE_WEBSITE_ID FOREIGN KEY (website_id)
    REFERENCES store_website (website_id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='Customer Entity';

CREATE TABLE IF NOT EXISTS customer_entity_datetime (
  value_id int NOT NULL AUTO_INCREMENT COMMENT 'Value ID',
  attribute_id smallint unsigned NOT NULL DEFAULT 0 COMMENT 'Attribute ID',
  entity_id int unsigned NOT NULL DEFAULT 0 COMMENT 'Entity ID',
  value datetime DEFAULT NULL COMMENT 'Value',
  PRIMARY KEY (value_id),
  UNIQUE KEY CUSTOMER_ENTITY_DATETIME_ENTITY_ID_ATTRIBUTE_ID (entity_id, attribute_id),
  KEY CUSTOMER_ENTITY_DATETIME_ATTRIBUTE_ID (attribute_id),
  KEY CUSTOMER_ENTITY_DATETIME_ENTITY_ID_ATTRIBUTE_ID_VALUE (entity_id, attribute_id, value),
  CONSTRAINT CUSTOMER_ENTITY_DATETIME_ATTRIBUTE_ID_EAV_ATTRIBUTE_ATTRIBUTE_ID FOREIGN KEY
    (attribute_id) REFERENCES eav_attribute (attribute_id) ON DELETE CASCADE,
  CONSTRAINT CUSTOMER_ENTITY_DATETIME_ENTITY_ID_CUSTOMER_ENTITY_ENTITY_ID FOREIGN KEY
    (entity_id) REFERENCES customer_entity (entity_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='Customer Entity Datetime';

CREATE TABLE IF NOT EXISTS customer_entity_decimal (
  value_id int NOT NULL AUTO_INCREMENT COMMENT 'Value ID',
  attribute_id smallint unsigned NOT NULL DEFAULT 0 COMMENT 'Attribute ID',
  entity_id int unsigned NOT NULL DEFAULT 0 COMMENT 'Entity ID',
  value decimal(12,4) NOT NULL DEFAULT 0.0000 COMMENT 'Value',
  PRIMARY KEY (value_id),
  UNIQUE KEY CUSTOMER_ENTITY_DECIMAL_ENTITY_ID_ATTRIBUTE_ID (entity_id, attribute_id),
  KEY CUSTOMER_ENTITY_DECIMAL_ATTRIBUTE_ID (attribute_id),
  KEY CUSTOMER_ENTITY_DECIMAL_ENTITY_ID_ATTRIBUTE_ID_VALUE (entity_id, attribute_id, value),
  CONSTRAINT CUSTOMER_ENTITY_DECIMAL_ATTRIBUTE_ID_EAV_ATTRIBUTE_ATTRIBUTE_ID FOREIGN KEY
    (attribute_id) REFERENCES eav_attribute (attribute_id) ON DELETE CASCADE,
  CONSTRAINT CUSTOMER_ENTITY_DECIMAL_ENTITY_ID_CUSTOMER_ENTITY_ENTITY_ID FOREIGN KEY
    (entity_id) REFERENCES customer_entity (entity_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='Customer Entity Decimal';

CREATE TABLE IF NOT EXISTS customer_entity_int (
  value_id int NOT NULL AUTO_INCREMENT COMMENT 'Value ID',
  attribute_id smallint unsigned NOT NULL DEFAULT 0 COMMENT 'Attribute ID',
  entity_id int unsigned NOT NULL DEFAULT 0 COMMENT 'Entity ID',
  value int NOT NULL DEFAULT 0 COMMENT 'Value',
  PRIMARY KEY (value_id),
  UNIQUE KEY CUSTOMER_ENTITY_INT_ENTITY_ID_ATTRIBUTE_ID (entity_id, attribute_id),
  KEY CUSTOMER_ENTITY_INT_ATTRIBUTE_ID (attribute_id),
  KEY CUSTOMER_ENTITY_INT_ENTITY_ID_ATTRIBUTE_ID_VALUE (entity_id, attribute_id, value),
  CONSTRAINT CUSTOMER_ENTITY_INT_ATTRIBUTE_ID_EAV_ATTRIBUTE_ATTRIBUTE_ID FOREIGN KEY
    (attribute_id) REFERENCES eav_attribute (attribute_id) ON DELETE CASCADE,
  CONSTRAINT CUSTOMER_ENTITY_INT_ENTITY_ID_CUSTOMER_ENTITY_ENTITY_ID FOREIGN KEY
    (entity_id) REFERENCES customer_entity (entity_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='Customer Entity Int';

CREATE TABLE IF NOT EXISTS customer_entity_text (
  value_id int NOT NULL AUTO_INCREMENT COMMENT 'Value ID',
  attribute_id smallint unsigned NOT NULL DEFAULT 0 COMMENT 'Attribute ID',
  entity_id int unsigned NOT NULL DEFAULT 0 COMMENT 'Entity ID',
  value text NOT NULL COMMENT 'Value',
  PRIMARY KEY (value_id),
  UNIQUE KEY CUSTOMER_ENTITY_TEXT_ENTITY_ID_ATTRIBUTE_ID (entity_id, attribute_id),
  KEY CUSTOMER_ENTITY_TEXT_ATTRIBUTE_ID (attribute_id),
  CONSTRAINT CUSTOMER_ENTITY_TEXT_ATTRIBUTE_ID_EAV_ATTRIBUTE_ATTRIBUTE_ID FOREIGN KEY
    (attribute_id) REFERENCES eav_attribute (attribute_id) ON DELETE CASCADE,
  CONSTRAINT CUSTOMER_ENTITY_TEXT_ENTITY_ID_CUSTOMER_ENTITY_ENTITY_ID FOREIGN KEY
    (entity_id) REFERENCES customer_entity (entity_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='Customer Entity Text';

CREATE TABLE IF NOT EXISTS customer_entity_varchar (
  value_id int NOT NULL AUTO_INCREMENT COMMENT 'Value ID',
  attribute_id smallint unsigned NOT NULL DEFAULT 0 COMMENT 'Attribute ID',
  entity_id int unsigned NOT NULL DEFAULT 0 COMMENT 'Entity ID',
  value varchar(255) DEFAULT NULL COMMENT 'Value',
  PRIMARY KEY (value_id),
  UNIQUE KEY CUSTOMER_ENTITY_VARCHAR_ENTITY_ID_ATTRIBUTE_ID (entity_id, attribute_id),
  KEY CUSTOMER_ENTITY_VARCHAR_ATTRIBUTE_ID (attribute_id),
  KEY CUSTOMER_ENTITY_VARCHAR_ENTITY_ID_ATTRIBUTE_ID_VALUE (entity_id, attribute_id, value),
  CONSTRAINT CUSTOMER_ENTITY_VARCHAR_ATTRIBUTE_ID_EAV_ATTRIBUTE_ATTRIBUTE_ID FOREIGN KEY
    (attribute_id) REFERENCES eav_attribute (attribute_id) ON DELETE CASCADE,
  CONSTRAINT CUSTOMER_ENTITY_VARCHAR_ENTITY_ID_CUSTOMER_ENTITY_ENTITY_ID FOREIGN KEY
    (entity_id) REFERENCES customer_entity (entity_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='Customer Entity Varchar';

-- The admin customer grid (Customers > All Customers reads this table, not customer_entity).
CREATE TABLE IF NOT EXISTS customer_grid_flat (
  entity_id int unsigned NOT NULL COMMENT 'Entity ID',
  name text DEFAULT NULL,
  email varchar(255) DEFAULT NULL,
  group_id int DEFAULT NULL,
  created_at timestamp NULL DEFAULT NULL,
  website_id int DEFAULT NULL,
  confirmation varchar(255) DEFAULT NULL,
  created_in text DEFAULT NULL,
  dob date DEFAULT NULL,
  gender int DEFAULT NULL,
  taxvat varchar(255) DEFAULT NULL,
  lock_expires timestamp NULL DEFAULT NULL,
  shipping_full text DEFAULT NULL,
  billing_full text DEFAULT NULL,
  billing_firstname varchar(255) DEFAULT NULL,
  billing_lastname varchar(255) DEFAULT NULL,
  billing_telephone varchar(255) DEFAULT NULL,
  billing_postcode varchar(255) DEFAULT NULL,
  billing_country_id varchar(255) DEFAULT NULL,
  billing_region varchar(255) DEFAULT NULL,
  billing_region_id int DEFAULT NULL,
  billing_street varchar(255) DEFAULT NULL,
  billing_city varchar(255) DEFAULT NULL,
  billing_fax varchar(255) DEFAULT NULL,
  billing_vat_id varchar(255) DEFAULT NULL,
  billing_company varchar(255) DEFAULT NULL,
  PRIMARY KEY (entity_id),
  KEY CUSTOMER_GRID_FLAT_GROUP_ID (group_id),
  KEY CUSTOMER_GRID_FLAT_CREATED_AT (created_at),
  KEY CUSTOMER_GRID_FLAT_WEBSITE_ID (website_id),
  KEY CUSTOMER_GRID_FLAT_CONFIRMATION (confirmation),
  KEY CUSTOMER_GRID_FLAT_CREATED_IN (created_in(255)),
  KEY CUSTOMER_GRID_FLAT_DOB (dob),
  KEY CUSTOMER_GRID_FLAT_GENDER (gender),
  KEY CUSTOMER_GRID_FLAT_LOCK_EXPIRES (lock_expires),
  KEY CUSTOMER_GRID_FLAT_BILLING_COUNTRY_ID (billing_country_id),
  KEY CUSTOMER_GRID_FLAT_BILLING_REGION_ID (billing_region_id),
  FULLTEXT KEY FTI_CUSTOMER_GRID_FLAT_SEARCHABLE (name, email, taxvat, shipping_full,
    billing_full, billing_firstname, billing_lastname, billing_telephone, billing_postcode,
    billing_region, billing_street, billing_city, billing_fax, billing_vat_id, billing_company)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

-- Seed rows of a fresh install: the admin and Main Website scopes, the four customer groups
-- (tax class 3 = "Retail Customer"), the customer entity type and its attributes. Static
-- attributes live in customer_entity's own columns; the non-static ones below are those the
-- SCIM mapping writes into customer_entity_varchar (user-defined, as an admin would add them).
INSERT IGNORE INTO store_website (website_id, code, name, sort_order, default_group_id, is_default)
VALUES (0, 'admin', 'Admin', 0, 0, 0), (1, 'base', 'Main Website', 0, 1, 1);
INSERT IGNORE INTO store_group (group_id, website_id, name, root_category_id, default_store_id, code)
VALUES (0, 0, 'Default', 0, 0, 'default'), (1, 1, 'Main Website Store', 2, 1, 'main_website_store');
INSERT IGNORE INTO store (store_id, code, website_id, group_id, name, sort_order, is_active)
VALUES (0, 'admin', 0, 0, 'Admin', 0, 1), (1, 'default', 1, 1, 'Default Store View', 0, 1);
INSERT IGNORE INTO customer_group (customer_group_id, customer_group_code, tax_class_id)
VALUES (0, 'NOT LOGGED IN', 3), (1, 'General', 3), (2, 'Wholesale', 3), (3, 'Retailer', 3);
INSERT IGNORE INTO eav_entity_type (entity_type_id, entity_type_code, entity_model,
  attribute_model, entity_table, increment_model, increment_per_store,
  additional_attribute_table, entity_attribute_collection, default_attribute_set_id)
VALUES (1, 'customer', 'Magento\\Customer\\Model\\ResourceModel\\Customer',
  'Magento\\Customer\\Model\\Attribute', 'customer_entity',
  'Magento\\Eav\\Model\\Entity\\Increment\\NumericValue', 0, 'customer_eav_attribute',
  'Magento\\Customer\\Model\\ResourceModel\\Attribute\\Collection', 1);
INSERT IGNORE INTO eav_attribute (attribute_id, entity_type_id, attribute_code, backend_type,
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
INSERT IGNORE INTO customer_eav_attribute (attribute_id, is_visible, is_system, sort_order)
VALUES (200, 0, 0, 200), (201, 1, 0, 201), (202, 1, 0, 202), (203, 1, 0, 203), (204, 1, 0, 204);

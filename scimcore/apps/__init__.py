"""Ready-made parts for provisioning specific applications (WordPress, Magento 2, Drupal).

The ``*_store`` factories build the application store over a site's own tables.
"""

from scimcore._lazy import lazy_exports

_EXPORTS = {
    "DrupalHooks": "scimcore.apps.drupal",
    "DrupalRoles": "scimcore.apps.drupal",
    "MagentoGroups": "scimcore.apps.magento",
    "MagentoHooks": "scimcore.apps.magento",
    "MagentoUserName": "scimcore.apps.magento",
    "WordPressHooks": "scimcore.apps.wordpress",
    "WordPressRoles": "scimcore.apps.wordpress",
    "drupal_hasher": "scimcore.apps.drupal",
    "drupal_store": "scimcore.apps.drupal",
    "magento_hasher": "scimcore.apps.magento",
    "magento_store": "scimcore.apps.magento",
    "php_serialize": "scimcore.apps._phpserial",
    "php_unserialize": "scimcore.apps._phpserial",
    "wordpress_hasher": "scimcore.apps.wordpress",
    "wordpress_store": "scimcore.apps.wordpress",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)

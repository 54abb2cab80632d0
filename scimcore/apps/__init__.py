"""Ready-made parts for provisioning specific applications (WordPress, Magento 2, Drupal)."""

from scimcore._lazy import lazy_exports

_EXPORTS = {
    "WordPressHooks": "scimcore.apps.wordpress",
    "WordPressRoles": "scimcore.apps.wordpress",
    "php_serialize": "scimcore.apps._phpserial",
    "php_unserialize": "scimcore.apps._phpserial",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)

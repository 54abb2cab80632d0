"""Ready-made application stores: the tables of well-known applications as SCIM resources.

Each module builds a :class:`scimcore.store.TableStore` over one application's own tables
(``scimcore.apps.django``: Django's ``auth_user``, ``auth_group`` and ``auth_user_groups``). They
need the ``app`` extra (SQLAlchemy); nothing here is imported by ``import scimcore``.
"""

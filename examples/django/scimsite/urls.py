"""The admin at /admin/ and SCIM 2.0 at /scim/v2/ (its store built at the first SCIM request)."""

from django.contrib import admin
from django.urls import include, path

from examples.django.scimsite.scim import scim_service
from scimcore.adapters.django import scim_urls

urlpatterns = [
    path("admin/", admin.site.urls),
    path("scim/v2/", include(scim_urls(scim_service))),
]

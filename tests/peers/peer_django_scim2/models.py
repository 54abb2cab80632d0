"""The user and group models django-scim2 asks a project to define (its documented mixins)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django_scim.models import AbstractSCIMGroupMixin, AbstractSCIMUserMixin


class User(AbstractSCIMUserMixin, AbstractUser):
    """django.contrib.auth's user with django-scim2's SCIM columns."""

    @property
    def scim_groups(self) -> Any:
        """The groups the user is a member of (django-scim2 reads this)."""
        return self.scim_group_set.all()


class Group(AbstractSCIMGroupMixin):
    """A SCIM group: a name and its members."""

    name = models.CharField(max_length=150, unique=True)
    user_set = models.ManyToManyField(User, related_name="scim_group_set", blank=True)

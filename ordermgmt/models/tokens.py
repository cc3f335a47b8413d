"""API tokens, stored hashed (django-rest-knox): the plain token is shown once, at creation."""

from __future__ import annotations

from django.db import models
from knox.models import AbstractAuthToken
from knox.settings import CONSTANTS


class ApiToken(AbstractAuthToken):
    """An API token of one user. Only its SHA-512 digest and its first characters (`token_key`, to find it) are
    stored. A person's token expires (`API_TOKEN_TTL_DAYS`); an integration's does not, and is rotated instead.
    Listed and revoked by its owner and by managers."""

    id = models.BigAutoField(primary_key=True)
    digest = models.CharField(max_length=CONSTANTS.DIGEST_LENGTH, unique=True)
    name = models.CharField(max_length=100, blank=True, help_text="What the token is for, e.g. 'Billing sync'.")

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.name or 'token'} {self.token_key}… of {self.user}"

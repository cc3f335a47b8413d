"""Token authentication that also reads what nearly every request of a regional user needs next."""

from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from ordermgmt.models import covered_region_codes


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's TokenAuthentication, reading the user's covered regions in the token's own query (PostgreSQL).

    A specialist's request asks for them right after (queue scope, object visibility, permission checks): this
    saves that second query (~0.5 ms) for ~0.1 ms more in every token's query. Errors, headers and the token model
    are DRF's.
    """

    def authenticate_credentials(self, key):
        model = self.get_model()
        tokens = model.objects.select_related("user")
        if connection.vendor == "postgresql":
            column = f'"{model._meta.db_table}"."{model._meta.get_field("user").column}"'
            tokens = tokens.annotate(covered=covered_region_codes(column))
        try:
            token = tokens.get(key=key)
        except model.DoesNotExist as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from exc
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if hasattr(token, "covered"):
            token.user.remember_region_codes(token.covered)
        return (token.user, token)

"""API tokens: obtain one with a username and password, list, create, rotate and revoke them.

Tokens are stored hashed (django-rest-knox): the plain token appears in the answer that creates it, never again.
"""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from ordermgmt import selectors, services
from ordermgmt.models import ApiToken

from .throttling import ClientScopedRateThrottle


class ApiTokenSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    prefix = serializers.CharField(source="token_key", read_only=True, help_text="The token's first characters.")

    class Meta:
        model = ApiToken
        fields = ["id", "name", "user", "username", "prefix", "created", "expiry"]
        read_only_fields = ["id", "user", "username", "prefix", "created", "expiry"]


class IssuedTokenSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="The token itself: shown once, never again.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]


def _issued(token: ApiToken, plain: str) -> dict:
    return {**ApiTokenSerializer(token).data, "token": plain}


class TokenView(APIView):
    """`POST {"username", "password"}` -> `{"token", "expiry", ...}`. Throttled, and locked out by django-axes after
    failures. A person's token expires after API_TOKEN_TTL_DAYS; an integration user's never does."""

    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes = [ClientScopedRateThrottle]
    throttle_scope = "login"
    serializer_class = AuthTokenSerializer

    @extend_schema(request=AuthTokenSerializer, responses={200: IssuedTokenSerializer, 400: OpenApiResponse()})
    def post(self, request, *args, **kwargs):
        try:
            payload = AuthTokenSerializer(data=request.data, context={"request": request})
            payload.is_valid(raise_exception=True)
            with transaction.atomic():
                token, plain = services.api_token_issue(user=payload.validated_data["user"], name="API sign-in")
            return Response(_issued(token, plain))
        finally:
            # django-axes marks a locked-out attempt on the request it authenticated, here DRF's wrapper, which
            # its middleware never sees: without this the lockout answered 400 "wrong credentials" forever.
            if getattr(request, "axes_locked_out", False):
                request._request.axes_locked_out = True
                request._request.axes_credentials = getattr(request, "axes_credentials", None)


class ApiTokenViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Your API tokens (a manager: everyone's). Create one with a name, rotate one (a new token replaces it at once)
    or revoke one. Expired tokens are not listed."""

    serializer_class = ApiTokenSerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return ApiToken.objects.none()
        return selectors.api_token_list(user=self.request.user)

    @extend_schema(request=ApiTokenSerializer, responses={201: IssuedTokenSerializer})
    def create(self, request, *args, **kwargs):
        payload = ApiTokenSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with transaction.atomic():
            token, plain = services.api_token_issue(user=request.user, name=payload.validated_data.get("name", ""))
        return Response(_issued(token, plain), status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        services.api_token_revoke(actor=request.user, token_id=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: IssuedTokenSerializer})
    @action(detail=True, methods=["post"])
    def rotate(self, request, pk=None):
        token, plain = services.api_token_rotate(actor=request.user, token_id=self.get_object().pk)
        return Response(_issued(token, plain))

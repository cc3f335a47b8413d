"""API of the shared records: regions, accounts, contacts, notifications. (Opportunities: approvals.api.)"""

from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ordermgmt import selectors, services
from ordermgmt.filters import AccountFilterSet, ContactFilterSet

from .permissions import IsStaffRole, ReferenceDataPermission
from .serializers import (
    AccountSerializer,
    ContactSerializer,
    NotificationReadSerializer,
    NotificationSerializer,
    RegionSerializer,
)

ERRORS = {
    400: OpenApiResponse(description="Bad input: `{field: [messages]}` or `{detail}`"),
    403: OpenApiResponse(description="Not allowed for this role or object"),
    404: OpenApiResponse(description="Not found or not visible"),
    409: OpenApiResponse(description="The record changed or is in a state that does not allow this"),
}


class RegionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The regional teams with their support hours, time zone and cut-off."""

    serializer_class = RegionSerializer
    permission_classes = [IsStaffRole]
    pagination_class = None
    queryset = selectors.region_list()


class AccountViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Customers (reference data: plain create and update)."""

    serializer_class = AccountSerializer
    permission_classes = [ReferenceDataPermission]
    filterset_class = AccountFilterSet
    search_fields = ["name"]
    ordering_fields = ["name", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.account_list(user=self.request.user)


class ContactViewSet(AccountViewSet):
    """People at customers (reference data)."""

    serializer_class = ContactSerializer
    filterset_class = ContactFilterSet
    search_fields = ["name", "email"]

    def get_queryset(self):
        return selectors.contact_list(user=self.request.user)

    def perform_update(self, serializer):
        serializer.instance = services.contact_update(
            actor=self.request.user, contact_id=serializer.instance.pk, data=serializer.validated_data
        )


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's in-product notifications, newest first."""

    serializer_class = NotificationSerializer
    filter_backends = []

    def get_queryset(self):
        return selectors.notification_list(user=self.request.user)

    @extend_schema(request=NotificationReadSerializer, responses={200: OpenApiResponse(description="{'marked': n}")})
    @action(detail=False, methods=["post"], url_path="mark-read", serializer_class=NotificationReadSerializer)
    def mark_read(self, request):
        payload = NotificationReadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with transaction.atomic():
            count = services.notification_mark_read(
                user=request.user, notification_ids=payload.validated_data.get("ids")
            )
        return Response({"marked": count})

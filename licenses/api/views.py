"""API of the licenses app: the delivery feed, Support Engineering tickets, failure counts."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ordermgmt.api.permissions import has_role
from ordermgmt.models import User

from .. import selectors, services
from ..filters import LicenseTicketFilterSet
from .serializers import (
    LicenseDeliveryInputSerializer,
    LicenseDeliveryOutputSerializer,
    LicenseFailureCountsSerializer,
    LicenseFailureQuerySerializer,
    LicenseTicketDeliveredInputSerializer,
    LicenseTicketOutputSerializer,
)

R = User.Role
FEED_WRITERS = has_role(R.INTEGRATION, R.SUPPORT_ENGINEERING, R.MANAGER)
FEED_READERS = has_role(R.SUPPORT_ENGINEERING, R.MANAGER)
# Reps get 403: tickets are Support Engineering's work queue, not a sales view.
TICKET_READERS = has_role(R.SUPPORT_ENGINEERING, R.SPECIALIST, R.MANAGER)
TICKET_WORKERS = has_role(R.SUPPORT_ENGINEERING, R.MANAGER)

ERRORS = {
    400: OpenApiResponse(description="Bad input: `{field: [messages]}`"),
    403: OpenApiResponse(description="Not allowed for this role"),
    404: OpenApiResponse(description="Not found or not visible"),
    409: OpenApiResponse(description="State or content conflict"),
}


class LicenseDeliveryViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The licensing system's delivery feed. Integration tokens may only POST here."""

    serializer_class = LicenseDeliveryOutputSerializer

    def get_permissions(self):
        return [FEED_WRITERS()] if self.action == "create" else [FEED_READERS()]

    def get_queryset(self):
        return selectors.license_delivery_list(user=self.request.user)

    @extend_schema(
        request=LicenseDeliveryInputSerializer,
        responses={201: LicenseDeliveryOutputSerializer, 200: LicenseDeliveryOutputSerializer, **ERRORS},
        description="Idempotent on `external_id`: 201 when new, 200 when the same delivery was already received, "
        "409 when the same `external_id` arrives with different content.",
    )
    def create(self, request, *args, **kwargs):
        payload = LicenseDeliveryInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        delivery, created = services.license_delivery_record(**payload.validated_data, actor=request.user)
        return Response(
            LicenseDeliveryOutputSerializer(delivery).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class LicenseTicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """License tickets for Support Engineering; specialists see their regions' tickets, reps none (403)."""

    serializer_class = LicenseTicketOutputSerializer
    filterset_class = LicenseTicketFilterSet
    permission_classes = [TICKET_READERS]
    ordering_fields = ["created_at", "id"]

    def get_queryset(self):
        return selectors.license_ticket_list(user=self.request.user)

    @extend_schema(request=None, responses={200: LicenseTicketOutputSerializer, **ERRORS})
    @action(detail=True, methods=["post"], permission_classes=[TICKET_WORKERS])
    def take(self, request, pk=None):
        ticket = self.get_object()
        ticket = services.license_ticket_take(ticket_id=ticket.pk, actor=request.user)
        return Response(self.get_serializer(ticket).data)

    @extend_schema(
        request=LicenseTicketDeliveredInputSerializer, responses={200: LicenseTicketOutputSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"], url_path="mark-delivered", permission_classes=[TICKET_WORKERS])
    def mark_delivered(self, request, pk=None):
        ticket = self.get_object()
        payload = LicenseTicketDeliveredInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        ticket = services.license_ticket_mark_delivered(
            ticket_id=ticket.pk, actor=request.user, **payload.validated_data
        )
        return Response(self.get_serializer(ticket).data)


class _OneObjectSchema(AutoSchema):
    """The catalogue's `list` answers one object of counts; drf-spectacular would document every `list` as an array."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


class LicenseFailureViewSet(viewsets.GenericViewSet):
    """Counts of license tickets by failure reason (and by route to market): the systemic-failure catalogue."""

    schema = _OneObjectSchema()

    permission_classes = [TICKET_READERS]
    serializer_class = LicenseFailureCountsSerializer
    pagination_class = None
    filter_backends = []  # the query is validated by LicenseFailureQuerySerializer

    def get_queryset(self):
        return selectors.license_ticket_list(user=self.request.user)

    @extend_schema(
        parameters=[LicenseFailureQuerySerializer], responses={200: LicenseFailureCountsSerializer, **ERRORS}
    )
    def list(self, request):
        query = LicenseFailureQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        tickets = self.get_queryset()
        if "region" in query.validated_data:
            tickets = tickets.filter(region_id=query.validated_data["region"])
        if "created_from" in query.validated_data:
            tickets = tickets.filter(created_at__date__gte=query.validated_data["created_from"])
        if "created_to" in query.validated_data:
            tickets = tickets.filter(created_at__date__lte=query.validated_data["created_to"])
        catalogue = selectors.license_failure_catalogue(user=request.user, tickets=tickets)
        by_reason = catalogue["totals"]
        return Response(
            {
                "total": sum(by_reason.values()),
                "by_reason": by_reason,
                "by_route_to_market": dict(catalogue["by_route"]),
            }
        )

"""API of subscriptions, invoices and reconciliation (runs, discrepancies and their resolution)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from ordermgmt.api.permissions import has_role
from ordermgmt.models import User

from .. import selectors, services
from ..filters import DiscrepancyFilterSet, InvoiceFilterSet, ReconciliationRunFilterSet, SubscriptionFilterSet
from .serializers import (
    DiscrepancyBatchInputSerializer,
    DiscrepancyResolveInputSerializer,
    DiscrepancySerializer,
    DiscrepancyUndoInputSerializer,
    InvoiceSerializer,
    ReconciliationRunInputSerializer,
    ReconciliationRunSerializer,
    SubscriptionSerializer,
)

ERRORS = {
    400: OpenApiResponse(description="Bad input: `{field: [messages]}` or `{detail}`"),
    403: OpenApiResponse(description="Not allowed for this role"),
    404: OpenApiResponse(description="Not found"),
    409: OpenApiResponse(description="A run of this kind is active, or the records changed since the run"),
}
RESOLVERS = (User.Role.SPECIALIST, User.Role.MANAGER)
READERS = (*RESOLVERS, User.Role.BILLING)
FEEDERS = (User.Role.INTEGRATION, *RESOLVERS)

CanRead = has_role(*READERS)
CanResolve = has_role(*RESOLVERS)
CanFeed = has_role(*FEEDERS)


class _UpsertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Read for specialists, managers and billing; POST upserts (integration, specialists, managers)."""

    upsert = None
    key = ""  # the field the upsert matches on

    def get_permissions(self):
        return [CanFeed()] if self.action == "create" else [CanRead()]

    def create(self, request, *args, **kwargs):
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        self._require_in_scope(data)
        obj, created = type(self).upsert(data=data)
        obj = self.get_queryset().get(pk=obj.pk)
        return Response(
            self.get_serializer(obj).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    def _require_in_scope(self, data: dict) -> None:
        """A specialist feeds only their regions' records: the customer named, and the record the key names if it
        exists (otherwise the upsert wrote outside the scope and the answer, read back in it, was a 500)."""
        user = self.request.user
        if user.is_superuser or not user.is_specialist:
            return
        lookup = {self.key: data[self.key]}
        existing = self.get_queryset().model.objects.filter(**lookup)
        account = data.get("account")
        if (account is not None and account.region_id not in user.region_codes()) or (
            existing.exists() and not self.get_queryset().filter(**lookup).exists()
        ):
            raise PermissionDenied("Specialists send only their regions' records.")


@extend_schema(responses={200: SubscriptionSerializer, 201: SubscriptionSerializer, **ERRORS})
class SubscriptionViewSet(_UpsertViewSet):
    """Customer subscriptions from billing. POST upserts by `name` (201 created, 200 updated)."""

    serializer_class = SubscriptionSerializer
    filterset_class = SubscriptionFilterSet
    search_fields = ["name"]
    ordering_fields = ["name", "term_end", "id"]
    upsert = staticmethod(services.subscription_upsert)
    key = "name"

    def get_queryset(self):
        return selectors.subscription_list(user=self.request.user)


@extend_schema(responses={200: InvoiceSerializer, 201: InvoiceSerializer, **ERRORS})
class InvoiceViewSet(_UpsertViewSet):
    """Invoices from billing. POST upserts by `number` (201 created, 200 updated)."""

    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilterSet
    search_fields = ["number"]
    ordering_fields = ["invoice_date", "number", "id"]
    upsert = staticmethod(services.invoice_upsert)
    key = "number"

    def get_queryset(self):
        return selectors.invoice_list(user=self.request.user)


class ReconciliationRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Reconciliation runs; POST starts one (202), 409 with the active run if one of that kind is queued or running."""

    serializer_class = ReconciliationRunSerializer
    filterset_class = ReconciliationRunFilterSet
    search_fields = []
    ordering_fields = ["created_at", "id"]

    def get_permissions(self):
        return [CanResolve()] if self.action == "create" else [CanRead()]

    def get_queryset(self):
        return selectors.run_list()

    @extend_schema(request=ReconciliationRunInputSerializer, responses={202: ReconciliationRunSerializer, **ERRORS})
    def create(self, request, *args, **kwargs):
        payload = ReconciliationRunInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        run = services.reconciliation_run_create(actor=request.user, **payload.validated_data)
        return Response(self.get_serializer(run).data, status=status.HTTP_202_ACCEPTED)


class DiscrepancyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Findings of the reconciliation runs; resolve (apply the fix or accept as an exception), batch, undo."""

    serializer_class = DiscrepancySerializer
    filterset_class = DiscrepancyFilterSet
    search_fields = []
    ordering_fields = ["first_seen_at", "id"]

    def get_permissions(self):
        return [CanRead()] if self.action in ("list", "retrieve") else [CanResolve()]

    def get_queryset(self):
        return selectors.discrepancy_list(user=self.request.user)

    def _answer(self, pk: int) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data)

    @extend_schema(request=DiscrepancyResolveInputSerializer, responses={200: DiscrepancySerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """`{"action": "apply"|"accept", "reason"}`: apply the proposed fix, or accept the finding (reason needed)."""
        discrepancy = self.get_object()
        payload = DiscrepancyResolveInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        self._resolve([discrepancy.pk], **payload.validated_data)
        return self._answer(discrepancy.pk)

    @extend_schema(request=DiscrepancyBatchInputSerializer, responses={200: DiscrepancySerializer(many=True), **ERRORS})
    @action(detail=False, methods=["post"], url_path="resolve-batch")
    def resolve_batch(self, request):
        """`{"ids": [...], "action", "reason"}`: resolve several at once, all or none."""
        payload = DiscrepancyBatchInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        self._resolve(data["ids"], action=data["action"], reason=data["reason"])
        rows = self.get_queryset().filter(pk__in=data["ids"])
        return Response(self.get_serializer(rows, many=True).data)

    def _resolve(self, ids, *, action: str, reason: str) -> None:
        if action == "apply":
            services.discrepancy_apply(discrepancy_ids=ids, actor=self.request.user, reason=reason)
        else:
            services.discrepancy_accept(discrepancy_ids=ids, actor=self.request.user, reason=reason)

    @extend_schema(request=DiscrepancyUndoInputSerializer, responses={200: DiscrepancySerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def undo(self, request, pk=None):
        """Undo an applied fix: restore what it changed and reopen the finding."""
        discrepancy = self.get_object()
        payload = DiscrepancyUndoInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.discrepancy_undo(discrepancy_id=discrepancy.pk, actor=request.user, **payload.validated_data)
        return self._answer(discrepancy.pk)

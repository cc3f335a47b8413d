"""The opportunities API: list, detail, create, PATCH (through the services: row lock, history), documents, history.

The workflow's actions on the same URLs are `views.OpportunityActionViewSet`.
"""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from approvals import selectors
from ordermgmt import selectors as om_selectors
from ordermgmt import services
from ordermgmt.api.filtering import FilterSetBackend, StableOrderingFilter
from ordermgmt.api.permissions import IsStaffRole, has_role
from ordermgmt.api.serializers import DocumentSerializer, HistoryEntrySerializer
from ordermgmt.api.views import ERRORS
from ordermgmt.filters import OpportunityFilterSet
from ordermgmt.models import Opportunity, User

from .serializers import OpportunitySerializer


class DocumentReplaceSerializer(drf_serializers.Serializer):
    file = drf_serializers.FileField(help_text="The new file; it keeps the replaced document's kind.")


@extend_schema(responses={200: OpportunitySerializer, **ERRORS})
class OpportunityViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Opportunities visible to the caller. Create and PATCH go through the services (row lock, history)."""

    serializer_class = OpportunitySerializer
    permission_classes = [IsStaffRole]
    filterset_class = OpportunityFilterSet
    filter_backends = [FilterSetBackend, StableOrderingFilter]
    ordering_fields = ["created_at", "start_date", "close_date", "amount", "net_arr", "name", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        queryset = selectors.opportunity_list(user=self.request.user)
        if self.action in (
            "partial_update", "documents", "history", "remove_document", "replace_document", "request_quote_approval",
            "approve_quote",
        ):  # fmt: skip
            # These only need the row itself (scope, validation); the quotes and documents the list and detail
            # serialise would be two wasted queries, and PATCH answers from a fresh read after the write anyway.
            queryset = queryset.prefetch_related(None)
        return queryset

    def get_permissions(self):
        if self.action == "create":
            return [IsStaffRole(), has_role(User.Role.SALES_REP, User.Role.MANAGER)()]
        return super().get_permissions()

    def _fresh(self, pk: int) -> Opportunity:
        return selectors.opportunity_get(user=self.request.user, pk=pk)

    @extend_schema(responses={201: OpportunitySerializer, **ERRORS})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("version", None)
        opp = services.opportunity_create(actor=request.user, data=data)
        return Response(self.get_serializer(self._fresh(opp.pk)).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        expected_version = data.pop("version", None)
        services.opportunity_update(
            opportunity_id=instance.pk, actor=request.user, data=data, expected_version=expected_version
        )
        return Response(self.get_serializer(self._fresh(instance.pk)).data)

    @extend_schema(methods=["get"], request=None, responses={200: DocumentSerializer(many=True), 404: ERRORS[404]})
    @extend_schema(
        methods=["post"],
        request={"multipart/form-data": DocumentSerializer},
        responses={201: DocumentSerializer, **ERRORS},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        parser_classes=[MultiPartParser],
        serializer_class=DocumentSerializer,
        filter_backends=[],
        pagination_class=None,
    )
    def documents(self, request, pk=None):
        """List the opportunity's documents, or upload one (multipart: `kind`, `file`)."""
        opp = self.get_object()
        if request.method == "GET":
            return Response(DocumentSerializer(om_selectors.document_list(opportunity=opp), many=True).data)
        payload = DocumentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        document = services.document_create(
            opportunity_id=opp.pk,
            actor=request.user,
            kind=payload.validated_data["kind"],
            upload=payload.validated_data["file"],
        )
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: OpportunitySerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="request-quote-approval", filter_backends=[])
    def request_quote_approval(self, request, pk=None):
        """The owner rep asks Deal Desk to approve the primary quote (a rep cannot set `approved` itself)."""
        opp = self.get_object()
        services.quote_approval_request(opportunity_id=opp.pk, actor=request.user)
        return Response(self.get_serializer(self._fresh(opp.pk)).data)

    @extend_schema(request=None, responses={200: OpportunitySerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="approve-quote", filter_backends=[])
    def approve_quote(self, request, pk=None):
        """Deal Desk or a manager approves the primary quote (recorded in the history)."""
        opp = self.get_object()
        services.quote_approve(opportunity_id=opp.pk, actor=request.user)
        return Response(self.get_serializer(self._fresh(opp.pk)).data)

    @extend_schema(request=None, responses={200: DocumentSerializer, **ERRORS})
    @action(
        detail=True,
        methods=["post"],
        url_path=r"documents/(?P<document_id>\d+)/remove",
        filter_backends=[],
        pagination_class=None,
    )
    def remove_document(self, request, pk=None, document_id=None):
        """Take a document off the opportunity while it is editable. Never destructive: the file is kept for the
        audit trail and the history records the removal."""
        opp = self.get_object()
        document = services.document_remove(opportunity_id=opp.pk, actor=request.user, document_id=int(document_id))
        return Response(DocumentSerializer(document).data)

    @extend_schema(
        request={"multipart/form-data": DocumentReplaceSerializer}, responses={201: DocumentSerializer, **ERRORS}
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"documents/(?P<document_id>\d+)/replace",
        parser_classes=[MultiPartParser],
        filter_backends=[],
        pagination_class=None,
    )
    def replace_document(self, request, pk=None, document_id=None):
        """Upload a new file for a document (same kind); the old one is kept, removed, for the audit trail."""
        opp = self.get_object()
        payload = DocumentReplaceSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        document = services.document_replace(
            opportunity_id=opp.pk,
            actor=request.user,
            document_id=int(document_id),
            upload=payload.validated_data["file"],
        )
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: HistoryEntrySerializer(many=True), 404: ERRORS[404]})
    @action(
        detail=True, methods=["get"], serializer_class=HistoryEntrySerializer, filter_backends=[], pagination_class=None
    )
    def history(self, request, pk=None):
        """The audit trail of the opportunity, oldest first."""
        opp = self.get_object()
        return Response(HistoryEntrySerializer(om_selectors.opportunity_history(opportunity=opp), many=True).data)

    def get_object(self):
        try:
            return super().get_object()
        except (Opportunity.DoesNotExist, ValueError) as exc:
            raise Http404 from exc

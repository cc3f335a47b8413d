"""The workflow actions on opportunities, the queues and the rejection reasons."""

from django.http import FileResponse, Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals import requirements, selectors, services
from approvals.filters import QueueFilterSet
from approvals.models import Correction, Submission
from approvals.pagination import QueueKeysetPagination
from approvals.sla import hours_remaining_at
from ordermgmt.api.filtering import FilterSetBackend
from ordermgmt.api.permissions import IsStaffRole
from ordermgmt.api.serializers import HistoryEntrySerializer
from ordermgmt.api.views import ERRORS

from .queue_serializers import QueueItemSerializer, queue_row_data
from .serializers import (
    AnswerInputSerializer,
    ApproveInputSerializer,
    AssignInputSerializer,
    BookNowInputSerializer,
    ChecklistItemSerializer,
    ChecklistMarkInputSerializer,
    CommentInputSerializer,
    CorrectionDecisionSerializer,
    CorrectionInputSerializer,
    CorrectionSerializer,
    EmptySerializer,
    EscalateInputSerializer,
    OpportunitySerializer,
    QuestionInputSerializer,
    RejectInputSerializer,
    RejectionReasonSerializer,
    ThreadMessageInputSerializer,
    ThreadMessageSerializer,
)

ACTION_RESPONSES = {200: OpportunitySerializer, **ERRORS}


class OpportunityActionViewSet(viewsets.GenericViewSet):
    """The approval workflow's actions. Each answers the updated opportunity, or 400/403/404/409 saying why."""

    permission_classes = [IsStaffRole]
    serializer_class = OpportunitySerializer

    def get_queryset(self):
        return selectors.opportunity_list(user=self.request.user)

    def _pk(self) -> int:
        try:
            return int(self.kwargs["pk"])
        except (ValueError, TypeError) as exc:
            raise Http404 from exc

    def _require_visible(self, pk: int) -> None:
        if not selectors.opportunity_scope(self.request.user).filter(pk=pk).exists():
            raise Http404

    def _validated(self, input_serializer) -> dict:
        payload = input_serializer(data=self.request.data)
        if not payload.is_valid():
            self._require_visible(self._pk())  # an opportunity this user may not see is 404 whatever the body says
            raise ValidationError(payload.errors)
        return payload.validated_data

    def _run(self, service, input_serializer=None, **extra):
        pk = self._pk()
        data = self._validated(input_serializer) if input_serializer is not None else {}
        # The service locks the row within what this user may see (404 otherwise: one read for scope and lock) and
        # answers the row it changed, loaded with everything the serializer reads.
        opp = service(opportunity_id=pk, actor=self.request.user, **data, **extra)
        return Response(OpportunitySerializer(opp, context=self.get_serializer_context()).data)

    @extend_schema(responses={200: HistoryEntrySerializer(many=True), 404: ERRORS[404]})
    @action(detail=True, methods=["get"], url_path="changes-since-rejection", pagination_class=None, filter_backends=[])
    def changes_since_rejection(self, request, pk=None):
        """What the rep changed (fields, quote, documents) after the last rejection, oldest first."""
        try:
            opp = self.get_object()
        except (ValueError, TypeError) as exc:
            raise Http404 from exc
        return Response(HistoryEntrySerializer(selectors.changes_since_last_rejection(opportunity=opp), many=True).data)

    @extend_schema(request=EmptySerializer, responses=ACTION_RESPONSES)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit for booking approval (owner rep). Unmet requirements answer 400 with `unmet_requirements`."""
        return self._run(services.approval_submit)

    @extend_schema(request=EmptySerializer, responses=ACTION_RESPONSES)
    @action(detail=True, methods=["post"])
    def recall(self, request, pk=None):
        """Take the submission back before Order Management decides (owner rep)."""
        return self._run(services.approval_recall)

    @extend_schema(request=EscalateInputSerializer, responses=ACTION_RESPONSES)
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        """Flag a waiting submission urgent, optionally handing it to another region (owner rep)."""
        return self._run(services.approval_escalate, EscalateInputSerializer)

    @extend_schema(request=EmptySerializer, responses=ACTION_RESPONSES)
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        """Claim a queue item (specialist of the region or covering it, manager)."""
        return self._run(services.approval_claim)

    @extend_schema(request=AssignInputSerializer, responses=ACTION_RESPONSES)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Hand a queue item to a specialist (manager)."""
        return self._run(services.approval_assign, assignee=self._validated(AssignInputSerializer)["user"])

    @extend_schema(request=ApproveInputSerializer, responses=ACTION_RESPONSES)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Order Management approval (specialist, manager): on to Billing's queue. The checklist must be verified
        (optionally in this call: `verified`) with nothing failed on it."""
        return self._run(services.approval_approve, ApproveInputSerializer)

    @extend_schema(methods=["get"], responses={200: ChecklistItemSerializer(many=True), 404: ERRORS[404]}, request=None)
    @extend_schema(
        methods=["post"],
        request=ChecklistMarkInputSerializer,
        responses={200: ChecklistItemSerializer(many=True), **ERRORS},
        examples=[OpenApiExample("Verify", value={"item": "signed_order_form", "verdict": "verified"})],
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def checklist(self, request, pk=None):
        """The open submission's verified checklist (GET: anyone who can see the opportunity; empty without an open
        submission), or a verdict on one item (POST: the reviewer who may decide it)."""
        pk = self._pk()
        if request.method == "POST":
            data = self._validated(ChecklistMarkInputSerializer)
            services.checklist_mark(opportunity_id=pk, actor=request.user, **data)
        else:
            self._require_visible(pk)
        opp = selectors.opportunity_list(user=request.user).get(pk=pk)
        submission = selectors.open_submission(opportunity=opp)
        rows = services.submission_checklist(opp, submission) if submission else []
        return Response(ChecklistItemSerializer(rows, many=True).data)

    @extend_schema(request=RejectInputSerializer, responses=ACTION_RESPONSES)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Order Management rejection with at least one reason code and a comment (specialist, manager)."""
        return self._run(services.approval_reject, RejectInputSerializer)

    @extend_schema(
        request=QuestionInputSerializer,
        responses=ACTION_RESPONSES,
        examples=[OpenApiExample("A question", value={"question": "Is the PO number on the order form final?"})],
    )
    @action(detail=True, methods=["post"], url_path="needs-info")
    def needs_info(self, request, pk=None):
        """Ask the rep a question without rejecting (specialist or manager while in the Order Management queue, Billing
        in Billing's): the status becomes `needs_info`, the SLA clock stands still until the rep answers."""
        return self._run(services.approval_info_request, QuestionInputSerializer)

    @extend_schema(
        request={"application/json": AnswerInputSerializer, "multipart/form-data": AnswerInputSerializer},
        responses=ACTION_RESPONSES,
        examples=[OpenApiExample("An answer", value={"answer": "Yes: PO 4500012345 is final."})],
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, MultiPartParser])
    def respond(self, request, pk=None):
        """The rep's answer (owner rep), optionally with a file: the item returns to the reviewer who asked, at the
        same queue position, its SLA due time moved by the business hours it waited for the rep."""
        return self._run(services.approval_info_respond, AnswerInputSerializer)

    @extend_schema(methods=["get"], responses={200: ThreadMessageSerializer(many=True), 404: ERRORS[404]}, request=None)
    @extend_schema(
        methods=["post"],
        request={"application/json": ThreadMessageInputSerializer, "multipart/form-data": ThreadMessageInputSerializer},
        responses={201: ThreadMessageSerializer, **ERRORS},
        examples=[OpenApiExample("A comment", value={"body": "@om.emea the signed order form is attached."})],
    )
    @action(
        detail=True,
        methods=["get", "post"],
        parser_classes=[JSONParser, MultiPartParser],
        pagination_class=None,
        filter_backends=[],
    )
    def comments(self, request, pk=None):
        """The opportunity's thread, oldest first (GET), or a new message (POST) by anyone who can see it."""
        pk = self._pk()
        context = self.get_serializer_context()
        if request.method == "POST":
            data = self._validated(ThreadMessageInputSerializer)
            comment = services.opportunity_comment_add(opportunity_id=pk, actor=request.user, **data)
            return Response(ThreadMessageSerializer(comment, context=context).data, status=201)
        self._require_visible(pk)
        thread = selectors.opportunity_thread(opportunity_id=pk)
        return Response(ThreadMessageSerializer(thread, many=True, context=context).data)

    @extend_schema(request=None, responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 404: ERRORS[404]})
    @action(detail=True, methods=["get"], url_path=r"comments/(?P<comment_id>\d+)/attachment", filter_backends=[])
    def comment_attachment(self, request, pk=None, comment_id=None):
        """A thread message's attachment, to whoever may see the opportunity (always a download)."""
        pk = self._pk()
        self._require_visible(pk)
        comment = selectors.opportunity_thread(opportunity_id=pk).filter(pk=comment_id).first()
        if comment is None or not comment.attachment:
            raise Http404
        response = FileResponse(
            comment.attachment.open("rb"),
            as_attachment=True,
            filename=comment.attachment_name,
            content_type=comment.attachment_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response

    @extend_schema(methods=["get"], request=None, responses={200: CorrectionSerializer(many=True), 404: ERRORS[404]})
    @extend_schema(
        methods=["post"],
        request=CorrectionInputSerializer,
        responses={201: CorrectionSerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "Net ARR corrected",
                value={"kind": "fields", "reason": "Net ARR excluded the ramp", "changes": {"net_arr": "18000.00"}},
            )
        ],
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def corrections(self, request, pk=None):
        """A Closed Won deal's corrections (GET), or a new one (POST, Billing or manager) for Order Management to
        approve: field corrections of amount, Net ARR and dates, or a rebook with a new close date."""
        pk = self._pk()
        if request.method == "POST":
            data = self._validated(CorrectionInputSerializer)
            correction = services.correction_open(
                opportunity_id=pk, actor=request.user, reason=data["reason"], kind=data["kind"],
                changes=dict(data["changes"]),
            )  # fmt: skip
            return Response(CorrectionSerializer(correction).data, status=201)
        self._require_visible(pk)
        return Response(
            CorrectionSerializer(selectors.correction_list(user=request.user, opportunity_id=pk), many=True).data
        )

    @extend_schema(request=CommentInputSerializer, responses=ACTION_RESPONSES)
    @action(detail=True, methods=["post"], url_path="billing-approve")
    def billing_approve(self, request, pk=None):
        """Billing's final approval: the deal becomes Closed Won."""
        return self._run(services.approval_billing_approve, CommentInputSerializer)

    @extend_schema(
        request=BookNowInputSerializer,
        responses=ACTION_RESPONSES,
        examples=[OpenApiExample("Override", value={"reason": "Customer moved the start date forward"})],
    )
    @action(detail=True, methods=["post"], url_path="book-now")
    def book_now(self, request, pk=None):
        """A manager books a held deal (`booking_held`: start date more than 15 days out) before its date, with a
        reason; it closes as Won today (Pacific)."""
        return self._run(services.approval_book_now, BookNowInputSerializer)

    @extend_schema(request=RejectInputSerializer, responses=ACTION_RESPONSES)
    @action(detail=True, methods=["post"], url_path="billing-reject")
    def billing_reject(self, request, pk=None):
        """Billing's rejection with reason codes and a comment."""
        return self._run(services.approval_billing_reject, RejectInputSerializer)


@extend_schema(
    parameters=[
        OpenApiParameter("stage", str, enum=["om", "billing"], description="Order Management's queue or Billing's"),
        OpenApiParameter("page_size", int, description="Up to 200"),
        OpenApiParameter("cursor", str, description="The `next` link's cursor"),
    ]
)
class QueueViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Open submissions in priority order: escalated, start date, Net ARR (largest first), submitted at.

    The list is the hot path: it reads plain rows (only the columns shown) and builds the JSON without model
    instances or a ModelSerializer; QueueItemSerializer documents the same shape in the schema.
    """

    serializer_class = QueueItemSerializer
    permission_classes = [IsStaffRole]
    filterset_class = QueueFilterSet
    pagination_class = QueueKeysetPagination
    filter_backends = [FilterSetBackend]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Submission.objects.none()
        user = self.request.user
        params = self.request.query_params
        default_stage = "billing" if user.is_billing else "om"
        stage = params.get("stage") or default_stage
        region = params.get("region") or None
        return selectors.approval_queue(user=user, stage=stage if stage in ("om", "billing") else "om", region=region)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(selectors.queue_rows(self.filter_queryset(self.get_queryset())))
        regions = selectors.region_calendars()
        now = timezone.now()
        hours = hours_remaining_at(now)
        return self.get_paginated_response(
            [queue_row_data(row, regions=regions, now=now, hours_remaining=hours) for row in page]
        )


class RejectionReasonsView(APIView):
    """The rejection reason codes: one per booking requirement, plus `other`."""

    permission_classes = [IsStaffRole]

    @extend_schema(responses={200: RejectionReasonSerializer(many=True)})
    def get(self, request):
        return Response([{"code": code, "label": label} for code, label in requirements.rejection_reasons()])


class CorrectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Corrections of Closed Won deals in the caller's scope; Order Management approves or rejects them."""

    serializer_class = CorrectionSerializer
    permission_classes = [IsStaffRole]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Correction.objects.none()
        pending = self.request.query_params.get("state") == "pending"
        return selectors.correction_list(user=self.request.user, pending_only=pending)

    def _decide(self, service):
        try:
            correction_id = int(self.kwargs["pk"])
        except (TypeError, ValueError) as exc:
            raise Http404 from exc
        payload = CorrectionDecisionSerializer(data=self.request.data)
        payload.is_valid(raise_exception=True)
        correction = service(correction_id=correction_id, actor=self.request.user, **payload.validated_data)
        return Response(CorrectionSerializer(correction).data)

    @extend_schema(request=CorrectionDecisionSerializer, responses={200: CorrectionSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Order Management approves: the corrected values are applied, with a history line."""
        return self._decide(services.correction_approve)

    @extend_schema(request=CorrectionDecisionSerializer, responses={200: CorrectionSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Order Management rejects (a comment is required); the booking stays as it was."""
        return self._decide(services.correction_reject)

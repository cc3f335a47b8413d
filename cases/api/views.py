"""Cases API: read through the selectors, write through one service per action."""

from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from approvals import selectors as approval_selectors
from ordermgmt.api.permissions import IsStaffRole
from ordermgmt.models import Opportunity

from .. import selectors, services
from ..filters import CaseFilterSet
from ..models import Case
from .serializers import (
    CaseAssignInputSerializer,
    CaseAttachmentInputSerializer,
    CaseAttachmentSerializer,
    CaseCommentInputSerializer,
    CaseCommentSerializer,
    CaseCreateInputSerializer,
    CaseDetailOutputSerializer,
    CaseNoteInputSerializer,
    CaseOpenInputSerializer,
    CaseOutputSerializer,
    CaseStatusInputSerializer,
    type_field_values,
)

ERRORS = {
    400: OpenApiResponse(description="Bad input: `{field: [messages]}` or `{detail}`"),
    403: OpenApiResponse(description="Not allowed for this role or object"),
    404: OpenApiResponse(description="Not found or not visible"),
    409: OpenApiResponse(
        description="The case is in a state that does not allow this, somebody else took it, or (opening) a likely "
        "duplicate: `{detail, possible_duplicate_of, possible_duplicate_number}`; resend with confirm_duplicate"
    ),
}


def _open(request, opportunity_id: int, payload) -> Case:
    data = payload.validated_data
    return services.case_open(
        opportunity_id=opportunity_id,
        actor=request.user,
        team=data["team"],
        request_type=data["request_type"],
        subject=data["subject"],
        details=data["details"],
        field_values=type_field_values(request.data),
        confirm_duplicate=data["confirm_duplicate"],
        related_to_id=data.get("related_to"),
    )


@extend_schema(responses={200: CaseOutputSerializer, **ERRORS})
class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Cases visible to the caller (reps: on their opportunities; teams: their queue; managers: all).

    Every change goes through an action: take, assign, comment, status, close, reopen, attachments.
    """

    serializer_class = CaseOutputSerializer
    permission_classes = [IsStaffRole]
    filterset_class = CaseFilterSet
    filter_backends = [DjangoFilterBackend]

    def get_queryset(self):
        return selectors.case_list(user=self.request.user)

    def get_object(self):
        try:
            pk = int(self.kwargs["pk"])
            return selectors.case_get(user=self.request.user, pk=pk)
        except (Case.DoesNotExist, ValueError, OverflowError) as exc:
            raise Http404 from exc

    def _detail(self, case: Case, code: int = status.HTTP_200_OK) -> Response:
        case = selectors.case_get(user=self.request.user, pk=case.pk)
        context = {
            **self.get_serializer_context(),
            "comments": selectors.case_comments(case=case, user=self.request.user),
            "events": selectors.case_events(case=case),
            "attachments": selectors.case_attachments(case=case),
        }
        return Response(CaseDetailOutputSerializer(case, context=context).data, status=code)

    @extend_schema(responses={200: CaseDetailOutputSerializer, 404: ERRORS[404]})
    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object())

    @extend_schema(request=CaseCreateInputSerializer, responses={201: CaseDetailOutputSerializer, **ERRORS})
    def create(self, request, *args, **kwargs):
        """Open a case on `opportunity` (the same as POST /api/opportunities/{id}/request-support/)."""
        payload = CaseCreateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        opp_id = payload.validated_data["opportunity"]
        if not approval_selectors.opportunity_list(user=request.user).filter(pk=opp_id).exists():
            raise ValidationError({"opportunity": ["No such opportunity (or not yours)."]}, code="does_not_exist")
        return self._detail(_open(request, opp_id, payload), status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: CaseDetailOutputSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def take(self, request, pk=None):
        """Own the case (members of its team, managers). First taker wins; the rest get 409."""
        case = services.case_take(case_id=self.get_object().pk, actor=request.user)
        return self._detail(case)

    @extend_schema(request=CaseAssignInputSerializer, responses={200: CaseDetailOutputSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Managers assign or reassign the case to a member of its team: `{"user": id}`."""
        case = self.get_object()
        payload = CaseAssignInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._detail(
            services.case_assign(case_id=case.pk, actor=request.user, user=payload.validated_data["user"])
        )

    @extend_schema(request=CaseCommentInputSerializer, responses={201: CaseCommentSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def comment(self, request, pk=None):
        """A public reply (`{"body"}`) or an internal note (`"internal": true`, team and managers).

        @mentions notify only the case owner or the requester; other names are listed in `mentions_ignored`.
        """
        case = self.get_object()
        payload = CaseCommentInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        comment = services.case_comment_add(case_id=case.pk, actor=request.user, **payload.validated_data)
        return Response(CaseCommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CaseStatusInputSerializer, responses={200: CaseDetailOutputSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, pk=None):
        """Move the case to `{"status"}` (owner, managers), following the transition table."""
        case = self.get_object()
        payload = CaseStatusInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        return self._detail(
            services.case_transition(case_id=case.pk, to_status=data["status"], actor=request.user, note=data["note"])
        )

    @extend_schema(request=CaseNoteInputSerializer, responses={200: CaseDetailOutputSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close the case (owner, managers; the requester may withdraw their own)."""
        case = self.get_object()
        payload = CaseNoteInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._detail(services.case_close(case_id=case.pk, actor=request.user, **payload.validated_data))

    @extend_schema(request=CaseNoteInputSerializer, responses={200: CaseDetailOutputSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Reopen a closed case (owning team, managers). Requesters open a new linked case instead."""
        case = self.get_object()
        payload = CaseNoteInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._detail(services.case_reopen(case_id=case.pk, actor=request.user, **payload.validated_data))

    @extend_schema(
        request={"multipart/form-data": CaseAttachmentInputSerializer},
        responses={201: CaseAttachmentSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def attachments(self, request, pk=None):
        """Attach a file (multipart `file`): PDF, image, Word, Excel or email, up to the document size limit."""
        case = self.get_object()
        payload = CaseAttachmentInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        attachment = services.case_attachment_add(
            case_id=case.pk, actor=request.user, upload=payload.validated_data["file"]
        )
        return Response(CaseAttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)


class OpportunityRequestSupportViewSet(viewsets.GenericViewSet):
    """`POST /api/opportunities/{id}/request-support/`: open a case on the opportunity (owner rep, manager)."""

    permission_classes = [IsStaffRole]
    serializer_class = CaseOpenInputSerializer

    def get_queryset(self):
        return approval_selectors.opportunity_list(user=self.request.user)

    @extend_schema(request=CaseOpenInputSerializer, responses={201: CaseDetailOutputSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="request-support", url_name="request-support")
    def request_support(self, request, pk=None):
        """Open a case; a likely duplicate answers 409 with `possible_duplicate_of` unless `confirm_duplicate`."""
        try:
            opp = self.get_queryset().values("pk").get(pk=int(pk))
        except (Opportunity.DoesNotExist, ValueError, OverflowError) as exc:
            raise Http404 from exc
        payload = CaseOpenInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        case = _open(request, opp["pk"], payload)
        viewset = CaseViewSet(request=request, format_kwarg=None, kwargs={}, action="retrieve")
        return viewset._detail(case, status.HTTP_201_CREATED)

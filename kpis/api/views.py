"""KPI API: the summary as JSON, CSV or XLSX (managers), and CSAT answers (any signed-in staff member)."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from ordermgmt.api.permissions import IsStaffRole, has_role
from ordermgmt.exports import XLSX_CONTENT_TYPE
from ordermgmt.models import User

from ..exports import summary_csv, summary_xlsx
from ..forms import scope_from_params
from ..models import CsatResponse
from ..selectors import kpi_summary_cached
from ..services import csat_response_create

IsManager = has_role(User.Role.MANAGER)
SCOPE_PARAMETERS = [
    OpenApiParameter(
        "period",
        str,
        description="A fiscal quarter, YYYY-Qn or FYyy-Qn, or a month, YYYY-MM (default: the current fiscal quarter). "
        "Quarters are fiscal: the fiscal year starts on the 1st of FISCAL_YEAR_START_MONTH (February by default, as "
        "GitLab's) and is named by the calendar year it ends in, so 2027-Q4 = FY27-Q4 = 2026-11-01..2027-01-31 "
        "(with FISCAL_YEAR_START_MONTH=1, 2026-Q3 is July-September 2026).",
    ),
    OpenApiParameter("from", OpenApiTypes.DATE, description="custom range start, with `to`"),
    OpenApiParameter("to", OpenApiTypes.DATE, description="custom range end (included), with `from`"),
    OpenApiParameter("region", str),
    OpenApiParameter("person", int, description="user id"),
    OpenApiParameter("team", str, description="case team code (first response)"),
]


class KpiSummaryView(APIView):
    """`GET /api/kpis/?period=2026-Q3&region=EMEA` (or `from`/`to`, `person`, `team`): every KPI; null = no data."""

    permission_classes = [IsManager]

    @extend_schema(
        parameters=SCOPE_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT},
        description="Every KPI of the scope; null = no data. The figures are at most `max_age_seconds` old (default "
        "60) and say when they were computed (`computed_at`, UTC ISO 8601); the drill-downs are live.",
    )
    def get(self, request):
        scope = scope_from_params(request.query_params, request.user)
        return Response(kpi_summary_cached(scope))


class ExportNegotiation(BaseContentNegotiation):
    """The exports answer their file whatever `Accept` says (a client asking for text/csv or the XLSX type got 406
    from DRF's negotiation, which only knows JSON); their errors answer JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


EXPORT_PARAMETERS = [*SCOPE_PARAMETERS, OpenApiParameter("table", str, description="one table of the dashboard")]


class KpiExportView(APIView):
    """`GET /api/kpis/export.csv?...[&table=closed_won_by_member]`: the same numbers as CSV."""

    permission_classes = [IsManager]
    content_negotiation_class = ExportNegotiation
    export_format = "csv"

    @extend_schema(parameters=EXPORT_PARAMETERS, responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request):
        return self.export(request)

    def export(self, request):
        scope = scope_from_params(request.query_params, request.user)
        summary, table = kpi_summary_cached(scope), request.query_params.get("table") or None
        name = f"kpis-{scope.period.key.replace(':', '_')}-{scope.region or 'all'}"
        if self.export_format == "xlsx":
            return summary_xlsx(summary, table, f"{name}.xlsx")
        return csv_response(summary_csv(summary, table), name)


class KpiExportXlsxView(KpiExportView):
    """`GET /api/kpis/export.xlsx?...[&table=closed_won_by_member]`: the CSV's rows as an XLSX workbook."""

    export_format = "xlsx"

    @extend_schema(
        parameters=EXPORT_PARAMETERS,
        responses={(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY},
        description="The rows of `/api/kpis/export.csv` (the same parameters) as an XLSX workbook of one sheet: "
        "figures as numbers, money with a money format, no data as an empty cell, a frozen header with an autofilter.",
    )
    def get(self, request):
        return self.export(request)


def csv_response(body: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


class CsatResponseInputSerializer(serializers.Serializer):
    region = serializers.CharField(
        max_length=4, required=False, help_text="The region rated: a rep's own (default); a manager names one."
    )
    quarter = serializers.CharField(
        max_length=7,
        required=False,
        help_text="The fiscal quarter rated, 2027-Q4 or FY27-Q4 (fiscal year named by the calendar year it ends in; "
        "February start: 2026-11-01..2027-01-31); the last closed one by default. Answers carry the YYYY-Qn form.",
    )
    rating = serializers.ChoiceField(choices=CsatResponse.Rating.choices)
    comment = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class CsatResponseOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = CsatResponse
        fields = ["id", "region", "quarter", "rating", "comment", "respondent", "created_at"]


class CsatResponseCreateView(APIView):
    """`POST /api/csat/responses/` `{"rating", "comment", "region", "quarter"}`: sales reps and their managers, once
    per quarter (409); others 403. The quarter defaults to the last closed one; a future one is 400."""

    permission_classes = [IsStaffRole]

    @extend_schema(request=CsatResponseInputSerializer, responses={201: CsatResponseOutputSerializer})
    def post(self, request):
        payload = CsatResponseInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = {"region": None, "quarter": None, **payload.validated_data}
        answer = csat_response_create(respondent=request.user, **data)
        return Response(CsatResponseOutputSerializer(answer).data, status=status.HTTP_201_CREATED)

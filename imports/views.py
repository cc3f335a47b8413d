"""Import pages: upload a Salesforce export (a dry run is queued at once), its per-row result with the error report,
then the real import with its progress polled by htmx."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from ordermgmt import web
from ordermgmt.exceptions import ApplicationError

from . import selectors, services
from .forms import ImportUploadForm
from .models import IMPORTER_ROLES, ImportRow


class RoleRequiredMixin(web.RoleRequiredMixin):
    roles = IMPORTER_ROLES


class ImportUploadView(RoleRequiredMixin, View):
    """The upload form and the person's recent runs."""

    template_name = "imports/upload.html"

    def _render(self, request, form, status=200):
        runs = selectors.import_run_list(user=request.user)[:20]
        return render(request, self.template_name, {"form": form, "runs": runs}, status=status)

    def get(self, request):
        return self._render(request, ImportUploadForm())

    def post(self, request):
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                run = services.import_run_create(
                    actor=request.user, filename=upload.name, data=upload.read(services.MAX_BYTES + 1)
                )
            except ValidationError as exc:
                for message in exc.message_dict.get("file", exc.messages):
                    form.add_error("file", message)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"Checking {run.total} rows of {run.filename}: nothing is written yet.")
                return redirect("imports:run_detail", pk=run.pk)
        return self._render(request, form, status=400)


class ImportRunDetailView(RoleRequiredMixin, View):
    """One run: its progress while active, then its counts and rows (filter by outcome), the error report link,
    and for a finished dry run the button that imports it."""

    def get(self, request, pk):
        run = get_object_or_404(selectors.import_run_list(user=request.user), pk=pk)
        outcome = request.GET.get("outcome", "")
        if outcome not in ImportRow.Outcome.values:
            outcome = ""
        page = Paginator(selectors.import_row_list(run=run, outcome=outcome or None), 50).get_page(
            request.GET.get("page")
        )
        latest = run.imports.order_by("-pk").first() if run.dry_run else None
        context = {
            "run": run,
            "page": page,
            "outcome": outcome,
            "outcomes": ImportRow.Outcome.choices,
            "latest": latest,
        }
        return render(request, "imports/run_detail.html", context)


class ImportRunStatusView(RoleRequiredMixin, View):
    """The polled status fragment; once the run has finished, the page reloads itself to show the rows."""

    def get(self, request, pk):
        run = get_object_or_404(selectors.import_run_list(user=request.user), pk=pk)
        response = render(request, "imports/partials/_run_status.html", {"run": run})
        if not run.is_active and request.htmx:
            response["HX-Refresh"] = "true"
        return response


class ImportRunStartView(RoleRequiredMixin, View):
    """Import the file of a finished dry run (POST, then the new run's page)."""

    def post(self, request, pk):
        dry = get_object_or_404(selectors.import_run_list(user=request.user), pk=pk)
        try:
            run = services.import_run_start(actor=request.user, dry_run_id=dry.pk)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("imports:run_detail", pk=dry.pk)
        messages.success(request, f"Importing {run.total} rows of {run.filename}.")
        return redirect("imports:run_detail", pk=run.pk)


class ImportErrorReportView(RoleRequiredMixin, View):
    """The refused rows with their column and reason, as CSV."""

    def get(self, request, pk):
        run = get_object_or_404(selectors.import_run_list(user=request.user), pk=pk)
        return web.csv_response(
            f"import-{run.pk}-refused.csv", selectors.ERROR_REPORT_HEADER, selectors.error_report_rows(run)
        )

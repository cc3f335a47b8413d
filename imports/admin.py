from django.contrib import admin

from ordermgmt.admin import ReadOnlyAdmin

from .models import ExternalRef, ImportRun


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    """Runs are made on the import pages or by the command; here only to look at."""

    list_display = ["pk", "filename", "dry_run", "status", "processed", "total", "created_by", "created_at"]
    list_filter = ["dry_run", "status"]
    exclude = ["content"]


@admin.register(ExternalRef)
class ExternalRefAdmin(ReadOnlyAdmin):
    list_display = ["source", "kind", "external_id", "object_id", "created_at"]
    list_filter = ["source", "kind"]
    search_fields = ["external_id"]

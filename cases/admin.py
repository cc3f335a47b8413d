from django.contrib import admin

from .models import Case, CaseComment, CaseEvent, RequestType, Team


class RequestTypeInline(admin.TabularInline):
    model = RequestType
    extra = 0
    fields = ["code", "name", "first_response_hours", "resolution_hours", "fields", "is_active", "position"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_active"]
    filter_horizontal = ["members"]
    inlines = [RequestTypeInline]


@admin.register(RequestType)
class RequestTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "first_response_hours", "resolution_hours", "is_active"]
    list_filter = ["team", "is_active"]


class ReadOnlyInline(admin.TabularInline):
    """The conversation and the audit trail are written by the services only: no adding or editing rows here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CaseCommentInline(ReadOnlyInline):
    model = CaseComment
    extra = 0
    readonly_fields = ["author", "body", "internal", "created_at"]
    can_delete = False


class CaseEventInline(ReadOnlyInline):
    model = CaseEvent
    extra = 0
    readonly_fields = ["at", "actor", "action", "from_status", "to_status", "data"]
    can_delete = False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-mostly: cases change through the services (the case page and the API), not here."""

    list_display = ["number", "subject", "team", "request_type", "status", "owner", "created_at"]
    list_filter = ["team", "status"]
    search_fields = ["number", "subject"]
    readonly_fields = [f.name for f in Case._meta.fields]
    inlines = [CaseCommentInline, CaseEventInline]

    def has_add_permission(self, request):
        return False

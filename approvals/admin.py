from django.contrib import admin

from ordermgmt.admin import ReadOnlyAdmin

from .models import Decision, Submission


class DecisionInline(admin.TabularInline):
    model = Decision
    extra = 0
    can_delete = False
    readonly_fields = [
        "stage",
        "outcome",
        "actor",
        "on_behalf_of",
        "decided_at",
        "reasons",
        "comment",
        "business_hours",
    ]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    """Submissions change only through the workflow (API or pages); the admin shows them."""

    list_display = ["opportunity", "sequence", "region", "state", "escalated", "claimed_by", "submitted_at",
                    "sla_due_at", "om_decided_at", "om_business_hours"]  # fmt: skip
    list_filter = ["state", "region", "escalated"]
    search_fields = ["opportunity__name", "opportunity__account__name", "claimed_by__username"]
    list_select_related = ["opportunity", "region", "claimed_by"]
    date_hierarchy = "submitted_at"
    inlines = [DecisionInline]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["submission", "stage", "outcome", "actor", "decided_at", "business_hours"]
    list_filter = ["stage", "outcome"]
    search_fields = ["submission__opportunity__name", "actor__username", "comment"]
    list_select_related = ["submission__opportunity", "actor"]
    date_hierarchy = "decided_at"

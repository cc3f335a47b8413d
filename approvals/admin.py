from django.contrib import admin

from ordermgmt.admin import ReadOnlyAdmin
from ordermgmt.models import Region, RegionClosure

from .models import Decision, Submission
from .services import sla_recompute


class RegionClosureInline(admin.TabularInline):
    model = RegionClosure
    extra = 1


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    """Regions with their support hours and closures. Registered by approvals because a calendar edit re-evaluates
    the open submissions' SLA from their stored submission times."""

    list_display = [
        "code",
        "name",
        "timezone",
        "support_start",
        "support_end",
        "cutoff",
        "holiday_country",
        "period_end_days",
        "period_end_support_end",
    ]
    inlines = [RegionClosureInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        count = sla_recompute(region=form.instance)
        if count:
            self.message_user(request, f"Re-evaluated the SLA of {count} open submission(s).")


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

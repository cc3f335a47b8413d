from django.contrib import admin

from ordermgmt.admin import ReadOnlyAdmin

from .models import Discrepancy, DiscrepancyEvent, Invoice, ReconciliationRun, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["name", "account", "status", "term_start", "term_end", "carr", "exception"]
    list_filter = ["status", "exception"]
    search_fields = ["name", "account__name"]
    list_select_related = ["account"]
    raw_id_fields = ["account"]


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ["number", "account", "opportunity", "amount", "net_arr", "service_months", "invoice_date"]
    search_fields = ["number", "account__name", "opportunity__name"]
    list_select_related = ["account", "opportunity"]
    raw_id_fields = ["account", "opportunity"]
    date_hierarchy = "invoice_date"


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    list_display = ["pk", "kind", "status", "progress", "as_of", "period", "started_by", "started_at", "finished_at"]
    list_filter = ["kind", "status"]


@admin.register(Discrepancy)
class DiscrepancyAdmin(ReadOnlyAdmin):
    """Discrepancies are resolved on the review pages (apply / accept / undo are audited there)."""

    list_display = ["pk", "kind", "status", "subscription", "opportunity", "invoice", "first_seen_at", "last_seen_at"]
    list_filter = ["kind", "status"]
    search_fields = ["key", "subscription__name", "opportunity__name", "invoice__number"]
    list_select_related = ["subscription", "opportunity", "invoice"]


@admin.register(DiscrepancyEvent)
class DiscrepancyEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "discrepancy", "action", "from_status", "to_status", "actor"]
    list_select_related = ["discrepancy", "actor"]

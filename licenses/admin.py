from django.contrib import admin

from .models import LicenseDelivery, LicenseReviewRun, LicenseTicket


@admin.register(LicenseDelivery)
class LicenseDeliveryAdmin(admin.ModelAdmin):
    list_display = ["external_id", "opportunity", "subscription_name", "sold_to_email", "delivered_at", "source"]
    list_filter = ["source"]
    search_fields = ["external_id", "subscription_name", "sold_to_email"]
    raw_id_fields = ["opportunity", "received_by"]


@admin.register(LicenseReviewRun)
class LicenseReviewRunAdmin(admin.ModelAdmin):
    list_display = ["region", "as_of", "status", "attempts", "processed", "started_at", "finished_at"]
    list_filter = ["status", "region"]
    readonly_fields = ["counts", "last_opportunity_id", "last_error"]


@admin.register(LicenseTicket)
class LicenseTicketAdmin(admin.ModelAdmin):
    list_display = ["pk", "opportunity", "reason", "status", "region", "route_to_market", "assignee", "created_at"]
    list_filter = ["status", "reason", "region", "route_to_market"]
    raw_id_fields = ["opportunity", "run", "assignee"]

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import (
    Account,
    Contact,
    Document,
    Notification,
    Opportunity,
    OpportunityEvent,
    OutboxMessage,
    Quote,
    User,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "role", "region", "is_active"]
    list_filter = ["role", "region", "is_active", "is_staff"]
    fieldsets = BaseUserAdmin.fieldsets + (
        (
            "Order Management",
            {"fields": ("role", "region", "covered_regions", "out_of_office_from", "out_of_office_until", "backup")},
        ),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + (("Order Management", {"fields": ("role", "region")}),)
    filter_horizontal = ["covered_regions", "groups", "user_permissions"]


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "country", "created_at"]
    list_filter = ["region", "country"]
    search_fields = ["name"]
    inlines = [ContactInline]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "account"]
    search_fields = ["name", "email", "account__name"]
    list_select_related = ["account"]
    autocomplete_fields = ["account"]


class QuoteInline(admin.StackedInline):
    model = Quote
    extra = 0
    raw_id_fields = ["sold_to_contact", "bill_to_contact"]


class DocumentInline(admin.TabularInline):
    model = Document
    extra = 0
    readonly_fields = ["original_name", "content_type", "size", "uploaded_by", "uploaded_at"]


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "account",
        "owner",
        "region",
        "type",
        "route_to_market",
        "stage",
        "approval_status",
        "amount",
        "net_arr",
        "start_date",
    ]
    list_filter = ["region", "stage", "approval_status", "type", "deployment", "route_to_market"]
    search_fields = ["name", "account__name", "owner__username"]
    list_select_related = ["account", "owner", "region"]
    raw_id_fields = ["account", "owner", "subscription"]
    readonly_fields = ["approval_status", "license_delivery_date", "version", "created_at", "updated_at"]
    date_hierarchy = "created_at"
    inlines = [QuoteInline, DocumentInline]


@admin.register(Quote)
class QuoteAdmin(admin.ModelAdmin):
    list_display = ["number", "opportunity", "is_primary", "amount", "approved", "start_date", "term_months"]
    list_filter = ["is_primary", "approved", "payment_terms"]
    search_fields = ["number", "opportunity__name"]
    raw_id_fields = ["opportunity", "sold_to_contact", "bill_to_contact"]


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["original_name", "kind", "opportunity", "content_type", "size", "uploaded_by", "uploaded_at"]
    list_filter = ["kind", "content_type"]
    search_fields = ["original_name", "opportunity__name"]
    raw_id_fields = ["opportunity", "uploaded_by"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """The audit trail is immutable: viewable, never edited or deleted."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OpportunityEvent)
class OpportunityEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "opportunity", "action", "actor", "on_behalf_of"]
    list_filter = ["action"]
    search_fields = ["opportunity__name", "actor__username", "comment"]
    list_select_related = ["opportunity", "actor", "on_behalf_of"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "verb", "message", "read_at"]
    list_filter = ["verb"]
    search_fields = ["recipient__username", "message"]
    list_select_related = ["recipient"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "task", "sent_at", "attempts", "last_error"]
    list_filter = ["task"]

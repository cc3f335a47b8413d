from django.db import migrations

# The teams with a Request Support queue, and their request types:
# (code, name, first-response target, resolution target in business hours, required fields).
QUOTE = {"name": "quote_number", "label": "Quote number", "type": "text", "required": True}
SUBSCRIPTION = {"name": "subscription_name", "label": "Subscription name", "type": "text", "required": True}
TEAMS = {
    ("deal_desk", "Deal Desk"): [
        ("basic_quote_assistance", "Basic Quote Assistance", 6, 8, [QUOTE]),
        (
            "ramp_deal",
            "Ramp Deal",
            6,
            24,
            [QUOTE, {"name": "ramp_schedule", "label": "Ramp schedule (years and amounts)", "type": "textarea", "required": True}],
        ),
        (
            "alliances_general",
            "Alliances General",
            8,
            48,
            [{"name": "partner_name", "label": "Partner", "type": "text", "required": True}],
        ),
        (
            "private_offer_creation",
            "Private Offer creation",
            24,
            48,
            [
                {"name": "marketplace", "label": "Marketplace", "type": "choice", "required": True, "choices": ["AWS", "GCP"]},
                QUOTE,
            ],
        ),
        ("flat_renewal", "Flat Renewal", 6, 24, [SUBSCRIPTION]),
        (
            "iacv_arr_review",
            "IACV/ARR Review",
            6,
            24,
            [{"name": "expected_arr", "label": "Expected ARR", "type": "number", "required": True}],
        ),
        (
            "contract_reset_coterm",
            "Contract Reset/Co-Term",
            6,
            24,
            [SUBSCRIPTION, {"name": "co_term_date", "label": "Co-term date", "type": "date", "required": True}],
        ),
    ],
    ("billing_ops", "Billing Ops"): [
        (
            "invoice_question",
            "Invoice question",
            8,
            24,
            [{"name": "invoice_number", "label": "Invoice number", "type": "text", "required": True}],
        ),
        (
            "credit_memo",
            "Credit memo / refund",
            8,
            48,
            [
                {"name": "invoice_number", "label": "Invoice number", "type": "text", "required": True},
                {"name": "amount", "label": "Amount", "type": "number", "required": True},
            ],
        ),
    ],
    ("order_management", "Order Management"): [
        ("booking_question", "Booking requirements question", 6, 12, []),
        (
            "license_delivery_issue",
            "License delivery issue",
            6,
            24,
            [{"name": "sold_to_email", "label": "Sold To email", "type": "text", "required": True}],
        ),
    ],
    ("renewal_ops", "Renewal Ops"): [("renewal_fix", "Renewal opportunity fix", 8, 24, [SUBSCRIPTION])],
    ("sales_ops", "Sales Ops"): [("territory_ownership", "Territory / account ownership", 8, 48, [])],
}


def seed(apps, schema_editor):
    Team = apps.get_model("cases", "Team")
    RequestType = apps.get_model("cases", "RequestType")
    for (code, name), types in TEAMS.items():
        team, _ = Team.objects.get_or_create(code=code, defaults={"name": name})
        for position, (rt_code, rt_name, first, resolution, fields) in enumerate(types):
            RequestType.objects.get_or_create(
                team=team,
                code=rt_code,
                defaults={
                    "name": rt_name,
                    "first_response_hours": first,
                    "resolution_hours": resolution,
                    "fields": fields,
                    "position": position,
                },
            )


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

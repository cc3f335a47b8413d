"""The license review benchmark's data: n Closed Won self-managed opportunities over the three regions (seven routes
to market, IBM OEM among them), each with a primary quote, a Sold To contact and the Sold To email recorded at close;
90% have a matching delivery in the feed. And the undo of everything a review writes.
"""

from __future__ import annotations

from common import execute, vacuum

ROUTES = ["direct", "direct", "direct", "reseller", "aws_private_offer", "gcp_private_offer", "ibm_oem"]

# The tables this benchmark writes with hand-written SQL (see common.fill_defaults).
TABLES = (
    "ordermgmt_user",
    "ordermgmt_account",
    "ordermgmt_opportunity",
    "ordermgmt_contact",
    "ordermgmt_quote",
    "licenses_licensedelivery",
    "licenses_licenseticket",
    "ordermgmt_opportunityevent",
)


def seed(n: int) -> None:
    """n opportunities over the three regions, each with a Sold To contact; 90% with a matching delivery."""
    delivered = int(n * 0.9)
    execute("SET session_replication_role = replica")  # seed data: no audit rows, no per-row triggers
    execute(
        "INSERT INTO ordermgmt_user (password, is_superuser, username, first_name, last_name, email, is_staff,"
        " is_active, date_joined, role, region_id) VALUES ('!', false, 'bench_rep', '', '', '', false, true,"
        " now(), 'sales_rep', 'AMER')"
    )
    execute(
        "INSERT INTO ordermgmt_account (name, region_id, country, billing_address, created_at, updated_at)"
        " VALUES ('Bench Customer', 'AMER', 'US', '', now(), now())"
    )
    execute(
        """
        INSERT INTO ordermgmt_opportunity (name, account_id, owner_id, region_id, type, deployment, route_to_market,
          stage, amount, net_arr, arr_basis, close_date, closed_won_reason, closed_won_details, competitors,
          executed_agreement_link, po_required, approval_status, version, created_at, updated_at)
        SELECT 'Bench ' || g, (SELECT max(id) FROM ordermgmt_account), (SELECT max(id) FROM ordermgmt_user),
          (ARRAY['AMER','EMEA','APAC'])[1 + g %% 3], 'new_business', 'self_managed', (%s::text[])[1 + g %% 7],
          'closed_won', 1000, 1000, 0, DATE '2026-09-14' - (g %% 40), '', '', '', '', false, 'closed_won', 1,
          now(), now()
        FROM generate_series(1, %s) g
        """,
        [ROUTES, n],
    )
    execute(
        "INSERT INTO ordermgmt_contact (account_id, name, email, created_at, updated_at)"
        " SELECT o.account_id, 'Buyer ' || o.id, 'Buyer' || o.id || '@customer.example', now(), now()"
        " FROM ordermgmt_opportunity o ORDER BY o.id"
    )
    # What Billing records when it closes a deal: the Sold To email of that day (licenses go there).
    execute(
        "UPDATE ordermgmt_opportunity o SET sold_to_email_at_close = c.email"
        " FROM ordermgmt_contact c WHERE c.name = 'Buyer ' || o.id"
    )
    execute(
        "INSERT INTO ordermgmt_quote (opportunity_id, is_primary, number, sold_to_contact_id, bill_to_contact_id,"
        " amount, payment_terms, po_number, approved, created_at, updated_at)"
        " SELECT o.id, true, 'BQ-' || o.id, c.id, c.id, 1000, 'net_30', '', true, now(), now()"
        " FROM ordermgmt_opportunity o JOIN ordermgmt_contact c ON c.name = 'Buyer ' || o.id"
    )
    execute(
        "INSERT INTO licenses_licensedelivery (external_id, opportunity_id, subscription_name, sold_to_email,"
        " delivered_at, source, received_at)"
        " SELECT 'BENCH-' || o.id, o.id, '', 'buyer' || o.id || '@customer.example',"
        " TIMESTAMPTZ '2026-09-14 18:00+00' - (o.id %% 30) * interval '1 day', 'csv', now()"
        " FROM ordermgmt_opportunity o ORDER BY o.id LIMIT %s",
        [delivered],
    )
    execute("SET session_replication_role = DEFAULT")
    vacuum()


def reset() -> None:
    """Undo everything a review wrote (dates, version bumps, tickets, runs, history and audit rows), then vacuum,
    so the next run of either side starts from the seeded state. Triggers off: the audit tables are append-only."""
    execute("SET session_replication_role = replica")
    execute("DELETE FROM licenses_licenseticket")
    execute("DELETE FROM licenses_licensereviewrun")
    execute("DELETE FROM ordermgmt_opportunityevent")
    execute("DELETE FROM ordermgmt_opportunityaudit")
    execute("DELETE FROM ordermgmt_notification")
    execute("UPDATE ordermgmt_opportunity SET license_delivery_date = NULL, version = 1 WHERE version <> 1")
    execute("SET session_replication_role = DEFAULT")
    vacuum(
        "ordermgmt_opportunity",
        "licenses_licenseticket",
        "licenses_licensereviewrun",
        "ordermgmt_opportunityevent",
        "ordermgmt_opportunityaudit",
    )

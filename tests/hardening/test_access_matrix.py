"""Every URL of the project x every role x an own / another's object: the expected status of each cell.

The URLs come from the resolver (tests/hardening/urlmatrix.py), so a new endpoint joins the matrix by itself: until it
has a row in EXPECTED, it is held to the rules every cell obeys (no 5xx; anonymous API calls get 401, anonymous page
requests a redirect to the login page). "own" is the AMER side of the world (the rep's own opportunity, the
specialist's region), "other" the EMEA side (another rep's, another region's). Each request is rolled back, so the
cells are independent; POSTs carry an empty body, which is enough to tell "not allowed" (403/404) from "allowed but
incomplete" (400) or "allowed, wrong state" (409).
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client

from tests.hardening.conftest import ROLES, World
from tests.hardening.urlmatrix import Endpoint, endpoints

ENDPOINTS = endpoints()

# Columns, in ROLES order: sales_rep specialist billing deal_desk support_engineering manager integration anonymous.
# "own-row / other-row"; a single row means the same for both sides (or a URL without an object).
STAFF = "200 200 200 200 200 200 403 401"
OPP_READ = "200 200 200 200 200 200 403 401 / 404 404 200 200 200 200 403 401"  # reps own, specialists region
OPP_ACTION_BAD_BODY = "400 400 400 400 400 400 403 401 / 404 404 400 400 400 400 403 401"
BILLING_RECORDS = "403 200 200 403 403 200 403 401"  # specialists, billing, managers
# ... and one record: a specialist only their regions' (own), never another region's (other)
BILLING_RECORD = "403 200 200 403 403 200 403 401 / 403 404 200 403 403 200 403 401"
BILLING_RECORDS_PAGE = "403 200 200 403 403 200 403 302"
RESOLVER_PAGE_POST = "403 302 403 403 403 302 403 302"  # specialists and managers; 302 = Post/Redirect/Get
RESOLVER_RECORD_POST = "403 302 403 403 403 302 403 302 / 403 404 403 403 403 302 403 302"  # a specialist: own region
MANAGER_PAGE_POST = "403 403 403 403 403 302 403 302"
CASE_PAGE_POST = "302 404 404 302 404 302 404 302 / 404 404 404 302 404 302 404 302"  # requester, team, manager
IMPORTER_PAGE = "200 403 403 200 403 200 403 302"
IMPORT_RUN = "404 403 403 404 403 404 403 302"
REP_EDIT_PAGE = "302 403 403 403 403 302 403 302 / 404 403 403 403 403 302 403 302"

EXPECTED = {
    ("healthz", "get"): "200 200 200 200 200 200 200 200",
    ("ping", "get"): "200 200 200 200 200 200 200 200",
    ("api:token", "post"): "400 400 400 400 400 400 400 400",
    ("api:schema", "get"): "200 200 200 200 200 200 200 200",
    ("api:docs", "get"): "200 200 200 200 200 200 200 200",
    ("api:rejection-reasons", "get"): STAFF,
    ("api:region-list", "get"): STAFF,
    ("api:region-detail", "get"): STAFF,
    ("api:account-list", "get"): STAFF,
    ("api:account-list", "post"): "400 400 403 400 403 400 403 401",
    ("api:account-detail", "get"): STAFF,
    ("api:account-detail", "patch"): "200 200 403 200 403 200 403 401",
    ("api:contact-list", "get"): STAFF,
    ("api:contact-list", "post"): "400 400 403 400 403 400 403 401",
    ("api:contact-detail", "get"): STAFF,
    ("api:contact-detail", "patch"): "200 200 403 200 403 200 403 401",
    ("api:opportunity-list", "get"): STAFF,
    ("api:opportunity-list", "post"): "400 403 403 403 403 400 403 401",
    ("api:opportunity-detail", "get"): OPP_READ,
    ("api:opportunity-detail", "patch"): "409 403 403 403 403 409 403 401 / 404 404 403 403 403 409 403 401",
    ("api:opportunity-documents", "get"): OPP_READ,
    ("api:opportunity-documents", "post"): "415 415 415 415 415 415 403 401 / 404 404 415 415 415 415 403 401",
    ("api:opportunity-history", "get"): OPP_READ,
    ("api:notification-list", "get"): "200 200 200 200 200 200 200 401",
    ("api:notification-mark-read", "post"): "200 200 200 200 200 200 200 401",
    ("api:opportunity-action-approve", "post"): "403 200 403 403 403 200 403 401 / 404 404 403 403 403 200 403 401",
    # An empty body is 400, except on an opportunity the caller may not see: that is 404 whatever the body says.
    ("api:opportunity-action-assign", "post"): "400 400 400 400 400 400 403 401 / 404 404 400 400 400 400 403 401",
    (
        "api:opportunity-action-billing-approve",
        "post",
    ): "403 403 409 403 403 403 403 401 / 404 404 409 403 403 403 403 401",
    ("api:opportunity-action-billing-reject", "post"): OPP_ACTION_BAD_BODY,
    ("api:opportunity-action-changes-since-rejection", "get"): OPP_READ,
    ("api:opportunity-action-claim", "post"): "403 200 403 403 403 200 403 401 / 404 404 403 403 403 200 403 401",
    ("api:opportunity-action-escalate", "post"): OPP_ACTION_BAD_BODY,
    ("api:opportunity-action-recall", "post"): "200 403 403 403 403 403 403 401 / 404 404 403 403 403 403 403 401",
    ("api:opportunity-action-reject", "post"): OPP_ACTION_BAD_BODY,
    ("api:opportunity-action-submit", "post"): "409 403 403 403 403 403 403 401 / 404 404 403 403 403 403 403 401",
    ("api:queue-list", "get"): STAFF,
    ("api:subscription-list", "get"): BILLING_RECORDS,
    ("api:subscription-list", "post"): "403 400 403 403 403 400 400 401",
    ("api:subscription-detail", "get"): BILLING_RECORD,
    ("api:invoice-list", "get"): BILLING_RECORDS,
    ("api:invoice-list", "post"): "403 400 403 403 403 400 400 401",
    ("api:invoice-detail", "get"): BILLING_RECORD,
    ("api:reconciliation-run-list", "get"): BILLING_RECORDS,
    ("api:reconciliation-run-list", "post"): "403 400 403 403 403 400 403 401",
    ("api:reconciliation-run-detail", "get"): BILLING_RECORDS,
    ("api:discrepancy-list", "get"): BILLING_RECORDS,
    ("api:discrepancy-resolve-batch", "post"): "403 400 403 403 403 400 403 401",
    ("api:discrepancy-detail", "get"): BILLING_RECORD,
    ("api:discrepancy-resolve", "post"): "403 400 403 403 403 400 403 401 / 403 404 403 403 403 400 403 401",
    ("api:discrepancy-undo", "post"): "403 409 403 403 403 409 403 401 / 403 404 403 403 403 409 403 401",
    ("api:case-list", "get"): STAFF,
    ("api:case-list", "post"): "400 400 400 400 400 400 403 401",
    ("api:case-detail", "get"): "200 404 404 200 404 200 403 401 / 404 404 404 200 404 200 403 401",
    ("api:case-assign", "post"): "400 404 404 400 404 400 403 401 / 404 404 404 400 404 400 403 401",
    ("api:case-attachments", "post"): "415 404 404 415 404 415 403 401 / 404 404 404 415 404 415 403 401",
    ("api:case-close", "post"): "200 404 404 403 404 200 403 401 / 404 404 404 403 404 200 403 401",
    ("api:case-comment", "post"): "400 404 404 400 404 400 403 401 / 404 404 404 400 404 400 403 401",
    ("api:case-reopen", "post"): "403 404 404 403 404 409 403 401 / 404 404 404 403 404 409 403 401",
    ("api:case-set-status", "post"): "400 404 404 400 404 400 403 401 / 404 404 404 400 404 400 403 401",
    ("api:case-take", "post"): "403 404 404 200 404 200 403 401 / 404 404 404 200 404 200 403 401",
    ("api:opportunity-support-request-support", "post"): OPP_ACTION_BAD_BODY,
    ("api:license-delivery-list", "get"): "403 403 403 403 200 200 403 401",
    ("api:license-delivery-list", "post"): "403 403 403 403 400 400 400 401",
    ("api:license-ticket-list", "get"): "403 200 403 403 200 200 403 401",
    ("api:license-ticket-detail", "get"): "403 200 403 403 200 200 403 401 / 403 404 403 403 200 200 403 401",
    ("api:license-ticket-mark-delivered", "post"): "403 403 403 403 200 200 403 401",
    ("api:license-ticket-take", "post"): "403 403 403 403 200 200 403 401",
    ("api:license-failure-list", "get"): "403 200 403 403 200 200 403 401",
    ("api:api-root", "get"): "200 200 200 200 200 200 200 401",
    ("login", "get"): "302 302 302 302 302 302 302 200",
    ("login", "post"): "302 302 302 302 302 302 302 200",
    ("logout", "post"): "302 302 302 302 302 302 302 302",
    ("notifications", "get"): "200 200 200 200 200 200 200 302",
    ("home", "get"): "302 302 302 302 302 302 302 302",
    ("subscriptions:runs", "get"): BILLING_RECORDS_PAGE,
    ("subscriptions:run_start", "post"): RESOLVER_PAGE_POST,
    ("subscriptions:run_progress", "get"): BILLING_RECORDS_PAGE,
    ("subscriptions:discrepancies", "get"): BILLING_RECORDS_PAGE,
    ("subscriptions:discrepancy_batch", "post"): RESOLVER_PAGE_POST,
    ("subscriptions:discrepancy_detail", "get"): "403 200 200 403 403 200 403 302 / 403 404 200 403 403 200 403 302",
    ("subscriptions:discrepancy_apply", "post"): RESOLVER_RECORD_POST,
    ("subscriptions:discrepancy_accept", "post"): RESOLVER_RECORD_POST,
    ("subscriptions:discrepancy_undo", "post"): RESOLVER_RECORD_POST,
    ("cases:list", "get"): "200 200 200 200 200 200 200 302",
    ("cases:mine", "get"): "200 200 200 200 200 200 200 302",
    # deal_desk (own) is Deal Desk's queue, billing_ops (other) Billing's: each role sees its own team's queue
    ("cases:queue", "get"): "403 403 403 200 403 200 403 302 / 403 403 200 403 403 200 403 302",
    ("cases:new", "get"): "404 404 404 404 404 404 404 302",
    ("cases:new", "post"): "404 404 404 404 404 404 404 302",
    ("cases:detail", "get"): "200 404 404 200 404 200 404 302 / 404 404 404 200 404 200 404 302",
    ("cases:take", "post"): CASE_PAGE_POST,
    ("cases:assign", "post"): CASE_PAGE_POST,
    ("cases:comment", "post"): CASE_PAGE_POST,
    ("cases:status", "post"): CASE_PAGE_POST,
    ("cases:reopen", "post"): CASE_PAGE_POST,
    ("cases:attach", "post"): CASE_PAGE_POST,
    ("licenses:worklist", "get"): "403 200 403 403 200 200 403 302",
    ("licenses:run", "post"): MANAGER_PAGE_POST,
    ("licenses:tickets", "get"): "403 200 403 403 200 200 403 302",
    ("licenses:ticket_take", "post"): "403 403 403 403 302 302 403 302",
    ("licenses:ticket_deliver", "post"): "403 403 403 403 302 302 403 302",
    ("licenses:failures", "get"): "403 200 403 403 200 200 403 302",
    ("approvals:my_opportunities", "get"): "200 403 403 403 403 200 403 302",
    ("approvals:opportunity_create", "get"): "200 403 403 403 403 200 403 302",
    ("approvals:opportunity_create", "post"): "400 403 403 403 403 400 403 302",
    ("approvals:checklist", "get"): "404 403 403 403 403 404 403 302",
    ("approvals:checklist", "post"): "200 403 403 403 403 200 403 302 / 404 403 403 403 403 200 403 302",
    ("approvals:contact_options", "get"): "200 403 403 403 403 200 403 302",
    ("approvals:opportunity_detail", "get"): "200 200 200 200 200 200 404 302 / 404 404 200 200 200 200 404 302",
    ("approvals:opportunity_edit", "get"): REP_EDIT_PAGE,
    ("approvals:opportunity_edit", "post"): REP_EDIT_PAGE,
    ("approvals:contact_create", "post"): REP_EDIT_PAGE,
    ("approvals:document_upload", "post"): REP_EDIT_PAGE,
    ("approvals:document", "get"): "200 200 200 200 200 200 404 302 / 404 404 200 200 200 200 404 302",
    ("approvals:submit", "post"): "302 403 403 403 403 403 404 302 / 404 404 403 403 403 403 404 302",
    ("approvals:recall", "post"): "302 403 403 403 403 403 404 302 / 404 404 403 403 403 403 404 302",
    ("approvals:escalate", "get"): "404 404 404 404 404 404 404 302",
    ("approvals:escalate", "post"): "400 400 400 400 400 400 404 302 / 404 404 400 400 400 400 404 302",
    ("approvals:queue", "get"): "403 200 403 403 403 200 403 302",
    ("approvals:claim", "post"): "403 302 403 403 403 302 403 302 / 403 404 403 403 403 302 403 302",
    ("approvals:assign", "post"): MANAGER_PAGE_POST,
    ("approvals:review", "get"): "403 200 200 403 403 200 403 302 / 403 404 200 403 403 200 403 302",
    ("approvals:approve", "get"): "403 404 403 403 403 404 403 302",
    ("approvals:approve", "post"): "403 302 403 403 403 302 403 302 / 403 404 403 403 403 302 403 302",
    ("approvals:reject", "get"): "403 404 403 403 403 404 403 302",
    ("approvals:reject", "post"): "403 400 403 403 403 400 403 302 / 403 404 403 403 403 400 403 302",
    ("approvals:billing_queue", "get"): "403 403 200 403 403 200 403 302",
    ("approvals:billing_approve", "get"): "403 403 404 403 403 403 403 302",
    ("approvals:billing_approve", "post"): "403 403 302 403 403 403 403 302",
    ("approvals:billing_reject", "get"): "403 403 404 403 403 403 403 302",
    ("approvals:billing_reject", "post"): "403 403 400 403 403 403 403 302",
    ("approvals:team", "get"): "403 403 403 403 403 200 403 302",
    ("approvals:coverage", "post"): MANAGER_PAGE_POST,
    ("approvals:out_of_office", "get"): "403 403 403 403 403 404 403 302",
    ("approvals:out_of_office", "post"): MANAGER_PAGE_POST,
    # Imports: managers, Deal Desk and reps (their own deals); a run nobody has is 404 to them, 403 to the rest.
    ("imports:upload", "get"): IMPORTER_PAGE,
    ("imports:upload", "post"): "400 403 403 400 403 400 403 302",
    ("imports:run_detail", "get"): IMPORT_RUN,
    ("imports:run_status", "get"): IMPORT_RUN,
    ("imports:run_start", "post"): IMPORT_RUN,
    ("imports:run_errors", "get"): IMPORT_RUN,
    # list exports: each format answers exactly as its list page does
    ("approvals:queue_export", "get"): "403 200 403 403 403 200 403 302",
    ("approvals:queue_export_xlsx", "get"): "403 200 403 403 403 200 403 302",
    ("approvals:my_opportunities_export", "get"): "200 403 403 403 403 200 403 302",
    ("approvals:my_opportunities_export_xlsx", "get"): "200 403 403 403 403 200 403 302",
    ("cases:export", "get"): "200 200 200 200 200 200 200 302",
    ("cases:export_xlsx", "get"): "200 200 200 200 200 200 200 302",
    ("cases:mine_export", "get"): "200 200 200 200 200 200 200 302",
    ("cases:mine_export_xlsx", "get"): "200 200 200 200 200 200 200 302",
    ("subscriptions:discrepancy_export", "get"): BILLING_RECORDS_PAGE,
    ("subscriptions:discrepancy_export_xlsx", "get"): BILLING_RECORDS_PAGE,
    ("kpis:export", "get"): "403 200 403 403 403 200 403 302",
    ("kpis:export_xlsx", "get"): "403 200 403 403 403 200 403 302",
    ("kpis:drill_export", "get"): "403 404 403 403 403 404 403 302",  # the matrix's kpi is no KPI: 404
    ("kpis:drill_export_xlsx", "get"): "403 404 403 403 403 404 403 302",
    ("api:kpis-export", "get"): "403 403 403 403 403 200 403 401",
    ("api:kpis-export-xlsx", "get"): "403 403 403 403 403 200 403 401",
}


def _param(endpoint: Endpoint, name: str, world: World, side: str):
    """The value of one path parameter on the `side` ("own" or "other") of the world."""
    s = getattr(world, side)
    if name == "document_id":
        return s.document.pk
    if name == "team":
        return "deal_desk" if side == "own" else "billing_ops"
    if endpoint.name.startswith(("approvals:coverage", "approvals:out_of_office")):
        return s.specialist.pk
    by_prefix = (
        ("api:opportunity", s.opportunity.pk),
        ("approvals:", s.opportunity.pk),
        ("api:case", s.case.pk),
        ("cases:", s.case.pk),
        ("api:license-ticket", s.ticket.pk),
        ("licenses:ticket", s.ticket.pk),
        ("api:subscription", s.subscription.pk),
        ("api:invoice", s.invoice.pk),
        ("api:reconciliation-run", s.run.pk),
        ("subscriptions:run", s.run.pk),
        ("api:discrepancy", s.discrepancy.pk),
        ("subscriptions:discrepanc", s.discrepancy.pk),
        ("api:account", s.account.pk),
        ("api:contact", s.contact.pk),
        ("api:region", s.region),
    )
    for prefix, value in by_prefix:
        if endpoint.name.startswith(prefix):
            return value
    # A parameter this test has never seen (a new app's URL): an id nothing has, so only the generic rules apply.
    return 987654321


def _client(world: World, role: str) -> Client:
    client = Client()
    user = world.users[role]
    if user is not None:
        client.force_login(user)
    return client


def _call(client: Client, endpoint: Endpoint, method: str, path: str):
    """One request, rolled back afterwards so that the cells do not change each other's world."""
    with transaction.atomic():
        if method == "get":
            response = client.get(path)
        elif endpoint.is_api:
            response = getattr(client, method)(path, data="{}", content_type="application/json")
        else:
            response = getattr(client, method)(path, data={})
        transaction.set_rollback(True)
    return response


def _expected(endpoint: Endpoint, method: str, side: str) -> list[str] | None:
    spec = EXPECTED.get((endpoint.name, method))
    if spec is None:
        return None
    rows = [row.split() for row in spec.split("/")]
    assert all(len(row) == len(ROLES) for row in rows), spec
    return rows[1] if side == "other" and len(rows) == 2 else rows[0]


def _generic_problem(endpoint: Endpoint, role: str, response) -> str | None:
    status = response.status_code
    if status >= 500:
        return f"server error {status}"
    if role == "anonymous" and endpoint.name not in PUBLIC:
        if endpoint.is_api and status != 401:
            return f"anonymous API call answered {status}, not 401"
        if not endpoint.is_api and not (status == 302 and response["Location"].startswith("/login/")):
            return f"anonymous page answered {status} {response.get('Location', '')}, not a redirect to the login page"
    return None


PUBLIC = {"ping", "healthz", "api:token", "api:schema", "api:docs", "login", "logout"}


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.id for e in ENDPOINTS])
def test_every_role_gets_the_expected_status_on_own_and_other_objects(world, endpoint):
    problems = []
    cells = 0
    for method in endpoint.methods:
        for side in ("own", "other") if endpoint.params else ("own",):
            path = "/" + endpoint.route.format(**{p: _param(endpoint, p, world, side) for p in endpoint.params})
            expected = _expected(endpoint, method, side)
            for column, role in enumerate(ROLES):
                response = _call(_client(world, role), endpoint, method, path)
                cells += 1
                problem = _generic_problem(endpoint, role, response)
                if problem is None and expected is not None and str(response.status_code) != expected[column]:
                    problem = f"answered {response.status_code}, expected {expected[column]}"
                if problem:
                    problems.append(f"{method.upper()} {path} as {role} ({side}): {problem}")
    assert cells >= len(ROLES)
    assert not problems, "\n".join(problems)


def test_the_expectation_table_names_only_existing_urls():
    known = {(e.name, m) for e in ENDPOINTS for m in e.methods}
    assert set(EXPECTED) <= known, sorted(set(EXPECTED) - known)


def test_the_matrix_covers_api_and_pages_of_every_app():
    names = {e.name.split(":")[0] for e in ENDPOINTS if ":" in e.name}
    assert {"api", "approvals", "cases", "licenses", "subscriptions"} <= names
    assert sum(e.is_api for e in ENDPOINTS) >= 50

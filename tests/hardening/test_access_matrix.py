"""Every URL of the project x every role x an own / another's object: the expected status of each cell.

The URLs come from the resolver (tests/hardening/urlmatrix.py), so a new endpoint joins the matrix by itself: until it
has a row in EXPECTED, it is held to the rules every cell obeys (no 5xx; anonymous API calls get 401, anonymous page
requests a redirect to the login page). "own" is the AMER side of the world (the rep's own opportunity, the
specialist's region), "other" the EMEA side (another rep's, another region's). Each request is rolled back, so the
cells are independent.

Writes carry a VALID body (BODIES: JSON for the API, form data for the pages, a real PDF for the uploads), so that
the body can never be the reason for a refusal: a role that may act gets its success (200/201/202/204, a page's 302)
or 409 when the world's object is in the wrong state, and a role that may not act gets 403 or 404, never 400. A 400
in a row is therefore refused by a test of its own: it would mean the body, not the role check, decided the cell.
Endpoints whose body names an object (a batch of discrepancy ids, the opportunity of a new case) run on both sides
too (SIDED), with the other side's object in the body.

Pages redirect after a POST whatever happened (Post/Redirect/Get), so a page that refused the matrix's form would pass
for a success: FORM_REFUSED fails any 302 whose message says the form was wrong. A page refusal for the object's
state (locked, already decided) is the API's 409 and stays a 302.

Mutation check, 2026-12-05 (by hand in a scratch worktree, never committed): the matrix fails when a scope filter or
a role check goes.
- subscriptions/selectors.py discrepancy_list without its region scope (Discrepancy.objects.all() instead of
  .visible_to(user)): 7 endpoints failed, each on the AMER specialist's cell for the EMEA discrepancy (other):
  GET api/reconciliation/discrepancies/{pk}/ and the page reconciliation/discrepancies/{pk}/ answered 200 (expected
  404); POST .../resolve/ and .../undo/ 400 (the service's own scope still refused the id; expected 404); the pages'
  POST .../apply/, .../accept/, .../undo/ 302 (expected 404).
- kpis/api/views.py KpiSummaryView with IsStaffRole instead of IsManager: GET api/kpis/ as specialist answered 200
  (expected 403). The other roles' cells held (403), because the KPI scope itself refuses roles other than managers
  and specialists: a second check behind the first.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client

from tests.hardening.conftest import ROLES, World
from tests.hardening.urlmatrix import Endpoint, endpoints
from tests.ordermgmt.factories import PASSWORD, PDF_BYTES

ENDPOINTS = endpoints()
SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"

# Columns, in ROLES order: sales_rep specialist billing deal_desk support_engineering manager integration anonymous.
# "own-row / other-row"; a single row means the same for both sides (or a URL without an object). A page's 302 is
# its Post/Redirect/Get: success, or a refusal for the object's state (the 409 of the API) in a message.
STAFF = "200 200 200 200 200 200 403 401"  # every person; integration tokens only reach their own endpoints
# reps their own, specialists their region
OPP_READ = "200 200 200 200 200 200 403 401 / 404 404 200 200 200 200 403 401"
# the owner rep and managers may, but the submitted deal is locked
OPP_LOCKED = "409 403 403 403 403 409 403 401 / 404 404 403 403 403 409 403 401"
# Order Management: a specialist of the region, a manager
OPP_REVIEW = "403 200 403 403 403 200 403 401 / 404 404 403 403 403 200 403 401"
BILLING_RECORDS = "403 200 200 403 403 200 403 401"  # specialists, billing, managers
# ... and one record: a specialist only their regions' (own), never another region's (other)
BILLING_RECORD = "403 200 200 403 403 200 403 401 / 403 404 200 403 403 200 403 401"
BILLING_RECORDS_PAGE = "403 200 200 403 403 200 403 302"
RESOLVER_PAGE_POST = "403 302 403 403 403 302 403 302"  # specialists and managers; 302 = Post/Redirect/Get
RESOLVER_RECORD_POST = "403 302 403 403 403 302 403 302 / 403 404 403 403 403 302 403 302"  # a specialist: own region
MANAGER_PAGE_POST = "403 403 403 403 403 302 403 302"
MANAGER_PAGE = "403 403 403 403 403 200 403 302"
MANAGER_API = "403 403 403 403 403 200 403 401"
REP_EDIT_PAGE = "302 403 403 403 403 302 403 302 / 404 403 403 403 403 302 403 302"
IMPORTER_PAGE = "200 403 403 200 403 200 403 302"  # reps, Deal Desk, managers
IMPORT_RUN = "404 403 403 404 403 404 403 302"  # a run nobody has: 404 to importers, 403 to the rest
EVERYONE_PAGE = "200 200 200 200 200 200 200 302"
EVERYONE_PAGE_POST = "302 302 302 302 302 302 302 302"
CASE_MEMBER_PAGE_POST = "302 404 404 302 404 302 404 302 / 404 404 404 302 404 302 404 302"  # requester, team, manager
# the owner (nobody yet) or a manager
CASE_MANAGER_PAGE_POST = "403 404 404 403 404 302 404 302 / 404 404 404 403 404 302 404 302"
OM_PAGE = "403 200 403 403 403 200 403 302"  # specialists and managers (the queue, the KPI pages)
OPP_PAGE = "200 200 200 200 200 200 404 302 / 404 404 200 200 200 200 404 302"
LICENSE_PAGE = "403 200 403 403 200 200 403 302"  # specialists, Support Engineering, managers
# the token's owner (the rep) or a manager; anyone else 404
TOKEN_OWNER = "204 404 404 404 404 204 404 401 / 404 404 404 404 404 204 404 401"

EXPECTED = {
    ("healthz", "get"): "200 200 200 200 200 200 200 200",
    ("ping", "get"): "200 200 200 200 200 200 200 200",
    ("api:token", "post"): "200 200 200 200 200 200 200 200",
    ("api:schema", "get"): "200 200 200 200 200 200 200 200",
    ("api:docs", "get"): "200 200 200 200 200 200 200 200",
    ("api:rejection-reasons", "get"): STAFF,
    ("api:kpis", "get"): "403 403 403 403 403 200 403 401",
    ("api:kpis-export", "get"): "403 403 403 403 403 200 403 401",
    ("api:kpis-export-xlsx", "get"): "403 403 403 403 403 200 403 401",
    ("api:csat-responses", "post"): "201 403 403 403 403 201 403 401",
    ("api:region-list", "get"): STAFF,
    ("api:region-detail", "get"): STAFF,
    ("api:account-list", "post"): "201 201 403 201 403 201 403 401",
    ("api:account-list", "get"): STAFF,
    ("api:account-detail", "patch"): "200 200 403 200 403 200 403 401",
    ("api:account-detail", "get"): STAFF,
    ("api:contact-list", "post"): "201 201 403 201 403 201 403 401",
    ("api:contact-list", "get"): STAFF,
    ("api:contact-detail", "patch"): "200 200 403 200 403 200 403 401",
    ("api:contact-detail", "get"): STAFF,
    ("api:notification-list", "get"): "200 200 200 200 200 200 200 401",
    ("api:notification-mark-read", "post"): "200 200 200 200 200 200 200 401",
    ("api:api-token-list", "post"): "201 201 201 201 201 201 201 401",
    ("api:api-token-list", "get"): "200 200 200 200 200 200 200 401",
    ("api:api-token-detail", "delete"): TOKEN_OWNER,
    ("api:api-token-rotate", "post"): "200 404 404 404 404 200 404 401 / 404 404 404 404 404 200 404 401",
    ("api:opportunity-list", "post"): "201 403 403 403 403 201 403 401",
    ("api:opportunity-list", "get"): STAFF,
    ("api:opportunity-detail", "patch"): OPP_LOCKED,
    ("api:opportunity-detail", "get"): OPP_READ,
    ("api:opportunity-approve-quote", "post"): "403 403 403 409 403 409 403 401 / 404 404 403 409 403 409 403 401",
    ("api:opportunity-documents", "post"): OPP_LOCKED,
    ("api:opportunity-documents", "get"): OPP_READ,
    ("api:opportunity-history", "get"): OPP_READ,
    ("api:opportunity-remove-document", "post"): OPP_LOCKED,
    ("api:opportunity-replace-document", "post"): OPP_LOCKED,
    ("api:opportunity-request-quote-approval", "post"): OPP_LOCKED,
    ("api:opportunity-action-approve", "post"): OPP_REVIEW,
    ("api:opportunity-action-assign", "post"): "403 403 403 403 403 200 403 401 / 404 404 403 403 403 200 403 401",
    (
        "api:opportunity-action-billing-approve",
        "post",
    ): "403 403 409 403 403 403 403 401 / 404 404 409 403 403 403 403 401",
    (
        "api:opportunity-action-billing-reject",
        "post",
    ): "403 403 409 403 403 403 403 401 / 404 404 409 403 403 403 403 401",
    ("api:opportunity-action-book-now", "post"): "403 403 403 403 403 409 403 401 / 404 404 403 403 403 409 403 401",
    ("api:opportunity-action-changes-since-rejection", "get"): OPP_READ,
    ("api:opportunity-action-checklist", "post"): OPP_REVIEW,
    ("api:opportunity-action-checklist", "get"): OPP_READ,
    ("api:opportunity-action-claim", "post"): OPP_REVIEW,
    ("api:opportunity-action-comment-attachment", "get"): OPP_READ,
    ("api:opportunity-action-comments", "post"): "201 201 201 201 201 201 403 401 / 404 404 201 201 201 201 403 401",
    ("api:opportunity-action-comments", "get"): OPP_READ,
    ("api:opportunity-action-corrections", "post"): "403 403 409 403 403 409 403 401 / 404 404 409 403 403 409 403 401",
    ("api:opportunity-action-corrections", "get"): OPP_READ,
    ("api:opportunity-action-escalate", "post"): "200 403 403 403 403 403 403 401 / 404 404 403 403 403 403 403 401",
    ("api:opportunity-action-needs-info", "post"): OPP_REVIEW,
    ("api:opportunity-action-recall", "post"): "200 403 403 403 403 403 403 401 / 404 404 403 403 403 403 403 401",
    ("api:opportunity-action-reject", "post"): OPP_REVIEW,
    ("api:opportunity-action-respond", "post"): "409 403 403 403 403 403 403 401 / 404 404 403 403 403 403 403 401",
    ("api:opportunity-action-submit", "post"): "409 403 403 403 403 403 403 401 / 404 404 403 403 403 403 403 401",
    ("api:queue-list", "get"): STAFF,
    ("api:correction-list", "get"): STAFF,
    ("api:correction-detail", "get"): "200 200 200 200 404 200 403 401 / 404 404 200 200 404 200 403 401",
    ("api:correction-approve", "post"): OPP_REVIEW,
    ("api:correction-reject", "post"): OPP_REVIEW,
    # billing feeds: a specialist only into their regions' customers (another region's: 403, it used to be a 500)
    ("api:subscription-list", "post"): "403 201 403 403 403 201 201 401 / 403 403 403 403 403 201 201 401",
    ("api:subscription-list", "get"): BILLING_RECORDS,
    ("api:subscription-detail", "get"): BILLING_RECORD,
    ("api:invoice-list", "post"): "403 201 403 403 403 201 201 401 / 403 403 403 403 403 201 201 401",
    ("api:invoice-list", "get"): BILLING_RECORDS,
    ("api:invoice-detail", "get"): BILLING_RECORD,
    ("api:reconciliation-run-list", "post"): "403 202 403 403 403 202 403 401",
    ("api:reconciliation-run-list", "get"): BILLING_RECORDS,
    ("api:reconciliation-run-detail", "get"): BILLING_RECORDS,
    ("api:discrepancy-list", "get"): BILLING_RECORDS,
    # An id in a body that the caller may not see is refused like one that does not exist: 400 naming the field
    # (UNKNOWN_ID_IN_BODY; tests/subscriptions/test_api.py and tests/cases/test_api.py hold that contract).
    ("api:discrepancy-resolve-batch", "post"): "403 200 403 403 403 200 403 401 / 403 400 403 403 403 200 403 401",
    ("api:discrepancy-detail", "get"): BILLING_RECORD,
    ("api:discrepancy-resolve", "post"): "403 200 403 403 403 200 403 401 / 403 404 403 403 403 200 403 401",
    ("api:discrepancy-undo", "post"): "403 409 403 403 403 409 403 401 / 403 404 403 403 403 409 403 401",
    ("api:case-list", "post"): "201 403 403 403 403 201 403 401 / 400 400 403 403 403 201 403 401",
    ("api:case-list", "get"): STAFF,
    ("api:case-detail", "get"): "200 404 404 200 404 200 403 401 / 404 404 404 200 404 200 403 401",
    ("api:case-assign", "post"): "403 404 404 403 404 200 403 401 / 404 404 404 403 404 200 403 401",
    ("api:case-attachments", "post"): "201 404 404 201 404 201 403 401 / 404 404 404 201 404 201 403 401",
    ("api:case-close", "post"): "200 404 404 403 404 200 403 401 / 404 404 404 403 404 200 403 401",
    ("api:case-comment", "post"): "201 404 404 201 404 201 403 401 / 404 404 404 201 404 201 403 401",
    ("api:case-reopen", "post"): "403 404 404 403 404 409 403 401 / 404 404 404 403 404 409 403 401",
    ("api:case-set-status", "post"): "403 404 404 403 404 409 403 401 / 404 404 404 403 404 409 403 401",
    ("api:case-take", "post"): "403 404 404 200 404 200 403 401 / 404 404 404 200 404 200 403 401",
    (
        "api:opportunity-support-request-support",
        "post",
    ): "201 403 403 403 403 201 403 401 / 404 404 403 403 403 201 403 401",
    ("api:license-delivery-list", "post"): "403 403 403 403 201 201 201 401",
    ("api:license-delivery-list", "get"): "403 403 403 403 200 200 403 401",
    ("api:license-ticket-list", "get"): "403 200 403 403 200 200 403 401",
    ("api:license-ticket-detail", "get"): "403 200 403 403 200 200 403 401 / 403 404 403 403 200 200 403 401",
    ("api:license-ticket-mark-delivered", "post"): "403 403 403 403 200 200 403 401",
    ("api:license-ticket-take", "post"): "403 403 403 403 200 200 403 401",
    ("api:license-failure-list", "get"): "403 200 403 403 200 200 403 401",
    # webhooks: managers only, endpoints and deliveries of no region
    ("api:webhook-endpoint-list", "post"): "403 403 403 403 403 201 403 401",
    ("api:webhook-endpoint-list", "get"): MANAGER_API,
    ("api:webhook-endpoint-detail", "delete"): "403 403 403 403 403 204 403 401",
    ("api:webhook-endpoint-detail", "patch"): MANAGER_API,
    ("api:webhook-endpoint-detail", "get"): MANAGER_API,
    ("api:webhook-endpoint-rotate-secret", "post"): MANAGER_API,
    ("api:webhook-endpoint-test", "post"): "403 403 403 403 403 202 403 401",
    ("api:webhook-delivery-list", "get"): MANAGER_API,
    ("api:webhook-delivery-detail", "get"): MANAGER_API,
    ("api:webhook-delivery-redeliver", "post"): "403 403 403 403 403 202 403 401",
    ("api:api-root", "get"): "200 200 200 200 200 200 200 401",
    ("login", "post"): EVERYONE_PAGE_POST,
    ("login", "get"): "302 302 302 302 302 302 302 200",
    ("logout", "post"): EVERYONE_PAGE_POST,
    ("notifications", "get"): EVERYONE_PAGE,
    ("notifications_read", "post"): EVERYONE_PAGE_POST,
    ("notifications_count", "get"): EVERYONE_PAGE,
    ("notification_settings", "post"): EVERYONE_PAGE_POST,
    ("notification_settings", "get"): EVERYONE_PAGE,
    # the page shows the new token once (200); rotate / revoke are its owner's or a manager's
    ("tokens", "post"): EVERYONE_PAGE,
    ("tokens", "get"): EVERYONE_PAGE,
    ("token_action", "post"): "302 404 404 404 404 302 404 302 / 404 404 404 404 404 302 404 302",
    ("user_settings", "post"): EVERYONE_PAGE_POST,
    ("user_settings", "get"): EVERYONE_PAGE,
    ("webhooks:list", "post"): MANAGER_PAGE,  # the page shows the new endpoint's secret once (200)
    ("webhooks:list", "get"): MANAGER_PAGE,
    ("webhooks:detail", "post"): MANAGER_PAGE_POST,
    ("webhooks:detail", "get"): MANAGER_PAGE,
    ("webhooks:rotate", "post"): MANAGER_PAGE,  # the new secret, once
    ("webhooks:test", "post"): MANAGER_PAGE_POST,
    ("webhooks:delete", "post"): MANAGER_PAGE_POST,
    ("webhooks:redeliver", "post"): MANAGER_PAGE_POST,
    ("home", "get"): "302 302 302 302 302 302 302 302",
    ("subscriptions:runs", "get"): BILLING_RECORDS_PAGE,
    ("subscriptions:run_start", "post"): RESOLVER_PAGE_POST,
    ("subscriptions:run_detail", "get"): BILLING_RECORDS_PAGE,
    ("subscriptions:run_progress", "get"): BILLING_RECORDS_PAGE,
    ("subscriptions:discrepancies", "get"): BILLING_RECORDS_PAGE,
    ("subscriptions:discrepancy_batch", "post"): RESOLVER_PAGE_POST,
    ("subscriptions:discrepancy_export", "get"): BILLING_RECORDS_PAGE,
    ("subscriptions:discrepancy_export_xlsx", "get"): BILLING_RECORDS_PAGE,
    ("subscriptions:discrepancy_detail", "get"): "403 200 200 403 403 200 403 302 / 403 404 200 403 403 200 403 302",
    ("subscriptions:discrepancy_apply", "post"): RESOLVER_RECORD_POST,
    ("subscriptions:discrepancy_accept", "post"): RESOLVER_RECORD_POST,
    ("subscriptions:discrepancy_undo", "post"): RESOLVER_RECORD_POST,
    ("cases:list", "get"): EVERYONE_PAGE,
    ("cases:export", "get"): EVERYONE_PAGE,
    ("cases:export_xlsx", "get"): EVERYONE_PAGE,
    ("cases:mine", "get"): EVERYONE_PAGE,
    ("cases:mine_export", "get"): EVERYONE_PAGE,
    ("cases:mine_export_xlsx", "get"): EVERYONE_PAGE,
    ("cases:teams", "post"): MANAGER_PAGE_POST,
    ("cases:teams", "get"): "403 403 403 403 403 200 403 302",
    ("cases:queue", "get"): "403 403 403 200 403 200 403 302 / 403 403 200 403 403 200 403 302",
    ("cases:new", "post"): "302 403 403 403 403 302 404 302 / 404 404 403 403 403 302 404 302",
    ("cases:new", "get"): OPP_PAGE,
    ("cases:detail", "get"): "200 404 404 200 404 200 404 302 / 404 404 404 200 404 200 404 302",
    # the page answers a refused role 403 like the API (it used to redirect with the refusal as a message)
    ("cases:take", "post"): "403 404 404 302 404 302 404 302 / 404 404 404 302 404 302 404 302",
    ("cases:assign", "post"): CASE_MANAGER_PAGE_POST,
    ("cases:comment", "post"): CASE_MEMBER_PAGE_POST,
    ("cases:status", "post"): CASE_MANAGER_PAGE_POST,
    ("cases:reopen", "post"): CASE_MANAGER_PAGE_POST,
    ("cases:attach", "post"): CASE_MEMBER_PAGE_POST,
    ("licenses:worklist", "get"): LICENSE_PAGE,
    ("licenses:run", "post"): MANAGER_PAGE_POST,
    ("licenses:runs", "get"): LICENSE_PAGE,
    ("licenses:run_detail", "get"): LICENSE_PAGE,
    ("licenses:run_progress", "get"): LICENSE_PAGE,
    ("licenses:tickets", "get"): LICENSE_PAGE,
    ("licenses:ticket_take", "post"): "403 403 403 403 302 302 403 302",
    ("licenses:ticket_deliver", "post"): "403 403 403 403 302 302 403 302",
    ("licenses:failures", "get"): LICENSE_PAGE,
    # KPIs: managers (the API, the CSV/XLSX), specialists see the pages for their region; CSAT: reps and managers
    ("kpis:dashboard", "get"): OM_PAGE,
    ("kpis:drill", "get"): OM_PAGE,
    ("kpis:drill_export", "get"): OM_PAGE,
    ("kpis:drill_export_xlsx", "get"): OM_PAGE,
    ("kpis:export", "get"): OM_PAGE,
    ("kpis:export_xlsx", "get"): OM_PAGE,
    ("kpis:csat", "post"): "302 403 403 403 403 302 403 302",
    ("kpis:csat", "get"): "200 403 403 403 403 200 403 302",
    ("search:results", "get"): EVERYONE_PAGE,
    ("search:saved_filters", "get"): EVERYONE_PAGE,
    # saved views are per person: deleting another's id deletes nothing of theirs (it is not in the caller's own)
    ("search:saved_filter_save", "post"): EVERYONE_PAGE_POST,
    ("search:saved_filter_delete", "post"): EVERYONE_PAGE_POST,
    ("imports:upload", "post"): "302 403 403 302 403 302 403 302",
    ("imports:upload", "get"): IMPORTER_PAGE,
    ("imports:run_detail", "get"): IMPORT_RUN,
    ("imports:run_status", "get"): IMPORT_RUN,
    ("imports:run_start", "post"): IMPORT_RUN,
    ("imports:run_errors", "get"): IMPORT_RUN,
    ("approvals:my_opportunities", "get"): "200 403 403 403 403 200 403 302",
    ("approvals:my_opportunities_export", "get"): "200 403 403 403 403 200 403 302",
    ("approvals:my_opportunities_export_xlsx", "get"): "200 403 403 403 403 200 403 302",
    ("approvals:opportunity_create", "post"): "302 403 403 403 403 302 403 302",
    ("approvals:opportunity_create", "get"): "200 403 403 403 403 200 403 302",
    # two routes share the name: the new deal's live checklist (own row) and an existing deal's (both rows)
    ("approvals:checklist", "post"): "200 403 403 403 403 200 403 302 / 404 403 403 403 403 200 403 302",
    ("approvals:checklist", "get"): "404 403 403 403 403 404 403 302",
    ("approvals:contact_options", "get"): "200 403 403 403 403 200 403 302",
    ("approvals:opportunity_detail", "get"): OPP_PAGE,
    ("approvals:opportunity_edit", "post"): REP_EDIT_PAGE,
    ("approvals:opportunity_edit", "get"): REP_EDIT_PAGE,
    ("approvals:contact_create", "post"): REP_EDIT_PAGE,
    ("approvals:document_upload", "post"): REP_EDIT_PAGE,
    ("approvals:document", "get"): OPP_PAGE,
    ("approvals:document_remove", "post"): REP_EDIT_PAGE,
    ("approvals:document_replace", "post"): REP_EDIT_PAGE,
    ("approvals:submit", "post"): "302 403 403 403 403 403 404 302 / 404 404 403 403 403 403 404 302",
    ("approvals:recall", "post"): "302 403 403 403 403 403 404 302 / 404 404 403 403 403 403 404 302",
    ("approvals:escalate", "post"): "302 403 403 403 403 403 404 302 / 404 404 403 403 403 403 404 302",
    ("approvals:escalate", "get"): "404 404 404 404 404 404 404 302",
    ("approvals:respond", "post"): "302 403 403 403 403 403 404 302 / 404 404 403 403 403 403 404 302",
    ("approvals:book_now", "post"): MANAGER_PAGE_POST,
    ("approvals:quote_approval_request", "post"): "302 403 403 403 403 302 404 302 / 404 404 403 403 403 302 404 302",
    ("approvals:quote_approve", "post"): "403 403 403 302 403 302 404 302 / 404 404 403 302 403 302 404 302",
    ("approvals:correction_open", "post"): "403 403 302 403 403 302 403 302",
    ("approvals:correction_approve", "post"): "403 302 403 403 403 302 403 302 / 403 403 403 403 403 302 403 302",
    ("approvals:correction_reject", "post"): "403 302 403 403 403 302 403 302 / 403 403 403 403 403 302 403 302",
    ("approvals:comment_create", "post"): "302 302 302 302 302 302 404 302 / 404 404 302 302 302 302 404 302",
    ("approvals:comment_attachment", "get"): OPP_PAGE,
    ("approvals:queue", "get"): OM_PAGE,
    ("approvals:queue_export", "get"): OM_PAGE,
    ("approvals:queue_export_xlsx", "get"): OM_PAGE,
    # bulk: one service call per ticked item, refusals (another region's item: "Not found") listed in the message
    ("approvals:queue_bulk", "post"): RESOLVER_PAGE_POST,
    ("approvals:claim", "post"): RESOLVER_RECORD_POST,
    ("approvals:my_out_of_office", "post"): "403 302 403 403 403 403 403 302",
    ("approvals:my_out_of_office", "get"): "403 200 403 403 403 403 403 302",
    ("approvals:assign", "post"): MANAGER_PAGE_POST,
    ("approvals:review", "get"): "403 200 200 403 403 200 403 302 / 403 404 200 403 403 200 403 302",
    ("approvals:approve", "post"): RESOLVER_RECORD_POST,
    ("approvals:approve", "get"): "403 404 403 403 403 404 403 302",
    ("approvals:reject", "post"): RESOLVER_RECORD_POST,
    ("approvals:reject", "get"): "403 404 403 403 403 404 403 302",
    ("approvals:checklist_mark", "post"): RESOLVER_RECORD_POST,
    ("approvals:checklist_mark", "get"): "403 404 403 403 403 404 403 302",
    ("approvals:needs_info", "post"): RESOLVER_RECORD_POST,
    ("approvals:billing_queue", "get"): "403 403 200 403 403 200 403 302",
    ("approvals:billing_approve", "post"): "403 403 302 403 403 403 403 302",
    ("approvals:billing_approve", "get"): "403 403 404 403 403 403 403 302",
    ("approvals:billing_reject", "post"): "403 403 302 403 403 403 403 302",
    ("approvals:billing_reject", "get"): "403 403 404 403 403 403 403 302",
    ("approvals:team", "get"): "403 403 403 403 403 200 403 302",
    ("approvals:coverage", "post"): MANAGER_PAGE_POST,
    ("approvals:out_of_office", "post"): MANAGER_PAGE_POST,
    ("approvals:out_of_office", "get"): "403 403 403 403 403 404 403 302",
}


# ---------------------------------------------------------------------------------------------------------------------
# Valid bodies. Each is a function of the world and the side ("own" or "other") whose objects it names.


@dataclass(frozen=True)
class Body:
    data: dict
    encoding: str = "json"  # "json" (API), "form" (a page's urlencoded/multipart form), "multipart" (API uploads)
    query: str = ""  # appended to the path, e.g. "opportunity=12" for a page that reads its object from the query


def _pdf(name: str = "order-form.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def _sample(name: str, content_type: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (SAMPLES / name).read_bytes(), content_type=content_type)


def _s(world: World, side: str):
    return getattr(world, side)


def _reject(world: World, side: str) -> dict:
    return {"reasons": ["other"], "comment": "The order form is not countersigned."}


def _reject_form(world: World, side: str) -> dict:
    return {"reject-reasons": ["other"], "reject-comment": "The order form is not countersigned."}


def _webhook_form() -> dict:
    return {"url": "https://hooks.example.com/matrix", "event_kinds": ["opportunity.om_approved"], "is_active": "on"}


def _case_fields(world: World, side: str) -> dict:
    return {
        "team": "deal_desk",
        "request_type": "basic_quote_assistance",
        "subject": "Quote help",
        "details": "The discount line is wrong.",
        "fields": {"quote_number": "Q-000124"},
        "confirm_duplicate": True,  # the world's case is the same request: this one is meant as a second
    }


def _opportunity_json(world: World, side: str) -> dict:
    s = _s(world, side)
    return {
        "name": "Matrix deal",
        "account": s.account.pk,
        "region": s.region,
        "type": "new_business",
        "route_to_market": "direct",
        "stage": "4-proposal",
        "amount": "10.00",
        "net_arr": "10.00",
    }


def _opportunity_form(world: World, side: str) -> dict:
    """The page's form as it would be posted back for the side's opportunity, under a new name."""
    from approvals.forms import OpportunityForm, QuoteForm

    s = _s(world, side)
    opp = s.opportunity
    forms = (
        # as a manager sees it (with the region field, which a rep's form leaves out and ignores)
        OpportunityForm(instance=opp, initial={"version": opp.version}, user=world.users["manager"]),
        QuoteForm(instance=opp.primary_quote, account_id=opp.account_id),
    )
    data = {}
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is not None and value != "":
                data[form.add_prefix(name)] = value
    return {**data, "name": "Matrix deal", "quote-number": "Q-MATRIX-1"}


J = "json"
F = "form"

BODIES: dict[tuple[str, str], Callable[[World, str], Body]] = {
    ("api:token", "post"): lambda w, s: Body({"username": "rep_own", "password": PASSWORD}),
    ("api:account-list", "post"): lambda w, s: Body({"name": "Matrix account", "region": "AMER", "country": "US"}),
    ("api:account-detail", "patch"): lambda w, s: Body({"name": "Renamed account"}),
    ("api:contact-list", "post"): lambda w, s: Body(
        {"account": _s(w, s).account.pk, "name": "Matrix contact", "email": "matrix@customer.example"}
    ),
    ("api:contact-detail", "patch"): lambda w, s: Body({"name": "Renamed contact"}),
    ("api:notification-mark-read", "post"): lambda w, s: Body({}),
    ("api:api-token-list", "post"): lambda w, s: Body({"name": "matrix"}),
    ("api:api-token-rotate", "post"): lambda w, s: Body({}),
    ("api:csat-responses", "post"): lambda w, s: Body({"region": "AMER", "rating": "good", "comment": "Quick."}),
    ("api:opportunity-list", "post"): lambda w, s: Body(_opportunity_json(w, s)),
    ("api:opportunity-detail", "patch"): lambda w, s: Body({"name": "Renamed deal"}),
    ("api:opportunity-documents", "post"): lambda w, s: Body({"kind": "other", "file": _pdf()}, "multipart"),
    ("api:opportunity-remove-document", "post"): lambda w, s: Body({}),
    ("api:opportunity-replace-document", "post"): lambda w, s: Body({"file": _pdf("v2.pdf")}, "multipart"),
    ("api:opportunity-request-quote-approval", "post"): lambda w, s: Body({}),
    ("api:opportunity-approve-quote", "post"): lambda w, s: Body({}),
    ("api:opportunity-action-approve", "post"): lambda w, s: Body({"comment": "Checked."}),
    ("api:opportunity-action-assign", "post"): lambda w, s: Body({"user": _s(w, s).specialist.pk}),
    ("api:opportunity-action-billing-approve", "post"): lambda w, s: Body({"comment": ""}),
    ("api:opportunity-action-billing-reject", "post"): lambda w, s: Body(_reject(w, s)),
    ("api:opportunity-action-book-now", "post"): lambda w, s: Body({"reason": "The customer moved the start."}),
    ("api:opportunity-action-checklist", "post"): lambda w, s: Body(
        {"item": f"document:{_s(w, s).document.pk}", "verdict": "verified"}
    ),
    ("api:opportunity-action-claim", "post"): lambda w, s: Body({}),
    ("api:opportunity-action-comments", "post"): lambda w, s: Body({"body": "Any news?"}),
    ("api:opportunity-action-corrections", "post"): lambda w, s: Body(
        {"kind": "fields", "reason": "Net ARR left out the ramp", "changes": {"net_arr": "950.00"}}
    ),
    ("api:opportunity-action-escalate", "post"): lambda w, s: Body({"reason": "Quarter end."}),
    ("api:opportunity-action-needs-info", "post"): lambda w, s: Body({"question": "Is the PO final?"}),
    ("api:opportunity-action-recall", "post"): lambda w, s: Body({}),
    ("api:opportunity-action-reject", "post"): lambda w, s: Body(_reject(w, s)),
    ("api:opportunity-action-respond", "post"): lambda w, s: Body({"answer": "Yes, final."}),
    ("api:opportunity-action-submit", "post"): lambda w, s: Body({}),
    ("api:correction-approve", "post"): lambda w, s: Body({"comment": "Checked."}),
    ("api:correction-reject", "post"): lambda w, s: Body({"comment": "Not backed by the order form."}),
    ("api:subscription-list", "post"): lambda w, s: Body(
        {
            "name": "A-S-MATRIX",
            "account": _s(w, s).account.pk,
            "status": "active",
            "term_start": "2026-01-01",
            "term_end": "2026-12-31",
            "carr": "100.00",
        }
    ),
    ("api:invoice-list", "post"): lambda w, s: Body(
        {
            "number": "INV-MATRIX",
            "account": _s(w, s).extra["won"].account_id,
            "opportunity": _s(w, s).extra["won"].pk,
            "amount": "100.00",
            "invoice_date": "2026-11-01",
        }
    ),
    ("api:reconciliation-run-list", "post"): lambda w, s: Body({"kind": "renewals", "as_of": "2026-11-02"}),
    ("api:discrepancy-resolve-batch", "post"): lambda w, s: Body(
        {"ids": [_s(w, s).discrepancy.pk], "action": "accept", "reason": "Known exception."}
    ),
    ("api:discrepancy-resolve", "post"): lambda w, s: Body({"action": "accept", "reason": "Known exception."}),
    ("api:discrepancy-undo", "post"): lambda w, s: Body({"reason": "Accepted by mistake."}),
    ("api:case-list", "post"): lambda w, s: Body({"opportunity": _s(w, s).opportunity.pk, **_case_fields(w, s)}),
    ("api:case-assign", "post"): lambda w, s: Body({"user": w.users["deal_desk"].pk}),
    ("api:case-attachments", "post"): lambda w, s: Body({"file": _pdf()}, "multipart"),
    ("api:case-close", "post"): lambda w, s: Body({}),
    ("api:case-comment", "post"): lambda w, s: Body({"body": "Looking at it."}),
    ("api:case-reopen", "post"): lambda w, s: Body({}),
    ("api:case-set-status", "post"): lambda w, s: Body({"status": "work_in_progress"}),
    ("api:case-take", "post"): lambda w, s: Body({}),
    ("api:opportunity-support-request-support", "post"): lambda w, s: Body(_case_fields(w, s)),
    ("api:license-delivery-list", "post"): lambda w, s: Body(
        {
            "external_id": "LIC-MATRIX-1",
            "opportunity": _s(w, s).extra["won"].pk,
            "sold_to_email": "buyer@customer.example",
            "delivered_at": "2026-11-02T10:00:00Z",
        }
    ),
    ("api:license-ticket-mark-delivered", "post"): lambda w, s: Body({"delivered_on": "2026-11-02"}),
    ("api:license-ticket-take", "post"): lambda w, s: Body({}),
    ("api:webhook-endpoint-list", "post"): lambda w, s: Body(
        {"url": "https://hooks.example.com/matrix", "event_kinds": ["opportunity.om_approved"]}
    ),
    ("api:webhook-endpoint-detail", "patch"): lambda w, s: Body({"description": "Billing system"}),
    ("api:webhook-endpoint-rotate-secret", "post"): lambda w, s: Body({}),
    ("api:webhook-endpoint-test", "post"): lambda w, s: Body({}),
    ("api:webhook-delivery-redeliver", "post"): lambda w, s: Body({}),
    # pages
    ("user_settings", "post"): lambda w, s: Body({"time_zone": "Europe/Berlin"}, F),
    ("webhooks:list", "post"): lambda w, s: Body(_webhook_form(), F),
    ("webhooks:detail", "post"): lambda w, s: Body(_webhook_form(), F),
    ("webhooks:rotate", "post"): lambda w, s: Body({}, F),
    ("webhooks:test", "post"): lambda w, s: Body({}, F),
    ("webhooks:delete", "post"): lambda w, s: Body({}, F),
    ("webhooks:redeliver", "post"): lambda w, s: Body({}, F),
    ("login", "post"): lambda w, s: Body({"username": "rep_own", "password": PASSWORD}, F),
    ("logout", "post"): lambda w, s: Body({}, F),
    ("notifications_read", "post"): lambda w, s: Body({}, F),
    ("notification_settings", "post"): lambda w, s: Body({"email_kinds": []}, F),
    ("tokens", "post"): lambda w, s: Body({"name": "matrix"}, F),
    ("token_action", "post"): lambda w, s: Body({}, F),
    ("subscriptions:run_start", "post"): lambda w, s: Body({"kind": "renewals", "as_of": "2026-11-02"}, F),
    ("subscriptions:discrepancy_batch", "post"): lambda w, s: Body(
        {"ids": [_s(w, s).discrepancy.pk], "action": "accept", "reason": "Known exception."}, F
    ),
    ("subscriptions:discrepancy_apply", "post"): lambda w, s: Body({"reason": ""}, F),
    ("subscriptions:discrepancy_accept", "post"): lambda w, s: Body({"reason": "Known exception."}, F),
    ("subscriptions:discrepancy_undo", "post"): lambda w, s: Body({"reason": ""}, F),
    ("cases:new", "get"): lambda w, s: Body({}, F, query=f"opportunity={_s(w, s).opportunity.pk}"),
    ("cases:new", "post"): lambda w, s: Body(
        {
            "opportunity": _s(w, s).opportunity.pk,
            "team": "deal_desk",
            "request_type": "basic_quote_assistance",
            "subject": "Quote help",
            "details": "The discount line is wrong.",
            "field_quote_number": "Q-000124",
            "confirm_duplicate": "on",  # the world's case is the same request: this one is meant as a second
        },
        F,
    ),
    ("cases:take", "post"): lambda w, s: Body({}, F),
    ("cases:assign", "post"): lambda w, s: Body({"user": w.users["deal_desk"].pk}, F),
    ("cases:comment", "post"): lambda w, s: Body({"body": "Looking at it."}, F),
    ("cases:status", "post"): lambda w, s: Body({"status": "work_in_progress"}, F),
    ("cases:reopen", "post"): lambda w, s: Body({}, F),
    ("cases:attach", "post"): lambda w, s: Body({"file": _pdf()}, F),
    ("cases:teams", "post"): lambda w, s: Body(
        {"team": "deal_desk", "deal_desk-members": [w.users["deal_desk"].pk]}, F
    ),
    ("licenses:run", "post"): lambda w, s: Body({"region": "AMER"}, F),
    ("imports:upload", "post"): lambda w, s: Body({"file": _sample("opportunities.csv", "text/csv")}, F),
    ("imports:run_start", "post"): lambda w, s: Body({}, F),
    ("licenses:ticket_take", "post"): lambda w, s: Body({}, F),
    ("licenses:ticket_deliver", "post"): lambda w, s: Body({"delivered_on": "2026-11-02"}, F),
    ("kpis:csat", "post"): lambda w, s: Body({"rating": "good", "region": "AMER", "comment": "Quick."}, F),
    ("search:saved_filter_save", "post"): lambda w, s: Body({"name": "Mine", "query": "approval_status=draft"}, F),
    ("search:saved_filter_delete", "post"): lambda w, s: Body({}, F),
    ("approvals:opportunity_create", "post"): lambda w, s: Body(_opportunity_form(w, s), F),
    ("approvals:opportunity_edit", "post"): lambda w, s: Body(_opportunity_form(w, s), F),
    ("approvals:checklist", "post"): lambda w, s: Body(_opportunity_form(w, s), F),
    ("approvals:contact_create", "post"): lambda w, s: Body(
        {"contact-name": "New contact", "contact-email": "new@customer.example"}, F
    ),
    ("approvals:document_upload", "post"): lambda w, s: Body({"kind": "other", "file": _pdf()}, F),
    ("approvals:document_remove", "post"): lambda w, s: Body({}, F),
    ("approvals:document_replace", "post"): lambda w, s: Body({"file": _pdf("v2.pdf")}, F),
    ("approvals:submit", "post"): lambda w, s: Body({}, F),
    ("approvals:recall", "post"): lambda w, s: Body({}, F),
    ("approvals:escalate", "post"): lambda w, s: Body({"reason": "Quarter end.", "to_region": ""}, F),
    ("approvals:respond", "post"): lambda w, s: Body({"body": "Yes, final."}, F),
    ("approvals:book_now", "post"): lambda w, s: Body({"reason": "The customer moved the start."}, F),
    ("approvals:quote_approval_request", "post"): lambda w, s: Body({}, F),
    ("approvals:quote_approve", "post"): lambda w, s: Body({}, F),
    ("approvals:correction_open", "post"): lambda w, s: Body(
        {"correction-kind": "fields", "correction-reason": "Net ARR left out the ramp", "correction-net_arr": "950.00"},
        F,
    ),
    ("approvals:correction_approve", "post"): lambda w, s: Body({"comment": "Checked."}, F),
    ("approvals:correction_reject", "post"): lambda w, s: Body({"comment": "Not backed by the order form."}, F),
    ("approvals:comment_create", "post"): lambda w, s: Body({"body": "Any news?"}, F),
    ("approvals:queue_bulk", "post"): lambda w, s: Body({"action": "claim", "ids": [_s(w, s).opportunity.pk]}, F),
    ("approvals:claim", "post"): lambda w, s: Body({}, F),
    ("approvals:my_out_of_office", "post"): lambda w, s: Body({}, F),
    ("approvals:assign", "post"): lambda w, s: Body({"user": _s(w, s).specialist.pk}, F),
    ("approvals:approve", "post"): lambda w, s: Body({"approve-comment": "Checked."}, F),
    ("approvals:reject", "post"): lambda w, s: Body(_reject_form(w, s), F),
    ("approvals:checklist_mark", "post"): lambda w, s: Body(
        {"item": f"document:{_s(w, s).document.pk}", "verdict": "verified"}, F
    ),
    ("approvals:needs_info", "post"): lambda w, s: Body({"ask-question": "Is the PO final?"}, F),
    ("approvals:billing_approve", "post"): lambda w, s: Body({"approve-comment": ""}, F),
    ("approvals:billing_reject", "post"): lambda w, s: Body(_reject_form(w, s), F),
    ("approvals:coverage", "post"): lambda w, s: Body({}, F),
    ("approvals:out_of_office", "post"): lambda w, s: Body({}, F),
}

# Endpoints without a path parameter whose body (or query) names an object: they run on both sides as well.
SIDED = {
    ("api:contact-list", "post"),
    ("api:invoice-list", "post"),
    ("api:subscription-list", "post"),
    ("api:discrepancy-resolve-batch", "post"),
    ("api:case-list", "post"),
    ("api:license-delivery-list", "post"),
    ("subscriptions:discrepancy_batch", "post"),
    ("cases:new", "get"),
    ("cases:new", "post"),
    ("approvals:queue_bulk", "post"),
    ("approvals:opportunity_create", "post"),
}

# The other side's id in these bodies is refused as an unknown id (400 naming the field), not 403/404.
UNKNOWN_ID_IN_BODY = {("api:discrepancy-resolve-batch", "post"), ("api:case-list", "post")}

# Routes whose {pk} is not the object the name's prefix suggests.
PK_OF = {
    "api:opportunity-action-corrections": lambda s: s.extra["won"].pk,
    "approvals:correction_open": lambda s: s.extra["won"].pk,
    "api:correction": lambda s: s.extra["correction"].pk,
    "approvals:correction_": lambda s: s.extra["correction"].pk,
    "api:api-token": lambda s: s.extra["token"].pk,
    "token_action": lambda s: s.extra["token"].pk,
    "search:saved_filter": lambda s: s.extra["saved_filter"].pk,
    "licenses:run": lambda s: s.extra["license_run"].pk,
    "api:webhook-endpoint": lambda s: s.extra["webhook"].pk,
    "api:webhook-delivery": lambda s: s.extra["webhook_delivery"].pk,
    "webhooks:": lambda s: s.extra["webhook"].pk,
    "approvals:coverage": lambda s: s.specialist.pk,
    "approvals:out_of_office": lambda s: s.specialist.pk,
}


def _param(endpoint: Endpoint, name: str, world: World, side: str):
    """The value of one path parameter on the `side` ("own" or "other") of the world."""
    s = getattr(world, side)
    simple = {
        "document_id": lambda: s.document.pk,
        "comment_id": lambda: s.extra["comment"].pk,
        "delivery_id": lambda: s.extra["webhook_delivery"].pk,
        "team": lambda: "deal_desk" if side == "own" else "billing_ops",
        "action": lambda: "revoke",
        "kpi": lambda: "approval_sla",
        "list_name": lambda: "opportunities",
    }
    if name in simple:
        return simple[name]()
    for prefix, value in PK_OF.items():
        if endpoint.name.startswith(prefix):
            return value(s)
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


def _call(client: Client, endpoint: Endpoint, method: str, path: str, body: Body | None):
    """One request, rolled back afterwards so that the cells do not change each other's world."""
    if body is not None and body.query:
        path = f"{path}?{body.query}"
    with transaction.atomic():
        if method == "get":
            response = client.get(path)
        elif body is None:  # no row in BODIES: an empty body, held to the generic rules only
            if endpoint.is_api:
                response = getattr(client, method)(path, data="{}", content_type="application/json")
            else:
                response = getattr(client, method)(path, data={})
        elif body.encoding == "json":
            response = getattr(client, method)(path, data=json.dumps(body.data), content_type="application/json")
        else:  # a form or an upload: Django's client encodes a dict as multipart/form-data
            response = getattr(client, method)(path, data=body.data)
        transaction.set_rollback(True)
    return response


def _expected(endpoint: Endpoint, method: str, side: str) -> list[str] | None:
    spec = EXPECTED.get((endpoint.name, method))
    if spec is None:
        return None
    rows = [row.split() for row in spec.split("/")]
    assert all(len(row) == len(ROLES) for row in rows), spec
    return rows[1] if side == "other" and len(rows) == 2 else rows[0]


# What the pages say when they refuse a form and redirect back (Post/Redirect/Get): a 302 that looks like success.
FORM_REFUSED = ("This field is required", "please correct", "Tick at least one", "Enter a valid", "Select a valid")


def _generic_problem(endpoint: Endpoint, role: str, response) -> str | None:
    status = response.status_code
    if status >= 500:
        return f"server error {status}"
    if status == 302 and response.wsgi_request.method == "POST":
        said = [str(m.message) for m in get_messages(response.wsgi_request)]
        if any(phrase.lower() in text.lower() for text in said for phrase in FORM_REFUSED):
            return f"the page refused the matrix's body: {said}"
    if role == "anonymous" and endpoint.name not in PUBLIC:
        if endpoint.is_api and status != 401:
            return f"anonymous API call answered {status}, not 401"
        if not endpoint.is_api and not (status == 302 and response["Location"].startswith("/login/")):
            return f"anonymous page answered {status} {response.get('Location', '')}, not a redirect to the login page"
    return None


PUBLIC = {"ping", "healthz", "api:token", "api:schema", "api:docs", "login", "logout"}


def sides(endpoint: Endpoint, method: str) -> tuple[str, ...]:
    return ("own", "other") if endpoint.params or (endpoint.name, method) in SIDED else ("own",)


def observe(world: World, endpoint: Endpoint, method: str, side: str) -> list:
    """The responses of every role (in ROLES order) to one method of `endpoint` on one side of the world."""
    path = "/" + endpoint.route.format(**{p: _param(endpoint, p, world, side) for p in endpoint.params})
    make_body = BODIES.get((endpoint.name, method))
    responses = []
    for role in ROLES:
        body = make_body(world, side) if make_body is not None else None  # fresh: an upload is read once
        responses.append((path, _call(_client(world, role), endpoint, method, path, body)))
    return responses


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.id for e in ENDPOINTS])
def test_every_role_gets_the_expected_status_on_own_and_other_objects(world, endpoint):
    problems = []
    cells = 0
    for method in endpoint.methods:
        for side in sides(endpoint, method):
            expected = _expected(endpoint, method, side)
            before = len(problems)
            observed = observe(world, endpoint, method, side)
            for column, (role, (path, response)) in enumerate(zip(ROLES, observed, strict=True)):
                cells += 1
                problem = _generic_problem(endpoint, role, response)
                if problem is None and expected is not None and str(response.status_code) != expected[column]:
                    problem = f"answered {response.status_code}, expected {expected[column]}"
                if problem:
                    problems.append(f"{method.upper()} {path} as {role} ({side}): {problem}")
            if expected is not None and len(problems) > before:
                row = " ".join(str(r.status_code) for _p, r in observed)
                problems.append(f"  observed {method.upper()} {side}: {row}")
    assert cells >= len(ROLES)
    assert not problems, "\n".join(problems)


def test_the_expectation_table_names_only_existing_urls():
    known = {(e.name, m) for e in ENDPOINTS for m in e.methods}
    assert set(EXPECTED) <= known, sorted(set(EXPECTED) - known)
    assert set(BODIES) <= known, sorted(set(BODIES) - known)


def test_no_cell_expects_a_bad_request():
    """Every body is valid, so a 400 could only mean the body decided the cell instead of the role check. The one
    exception: the other side's id in the body of UNKNOWN_ID_IN_BODY, refused as unknown (the same answer as an id that
    does not exist, so it tells nothing), which still fails the cell if the scope filter goes (it becomes a 2xx)."""
    bad = []
    for key, spec in EXPECTED.items():
        rows = spec.split("/")
        own, other = rows[0].split(), rows[-1].split()
        if "400" in own or ("400" in other and key not in UNKNOWN_ID_IN_BODY):
            bad.append(key)
    assert not bad


def test_every_write_with_an_expected_row_sends_a_valid_body():
    writes = {key for key in EXPECTED if key[1] in ("post", "patch", "put")}
    bodyless = {("logout", "post")} - set(BODIES)
    assert not sorted(writes - set(BODIES) - bodyless)


def test_the_matrix_covers_api_and_pages_of_every_app():
    names = {e.name.split(":")[0] for e in ENDPOINTS if ":" in e.name}
    assert {"api", "approvals", "cases", "licenses", "subscriptions", "kpis", "search"} <= names
    assert sum(e.is_api for e in ENDPOINTS) >= 50

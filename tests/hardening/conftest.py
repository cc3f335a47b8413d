"""A small two-sided world for the hardening tests: everything exists once on the AMER ("own") side and once on
the EMEA ("other") side, with one user per role."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pytest

from ordermgmt.models import User
from tests.ordermgmt.factories import (
    BillingFactory,
    ManagerFactory,
    RepFactory,
    SpecialistFactory,
    UserFactory,
    ready_opportunity,
    region,
)

ROLES = (
    "sales_rep",
    "specialist",
    "billing",
    "deal_desk",
    "support_engineering",
    "manager",
    "integration",
    "anonymous",
)


@dataclass
class Side:
    """The objects of one side of the world (AMER = own, EMEA = other)."""

    region: str
    rep: User
    specialist: User
    opportunity: object
    document: object
    case: object
    ticket: object
    subscription: object
    invoice: object
    discrepancy: object
    run: object
    account: object
    contact: object
    extra: dict = field(default_factory=dict)


@dataclass
class World:
    own: Side
    other: Side
    users: dict[str, User | None]


def _seed_teams() -> None:
    from django.apps import apps

    importlib.import_module("cases.migrations.0002_seed_teams").seed(apps, None)

    importlib.import_module("cases.migrations.0003_team_member_role").set_team_roles(apps, None)


def _side(code: str, rep: User, specialist: User, billing: User) -> Side:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from approvals import services as approvals
    from cases import services as cases
    from licenses.models import LicenseReviewRun
    from ordermgmt.services import api_token_issue
    from search.services import saved_filter_save
    from subscriptions import services as subscriptions
    from tests.licenses.factories import LicenseTicketFactory, closed_won
    from tests.ordermgmt.factories import PDF_BYTES
    from tests.subscriptions.factories import InvoiceFactory, RenewalFactory, SubscriptionFactory

    opp = ready_opportunity(owner=rep, name=f"Secret {code} deal of {rep.username}")
    approvals.approval_submit(opportunity_id=opp.pk, actor=rep)
    case = cases.case_open(
        opportunity_id=opp.pk,
        actor=rep,
        team="deal_desk",
        request_type="basic_quote_assistance",
        subject=f"Quote help {code}",
        details="The discount line is wrong.",
        field_values={"quote_number": "Q-000123"},
    )
    won = closed_won(owner=rep, name=f"Won {code} deal of {rep.username}")
    ticket = LicenseTicketFactory(opportunity=won)
    sub = SubscriptionFactory(account=opp.account, carr=Decimal("500.00"), name=f"A-S-{code}")
    RenewalFactory(subscription=sub, owner=rep, arr_basis=Decimal("400.00"), account=opp.account)
    invoice = InvoiceFactory(opportunity=won, account=won.account, number=f"INV-{code}")
    run = subscriptions.reconciliation_run_create(kind="renewals", as_of=date(2026, 11, 2), enqueue=False)
    subscriptions.reconciliation_run_execute(run_id=run.pk)
    discrepancy = run.discrepancies.filter(subscription=sub).first()
    # What the newer endpoints act on: a pending correction of the Closed Won deal, a thread message with a file,
    # the rep's API token and saved view, a license review run of the region.
    correction = approvals.correction_open(
        opportunity_id=won.pk, actor=billing, reason="Net ARR left out the ramp", changes={"net_arr": "900.00"}
    )
    comment = approvals.opportunity_comment_add(
        opportunity_id=opp.pk,
        actor=rep,
        body="The signed order form is attached.",
        upload=SimpleUploadedFile("order-form.pdf", PDF_BYTES, content_type="application/pdf"),
    )
    token, _plain = api_token_issue(user=rep, name=f"{code} laptop")
    saved = saved_filter_save(user=rep, list_name="opportunities", name=f"{code} drafts", query="approval_status=draft")
    license_run = LicenseReviewRun.objects.create(region_id=code, as_of=date(2026, 11, 2))
    return Side(
        region=code,
        rep=rep,
        specialist=specialist,
        opportunity=opp,
        document=opp.documents.first(),
        case=case,
        ticket=ticket,
        subscription=sub,
        invoice=invoice,
        discrepancy=discrepancy,
        run=run,
        account=opp.account,
        contact=opp.account.contacts.first(),
        extra={
            "won": won,
            "correction": correction,
            "comment": comment,
            "token": token,
            "saved_filter": saved,
            "license_run": license_run,
        },
    )


def build_world() -> World:
    """Two reps (AMER, EMEA) with a submitted opportunity, a case, a license ticket, billing records each."""
    from cases.models import Team

    _seed_teams()
    rep = RepFactory(username="rep_own")
    specialist = SpecialistFactory(username="spec_own")
    other_rep = RepFactory(username="rep_other", region=region("EMEA"))
    other_specialist = SpecialistFactory(username="spec_other", region=region("EMEA"))
    deal_desk = UserFactory(username="deal_desk", role=User.Role.DEAL_DESK)
    Team.objects.get(code="deal_desk").members.add(deal_desk)
    users = {
        "sales_rep": rep,
        "specialist": specialist,
        "billing": BillingFactory(username="billing"),
        "deal_desk": deal_desk,
        "support_engineering": UserFactory(username="support_eng", role=User.Role.SUPPORT_ENGINEERING),
        "manager": ManagerFactory(username="manager"),
        "integration": UserFactory(username="integration", role=User.Role.INTEGRATION),
        "anonymous": None,
    }
    own = _side("AMER", rep, specialist, users["billing"])
    other = _side("EMEA", other_rep, other_specialist, users["billing"])
    # Webhooks belong to no region: one endpoint with one (test) delivery, the same on both sides.
    from webhooks.services import webhook_endpoint_create, webhook_test_send

    endpoint, _secret = webhook_endpoint_create(
        actor=users["manager"], url="https://hooks.example.com/om", event_kinds=["opportunity.submitted"]
    )
    delivery = webhook_test_send(actor=users["manager"], endpoint_id=endpoint.pk)
    for side in (own, other):
        side.extra.update(webhook=endpoint, webhook_delivery=delivery)
    return World(own=own, other=other, users=users)


@pytest.fixture
def world(db):
    return build_world()

"""Factories of the licenses app (shared ones come from tests.ordermgmt.factories), the week their deals close
in, and the review as the tests run it."""

from datetime import UTC, date, datetime

import factory
from factory.django import DjangoModelFactory

from licenses import services
from licenses.models import LicenseDelivery, LicenseReviewRun, LicenseTicket
from ordermgmt.models import Opportunity, User
from tests.ordermgmt.factories import ContactFactory, OpportunityFactory, QuoteFactory, UserFactory

MON, TUE, WED = date(2026, 9, 14), date(2026, 9, 15), date(2026, 9, 16)  # a week with no AMER holiday around it


def review(as_of: date, code: str = "AMER", **kwargs) -> LicenseReviewRun:
    """Review one region as of a day, forced (a finished run of the same day runs again); returns its run."""
    (run,) = services.license_review_run(region=code, as_of=as_of, force=True, **kwargs)
    return run


class SupportEngineerFactory(UserFactory):
    role = User.Role.SUPPORT_ENGINEERING


class IntegrationUserFactory(UserFactory):
    role = User.Role.INTEGRATION


class ClosedWonOpportunityFactory(OpportunityFactory):
    """A Closed Won, self-managed deal closed on `close_date`, waiting for its license."""

    stage = Opportunity.Stage.CLOSED_WON
    approval_status = Opportunity.ApprovalStatus.CLOSED_WON
    close_date = MON


def closed_won(*, sold_to_email: str | None = "buyer@customer.example", quote: bool = True, **kwargs) -> Opportunity:
    """A Closed Won opportunity with a primary quote whose Sold To contact has `sold_to_email` ("" = no email)."""
    opp = ClosedWonOpportunityFactory(**kwargs)
    if quote:
        contact = ContactFactory(account=opp.account, email=sold_to_email or "")
        QuoteFactory(opportunity=opp, sold_to_contact=contact, bill_to_contact=contact)
    return opp


class LicenseDeliveryFactory(DjangoModelFactory):
    class Meta:
        model = LicenseDelivery

    external_id = factory.Sequence(lambda n: f"LIC-{n:07d}")
    opportunity = None
    subscription_name = ""
    sold_to_email = "buyer@customer.example"
    delivered_at = datetime(2026, 9, 14, 15, 0, tzinfo=UTC)


class LicenseTicketFactory(DjangoModelFactory):
    class Meta:
        model = LicenseTicket

    opportunity = factory.SubFactory(ClosedWonOpportunityFactory)
    region = factory.SelfAttribute("opportunity.region")
    route_to_market = factory.SelfAttribute("opportunity.route_to_market")
    reason = LicenseTicket.Reason.NO_DELIVERY
    sold_to_email = "buyer@customer.example"

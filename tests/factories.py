"""factory_boy factories for every model."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import factory
from django.core.files.base import ContentFile
from factory.django import DjangoModelFactory

from ordermgmt.models import Account, Contact, Document, Notification, Opportunity, Quote, Region, User
from subscriptions.models import Subscription

PASSWORD = "test-pass-123"
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def region(code: str = "AMER") -> Region:
    return Region.objects.get(pk=code)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = User.Role.SALES_REP
    region = factory.LazyAttribute(lambda u: Region.objects.get(pk="AMER") if u.role in User.REGIONAL_ROLES else None)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(self, create, extracted, **kwargs):
        if create:
            self.save()


class RepFactory(UserFactory):
    role = User.Role.SALES_REP


class SpecialistFactory(UserFactory):
    role = User.Role.SPECIALIST


class ManagerFactory(UserFactory):
    role = User.Role.MANAGER


class BillingFactory(UserFactory):
    role = User.Role.BILLING


class AccountFactory(DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Customer {n} Inc")
    region = factory.LazyFunction(lambda: Region.objects.get(pk="AMER"))
    country = "US"
    billing_address = "1 Main Street, Springfield"


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"contact{n}@customer.example")


class SubscriptionFactory(DjangoModelFactory):
    class Meta:
        model = Subscription

    name = factory.Sequence(lambda n: f"A-S{n:07d}")
    account = factory.SubFactory(AccountFactory)
    term_start = date(2025, 12, 1)
    term_end = date(2026, 11, 30)
    carr = Decimal("12000.00")


class OpportunityFactory(DjangoModelFactory):
    class Meta:
        model = Opportunity

    name = factory.Sequence(lambda n: f"Opportunity {n}")
    owner = factory.SubFactory(RepFactory)
    account = factory.SubFactory(AccountFactory, region=factory.SelfAttribute("..region"))
    region = factory.LazyAttribute(lambda o: o.owner.region or Region.objects.get(pk="AMER"))
    type = Opportunity.Type.NEW_BUSINESS
    deployment = Opportunity.Deployment.SELF_MANAGED
    route_to_market = Opportunity.Route.DIRECT
    stage = Opportunity.Stage.AWAITING_SIGNATURE
    amount = Decimal("12000.00")
    net_arr = Decimal("12000.00")
    arr_basis = Decimal("0")
    start_date = factory.LazyFunction(lambda: date(2026, 12, 1))
    end_date = factory.LazyAttribute(lambda o: o.start_date + timedelta(days=364) if o.start_date else None)
    closed_won_reason = "Product fit"
    closed_won_details = "Chose us for the CI/CD features."
    competitors = "Other Vendor"
    executed_agreement_type = Opportunity.AgreementType.SIGNED_ORDER_FORM


class QuoteFactory(DjangoModelFactory):
    class Meta:
        model = Quote

    opportunity = factory.SubFactory(OpportunityFactory)
    is_primary = True
    number = factory.Sequence(lambda n: f"Q-{n:06d}")
    sold_to_contact = factory.SubFactory(ContactFactory, account=factory.SelfAttribute("..opportunity.account"))
    bill_to_contact = factory.SelfAttribute("sold_to_contact")
    amount = factory.SelfAttribute("opportunity.amount")
    start_date = factory.SelfAttribute("opportunity.start_date")
    term_months = 12
    payment_terms = Quote.PaymentTerms.NET_30
    approved = True


class DocumentFactory(DjangoModelFactory):
    class Meta:
        model = Document

    opportunity = factory.SubFactory(OpportunityFactory)
    kind = Document.Kind.SIGNED_ORDER_FORM
    file = factory.LazyFunction(lambda: ContentFile(PDF_BYTES, name="order-form.pdf"))
    original_name = "order-form.pdf"
    content_type = "application/pdf"
    size = len(PDF_BYTES)
    uploaded_by = factory.SelfAttribute("opportunity.owner")


class NotificationFactory(DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(RepFactory)
    verb = "info"
    message = "Something happened"


def ready_opportunity(**kwargs) -> Opportunity:
    """A Direct New Business opportunity at stage 6 that meets every booking requirement."""
    opp = OpportunityFactory(**kwargs)
    QuoteFactory(opportunity=opp)
    DocumentFactory(opportunity=opp, kind=Document.Kind.SIGNED_ORDER_FORM)
    return opp


class SubmissionFactory(DjangoModelFactory):
    """A submission waiting in its region's queue (prefer `approvals.services.approval_submit` in workflow tests)."""

    class Meta:
        model = "approvals.Submission"

    opportunity = factory.SubFactory(OpportunityFactory, stage="7-closing", approval_status="submitted")
    submitted_by = factory.SelfAttribute("opportunity.owner")
    submitted_at = factory.LazyFunction(lambda: datetime(2026, 12, 1, 18, 0, tzinfo=UTC))
    region = factory.SelfAttribute("opportunity.region")
    start_date = factory.SelfAttribute("opportunity.start_date")
    net_arr = factory.SelfAttribute("opportunity.net_arr")
    amount = factory.SelfAttribute("opportunity.amount")
    clock_started_at = factory.SelfAttribute("submitted_at")
    sla_at_risk_at = factory.LazyAttribute(lambda s: s.submitted_at + timedelta(hours=9))
    sla_due_at = factory.LazyAttribute(lambda s: s.submitted_at + timedelta(hours=12))


class DecisionFactory(DjangoModelFactory):
    class Meta:
        model = "approvals.Decision"

    submission = factory.SubFactory(SubmissionFactory, state="om_approved")
    stage = "om"
    outcome = "approved"
    actor = factory.SubFactory(SpecialistFactory)
    decided_at = factory.LazyAttribute(lambda d: d.submission.submitted_at + timedelta(hours=3))
    business_hours = Decimal("3.00")


class RegionClosureFactory(DjangoModelFactory):
    class Meta:
        model = "ordermgmt.RegionClosure"

    region = factory.LazyFunction(lambda: Region.objects.get(pk="AMER"))
    date = date(2026, 12, 24)
    reason = "Company day off"

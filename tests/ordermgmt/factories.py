"""factory_boy factories of the shared records (ordermgmt): people, accounts, contacts, opportunities, quotes,
documents, notifications, closures."""

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.core.files.base import ContentFile
from factory.django import DjangoModelFactory

from ordermgmt.models import Account, Contact, Document, Notification, Opportunity, Quote, Region, User

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


class RegionClosureFactory(DjangoModelFactory):
    class Meta:
        model = "ordermgmt.RegionClosure"

    region = factory.LazyFunction(lambda: Region.objects.get(pk="AMER"))
    date = date(2026, 12, 24)
    reason = "Company day off"

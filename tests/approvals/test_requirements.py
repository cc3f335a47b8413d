"""The booking requirements engine: every rule met and unmet, where it applies, and the registry itself."""

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Prefetch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from approvals import requirements
from approvals.requirements import (
    OTHER_REASON,
    REGISTRY,
    Deal,
    rejection_reason_codes,
    rejection_reasons,
    requirement,
)
from ordermgmt.models import Document, Opportunity, Quote
from tests.ordermgmt.factories import (
    AccountFactory,
    ContactFactory,
    DocumentFactory,
    OpportunityFactory,
    QuoteFactory,
    ready_opportunity,
)
from tests.subscriptions.factories import SubscriptionFactory


def evaluate(opp: Opportunity):
    """The engine on a saved opportunity's inputs (its primary quote and documents' kinds)."""
    return requirements.evaluate(Deal.of(opp))


def unmet(opp: Opportunity):
    return requirements.unmet(Deal.of(opp))


pytestmark = pytest.mark.django_db

Route = Opportunity.Route
Type = Opportunity.Type
Stage = Opportunity.Stage
Agreement = Opportunity.AgreementType
Kind = Document.Kind

# SPEC.md "Booking requirements", as codes.
EVERY_ROUTE = {
    "stage_awaiting_signature",
    "closed_won_reason",
    "executed_agreement_type",
    "primary_quote_approved",
    "quote_contacts",
    "quote_start_and_term",
    "amount_matches_quote",
}
BY_ROUTE = {
    Route.DIRECT: {"no_direct_india", "signed_order_form"},  # + purchase_order_or_no_po_email when PO-required
    Route.RESELLER: {"reseller_purchase_order", "eula_acceptance"},
    Route.AWS_PRIVATE_OFFER: {"private_offer_acceptance"},
    Route.GCP_PRIVATE_OFFER: {"private_offer_acceptance"},  # + gcp_multi_year_order_form when the term > 12 months
    Route.IBM_OEM: {"ibm_notification"},
    Route.PUBLIC_SECTOR: {"distributor_po", "po_amount_matches_quote", "po_number_on_quote"},
    Route.PROFESSIONAL_SERVICES: {"signed_sow", "standalone_opportunity"},
}
ALL_CODES = (
    EVERY_ROUTE
    | set().union(*BY_ROUTE.values())
    | {"competitors", "executed_agreement_link", "purchase_order_or_no_po_email", "gcp_multi_year_order_form"}
)

# What a route needs attached (and on the opportunity / quote) to meet all of its requirements.
ROUTE_DOCS = {
    Route.DIRECT: [Kind.SIGNED_ORDER_FORM],
    Route.RESELLER: [Kind.PURCHASE_ORDER, Kind.EULA_ACCEPTANCE],
    Route.AWS_PRIVATE_OFFER: [Kind.PRIVATE_OFFER_ACCEPTANCE],
    Route.GCP_PRIVATE_OFFER: [Kind.PRIVATE_OFFER_ACCEPTANCE],
    Route.IBM_OEM: [Kind.IBM_NOTIFICATION],
    Route.PUBLIC_SECTOR: [Kind.PURCHASE_ORDER],
    Route.PROFESSIONAL_SERVICES: [Kind.SOW],
}
ROUTE_OPP = {Route.PROFESSIONAL_SERVICES: {"net_arr": Decimal("0")}}
ROUTE_QUOTE = {Route.PUBLIC_SECTOR: {"po_number": "PO-4711", "po_amount": Decimal("12000.00")}}


def make(route=Route.DIRECT, *, docs=None, quote=True, quote_kwargs=None, **opp_kwargs) -> Opportunity:
    """An opportunity on `route` meeting every requirement, unless the arguments take something away."""
    opp = OpportunityFactory(route_to_market=route, **{**ROUTE_OPP.get(route, {}), **opp_kwargs})
    if quote:
        QuoteFactory(opportunity=opp, **{**ROUTE_QUOTE.get(route, {}), **(quote_kwargs or {})})
    for kind in ROUTE_DOCS[route] if docs is None else docs:
        DocumentFactory(opportunity=opp, kind=kind)
    return opp


def status(opp: Opportunity, code: str) -> bool | None:
    """Whether the rule `code` is met for `opp`; None when it does not apply."""
    results = {result.code: result for result in evaluate(opp)}
    return results[code].met if code in results else None


def unmet_codes(opp: Opportunity) -> set[str]:
    return {result.code for result in unmet(opp)}


# --- the registry as a whole --------------------------------------------------------------------------------------


def test_registry_holds_exactly_the_specified_rules():
    assert set(REGISTRY) == ALL_CODES
    for code, rule in REGISTRY.items():
        assert rule.code == code
        assert rule.label.strip()
        assert rule.field


def test_ready_opportunity_meets_every_requirement():
    opp = ready_opportunity()
    assert unmet(opp) == []
    results = evaluate(opp)
    assert {r.code for r in results} == EVERY_ROUTE | BY_ROUTE[Route.DIRECT] | {"competitors"}
    assert all(r.met for r in results)


@pytest.mark.parametrize("route", Route.values)
def test_each_route_applies_exactly_its_rules_and_can_meet_them_all(route):
    opp = make(route)
    assert unmet(opp) == []
    assert [r.code for r in evaluate(opp)] == [
        code for code in REGISTRY if code in EVERY_ROUTE | BY_ROUTE[route] | {"competitors"}
    ]


def test_results_carry_the_rules_label_and_field():
    opp = make(Route.PUBLIC_SECTOR, docs=[])
    for result in evaluate(opp):
        assert (result.label, result.field) == (REGISTRY[result.code].label, REGISTRY[result.code].field)
    assert {r.code: r.field for r in unmet(opp)} == {"distributor_po": "documents"}


def test_rejection_reasons_are_every_code_plus_other():
    reasons = rejection_reasons()
    assert reasons == [(rule.code, rule.label) for rule in REGISTRY.values()] + [OTHER_REASON]
    assert reasons[-1][0] == "other"
    assert len({code for code, _ in reasons}) == len(reasons)
    assert rejection_reason_codes() == ALL_CODES | {"other"}


# --- every route: one rule at a time ------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", Stage.values)
def test_stage_awaiting_signature(stage):
    opp = make(stage=stage)
    expected = stage in (Stage.AWAITING_SIGNATURE, Stage.CLOSING, Stage.CLOSED_WON)
    assert status(opp, "stage_awaiting_signature") is expected
    assert unmet_codes(opp) == (set() if expected else {"stage_awaiting_signature"})


def test_stage_rule_applies_on_every_route():
    assert status(make(Route.IBM_OEM, stage=Stage.NEGOTIATING), "stage_awaiting_signature") is False


@pytest.mark.parametrize(
    ("reason", "details", "met"),
    [
        ("Product fit", "Chose us for CI/CD.", True),
        ("", "Chose us for CI/CD.", False),
        ("   ", "Chose us for CI/CD.", False),
        ("Product fit", "", False),
        ("Product fit", " \n\t", False),
    ],
)
def test_closed_won_reason(reason, details, met):
    opp = make(Route.RESELLER, closed_won_reason=reason, closed_won_details=details)
    assert status(opp, "closed_won_reason") is met
    assert unmet_codes(opp) == (set() if met else {"closed_won_reason"})


@pytest.mark.parametrize(("competitors", "met"), [("Other Vendor", True), ("", False), ("  ", False)])
def test_competitors_on_new_business(competitors, met):
    opp = make(type=Type.NEW_BUSINESS, competitors=competitors)
    assert status(opp, "competitors") is met


@pytest.mark.parametrize("opp_type", [Type.ADD_ON, Type.RENEWAL])
def test_competitors_do_not_apply_to_add_ons_and_renewals(opp_type):
    opp = make(type=opp_type, competitors="")
    assert status(opp, "competitors") is None
    assert unmet(opp) == []


@pytest.mark.parametrize("agreement", [None, ""])
def test_executed_agreement_type_missing(agreement):
    opp = make(executed_agreement_type=agreement)
    assert status(opp, "executed_agreement_type") is False
    assert unmet_codes(opp) == {"executed_agreement_type"}


@pytest.mark.parametrize("agreement", Agreement.values)
def test_executed_agreement_type_any_value(agreement):
    opp = make(executed_agreement_type=agreement, executed_agreement_link="https://docs.example/contract")
    assert status(opp, "executed_agreement_type") is True


@pytest.mark.parametrize("agreement", [Agreement.CLIENT_FORM, Agreement.OTHER])
def test_executed_agreement_link_needed_for_client_form_and_other(agreement):
    without = make(executed_agreement_type=agreement, executed_agreement_link="")
    assert status(without, "executed_agreement_link") is False
    assert unmet_codes(without) == {"executed_agreement_link"}
    with_link = make(executed_agreement_type=agreement, executed_agreement_link="https://docs.example/contract")
    assert status(with_link, "executed_agreement_link") is True


@pytest.mark.parametrize(
    "agreement", [a for a in Agreement.values if a not in (Agreement.CLIENT_FORM, Agreement.OTHER)] + [None]
)
def test_executed_agreement_link_not_needed_for_other_types(agreement):
    assert (
        status(make(executed_agreement_type=agreement, executed_agreement_link=""), "executed_agreement_link") is None
    )


def test_primary_quote_approved():
    assert status(make(), "primary_quote_approved") is True
    not_approved = make(quote_kwargs={"approved": False})
    assert status(not_approved, "primary_quote_approved") is False
    assert unmet_codes(not_approved) == {"primary_quote_approved"}


def test_without_any_quote_every_quote_rule_is_unmet():
    opp = make(quote=False)
    assert unmet_codes(opp) == {
        "primary_quote_approved",
        "quote_contacts",
        "quote_start_and_term",
        "amount_matches_quote",
    }


def test_only_the_primary_quote_counts():
    opp = make(quote_kwargs={"approved": False})
    QuoteFactory(opportunity=opp, is_primary=False, approved=True)
    assert status(opp, "primary_quote_approved") is False
    non_primary_only = make(quote=False)
    QuoteFactory(opportunity=non_primary_only, is_primary=False)
    assert status(non_primary_only, "primary_quote_approved") is False


@pytest.mark.parametrize(
    ("sold_to_email", "bill_to_email", "met"),
    [
        ("sold@customer.example", "bill@customer.example", True),
        ("", "bill@customer.example", False),
        ("sold@customer.example", "", False),
        (None, "bill@customer.example", False),  # None: no contact at all
        ("sold@customer.example", None, False),
    ],
)
def test_quote_contacts(sold_to_email, bill_to_email, met):
    account = AccountFactory()
    sold_to = None if sold_to_email is None else ContactFactory(account=account, email=sold_to_email)
    bill_to = None if bill_to_email is None else ContactFactory(account=account, email=bill_to_email)
    opp = make(account=account, quote_kwargs={"sold_to_contact": sold_to, "bill_to_contact": bill_to})
    assert status(opp, "quote_contacts") is met
    assert unmet_codes(opp) == (set() if met else {"quote_contacts"})


@pytest.mark.parametrize(
    ("quote_kwargs", "met"),
    [({}, True), ({"start_date": None}, False), ({"term_months": None}, False)],
)
def test_quote_start_and_term(quote_kwargs, met):
    opp = make(quote_kwargs=quote_kwargs)
    assert status(opp, "quote_start_and_term") is met
    assert unmet_codes(opp) == (set() if met else {"quote_start_and_term"})


@pytest.mark.parametrize(("quote_amount", "met"), [("12000.00", True), ("12000.01", False), ("11999.99", False)])
def test_amount_matches_quote(quote_amount, met):
    opp = make(amount=Decimal("12000.00"), quote_kwargs={"amount": Decimal(quote_amount)})
    assert status(opp, "amount_matches_quote") is met
    assert unmet_codes(opp) == (set() if met else {"amount_matches_quote"})


@pytest.mark.parametrize(("country", "met"), [("US", True), ("GB", True), ("IN", False)])
def test_no_direct_india(country, met):
    opp = make(account=AccountFactory(country=country))
    assert status(opp, "no_direct_india") is met


@pytest.mark.parametrize("route", [r for r in Route.values if r != Route.DIRECT])
def test_india_is_fine_on_indirect_routes(route):
    opp = make(route, account=AccountFactory(country="IN"))
    assert status(opp, "no_direct_india") is None
    assert unmet(opp) == []


# --- Direct ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("docs", "met"),
    [([Kind.SIGNED_ORDER_FORM], True), ([], False), ([Kind.PURCHASE_ORDER, Kind.OTHER], False)],
)
def test_signed_order_form_on_direct(docs, met):
    opp = make(docs=docs)
    assert status(opp, "signed_order_form") is met
    assert unmet_codes(opp) == (set() if met else {"signed_order_form"})


@pytest.mark.parametrize(
    ("extra", "met"),
    [
        ([Kind.PURCHASE_ORDER], True),
        ([Kind.NO_PO_EMAIL], True),
        ([], False),
        ([Kind.OTHER, Kind.EULA_ACCEPTANCE], False),
    ],
)
def test_purchase_order_or_no_po_email_when_po_required(extra, met):
    opp = make(po_required=True, docs=[Kind.SIGNED_ORDER_FORM, *extra])
    assert status(opp, "purchase_order_or_no_po_email") is met
    assert unmet_codes(opp) == (set() if met else {"purchase_order_or_no_po_email"})


def test_purchase_order_rule_applies_only_to_po_required_direct_deals():
    assert status(make(po_required=False), "purchase_order_or_no_po_email") is None
    assert (
        status(
            make(Route.RESELLER, po_required=True, docs=[Kind.EULA_ACCEPTANCE, Kind.SIGNED_ORDER_FORM]),
            "purchase_order_or_no_po_email",
        )
        is None
    )


# --- Reseller / Distributor / MSP --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("docs", "met"),
    [
        ([Kind.EULA_ACCEPTANCE, Kind.PURCHASE_ORDER], True),
        ([Kind.EULA_ACCEPTANCE, Kind.SIGNED_ORDER_FORM], True),
        ([Kind.EULA_ACCEPTANCE], False),
        ([Kind.EULA_ACCEPTANCE, Kind.NO_PO_EMAIL], False),
    ],
)
def test_reseller_purchase_order(docs, met):
    opp = make(Route.RESELLER, docs=docs)
    assert status(opp, "reseller_purchase_order") is met
    assert unmet_codes(opp) == (set() if met else {"reseller_purchase_order"})


@pytest.mark.parametrize(
    ("docs", "met"), [([Kind.PURCHASE_ORDER, Kind.EULA_ACCEPTANCE], True), ([Kind.PURCHASE_ORDER], False)]
)
def test_eula_acceptance(docs, met):
    opp = make(Route.RESELLER, docs=docs)
    assert status(opp, "eula_acceptance") is met
    assert unmet_codes(opp) == (set() if met else {"eula_acceptance"})


# --- AWS / GCP private offers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", [Route.AWS_PRIVATE_OFFER, Route.GCP_PRIVATE_OFFER])
def test_private_offer_acceptance(route):
    assert status(make(route), "private_offer_acceptance") is True
    missing = make(route, docs=[Kind.SIGNED_ORDER_FORM])
    assert status(missing, "private_offer_acceptance") is False
    assert unmet_codes(missing) == {"private_offer_acceptance"}


@pytest.mark.parametrize(
    ("docs", "met"),
    [([Kind.PRIVATE_OFFER_ACCEPTANCE, Kind.SIGNED_ORDER_FORM], True), ([Kind.PRIVATE_OFFER_ACCEPTANCE], False)],
)
@pytest.mark.parametrize("term", [13, 36])
def test_gcp_multi_year_needs_a_signed_order_form(term, docs, met):
    opp = make(Route.GCP_PRIVATE_OFFER, docs=docs, quote_kwargs={"term_months": term})
    assert status(opp, "gcp_multi_year_order_form") is met
    assert unmet_codes(opp) == (set() if met else {"gcp_multi_year_order_form"})


def test_gcp_multi_year_rule_applies_only_to_gcp_deals_over_twelve_months():
    assert status(make(Route.GCP_PRIVATE_OFFER, quote_kwargs={"term_months": 12}), "gcp_multi_year_order_form") is None
    assert status(make(Route.GCP_PRIVATE_OFFER, quote=False), "gcp_multi_year_order_form") is None
    assert status(make(Route.AWS_PRIVATE_OFFER, quote_kwargs={"term_months": 36}), "gcp_multi_year_order_form") is None


# --- IBM OEM, Public Sector, Professional Services ---------------------------------------------------------------


def test_ibm_notification():
    assert status(make(Route.IBM_OEM), "ibm_notification") is True
    missing = make(Route.IBM_OEM, docs=[Kind.OTHER])
    assert status(missing, "ibm_notification") is False
    assert unmet_codes(missing) == {"ibm_notification"}


def test_distributor_po():
    assert status(make(Route.PUBLIC_SECTOR), "distributor_po") is True
    missing = make(Route.PUBLIC_SECTOR, docs=[Kind.SIGNED_ORDER_FORM])
    assert status(missing, "distributor_po") is False
    assert unmet_codes(missing) == {"distributor_po"}


@pytest.mark.parametrize(
    ("po_amount", "met"),
    [
        ("12000.00", True),
        ("12001.00", True),
        ("11999.00", True),
        ("12001.01", False),
        ("11998.99", False),
        (None, False),
    ],
)
def test_po_amount_within_a_dollar_of_the_quote(po_amount, met):
    opp = make(Route.PUBLIC_SECTOR, quote_kwargs={"po_amount": None if po_amount is None else Decimal(po_amount)})
    assert status(opp, "po_amount_matches_quote") is met
    assert unmet_codes(opp) == (set() if met else {"po_amount_matches_quote"})


@pytest.mark.parametrize(("po_number", "met"), [("PO-4711", True), ("", False), ("   ", False)])
def test_po_number_on_quote(po_number, met):
    opp = make(Route.PUBLIC_SECTOR, quote_kwargs={"po_number": po_number})
    assert status(opp, "po_number_on_quote") is met
    assert unmet_codes(opp) == (set() if met else {"po_number_on_quote"})


def test_public_sector_without_a_quote():
    opp = make(Route.PUBLIC_SECTOR, quote=False)
    assert status(opp, "po_amount_matches_quote") is False
    assert status(opp, "po_number_on_quote") is False


def test_signed_sow():
    assert status(make(Route.PROFESSIONAL_SERVICES), "signed_sow") is True
    missing = make(Route.PROFESSIONAL_SERVICES, docs=[Kind.SIGNED_ORDER_FORM])
    assert status(missing, "signed_sow") is False
    assert unmet_codes(missing) == {"signed_sow"}


@pytest.mark.parametrize(("net_arr", "met"), [("0", True), ("0.00", True), ("100.00", False), ("-5.00", False)])
def test_standalone_services_opportunity_has_no_net_arr(net_arr, met):
    opp = make(Route.PROFESSIONAL_SERVICES, net_arr=Decimal(net_arr))
    assert status(opp, "standalone_opportunity") is met
    assert unmet_codes(opp) == (set() if met else {"standalone_opportunity"})


def test_standalone_services_opportunity_has_no_subscription():
    account = AccountFactory()
    opp = make(Route.PROFESSIONAL_SERVICES, account=account, subscription=SubscriptionFactory(account=account))
    assert status(opp, "standalone_opportunity") is False
    assert unmet_codes(opp) == {"standalone_opportunity"}


# --- registering rules -------------------------------------------------------------------------------------------


@pytest.fixture
def scratch_registry():
    """Lets a test register rules; REGISTRY is put back exactly as it was (same rules, same order) afterwards."""
    before = list(REGISTRY.items())
    yield
    REGISTRY.clear()
    REGISTRY.update(before)
    assert list(REGISTRY.items()) == before


def test_duplicate_code_is_refused(scratch_registry):
    original = REGISTRY["signed_order_form"]
    with pytest.raises(ValueError, match="duplicate booking requirement code 'signed_order_form'"):

        @requirement("signed_order_form", "Another signed order form rule")
        def _again(deal):
            return True

    assert REGISTRY["signed_order_form"] is original
    assert set(REGISTRY) == ALL_CODES


def test_a_new_rule_appears_in_evaluate_and_rejection_reasons(scratch_registry):
    def rule(deal):
        return deal.opportunity.amount >= Decimal("50000")

    decorated = requirement(
        "large_ibm_deal_review",
        "Large IBM deals reviewed",
        routes=[Route.IBM_OEM],
        types=[Type.RENEWAL],
        field="amount",
    )(rule)
    assert decorated is rule
    assert list(REGISTRY)[-1] == "large_ibm_deal_review"

    small = make(Route.IBM_OEM, type=Type.RENEWAL, amount=Decimal("12000.00"))
    assert status(small, "large_ibm_deal_review") is False
    assert [(r.code, r.field) for r in unmet(small)] == [("large_ibm_deal_review", "amount")]
    big = make(
        Route.IBM_OEM, type=Type.RENEWAL, amount=Decimal("60000.00"), quote_kwargs={"amount": Decimal("60000.00")}
    )
    assert status(big, "large_ibm_deal_review") is True
    # its routes and types limit it like any other rule
    assert status(make(Route.IBM_OEM, type=Type.NEW_BUSINESS), "large_ibm_deal_review") is None
    assert status(make(Route.DIRECT, type=Type.RENEWAL), "large_ibm_deal_review") is None

    assert rejection_reasons()[-2:] == [("large_ibm_deal_review", "Large IBM deals reviewed"), OTHER_REASON]
    assert "large_ibm_deal_review" in rejection_reason_codes()

    with pytest.raises(ValueError, match="duplicate"):
        requirement("large_ibm_deal_review", "again")(rule)


def test_a_rule_with_a_when_condition(scratch_registry):
    requirement("needs_link_when_po_required", "Link when PO required", when=lambda deal: deal.opportunity.po_required)(
        lambda deal: bool(deal.opportunity.executed_agreement_link)
    )
    assert status(make(po_required=False), "needs_link_when_po_required") is None
    assert (
        status(
            make(po_required=True, docs=[Kind.SIGNED_ORDER_FORM, Kind.PURCHASE_ORDER]), "needs_link_when_po_required"
        )
        is False
    )


# --- random combinations ------------------------------------------------------------------------------------------


def expected_applicable(opp: Opportunity, quote: Quote | None) -> set[str]:
    """The spec's table, independently of the registry's own `applies_to`."""
    codes = set(EVERY_ROUTE) | BY_ROUTE[opp.route_to_market]
    if opp.type == Type.NEW_BUSINESS:
        codes.add("competitors")
    if opp.executed_agreement_type in (Agreement.CLIENT_FORM, Agreement.OTHER):
        codes.add("executed_agreement_link")
    if opp.route_to_market == Route.DIRECT and opp.po_required:
        codes.add("purchase_order_or_no_po_email")
    if opp.route_to_market == Route.GCP_PRIVATE_OFFER and quote is not None and (quote.term_months or 0) > 12:
        codes.add("gcp_multi_year_order_form")
    return codes


def expected_document_results(opp: Opportunity, kinds: set[str]) -> dict[str, bool]:
    return {
        "signed_order_form": Kind.SIGNED_ORDER_FORM in kinds,
        "purchase_order_or_no_po_email": bool({Kind.PURCHASE_ORDER, Kind.NO_PO_EMAIL} & kinds),
        "reseller_purchase_order": bool({Kind.PURCHASE_ORDER, Kind.SIGNED_ORDER_FORM} & kinds),
        "eula_acceptance": Kind.EULA_ACCEPTANCE in kinds,
        "private_offer_acceptance": Kind.PRIVATE_OFFER_ACCEPTANCE in kinds,
        "gcp_multi_year_order_form": Kind.SIGNED_ORDER_FORM in kinds,
        "ibm_notification": Kind.IBM_NOTIFICATION in kinds,
        "distributor_po": Kind.PURCHASE_ORDER in kinds,
        "signed_sow": Kind.SOW in kinds,
        "no_direct_india": opp.account.country != "IN",
    }


QUOTES = st.none() | st.fixed_dictionaries(
    {
        "approved": st.booleans(),
        "term_months": st.none() | st.integers(1, 60),
        "amount": st.sampled_from([Decimal("12000.00"), Decimal("12000.50"), Decimal("9000.00")]),
        "po_amount": st.none() | st.sampled_from([Decimal("12000.00"), Decimal("12001.00"), Decimal("12005.00")]),
        "po_number": st.sampled_from(["", " ", "PO-1"]),
        "start_date": st.none() | st.just(date(2026, 12, 1)),
    }
)


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    route=st.sampled_from(Route.values),
    opp_type=st.sampled_from(Type.values),
    stage=st.sampled_from(Stage.values),
    po_required=st.booleans(),
    agreement=st.none() | st.just("") | st.sampled_from(Agreement.values),
    link=st.sampled_from(["", "https://docs.example/contract"]),
    country=st.sampled_from(["US", "IN", "GB"]),
    net_arr=st.sampled_from([Decimal("0"), Decimal("100.00")]),
    quote=QUOTES,
    kinds=st.lists(st.sampled_from(Kind.values), max_size=4),
)
def test_evaluate_never_raises_and_only_reports_registered_codes(
    route, opp_type, stage, po_required, agreement, link, country, net_arr, quote, kinds
):
    opp = OpportunityFactory(
        route_to_market=route,
        type=opp_type,
        stage=stage,
        po_required=po_required,
        executed_agreement_type=agreement,
        executed_agreement_link=link,
        account=AccountFactory(country=country),
        net_arr=net_arr,
        competitors="",
    )
    quote_obj = None if quote is None else QuoteFactory(opportunity=opp, **quote)
    for kind in kinds:
        DocumentFactory(opportunity=opp, kind=kind)

    results = evaluate(opp)

    codes = [r.code for r in results]
    assert set(codes) <= set(REGISTRY)
    assert codes == [code for code in REGISTRY if code in codes]  # registry order, no duplicates
    assert set(codes) == expected_applicable(opp, quote_obj)
    assert all(isinstance(r.met, bool) for r in results)
    assert [r for r in results if not r.met] == unmet(opp)
    assert {r.code for r in results if not r.met} <= rejection_reason_codes()
    by_code = {r.code: r.met for r in results}
    for code, met in expected_document_results(opp, set(kinds)).items():
        if code in by_code:
            assert by_code[code] is met, code
    if opp_type == Type.NEW_BUSINESS:
        assert by_code["competitors"] is False
    assert by_code["primary_quote_approved"] is (quote is not None and quote["approved"])

    # The same answers from an opportunity loaded with everything prefetched (as the selectors do).
    loaded = (
        Opportunity.objects.select_related("account")
        .prefetch_related(
            "documents", Prefetch("quotes", queryset=Quote.objects.select_related("sold_to_contact", "bill_to_contact"))
        )
        .get(pk=opp.pk)
    )
    assert evaluate(loaded) == results

"""The booking requirements engine: every requirement is a small named rule in one registry.

The same rules run three times: live on the rep's form, on submit (refusal with the unmet list), and as the
specialist's checklist. Rejection reason codes are the rule codes plus `other`.

Add a rule by writing a function decorated with `@requirement(...)`; nothing else needs to change.
Rules read only their explicit inputs (`Deal`): the opportunity (its fields and its account's country), its primary
quote with the Sold To and Bill To contacts, and the kinds of its documents. `Deal.of(opportunity)` takes them from
a loaded opportunity (`approvals.selectors.opportunity_list` loads them in constant queries); the rep's form passes
the unsaved ones it holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from ordermgmt.models import Document, Opportunity, Quote

Route = Opportunity.Route
Kind = Document.Kind


@dataclass(frozen=True)
class Deal:
    """Everything a booking rule may read."""

    opportunity: Opportunity
    quote: Quote | None
    document_kinds: frozenset[str]

    @classmethod
    def of(cls, opportunity: Opportunity) -> Deal:
        """The inputs of a saved opportunity: its primary quote and its documents' kinds (prefetched or read)."""
        return cls(opportunity, opportunity.primary_quote, frozenset(opportunity.document_kinds()))


@dataclass(frozen=True)
class Requirement:
    code: str
    label: str
    check: Callable[[Deal], bool]
    routes: frozenset[str] | None = None  # None: every route to market
    types: frozenset[str] | None = None  # None: every opportunity type
    when: Callable[[Deal], bool] | None = None  # an extra applicability test
    field: str = "__all__"  # the form/API field a person fixes to meet it

    def applies_to(self, deal: Deal) -> bool:
        opp = deal.opportunity
        return (
            (self.routes is None or opp.route_to_market in self.routes)
            and (self.types is None or opp.type in self.types)
            and (self.when is None or self.when(deal))
        )


@dataclass(frozen=True)
class RequirementResult:
    code: str
    label: str
    met: bool
    field: str


REGISTRY: dict[str, Requirement] = {}
OTHER_REASON = ("other", "Other (see comment)")


def requirement(
    code: str,
    label: str,
    *,
    routes: Iterable[str] | None = None,
    types: Iterable[str] | None = None,
    when: Callable[[Deal], bool] | None = None,
    field: str = "__all__",
):
    """Register the decorated check `fn(deal) -> bool` as a booking requirement."""

    def register(fn: Callable[[Deal], bool]) -> Callable[[Deal], bool]:
        if code in REGISTRY:
            raise ValueError(f"duplicate booking requirement code {code!r}")
        REGISTRY[code] = Requirement(
            code=code,
            label=label,
            check=fn,
            routes=frozenset(routes) if routes is not None else None,
            types=frozenset(types) if types is not None else None,
            when=when,
            field=field,
        )
        return fn

    return register


def evaluate(deal: Deal) -> list[RequirementResult]:
    """Every requirement that applies to `deal`, in registry order, with whether it is met."""
    return [
        RequirementResult(code=r.code, label=r.label, met=bool(r.check(deal)), field=r.field)
        for r in REGISTRY.values()
        if r.applies_to(deal)
    ]


def unmet(deal: Deal) -> list[RequirementResult]:
    return [result for result in evaluate(deal) if not result.met]


def rejection_reasons() -> list[tuple[str, str]]:
    """(code, label) of every requirement, plus `other`."""
    return [(r.code, r.label) for r in REGISTRY.values()] + [OTHER_REASON]


def rejection_reason_codes() -> set[str]:
    return {code for code, _label in rejection_reasons()}


def _has_email(contact) -> bool:
    return bool(contact is not None and contact.email)


# --- every route -------------------------------------------------------------------------------------------

STAGES_AT_OR_AFTER_SIGNATURE = {
    Opportunity.Stage.AWAITING_SIGNATURE,
    Opportunity.Stage.CLOSING,
    Opportunity.Stage.CLOSED_WON,
}


@requirement("stage_awaiting_signature", "Stage is 6-Awaiting Signature when submitted", field="stage")
def _stage(deal: Deal) -> bool:
    return deal.opportunity.stage in STAGES_AT_OR_AFTER_SIGNATURE


@requirement("closed_won_reason", "Closed-won reason and details filled in", field="closed_won_reason")
def _closed_won_reason(deal: Deal) -> bool:
    return bool(deal.opportunity.closed_won_reason.strip() and deal.opportunity.closed_won_details.strip())


@requirement(
    "competitors", "Competitors named (New Business)", types=[Opportunity.Type.NEW_BUSINESS], field="competitors"
)
def _competitors(deal: Deal) -> bool:
    return bool(deal.opportunity.competitors.strip())


@requirement("executed_agreement_type", "Executed agreement type selected", field="executed_agreement_type")
def _agreement_type(deal: Deal) -> bool:
    return bool(deal.opportunity.executed_agreement_type)


@requirement(
    "executed_agreement_link",
    "Link to the executed agreement (Client/Prospect Form or Other)",
    when=lambda deal: (
        deal.opportunity.executed_agreement_type
        in (Opportunity.AgreementType.CLIENT_FORM, Opportunity.AgreementType.OTHER)
    ),
    field="executed_agreement_link",
)
def _agreement_link(deal: Deal) -> bool:
    return bool(deal.opportunity.executed_agreement_link)


@requirement("primary_quote_approved", "A primary quote that is approved", field="primary_quote")
def _quote_approved(deal: Deal) -> bool:
    quote = deal.quote
    return quote is not None and quote.approved


@requirement("quote_contacts", "Sold To and Bill To contacts on the quote, both with an email", field="primary_quote")
def _quote_contacts(deal: Deal) -> bool:
    quote = deal.quote
    return quote is not None and _has_email(quote.sold_to_contact) and _has_email(quote.bill_to_contact)


@requirement("quote_start_and_term", "Quote start date and term filled in", field="primary_quote")
def _quote_start_term(deal: Deal) -> bool:
    quote = deal.quote
    return quote is not None and quote.start_date is not None and bool(quote.term_months)


@requirement("amount_matches_quote", "Opportunity amount equals the primary quote amount", field="amount")
def _amount_matches(deal: Deal) -> bool:
    quote = deal.quote
    return quote is not None and quote.amount == deal.opportunity.amount


@requirement(
    "no_direct_india", "Not a Direct deal with an India-based customer", routes=[Route.DIRECT], field="route_to_market"
)
def _no_direct_india(deal: Deal) -> bool:
    return deal.opportunity.account.country != "IN"


# --- Direct --------------------------------------------------------------------------------------------------


@requirement("signed_order_form", "Signed order form attached", routes=[Route.DIRECT], field="documents")
def _signed_order_form(deal: Deal) -> bool:
    return Kind.SIGNED_ORDER_FORM in deal.document_kinds


@requirement(
    "purchase_order_or_no_po_email",
    'Purchase order attached (PO required), or an "accept invoice without PO" email',
    routes=[Route.DIRECT],
    when=lambda deal: deal.opportunity.po_required,
    field="documents",
)
def _direct_po(deal: Deal) -> bool:
    kinds = deal.document_kinds
    return Kind.PURCHASE_ORDER in kinds or Kind.NO_PO_EMAIL in kinds


# --- Reseller / Distributor / MSP ----------------------------------------------------------------------------


@requirement(
    "reseller_purchase_order",
    "Purchase order attached (or a reseller-signed order form)",
    routes=[Route.RESELLER],
    field="documents",
)
def _reseller_po(deal: Deal) -> bool:
    kinds = deal.document_kinds
    return Kind.PURCHASE_ORDER in kinds or Kind.SIGNED_ORDER_FORM in kinds


@requirement("eula_acceptance", "End user EULA acceptance attached", routes=[Route.RESELLER], field="documents")
def _eula(deal: Deal) -> bool:
    return Kind.EULA_ACCEPTANCE in deal.document_kinds


# --- AWS / GCP private offers --------------------------------------------------------------------------------


@requirement(
    "private_offer_acceptance",
    "Private offer acceptance attached",
    routes=[Route.AWS_PRIVATE_OFFER, Route.GCP_PRIVATE_OFFER],
    field="documents",
)
def _private_offer(deal: Deal) -> bool:
    return Kind.PRIVATE_OFFER_ACCEPTANCE in deal.document_kinds


def _multi_year(deal: Deal) -> bool:
    quote = deal.quote
    return quote is not None and (quote.term_months or 0) > 12


@requirement(
    "gcp_multi_year_order_form",
    "Signed order form attached (GCP multi-year deal)",
    routes=[Route.GCP_PRIVATE_OFFER],
    when=_multi_year,
    field="documents",
)
def _gcp_multi_year(deal: Deal) -> bool:
    return Kind.SIGNED_ORDER_FORM in deal.document_kinds


# --- IBM OEM -------------------------------------------------------------------------------------------------


@requirement("ibm_notification", "IBM notification attached", routes=[Route.IBM_OEM], field="documents")
def _ibm(deal: Deal) -> bool:
    return Kind.IBM_NOTIFICATION in deal.document_kinds


# --- Public Sector -------------------------------------------------------------------------------------------

PO_TOLERANCE = Decimal("1.00")


@requirement("distributor_po", "Distributor PO attached", routes=[Route.PUBLIC_SECTOR], field="documents")
def _distributor_po(deal: Deal) -> bool:
    return Kind.PURCHASE_ORDER in deal.document_kinds


@requirement(
    "po_amount_matches_quote",
    "PO amount within $1.00 of the quote amount",
    routes=[Route.PUBLIC_SECTOR],
    field="primary_quote",
)
def _po_amount(deal: Deal) -> bool:
    quote = deal.quote
    return quote is not None and quote.po_amount is not None and abs(quote.po_amount - quote.amount) <= PO_TOLERANCE


@requirement("po_number_on_quote", "PO number on the quote", routes=[Route.PUBLIC_SECTOR], field="primary_quote")
def _po_number(deal: Deal) -> bool:
    quote = deal.quote
    return quote is not None and bool(quote.po_number.strip())


# --- Professional Services -----------------------------------------------------------------------------------


@requirement("signed_sow", "Signed SOW attached", routes=[Route.PROFESSIONAL_SERVICES], field="documents")
def _sow(deal: Deal) -> bool:
    return Kind.SOW in deal.document_kinds


@requirement(
    "standalone_opportunity",
    "A standalone services opportunity (no subscription, no Net ARR bundled in)",
    routes=[Route.PROFESSIONAL_SERVICES],
    field="net_arr",
)
def _standalone(deal: Deal) -> bool:
    return deal.opportunity.subscription_id is None and deal.opportunity.net_arr == 0

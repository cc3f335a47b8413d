"""What a deal needs to be booked, asked of the requirements engine (`approvals.requirements`), never restated.

`complete` fills in whatever the engine reports unmet, the way a rep would: the seeder knows how to fill a field
(and, for documents, how often reps send each kind a rule accepts), the engine decides what is needed and whether
it is met. `spoil` undoes one met requirement the way reps get it wrong; `route_refused` asks whether the engine
refuses a route outright. A new or changed rule changes the demo data with it.
"""

from __future__ import annotations

import random
from dataclasses import replace
from decimal import Decimal

from approvals.requirements import REGISTRY, Deal, evaluate, unmet
from ordermgmt.models import Contact, Document, Opportunity

Kind = Document.Kind
Route = Opportunity.Route
Agreement = Opportunity.AgreementType
DOCUMENTS = "documents"  # the field of every rule met by attaching a document

# How often reps attach each kind when a rule accepts several (a PO far more than a reseller-signed order form or a
# "no PO" email); any other kind: 1.
KIND_WEIGHTS = {Kind.PURCHASE_ORDER: 12, Kind.NO_PO_EMAIL: 4, Kind.SIGNED_ORDER_FORM: 3}
# What reps get wrong at stage 6, by requirement code (DOCUMENTS: a document rule, shared among those that apply).
MISTAKES = {
    DOCUMENTS: 38, "closed_won_reason": 12, "primary_quote_approved": 12, "amount_matches_quote": 10,
    "competitors": 8, "quote_contacts": 8, "executed_agreement_type": 7, "quote_start_and_term": 5,
    "po_amount_matches_quote": 10, "po_number_on_quote": 10,
}  # fmt: skip
REASONS = [
    ("Product fit", "Replaces three point tools with one platform; champion in the platform team."),
    ("Security & compliance", "Needed audit trails and compliance pipelines for the upcoming certification."),
    ("Price / value", "Consolidation saves more than the licence cost within the first year."),
    ("Relationship", "Long-standing customer expanding to new business units."),
    ("Executive sponsor", "CTO mandated a single DevSecOps platform across engineering."),
    ("Time to value", "Proof of value migrated the pilot team in two weeks."),
]
COMPETITORS = ["GitHub", "Atlassian", "Azure DevOps", "JFrog", "CircleCI", "Jenkins", "Harness", "GitHub, Atlassian"]
# The agreement a deal on each route is usually signed with.
ROUTE_AGREEMENT = {
    Route.DIRECT: Agreement.SIGNED_ORDER_FORM,
    Route.RESELLER: Agreement.PURCHASE_ORDER,
    Route.AWS_PRIVATE_OFFER: Agreement.AWS_PRIVATE_OFFER,
    Route.GCP_PRIVATE_OFFER: Agreement.GCP_PRIVATE_OFFER,
    Route.IBM_OEM: Agreement.IBM_OEM,
    Route.PUBLIC_SECTOR: Agreement.PURCHASE_ORDER,
    Route.PROFESSIONAL_SERVICES: Agreement.SOW,
}


def route_refused(opportunity: Opportunity) -> bool:
    """Whether the engine refuses the opportunity's route to market whatever else is filled in."""
    return any(result.field == "route_to_market" for result in unmet(Deal(opportunity, None, frozenset())))


def complete(deal: Deal, rng: random.Random, contacts: list[Contact]) -> Deal:
    """The deal with every unmet requirement that a rep fills in filled in (a route the engine refuses stays)."""
    for _ in range(len(REGISTRY)):
        todo = [result.code for result in unmet(deal) if result.field == DOCUMENTS or result.code in FILLS]
        if not todo:
            break
        for code in todo:
            if not REGISTRY[code].check(deal):  # an earlier fill may have met it
                deal = (
                    _attach(deal, code, rng) if REGISTRY[code].field == DOCUMENTS else _fill(deal, code, rng, contacts)
                )
    return deal


def spoil(deal: Deal, rng: random.Random, contacts: list[Contact]) -> Deal:
    """The deal with one met requirement broken, drawn by how often reps get each wrong."""
    code = mistake(deal, rng)
    if code is None:
        return deal
    return _detach(deal, code, rng) if REGISTRY[code].field == DOCUMENTS else _spoil(deal, code, rng, contacts)


def mistake(deal: Deal, rng: random.Random) -> str | None:
    """The code of one requirement the deal meets, drawn by how often reps get each wrong (None: nothing to get
    wrong)."""
    met = [result for result in evaluate(deal) if result.met and MISTAKES.get(_mistake_key(result))]
    if not met:
        return None
    shared = sum(result.field == DOCUMENTS for result in met)
    weights = [MISTAKES[_mistake_key(r)] / (shared if r.field == DOCUMENTS else 1) for r in met]
    return rng.choices(met, weights=weights)[0].code


def _mistake_key(result) -> str:
    return DOCUMENTS if result.field == DOCUMENTS else result.code


def _with_kinds(deal: Deal, kinds) -> Deal:
    return replace(deal, document_kinds=frozenset(kinds))


def _attach(deal: Deal, code: str, rng: random.Random) -> Deal:
    """Attach one document of a kind that meets rule `code`."""
    kinds = [kind for kind in Kind.values if REGISTRY[code].check(_with_kinds(deal, deal.document_kinds | {kind}))]
    if not kinds:
        return deal
    kind = rng.choices(kinds, weights=[KIND_WEIGHTS.get(kind, 1) for kind in kinds])[0]
    return _with_kinds(deal, deal.document_kinds | {kind})


def _detach(deal: Deal, code: str, rng: random.Random) -> Deal:
    """Leave out one attached document that rule `code` needs."""
    kinds = sorted(deal.document_kinds)  # sorted: a set's order would change with the hash seed
    needed = [kind for kind in kinds if not REGISTRY[code].check(_with_kinds(deal, deal.document_kinds - {kind}))]
    return _with_kinds(deal, deal.document_kinds - {rng.choice(needed)}) if needed else deal


FILLS = {
    "closed_won_reason", "competitors", "executed_agreement_type", "executed_agreement_link",
    "primary_quote_approved", "quote_contacts", "quote_start_and_term", "amount_matches_quote",
    "po_number_on_quote", "po_amount_matches_quote",
}  # fmt: skip


def _fill(deal: Deal, code: str, rng: random.Random, contacts: list[Contact]) -> Deal:
    """Meet rule `code` (one of FILLS) the way a rep does."""
    opp, quote = deal.opportunity, deal.quote
    with_email = [contact for contact in contacts if contact.email]
    if code == "closed_won_reason":
        opp.closed_won_reason, opp.closed_won_details = rng.choice(REASONS)
    elif code == "competitors":
        opp.competitors = rng.choice(COMPETITORS)
    elif code == "executed_agreement_type":
        opp.executed_agreement_type = ROUTE_AGREEMENT[opp.route_to_market]
        if opp.route_to_market == Route.DIRECT and opp.po_required:
            opp.executed_agreement_type = Agreement.ORDER_FORM_AND_PO
        elif opp.route_to_market == Route.DIRECT and rng.random() < 0.04:
            opp.executed_agreement_type = Agreement.CLIENT_FORM
    elif code == "executed_agreement_link":
        opp.executed_agreement_link = f"https://contracts.example.com/agreements/{rng.randint(10_000, 99_999)}"
    elif code == "primary_quote_approved":
        quote.approved = True
    elif code == "quote_contacts":
        if quote.sold_to_contact not in with_email:
            quote.sold_to_contact = rng.choice(with_email)
        if quote.bill_to_contact not in with_email:
            quote.bill_to_contact = rng.choice(with_email)
    elif code == "quote_start_and_term":
        quote.start_date, quote.term_months = quote.start_date or opp.start_date, quote.term_months or 12
    elif code == "amount_matches_quote":
        quote.amount = opp.amount
    elif code == "po_number_on_quote":
        quote.po_number = f"PO-{rng.randint(1_000_000, 9_999_999)}"
    elif code == "po_amount_matches_quote":
        quote.po_amount = quote.amount
    return deal


def _spoil(deal: Deal, code: str, rng: random.Random, contacts: list[Contact]) -> Deal:
    """Break rule `code` (one of MISTAKES) the way reps get it wrong."""
    opp, quote = deal.opportunity, deal.quote
    if code == "closed_won_reason":
        opp.closed_won_details = ""
    elif code == "competitors":
        opp.competitors = ""
    elif code == "executed_agreement_type":
        opp.executed_agreement_type, opp.executed_agreement_link = None, ""
    elif code == "primary_quote_approved":
        quote.approved = False
    elif code == "quote_contacts":
        quote.bill_to_contact = rng.choice([contact for contact in contacts if not contact.email] or [None])
    elif code == "quote_start_and_term":
        quote.start_date = None
    elif code == "amount_matches_quote":
        quote.amount += Decimal(rng.choice([100, 500, 1000, 2500]))
    elif code == "po_amount_matches_quote":
        quote.po_amount = quote.amount + Decimal(rng.choice([250, 1200, 4800]))
    elif code == "po_number_on_quote":
        quote.po_number = ""
    return deal

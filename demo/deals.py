"""Demo opportunities with their primary quote and documents: drawn as reps type them in, then taken as far as
their stage says (a signed deal made bookable by `bookings.complete`, some stage-6 deals left with mistakes)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from approvals.requirements import Deal
from ordermgmt.models import Account, Contact, Document, Opportunity, Quote, User

from .bookings import complete, route_refused, spoil
from .draw import add_months, cents, pick

BASE_DATE = date(2026, 10, 1)  # dates hang off a fixed day, not today, so a seed always draws the same data

Stage = Opportunity.Stage
Route = Opportunity.Route
OppType = Opportunity.Type
Deployment = Opportunity.Deployment

ROUTE_WEIGHTS = {
    Route.DIRECT: 58, Route.RESELLER: 18, Route.AWS_PRIVATE_OFFER: 8, Route.GCP_PRIVATE_OFFER: 5,
    Route.PUBLIC_SECTOR: 5, Route.IBM_OEM: 3, Route.PROFESSIONAL_SERVICES: 3,
}  # fmt: skip
# India-based customers mostly buy through partners.
ROUTE_WEIGHTS_INDIA = {Route.RESELLER: 60, Route.AWS_PRIVATE_OFFER: 25, Route.DIRECT: 15}
STAGE_WEIGHTS = {
    Stage.PENDING_ACCEPTANCE: 1, Stage.DISCOVERY: 2, Stage.SCOPING: 2, Stage.TECHNICAL_EVALUATION: 3,
    Stage.PROPOSAL: 4, Stage.NEGOTIATING: 18, Stage.AWAITING_SIGNATURE: 25, Stage.CLOSED_WON: 32,
    Stage.CLOSED_LOST: 13,
}  # fmt: skip
SIGNED = (Stage.AWAITING_SIGNATURE, Stage.CLOSED_WON)
TYPE_WEIGHTS = {OppType.NEW_BUSINESS: 40, OppType.ADD_ON: 25, OppType.RENEWAL: 35}
TIERS = {"Premium": 348, "Ultimate": 1188}  # list price per seat per year, USD
TERM_WEIGHTS = {12: 60, 24: 22, 36: 18}
PAYMENT_WEIGHTS = {"net_30": 55, "net_45": 12, "net_60": 15, "net_90": 6, "prepaid": 12}
SERVICES = ["Implementation", "Migration", "Training", "Dedicated Engineer", "Health Check"]
STAGE6_READY_SHARE = 0.62  # the others have one or two mistakes left


def demo_deal(rng: random.Random, account: Account, reps: dict[str, list[User]], contacts: list[Contact]) -> Deal:
    """One opportunity of `account` with its primary quote and the kinds of its documents, none of them saved."""
    deal = _drawn(rng, account, reps, contacts)
    opp = deal.opportunity
    if opp.stage in SIGNED:
        deal = complete(deal, rng, contacts)
        if rng.random() < 0.05:
            deal = Deal(opp, deal.quote, deal.document_kinds | {Document.Kind.OTHER})
        if opp.stage == Stage.AWAITING_SIGNATURE and rng.random() > STAGE6_READY_SHARE:
            for _ in range(1 if rng.random() < 0.8 else 2):
                deal = spoil(deal, rng, contacts)
    else:
        # Not signed yet: no booking fields, no executed agreement; the quote may still be in approval.
        deal.quote.approved = rng.random() < (0.6 if opp.stage in (Stage.NEGOTIATING, Stage.CLOSED_LOST) else 0.2)
        if opp.stage == Stage.NEGOTIATING and rng.random() < 0.15:
            deal = Deal(opp, deal.quote, frozenset({Document.Kind.OTHER}))  # a draft order form / redlines
    return deal


def _drawn(rng: random.Random, account: Account, reps: dict[str, list[User]], contacts: list[Contact]) -> Deal:
    """The deal as a rep types it in: stage, route, money and dates, and a quote for it; nothing for booking yet."""
    opp = Opportunity(
        account=account, region_id=account.region_id, owner=rng.choice(reps[account.region_id]),
        stage=pick(rng, STAGE_WEIGHTS),
        route_to_market=pick(rng, ROUTE_WEIGHTS_INDIA if account.country == "IN" else ROUTE_WEIGHTS),
    )  # fmt: skip
    if opp.stage == Stage.CLOSED_WON and route_refused(opp):
        opp.route_to_market = Route.RESELLER  # it was booked, so it went through a partner
    route = opp.route_to_market
    if route == Route.PROFESSIONAL_SERVICES:
        opp.type = pick(rng, {OppType.NEW_BUSINESS: 60, OppType.ADD_ON: 40})
    else:
        opp.type = pick(rng, TYPE_WEIGHTS)
    opp.deployment = (
        Deployment.SELF_MANAGED
        if route == Route.IBM_OEM
        else pick(rng, {Deployment.SELF_MANAGED: 60, Deployment.SAAS: 40})
    )
    term = 12 if route == Route.PROFESSIONAL_SERVICES or opp.type == OppType.ADD_ON else pick(rng, TERM_WEIGHTS)
    label = _money(rng, opp, term)
    opp.name = f"{account.name} - {label}"
    _dates(rng, opp, term)
    opp.po_required = route == Route.DIRECT and rng.random() < 0.2

    with_email = [contact for contact in contacts if contact.email]
    sold_to = rng.choice(with_email)
    bill_to = sold_to if rng.random() < 0.5 else rng.choice(with_email)
    quote = Quote(
        opportunity=opp, sold_to_contact=sold_to, bill_to_contact=bill_to,
        amount=opp.amount, start_date=opp.start_date, term_months=term, payment_terms=pick(rng, PAYMENT_WEIGHTS),
        po_number=f"PO-{rng.randint(1_000_000, 9_999_999)}" if route == Route.RESELLER or opp.po_required else "",
        approved=False,
    )  # fmt: skip
    return Deal(opp, quote, frozenset())


def _money(rng: random.Random, opp: Opportunity, term: int) -> str:
    """Set amount (total contract value), Net ARR and ARR basis, in cents: ARR from seats x list price less a
    discount. Returns what was sold, for the name."""
    tier = rng.choice(list(TIERS))
    discount = rng.choice([0, 5, 10, 10, 15, 20, 25, 30])
    price = TIERS[tier] * 100 * (100 - discount) // 100
    arr_basis = 0
    if opp.route_to_market == Route.PROFESSIONAL_SERVICES:
        amount, net_arr = rng.randint(10, 300) * 50_000, 0
        label = f"Professional Services: {rng.choice(SERVICES)}"
    else:
        seats = int(min(20_000, max(10, rng.lognormvariate(4.4 if opp.type == OppType.ADD_ON else 5.2, 1.0))))
        arr = seats * price
        net_arr = arr
        if opp.type == OppType.RENEWAL:
            arr_basis = int(arr / rng.uniform(0.85, 1.25))  # mostly growth, some contraction
            net_arr = arr - arr_basis
        amount = arr * term // 12
        label = {
            OppType.NEW_BUSINESS: f"{tier} New Business ({seats} seats)",
            OppType.ADD_ON: f"{tier} Add-On (+{seats} seats)",
            OppType.RENEWAL: f"{tier} Renewal ({seats} seats)",
        }[opp.type]
    opp.amount, opp.net_arr, opp.arr_basis = cents(amount), cents(net_arr), cents(arr_basis)
    return label


def _dates(rng: random.Random, opp: Opportunity, term: int) -> None:
    """Booked deals closed in the ten months before BASE_DATE (a Closed Won one's close date is set again by its
    approval history), open ones start soon."""
    if opp.stage in (Stage.CLOSED_WON, Stage.CLOSED_LOST):
        opp.close_date = BASE_DATE - timedelta(days=int(rng.triangular(0, 300, 20)))
        opp.start_date = opp.close_date + timedelta(days=rng.randint(0, 15 if opp.stage == Stage.CLOSED_WON else 60))
    else:
        early = opp.stage not in (Stage.NEGOTIATING, Stage.AWAITING_SIGNATURE)
        opp.start_date = BASE_DATE + timedelta(days=rng.randint(-10, 150 if early else 75))
        opp.close_date = opp.start_date - timedelta(days=rng.randint(0, 15))  # expected close
    opp.end_date = add_months(opp.start_date, term) - timedelta(days=1)


def deliver_licenses(rng: random.Random, deals: list[Deal]) -> None:
    """Most self-managed Closed Won deals had their licenses delivered within two days; the last few days' deals
    and about one in twelve others are still waiting (work for the daily license review)."""
    for deal in deals:
        opp = deal.opportunity
        if opp.stage != Stage.CLOSED_WON or opp.deployment != Deployment.SELF_MANAGED:
            continue
        if opp.close_date < BASE_DATE - timedelta(days=3) and rng.random() < 0.92:
            opp.license_delivery_date = opp.close_date + timedelta(days=rng.randint(0, 2))

"""Demo data at handbook scale: `manage.py seed_demo [--seed N] [--scale F]`.

Users of every role (password `demo-pass-2026`), ~1,000 accounts with contacts, ~3,500 opportunities with a primary
quote each, renewal subscriptions, and documents for the opportunities at stage 6 or Closed Won. Deterministic for a
given `--seed` (dates hang off a fixed base date, not today) and fast: bulk inserts in one transaction.
`--scale 10` seeds ten times the accounts and opportunities for a load test; the users stay the same.

Seeding is bulk data loading, so this command writes with `bulk_create` rather than through the services: no events,
notifications or outbox rows are produced (on PostgreSQL the pghistory triggers still record every insert).
"""

from __future__ import annotations

import contextlib
import random
import time
from collections import Counter
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Prefetch
from django.utils import timezone

from ordermgmt.database import is_postgresql
from ordermgmt.models import Account, Contact, Document, Opportunity, Quote, Region, User
from subscriptions.models import Subscription

DEMO_PASSWORD = "demo-pass-2026"
BASE_DATE = date(2026, 10, 1)
BATCH = 1000

Role = User.Role
Stage = Opportunity.Stage
Route = Opportunity.Route
OppType = Opportunity.Type
Agreement = Opportunity.AgreementType
Kind = Document.Kind

# username, first name, last name, role, region, superuser
DEMO_USERS = [
    ("manager", "Dana", "Whitfield", Role.MANAGER, None, True),
    ("manager2", "Kenji", "Morales", Role.MANAGER, None, False),
    ("specialist_amer", "Priya", "Raman", Role.SPECIALIST, "AMER", False),
    ("specialist_amer2", "Lucas", "Oliveira", Role.SPECIALIST, "AMER", False),
    ("specialist_emea", "Sophie", "Becker", Role.SPECIALIST, "EMEA", False),
    ("specialist_emea2", "Liam", "O'Connor", Role.SPECIALIST, "EMEA", False),
    ("specialist_apac", "Aiko", "Tanaka", Role.SPECIALIST, "APAC", False),
    ("rep_amer1", "Jordan", "Ellis", Role.SALES_REP, "AMER", False),
    ("rep_amer2", "Megan", "Brooks", Role.SALES_REP, "AMER", False),
    ("rep_amer3", "Carlos", "Mendez", Role.SALES_REP, "AMER", False),
    ("rep_amer4", "Ashley", "Nguyen", Role.SALES_REP, "AMER", False),
    ("rep_emea1", "Oliver", "Hughes", Role.SALES_REP, "EMEA", False),
    ("rep_emea2", "Hannah", "Schmidt", Role.SALES_REP, "EMEA", False),
    ("rep_emea3", "Lucie", "Dubois", Role.SALES_REP, "EMEA", False),
    ("rep_emea4", "Ingrid", "Larsen", Role.SALES_REP, "EMEA", False),
    ("rep_apac1", "Ravi", "Kumar", Role.SALES_REP, "APAC", False),
    ("rep_apac2", "Mei Lin", "Tan", Role.SALES_REP, "APAC", False),
    ("rep_apac3", "Jack", "Thompson", Role.SALES_REP, "APAC", False),
    ("rep_apac4", "Yuna", "Park", Role.SALES_REP, "APAC", False),
    ("billing", "Grace", "Okafor", Role.BILLING, None, False),
    ("dealdesk", "Tom", "Reilly", Role.DEAL_DESK, None, False),
    ("supporteng", "Samir", "Patel", Role.SUPPORT_ENGINEERING, None, False),
]
DEMO_USERNAMES = [row[0] for row in DEMO_USERS]
# Out-of-office backups: each specialist's regional twin (APAC falls back to EMEA).
BACKUPS = {
    "specialist_amer": "specialist_amer2",
    "specialist_amer2": "specialist_amer",
    "specialist_emea": "specialist_emea2",
    "specialist_emea2": "specialist_emea",
    "specialist_apac": "specialist_emea2",
}

REGION_WEIGHTS = {"AMER": 50, "EMEA": 32, "APAC": 18}
COUNTRY_WEIGHTS = {
    "AMER": {"US": 70, "CA": 10, "BR": 7, "MX": 5, "AR": 2, "CL": 2, "CO": 2, "PE": 1, "UY": 1},
    "EMEA": {
        "GB": 22, "DE": 20, "FR": 12, "NL": 8, "SE": 5, "CH": 5, "ES": 5, "IT": 5, "IE": 4, "PL": 3,
        "DK": 3, "BE": 3, "AT": 2, "NO": 2, "FI": 2, "IL": 2, "AE": 2, "ZA": 2,
    },
    "APAC": {"AU": 30, "JP": 20, "SG": 15, "KR": 8, "IN": 6, "NZ": 6, "HK": 5, "PH": 4, "MY": 3, "ID": 3},
}  # fmt: skip
CITIES = {
    "US": ["San Francisco, CA 94105", "Austin, TX 78701", "New York, NY 10001", "Chicago, IL 60601",
           "Seattle, WA 98101", "Boston, MA 02110", "Denver, CO 80202", "Atlanta, GA 30303"],
    "CA": ["Toronto, ON M5H 2N2", "Vancouver, BC V6B 1A1", "Montreal, QC H3B 2Y5"],
    "BR": ["São Paulo, SP 01310-100", "Rio de Janeiro, RJ 20040-020"],
    "MX": ["Ciudad de México, CDMX 06600", "Monterrey, NL 64000"],
    "AR": ["Buenos Aires C1001"], "CL": ["Santiago 8320000"], "CO": ["Bogotá 110111"], "PE": ["Lima 15001"],
    "UY": ["Montevideo 11000"],
    "GB": ["London EC2A 4NE", "Manchester M1 1AE", "Edinburgh EH1 1YZ", "Bristol BS1 4DJ"],
    "DE": ["10115 Berlin", "80331 München", "20095 Hamburg", "60311 Frankfurt am Main"],
    "FR": ["75002 Paris", "69002 Lyon", "31000 Toulouse"], "NL": ["1012 AB Amsterdam", "3011 AD Rotterdam"],
    "SE": ["111 57 Stockholm"], "CH": ["8001 Zürich", "1204 Genève"], "ES": ["28013 Madrid", "08002 Barcelona"],
    "IT": ["20121 Milano", "00184 Roma"], "IE": ["Dublin D02 X285"], "PL": ["00-001 Warszawa"],
    "DK": ["1050 København"], "BE": ["1000 Bruxelles"], "AT": ["1010 Wien"], "NO": ["0150 Oslo"],
    "FI": ["00100 Helsinki"], "IL": ["Tel Aviv 6100000"], "AE": ["Dubai"], "ZA": ["Cape Town 8001"],
    "AU": ["Sydney NSW 2000", "Melbourne VIC 3000", "Brisbane QLD 4000"], "JP": ["Tokyo 100-0005", "Osaka 530-0001"],
    "SG": ["Singapore 018989"], "KR": ["Seoul 04524"], "IN": ["Bengaluru 560001", "Mumbai 400001", "Pune 411001"],
    "NZ": ["Auckland 1010"], "HK": ["Central, Hong Kong"], "PH": ["Makati City 1226"], "MY": ["50450 Kuala Lumpur"],
    "ID": ["Jakarta 10310"],
}  # fmt: skip
LEGAL_SUFFIX = {
    "US": ["Inc.", "LLC", "Corp."], "CA": ["Inc.", "Ltd."], "BR": ["Ltda.", "S.A."], "MX": ["S.A. de C.V."],
    "GB": ["Ltd", "plc"], "IE": ["Ltd"], "DE": ["GmbH", "AG"], "AT": ["GmbH"], "CH": ["AG", "SA"],
    "FR": ["SAS", "SA"], "NL": ["B.V."], "BE": ["NV", "SA"], "SE": ["AB"], "DK": ["A/S"], "NO": ["AS"],
    "FI": ["Oy"], "ES": ["S.L.", "S.A."], "IT": ["S.p.A.", "S.r.l."], "PL": ["Sp. z o.o."],
    "AU": ["Pty Ltd"], "NZ": ["Ltd"], "JP": ["K.K."], "IN": ["Pvt Ltd", "Ltd"], "SG": ["Pte Ltd"],
    "HK": ["Ltd"], "MY": ["Sdn Bhd"], "ID": ["PT"], "KR": ["Co., Ltd."], "PH": ["Inc."],
}  # fmt: skip
TLD = {
    "US": "com", "CA": "ca", "BR": "com.br", "MX": "com.mx", "GB": "co.uk", "IE": "ie", "DE": "de", "AT": "at",
    "CH": "ch", "FR": "fr", "NL": "nl", "BE": "be", "SE": "se", "DK": "dk", "NO": "no", "FI": "fi", "ES": "es",
    "IT": "it", "PL": "pl", "AU": "com.au", "NZ": "co.nz", "JP": "co.jp", "IN": "in", "SG": "com.sg",
    "HK": "com.hk", "MY": "com.my", "KR": "co.kr",
}  # fmt: skip
STREETS = [
    "Market Street", "Main Street", "Harbour Road", "King Street", "Park Avenue", "Station Road", "Industrial Way",
    "Innovation Drive", "River Lane", "Commerce Boulevard", "High Street", "Bridge Road",
]  # fmt: skip
NAME_STEMS = [
    "Northwind", "Bluepeak", "Ironclad", "Silverline", "Redwood", "Brightwater", "Granite", "Evergreen", "Summit",
    "Harbor", "Lumen", "Vertex", "Cobalt", "Meridian", "Atlas", "Pioneer", "Crescent", "Falcon", "Horizon",
    "Keystone", "Sterling", "Orion", "Nimbus", "Cascade", "Quantum", "Beacon", "Aurora", "Pinnacle", "Sequoia",
    "Tidewater", "Zenith", "Polaris", "Juniper", "Halcyon", "Copperleaf", "Riverstone", "Stonebridge", "Oakmont",
    "Westbrook", "Fairview", "Blackwood", "Clearwater", "Highland", "Lakeshore", "Maplewood", "Starling", "Kestrel",
    "Osprey", "Solstice", "Ember", "Larkspur", "Bramble", "Calder", "Driftwood", "Foxglove", "Greystone",
]  # fmt: skip
INDUSTRIES = [
    "Logistics", "Health", "Financial", "Software", "Analytics", "Energy", "Robotics", "Media", "Telecom",
    "Biotech", "Insurance", "Retail", "Foods", "Motors", "Aerospace", "Pharma", "Capital", "Networks", "Systems",
    "Labs", "Semiconductor", "Bank", "Airlines", "Games", "Security", "Learning", "Mobility", "Payments", "Cloud",
    "Data", "Shipping", "Manufacturing", "Consulting", "Utilities", "Travel", "Hospitality",
]  # fmt: skip
QUALIFIERS = ["", "", "", "", "Group", "Holdings", "Technologies", "Partners", "International", "Solutions"]
FIRST_NAMES = [
    "Emma", "Noah", "Olivia", "Liam", "Ava", "Mateo", "Sofia", "Lucas", "Mia", "Ethan", "Isabella", "Arjun",
    "Ananya", "Wei", "Hiroshi", "Yuki", "Min-jun", "Seo-yeon", "Chloe", "Finn", "Lena", "Jonas", "Elif", "Omar",
    "Fatima", "Kwame", "Amara", "Diego", "Valentina", "Camila", "Rafael", "Thiago", "Nora", "Erik", "Astrid",
    "Pierre", "Camille", "Giulia", "Marco", "Zofia", "Jakub", "Siobhan", "Declan", "Aisha", "Rohan", "Kavya",
    "Daniel", "Sarah", "Michael", "Jessica", "David", "Laura", "James", "Rachel", "Tomás", "Ingrid", "Mateus",
]  # fmt: skip
LAST_NAMES = [
    "Smith", "Johnson", "Garcia", "Martinez", "Brown", "Müller", "Schneider", "Rossi", "Bianchi", "Dubois",
    "Martin", "Jansen", "de Vries", "Andersson", "Nielsen", "Kowalski", "Nowak", "Murphy", "Kelly", "Silva",
    "Santos", "Hernández", "López", "Sato", "Suzuki", "Takahashi", "Kim", "Lee", "Park", "Chen", "Wang", "Li",
    "Singh", "Sharma", "Patel", "Iyer", "Reddy", "Cohen", "Levi", "Haddad", "Mensah", "Okoye", "Walker", "Wright",
    "Taylor", "Anderson", "Thomas", "Moore", "Clark", "Lewis", "Young", "Allen", "Scott", "Baker", "Adams",
]  # fmt: skip

ROUTE_WEIGHTS = {
    Route.DIRECT: 58, Route.RESELLER: 18, Route.AWS_PRIVATE_OFFER: 8, Route.GCP_PRIVATE_OFFER: 5,
    Route.PUBLIC_SECTOR: 5, Route.IBM_OEM: 3, Route.PROFESSIONAL_SERVICES: 3,
}  # fmt: skip
# India-based customers mostly buy through partners (Direct with India is not bookable).
ROUTE_WEIGHTS_INDIA = {Route.RESELLER: 60, Route.AWS_PRIVATE_OFFER: 25, Route.DIRECT: 15}
STAGE_WEIGHTS = {
    Stage.PENDING_ACCEPTANCE: 1, Stage.DISCOVERY: 2, Stage.SCOPING: 2, Stage.TECHNICAL_EVALUATION: 3,
    Stage.PROPOSAL: 4, Stage.NEGOTIATING: 18, Stage.AWAITING_SIGNATURE: 25, Stage.CLOSED_WON: 32,
    Stage.CLOSED_LOST: 13,
}  # fmt: skip
TYPE_WEIGHTS = {OppType.NEW_BUSINESS: 40, OppType.ADD_ON: 25, OppType.RENEWAL: 35}
TIERS = {"Premium": 348, "Ultimate": 1188}  # list price per seat per year, USD
TERM_WEIGHTS = {12: 60, 24: 22, 36: 18}
PAYMENT_WEIGHTS = {"net_30": 55, "net_45": 12, "net_60": 15, "net_90": 6, "prepaid": 12}
SERVICES = ["Implementation", "Migration", "Training", "Dedicated Engineer", "Health Check"]
REASONS = [
    ("Product fit", "Replaces three point tools with one platform; champion in the platform team."),
    ("Security & compliance", "Needed audit trails and compliance pipelines for the upcoming certification."),
    ("Price / value", "Consolidation saves more than the licence cost within the first year."),
    ("Relationship", "Long-standing customer expanding to new business units."),
    ("Executive sponsor", "CTO mandated a single DevSecOps platform across engineering."),
    ("Time to value", "Proof of value migrated the pilot team in two weeks."),
]
COMPETITORS = ["GitHub", "Atlassian", "Azure DevOps", "JFrog", "CircleCI", "Jenkins", "Harness", "GitHub, Atlassian"]

# Which documents a complete booking carries, per route (see approvals.requirements).
ROUTE_AGREEMENT = {
    Route.DIRECT: Agreement.SIGNED_ORDER_FORM,
    Route.RESELLER: Agreement.PURCHASE_ORDER,
    Route.AWS_PRIVATE_OFFER: Agreement.AWS_PRIVATE_OFFER,
    Route.GCP_PRIVATE_OFFER: Agreement.GCP_PRIVATE_OFFER,
    Route.IBM_OEM: Agreement.IBM_OEM,
    Route.PUBLIC_SECTOR: Agreement.PURCHASE_ORDER,
    Route.PROFESSIONAL_SERVICES: Agreement.SOW,
}
# Stage-6 opportunities that are not ready to submit get one or two of these defects.
DEFECT_WEIGHTS = {
    "missing_document": 38, "no_closed_won_reason": 12, "no_competitors": 8, "quote_not_approved": 12,
    "amount_mismatch": 10, "contact_without_email": 8, "no_agreement_type": 7, "no_quote_start": 5,
}  # fmt: skip
STAGE6_READY_SHARE = 0.62

DOCUMENT_VARIANTS = 2  # stored files per document kind; every Document row points at one of them


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    days_in_month = [31, 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28, 31, 30, 31, 30,
                     31, 31, 30, 31, 30, 31][month - 1]  # fmt: skip
    return date(year, month, min(day.day, days_in_month))


def _cents(value: int) -> Decimal:
    return Decimal(value).scaleb(-2)


def _pdf_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def tiny_pdf(title: str, lines: list[str]) -> bytes:
    """A minimal valid one-page PDF (Helvetica text, correct xref table) of a few hundred bytes."""
    text_ops = ["BT", "/F1 18 Tf", "72 720 Td", f"({_pdf_escape(title)}) Tj", "/F1 11 Tf"]
    for line in lines:
        text_ops += ["0 -22 Td", f"({_pdf_escape(line)}) Tj"]
    text_ops.append("ET")
    stream = "\n".join(text_ops).encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref_at)
    return bytes(out)


class Command(BaseCommand):
    help = "Seed realistic demo data (users of every role, accounts, opportunities, quotes, documents)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (default 2026): same seed, same data.")
        parser.add_argument(
            "--scale", type=float, default=1.0, help="Multiply the account and opportunity counts (users stay)."
        )
        parser.add_argument("--force", action="store_true", help="Not implemented: seed into an empty database.")

    def handle(self, *args, seed: int, scale: float, force: bool, **options):
        if scale <= 0:
            raise CommandError("--scale must be positive")
        has_demo_users = User.objects.filter(username__in=DEMO_USERNAMES).exists()
        opportunity_count = Opportunity.objects.count()
        if opportunity_count:
            if force:
                raise CommandError(
                    "--force is not implemented: seed_demo only seeds a database without opportunities "
                    "(start from an empty database, e.g. `manage.py flush`, then run seed_demo again)."
                )
            if has_demo_users:
                self.stdout.write("demo data already present")
                return
            raise CommandError(
                f"The database already holds {opportunity_count} opportunities and no demo users: "
                "seed_demo only seeds an empty database."
            )

        started = time.monotonic()
        self.rng = random.Random(seed)
        n_accounts = max(1, round(1000 * scale))
        n_opportunities = max(1, round(3500 * scale))
        self.files = self._store_files()
        history = pghistory_context() if is_postgresql() else contextlib.nullcontext()
        with transaction.atomic(), history:
            if is_postgresql():
                # Check foreign keys row by row: with the default deferred checks PostgreSQL keeps every pending
                # check (and the audit triggers' own) in a queue it rescans, so one big transaction grows quadratic.
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            users = self._users()
            accounts, contacts = self._accounts(n_accounts)
            counts = self._opportunities(n_opportunities, users, accounts, contacts)
            counts.update(self._approval_history())
            counts.update(self._live_queue(users))
        if is_postgresql():
            # Fresh planner statistics and visibility map: right after a bulk load autovacuum has not looked yet (or
            # is off), so the planner took the 2,000-item queue for 40 rows and sorted all of it, and a page's
            # COUNT(*) read the heap instead of the index. VACUUM cannot run inside a transaction (a test's).
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
        counts = {"users": len(users), "accounts": len(accounts), "contacts": sum(map(len, contacts.values())),
                  **counts}  # fmt: skip
        elapsed = time.monotonic() - started

        self.stdout.write(self.style.SUCCESS(f"Seeded demo data (seed {seed}, scale {scale:g}) in {elapsed:.1f} s:"))
        self.stdout.write("  " + ", ".join(f"{count} {name}" for name, count in counts.items()))
        self._report_readiness()
        self._print_logins(users)

    # --- approvals: decided history and a live queue --------------------------------------------------------------

    def _approval_history(self) -> dict[str, int]:
        """Submissions and decisions behind every Closed Won deal (a few rejected first), for the KPIs and history."""
        from approvals.models import Decision, Submission
        from approvals.sla import sla_times
        from ordermgmt.calendar import add_business_hours

        rng = self.rng
        reasons = ["signed_order_form", "amount_matches_quote", "quote_contacts", "closed_won_reason", "competitors",
                   "purchase_order_or_no_po_email", "other"]  # fmt: skip
        specialists: dict[str, list[User]] = {}
        for user in User.objects.filter(role=User.Role.SPECIALIST):
            specialists.setdefault(user.region_id, []).append(user)
        billing = User.objects.filter(role=User.Role.BILLING).first()
        regions = {r.pk: r for r in Region.objects.prefetch_related("closures")}
        submissions, decisions = [], []
        won = Opportunity.objects.filter(stage=Opportunity.Stage.CLOSED_WON).order_by("pk")
        for opp in won.only("pk", "owner_id", "region_id", "start_date", "net_arr", "amount", "close_date"):
            region = regions[opp.region_id]
            reviewer = rng.choice(specialists.get(opp.region_id) or [billing])
            tz = ZoneInfo(region.timezone)
            day = opp.close_date - timedelta(days=rng.randint(1, 4))
            at = datetime.combine(day, dtime(rng.randint(6, 18), rng.choice((0, 15, 30, 45))), tz)
            rounds = ["om"] * (rng.random() < 0.08) + ["billing"] * (rng.random() < 0.04) + ["won"]
            for sequence, outcome in enumerate(rounds, start=1):
                times = sla_times(at, region)
                om_hours = round(rng.triangular(0.3, 16, 4), 2)
                om_at = add_business_hours(times.clock_started_at, om_hours, region)
                sub = Submission(
                    opportunity_id=opp.pk,
                    submitted_by_id=opp.owner_id,
                    submitted_at=at,
                    region=region,
                    sequence=sequence,
                    start_date=opp.start_date or opp.close_date,
                    net_arr=opp.net_arr,
                    amount=opp.amount,
                    clock_started_at=times.clock_started_at,
                    sla_at_risk_at=times.at_risk_at,
                    sla_due_at=times.due_at,
                    escalated=rng.random() < 0.05,
                    claimed_by=reviewer,
                    om_decided_at=om_at,
                    om_decided_by=reviewer,
                    om_business_hours=Decimal(str(om_hours)),
                    state="om_rejected"
                    if outcome == "om"
                    else "billing_rejected"
                    if outcome == "billing"
                    else "closed_won",
                )
                if sub.escalated:
                    sub.escalation_reason, sub.escalated_at = "Customer go-live", at
                om = Decision(
                    submission=sub,
                    stage="om",
                    outcome="rejected" if outcome == "om" else "approved",
                    actor=reviewer,
                    decided_at=om_at,
                    business_hours=sub.om_business_hours,
                    reasons=[rng.choice(reasons)] if outcome == "om" else [],
                    comment="Please attach the missing document." if outcome == "om" else "Approved",
                )
                decisions.append(om)
                if outcome != "om":
                    billing_hours = round(rng.uniform(0.5, 8), 2)
                    sub.billing_decided_at = add_business_hours(om_at, billing_hours, region)
                    sub.billing_decided_by, sub.billing_business_hours = billing, Decimal(str(billing_hours))
                    decisions.append(
                        Decision(
                            submission=sub,
                            stage="billing",
                            outcome="rejected" if outcome == "billing" else "approved",
                            actor=billing,
                            decided_at=sub.billing_decided_at,
                            business_hours=sub.billing_business_hours,
                            reasons=["po_number_on_quote"] if outcome == "billing" else [],
                            comment="PO number missing on the quote." if outcome == "billing" else "",
                        )
                    )
                submissions.append(sub)
                at = (sub.billing_decided_at or om_at) + timedelta(hours=rng.randint(2, 30))
        Submission.objects.bulk_create(submissions, batch_size=1000)
        for decision in decisions:
            decision.submission_id = decision.submission.pk
        Decision.objects.bulk_create(decisions, batch_size=1000)
        return {"submissions (history)": len(submissions), "decisions": len(decisions)}

    def _live_queue(self, users: dict[str, User]) -> dict[str, int]:
        """Submit a share of the ready stage-6 deals now (through the workflow services), decide a few."""
        from approvals import requirements, services

        rng = self.rng
        now = timezone.now()
        ready = []
        candidates = (
            Opportunity.objects.filter(stage=Opportunity.Stage.AWAITING_SIGNATURE, approval_status="draft")
            .select_related("account", "owner", "region")
            .prefetch_related("quotes__sold_to_contact", "quotes__bill_to_contact", "documents")
            .order_by("pk")
        )
        for opp in candidates:
            if not requirements.unmet(requirements.Deal.of(opp)) and rng.random() < 0.45:
                ready.append(opp)
        specialists = {u.region_id: u for u in User.objects.filter(role=User.Role.SPECIALIST).order_by("username")}
        submitted = approved = 0
        for opp in ready:
            at = now - timedelta(hours=rng.uniform(0.2, 40))
            services.approval_submit(opportunity_id=opp.pk, actor=opp.owner, now=at)
            submitted += 1
            roll = rng.random()
            if roll < 0.06:
                services.approval_escalate(opportunity_id=opp.pk, actor=opp.owner, reason="Customer go-live this week")
            elif roll < 0.30:
                services.approval_claim(opportunity_id=opp.pk, actor=specialists[opp.region_id])
            elif roll < 0.42:
                services.approval_approve(
                    opportunity_id=opp.pk,
                    actor=specialists[opp.region_id],
                    comment="All good",
                    now=min(at + timedelta(hours=1), now),
                )
                approved += 1
        return {"in the approval queues": submitted - approved, "in Billing's queue": approved}

    # --- users ----------------------------------------------------------------------------------------------------

    def _users(self) -> dict[str, User]:
        """The demo users; existing ones (same username) are kept as they are, the others created."""
        existing = {u.username: u for u in User.objects.filter(username__in=DEMO_USERNAMES)}
        password = make_password(DEMO_PASSWORD)  # hashed once: hashing per user would take seconds
        new = [
            User(
                username=username, first_name=first, last_name=last, email=f"{username}@example.com", role=role,
                region_id=region, is_staff=superuser, is_superuser=superuser, password=password,
            )
            for username, first, last, role, region, superuser in DEMO_USERS
            if username not in existing
        ]  # fmt: skip
        User.objects.bulk_create(new, batch_size=BATCH)
        users = {**existing, **{u.username: u for u in new}}
        with_backup = [users[name] for name in BACKUPS if users[name] in new]
        for user in with_backup:
            user.backup = users[BACKUPS[user.username]]
        User.objects.bulk_update(with_backup, ["backup"], batch_size=BATCH)
        self.created_users = {u.username for u in new}
        return {name: users[name] for name in DEMO_USERNAMES}

    # --- accounts and contacts -------------------------------------------------------------------------------------

    def _account_name(self, country: str, taken: set[str]) -> tuple[str, str]:
        rng = self.rng
        for attempt in range(40):
            stem, industry, qualifier = rng.choice(NAME_STEMS), rng.choice(INDUSTRIES), rng.choice(QUALIFIERS)
            base = " ".join(part for part in (stem, industry, qualifier) if part)
            if attempt >= 20:  # crowded at large --scale: a second stem keeps names unique and plausible
                base = f"{stem} {rng.choice(NAME_STEMS)} {industry}"
            name = f"{base} {rng.choice(LEGAL_SUFFIX.get(country, ['Ltd']))}"
            if name not in taken:
                break
        else:
            name = f"{name} ({len(taken)})"
        taken.add(name)
        return name, f"{stem}{industry}".lower()

    def _accounts(self, count: int) -> tuple[list[Account], dict[int, list[Contact]]]:
        rng = self.rng
        taken: set[str] = set(Account.objects.values_list("name", flat=True))
        accounts, domains = [], []
        for _ in range(count):
            region = _pick(rng, REGION_WEIGHTS)
            country = _pick(rng, COUNTRY_WEIGHTS[region])
            name, domain = self._account_name(country, taken)
            address = f"{rng.randint(1, 2500)} {rng.choice(STREETS)}\n{rng.choice(CITIES[country])}\n{country}"
            accounts.append(Account(name=name, region_id=region, country=country, billing_address=address))
            domains.append(f"{domain}.{TLD.get(country, 'com')}")
        Account.objects.bulk_create(accounts, batch_size=BATCH)

        contacts: list[Contact] = []
        for account, domain in zip(accounts, domains, strict=True):
            for position in range(rng.choices([1, 2, 3], weights=[35, 45, 20])[0]):
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                # The first contact always has an email; about one in six of the others has none.
                has_email = position == 0 or rng.random() > 0.17
                local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
                email = f"{local}@{domain}" if has_email else ""
                contacts.append(Contact(account=account, name=f"{first} {last}", email=email))
        Contact.objects.bulk_create(contacts, batch_size=BATCH)
        by_account: dict[int, list[Contact]] = {account.pk: [] for account in accounts}
        for contact in contacts:
            by_account[contact.account_id].append(contact)
        return accounts, by_account

    # --- opportunities, quotes, subscriptions, documents ----------------------------------------------------------

    def _opportunities(self, count, users, accounts, contacts) -> dict[str, int]:
        rng = self.rng
        reps = {code: [users[f"rep_{code.lower()}{i}"] for i in range(1, 5)] for code in REGION_WEIGHTS}
        taken_subscriptions = set(Subscription.objects.values_list("name", flat=True))
        opportunities, plans = [], []
        for _ in range(count):
            opp, plan = self._opportunity(rng.choice(accounts), reps, contacts)
            opportunities.append(opp)
            plans.append(plan)

        # Renewals link to the customer subscription they renew (reconciliation finds the few that do not).
        subscriptions, renewals, number = [], [], 0
        for opp in opportunities:
            if opp.type != OppType.RENEWAL or rng.random() < 0.02:
                continue
            number += 1
            while f"SUB-{number:06d}" in taken_subscriptions:
                number += 1
            carr, exception = opp.arr_basis, None
            term_end = opp.start_date  # the renewal starts on the current term's end date
            roll = rng.random()
            if roll < 0.03:
                carr = (carr * Decimal("1.05")).quantize(Decimal("0.01"))  # ARR basis out of date
            elif roll < 0.04:
                exception = Subscription.ExceptionKind.CONTRACT_RESET
                term_end = term_end - timedelta(days=rng.randint(30, 120))
            status = (
                Subscription.Status.CANCELLED
                if opp.stage == Stage.CLOSED_LOST and term_end < BASE_DATE
                else Subscription.Status.ACTIVE
            )
            subscriptions.append(
                Subscription(
                    name=f"SUB-{number:06d}", account_id=opp.account_id, status=status,
                    term_start=_add_months(term_end, -12), term_end=term_end, carr=carr, exception=exception,
                    exception_reason="Co-termed with a new master agreement." if exception else "",
                )
            )  # fmt: skip
            renewals.append(opp)
        Subscription.objects.bulk_create(subscriptions, batch_size=BATCH)
        for opp, subscription in zip(renewals, subscriptions, strict=True):
            opp.subscription = subscription

        Opportunity.objects.bulk_create(opportunities, batch_size=BATCH)

        first_quote = Quote.objects.count() + 1
        quotes = [
            Quote(opportunity=opp, number=f"Q-{first_quote + i:06d}", **plan["quote"])
            for i, (opp, plan) in enumerate(zip(opportunities, plans, strict=True))
        ]
        Quote.objects.bulk_create(quotes, batch_size=BATCH)

        documents = []
        for opp, plan in zip(opportunities, plans, strict=True):
            for kind in plan["documents"]:
                path, size = self.files[(kind, rng.randrange(DOCUMENT_VARIANTS))]
                label = Kind(kind).label.replace(" ", "_").replace('"', "")
                documents.append(
                    Document(
                        opportunity=opp, kind=kind, file=path, original_name=f"{plan['short']}_{label}.pdf",
                        content_type="application/pdf", size=size, uploaded_by_id=opp.owner_id,
                    )
                )  # fmt: skip
        Document.objects.bulk_create(documents, batch_size=BATCH)
        return {
            "opportunities": len(opportunities),
            "quotes": len(quotes),
            "subscriptions": len(subscriptions),
            "documents": len(documents),
        }

    def _opportunity(self, account: Account, reps, contacts) -> tuple[Opportunity, dict]:
        rng = self.rng
        stage = _pick(rng, STAGE_WEIGHTS)
        route = _pick(rng, ROUTE_WEIGHTS_INDIA if account.country == "IN" else ROUTE_WEIGHTS)
        if stage == Stage.CLOSED_WON and account.country == "IN" and route == Route.DIRECT:
            route = Route.RESELLER  # it was booked, so it went through a partner
        if route == Route.PROFESSIONAL_SERVICES:
            opp_type = _pick(rng, {OppType.NEW_BUSINESS: 60, OppType.ADD_ON: 40})
        else:
            opp_type = _pick(rng, TYPE_WEIGHTS)
        deployment = (
            Opportunity.Deployment.SELF_MANAGED
            if route == Route.IBM_OEM
            else _pick(rng, {Opportunity.Deployment.SELF_MANAGED: 60, Opportunity.Deployment.SAAS: 40})
        )
        term = 12 if route == Route.PROFESSIONAL_SERVICES or opp_type == OppType.ADD_ON else _pick(rng, TERM_WEIGHTS)

        # Money, in cents: ARR from seats x list price less a discount; amount is the total contract value.
        tier = rng.choice(list(TIERS))
        discount = rng.choice([0, 5, 10, 10, 15, 20, 25, 30])
        price = TIERS[tier] * 100 * (100 - discount) // 100
        arr_basis = 0
        if route == Route.PROFESSIONAL_SERVICES:
            service = rng.choice(SERVICES)
            amount, net_arr = rng.randint(10, 300) * 50_000, 0
            label = f"Professional Services: {service}"
        else:
            seats = int(min(20_000, max(10, rng.lognormvariate(4.4 if opp_type == OppType.ADD_ON else 5.2, 1.0))))
            arr = seats * price
            if opp_type == OppType.RENEWAL:
                arr_basis = int(arr / rng.uniform(0.85, 1.25))  # mostly growth, some contraction
                net_arr = arr - arr_basis
            else:
                net_arr = arr
            amount = arr * term // 12
            label = {
                OppType.NEW_BUSINESS: f"{tier} New Business ({seats} seats)",
                OppType.ADD_ON: f"{tier} Add-On (+{seats} seats)",
                OppType.RENEWAL: f"{tier} Renewal ({seats} seats)",
            }[opp_type]

        # Dates hang off BASE_DATE: booked deals closed in the last ten months, open ones start soon.
        if stage in (Stage.CLOSED_WON, Stage.CLOSED_LOST):
            close_date = BASE_DATE - timedelta(days=int(rng.triangular(0, 300, 20)))
            start_date = close_date + timedelta(days=rng.randint(0, 15 if stage == Stage.CLOSED_WON else 60))
        else:
            early = stage not in (Stage.NEGOTIATING, Stage.AWAITING_SIGNATURE)
            start_date = BASE_DATE + timedelta(days=rng.randint(-10, 150 if early else 75))
            close_date = start_date - timedelta(days=rng.randint(0, 15))  # expected close
        end_date = _add_months(start_date, term) - timedelta(days=1)

        po_required = route == Route.DIRECT and rng.random() < 0.2
        agreement = ROUTE_AGREEMENT[route]
        link = ""
        if route == Route.DIRECT and po_required:
            agreement = Agreement.ORDER_FORM_AND_PO
        elif route == Route.DIRECT and rng.random() < 0.04:
            agreement = Agreement.CLIENT_FORM
            link = f"https://contracts.example.com/agreements/{rng.randint(10_000, 99_999)}"

        account_contacts = contacts[account.pk]
        with_email = [c for c in account_contacts if c.email]
        sold_to = rng.choice(with_email)
        bill_to = sold_to if rng.random() < 0.5 else rng.choice(with_email)
        po_number = ""
        if route in (Route.PUBLIC_SECTOR, Route.RESELLER) or po_required:
            po_number = f"PO-{rng.randint(1_000_000, 9_999_999)}"
        quote = {
            "sold_to_contact": sold_to,
            "bill_to_contact": bill_to,
            "amount": _cents(amount),
            "start_date": start_date,
            "term_months": term,
            "payment_terms": _pick(rng, PAYMENT_WEIGHTS),
            "po_number": po_number,
            "po_amount": _cents(amount) if route == Route.PUBLIC_SECTOR else None,
            "approved": True,
        }
        reason, details = rng.choice(REASONS)
        opp = Opportunity(
            name=f"{account.name} - {label}",
            account=account, owner=rng.choice(reps[account.region_id]), region_id=account.region_id, type=opp_type,
            deployment=deployment, route_to_market=route, stage=stage, amount=_cents(amount),
            net_arr=_cents(net_arr), arr_basis=_cents(arr_basis), start_date=start_date, end_date=end_date,
            close_date=close_date, closed_won_reason=reason, closed_won_details=details,
            competitors=rng.choice(COMPETITORS) if opp_type == OppType.NEW_BUSINESS else "",
            executed_agreement_type=agreement, executed_agreement_link=link, po_required=po_required,
            approval_status=Opportunity.ApprovalStatus.CLOSED_WON if stage == Stage.CLOSED_WON else "draft",
        )  # fmt: skip
        documents = self._complete_documents(route, po_required, term)
        if stage == Stage.CLOSED_WON:
            old_enough = close_date < BASE_DATE - timedelta(days=3)
            if deployment == Opportunity.Deployment.SELF_MANAGED and old_enough and rng.random() < 0.92:
                opp.license_delivery_date = close_date + timedelta(days=rng.randint(0, 2))
        elif stage == Stage.AWAITING_SIGNATURE:
            if rng.random() > STAGE6_READY_SHARE:
                for _ in range(1 if rng.random() < 0.8 else 2):
                    documents = self._add_defect(opp, quote, documents, account_contacts)
        else:
            # Not signed yet: no booking fields, no executed agreement; the quote may still be in approval.
            opp.closed_won_reason = opp.closed_won_details = ""
            opp.executed_agreement_type, opp.executed_agreement_link = None, ""
            quote["approved"] = rng.random() < (0.6 if stage in (Stage.NEGOTIATING, Stage.CLOSED_LOST) else 0.2)
            documents = []
            if stage == Stage.NEGOTIATING and rng.random() < 0.15:
                documents = [Kind.OTHER]  # a draft order form / redlines
        return opp, {"quote": quote, "documents": documents, "short": account.name.split(" ")[0]}

    def _complete_documents(self, route: str, po_required: bool, term: int) -> list[str]:
        """The documents a ready-to-book opportunity on `route` carries."""
        rng = self.rng
        if route == Route.DIRECT:
            documents = [Kind.SIGNED_ORDER_FORM]
            if po_required:
                documents.append(Kind.PURCHASE_ORDER if rng.random() < 0.75 else Kind.NO_PO_EMAIL)
        elif route == Route.RESELLER:
            documents = [Kind.PURCHASE_ORDER if rng.random() < 0.8 else Kind.SIGNED_ORDER_FORM, Kind.EULA_ACCEPTANCE]
        elif route == Route.AWS_PRIVATE_OFFER:
            documents = [Kind.PRIVATE_OFFER_ACCEPTANCE]
        elif route == Route.GCP_PRIVATE_OFFER:
            documents = [Kind.PRIVATE_OFFER_ACCEPTANCE] + ([Kind.SIGNED_ORDER_FORM] if term > 12 else [])
        elif route == Route.IBM_OEM:
            documents = [Kind.IBM_NOTIFICATION]
        elif route == Route.PUBLIC_SECTOR:
            documents = [Kind.PURCHASE_ORDER]
        else:
            documents = [Kind.SOW]
        if rng.random() < 0.05:
            documents.append(Kind.OTHER)
        return documents

    def _add_defect(self, opp: Opportunity, quote: dict, documents: list[str], account_contacts) -> list[str]:
        """Make a stage-6 opportunity miss one booking requirement (what a specialist would reject it for)."""
        rng = self.rng
        defect = _pick(rng, DEFECT_WEIGHTS)
        if defect == "no_competitors" and opp.type != OppType.NEW_BUSINESS:
            defect = "missing_document"
        if defect == "missing_document":
            if opp.route_to_market == Route.PUBLIC_SECTOR and rng.random() < 0.5:
                if rng.random() < 0.5:
                    quote["po_amount"] = quote["amount"] + Decimal(rng.choice([250, 1200, 4800]))
                else:
                    quote["po_number"] = ""
                return documents
            required = [kind for kind in documents if kind != Kind.OTHER]
            if not required:  # a second defect of the same kind: nothing left to take away
                return documents
            missing = rng.choice(required)
            return [kind for kind in documents if kind != missing]
        if defect == "no_closed_won_reason":
            opp.closed_won_details = ""
        elif defect == "no_competitors":
            opp.competitors = ""
        elif defect == "quote_not_approved":
            quote["approved"] = False
        elif defect == "amount_mismatch":
            quote["amount"] = quote["amount"] + Decimal(rng.choice([100, 500, 1000, 2500]))
        elif defect == "contact_without_email":
            without_email = [c for c in account_contacts if not c.email]
            quote["bill_to_contact"] = rng.choice(without_email) if without_email else None
        elif defect == "no_agreement_type":
            opp.executed_agreement_type, opp.executed_agreement_link = None, ""
        elif defect == "no_quote_start":
            quote["start_date"] = None
        return documents

    # --- files ------------------------------------------------------------------------------------------------------

    def _store_files(self) -> dict[tuple[str, int], tuple[str, int]]:
        """A few real PDFs in MEDIA_ROOT, shared by every demo Document row: (kind, variant) -> (path, size)."""
        files = {}
        for kind, label in Kind.choices:
            for variant in range(DOCUMENT_VARIANTS):
                content = tiny_pdf(
                    f"{label.replace(chr(34), '')} (demo)",
                    [f"Demo document {variant + 1} of kind '{kind}'.", "Generated by manage.py seed_demo;",
                     "not a real agreement."],
                )  # fmt: skip
                name = f"documents/demo/{kind}-{variant + 1}.pdf"
                if default_storage.exists(name) and default_storage.size(name) != len(content):
                    default_storage.delete(name)
                if not default_storage.exists(name):
                    name = default_storage.save(name, ContentFile(content))
                files[(kind, variant)] = (name, len(content))
        return files

    # --- report -----------------------------------------------------------------------------------------------------

    def _report_readiness(self) -> None:
        from approvals.requirements import Deal, unmet

        stage6 = (
            Opportunity.objects.filter(stage=Stage.AWAITING_SIGNATURE)
            .select_related("account")
            .prefetch_related(
                Prefetch(
                    "quotes",
                    queryset=Quote.objects.filter(is_primary=True).select_related("sold_to_contact", "bill_to_contact"),
                ),
                "documents",
            )
        )
        total, ready, reasons = 0, 0, Counter()
        for opp in stage6:
            total += 1
            missing = unmet(Deal.of(opp))
            ready += not missing
            reasons.update(result.code for result in missing)
        if total:
            top = ", ".join(f"{code} {n}" for code, n in reasons.most_common(5))
            self.stdout.write(
                f"  stage 6-Awaiting Signature: {ready} of {total} ({ready / total:.0%}) meet every booking "
                f"requirement; most often unmet: {top}"
            )

    def _print_logins(self, users: dict[str, User]) -> None:
        rows = [("username", "password", "role", "region", "name")]
        for username, user in users.items():
            password = DEMO_PASSWORD if username in self.created_users else "(existing user, unchanged)"
            rows.append((username, password, user.get_role_display(), user.region_id or "-", user.get_full_name()))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        self.stdout.write("\nDemo logins:")
        for index, row in enumerate(rows):
            self.stdout.write(("  " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True))).rstrip())
            if index == 0:
                self.stdout.write("  " + "  ".join("-" * width for width in widths))


def pghistory_context():
    """Label the audit events of the seed (PostgreSQL only: pghistory's context rides on SQL variables)."""
    import pghistory

    return pghistory.context(source="seed_demo")

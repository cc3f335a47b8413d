"""The demo users (every role, one shared password) and the customers: accounts with their contacts."""

from __future__ import annotations

import random

from django.contrib.auth.hashers import make_password

from approvals.services import specialist_set_out_of_office
from ordermgmt.models import Account, Contact, User

from .draw import pick
from .names import (
    CITIES,
    COUNTRY_WEIGHTS,
    FIRST_NAMES,
    INDUSTRIES,
    LAST_NAMES,
    LEGAL_SUFFIX,
    NAME_STEMS,
    QUALIFIERS,
    REGION_WEIGHTS,
    STREETS,
    TLD,
)

DEMO_PASSWORD = "demo-pass-2026"
BATCH = 1000
Role = User.Role

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


def demo_users() -> tuple[dict[str, User], set[str]]:
    """The demo users by username, and which of them were created now; existing ones (same username) are kept as
    they are. New specialists get their backup through the workflow's own service, set by a demo manager."""
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
    created = {u.username for u in new}
    manager = next((u for u in users.values() if u.is_manager), None)
    for name, backup in BACKUPS.items():
        if name in created and manager is not None:
            specialist_set_out_of_office(
                actor=manager, specialist=users[name], start=None, end=None, backup=users[backup]
            )
    return {name: users[name] for name in DEMO_USERNAMES}, created


def _account_name(rng: random.Random, country: str, taken: set[str]) -> tuple[str, str]:
    """A unique, plausible company name for `country`, and the stem of its email domain."""
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


def demo_accounts(rng: random.Random, count: int) -> tuple[list[Account], dict[int, list[Contact]]]:
    """`count` new accounts spread over the regions and their countries, each with one to three contacts (the
    first always with an email, about one in six of the others without); the contacts by account id."""
    taken: set[str] = set(Account.objects.values_list("name", flat=True))
    accounts, domains = [], []
    for _ in range(count):
        region = pick(rng, REGION_WEIGHTS)
        country = pick(rng, COUNTRY_WEIGHTS[region])
        name, domain = _account_name(rng, country, taken)
        address = f"{rng.randint(1, 2500)} {rng.choice(STREETS)}\n{rng.choice(CITIES[country])}\n{country}"
        accounts.append(Account(name=name, region_id=region, country=country, billing_address=address))
        domains.append(f"{domain}.{TLD.get(country, 'com')}")
    Account.objects.bulk_create(accounts, batch_size=BATCH)

    contacts: list[Contact] = []
    for account, domain in zip(accounts, domains, strict=True):
        for position in range(rng.choices([1, 2, 3], weights=[35, 45, 20])[0]):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            has_email = position == 0 or rng.random() > 0.17
            local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
            email = f"{local}@{domain}" if has_email else ""
            contacts.append(Contact(account=account, name=f"{first} {last}", email=email))
    Contact.objects.bulk_create(contacts, batch_size=BATCH)
    by_account: dict[int, list[Contact]] = {account.pk: [] for account in accounts}
    for contact in contacts:
        by_account[contact.account_id].append(contact)
    return accounts, by_account

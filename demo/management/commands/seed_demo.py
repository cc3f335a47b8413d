"""`manage.py seed_demo [--seed N] [--scale F]`: the demo data (see `demo.seed`), once per database."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from demo.people import DEMO_PASSWORD, DEMO_USERNAMES
from demo.seed import readiness, seed_demo
from ordermgmt.models import Opportunity, User


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
        opportunity_count = Opportunity.objects.count()
        if opportunity_count:
            if force:
                raise CommandError(
                    "--force is not implemented: seed_demo only seeds a database without opportunities "
                    "(start from an empty database, e.g. `manage.py flush`, then run seed_demo again)."
                )
            if User.objects.filter(username__in=DEMO_USERNAMES).exists():
                self.stdout.write("demo data already present")
                return
            raise CommandError(
                f"The database already holds {opportunity_count} opportunities and no demo users: "
                "seed_demo only seeds an empty database."
            )

        started = time.monotonic()
        seeded = seed_demo(seed=seed, scale=scale)
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Seeded demo data (seed {seed}, scale {scale:g}) in {elapsed:.1f} s:"))
        self.stdout.write("  " + ", ".join(f"{count} {name}" for name, count in seeded.counts.items()))
        ready, reasons = readiness(seeded.stage6)
        if seeded.stage6:
            total = len(seeded.stage6)
            top = ", ".join(f"{code} {n}" for code, n in reasons.most_common(5))
            self.stdout.write(
                f"  stage 6-Awaiting Signature: {ready} of {total} ({ready / total:.0%}) meet every booking "
                f"requirement; most often unmet: {top}"
            )
        self._print_logins(seeded.users, seeded.created_users)

    def _print_logins(self, users: dict[str, User], created: set[str]) -> None:
        rows = [("username", "password", "role", "region", "name")]
        for username, user in users.items():
            password = DEMO_PASSWORD if username in created else "(existing user, unchanged)"
            rows.append((username, password, user.get_role_display(), user.region_id or "-", user.get_full_name()))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        self.stdout.write("\nDemo logins:")
        for index, row in enumerate(rows):
            self.stdout.write(("  " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True))).rstrip())
            if index == 0:
                self.stdout.write("  " + "  ".join("-" * width for width in widths))

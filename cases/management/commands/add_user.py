import getpass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cases.services import team_membership_add
from ordermgmt.models import Region, User
from ordermgmt.services import user_upsert


class Command(BaseCommand):
    help = (
        "Create (or update) a user with a role: add_user USERNAME --role ROLE [--region CODE] [--team CODE ...] "
        "[--password PW]. A role's own case team (Deal Desk, Billing Ops, Order Management) comes with the role."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=User.Role.values)
        parser.add_argument("--region", choices=Region.Code.values)
        parser.add_argument("--password", help="Without it you are prompted (twice), like createsuperuser.")
        parser.add_argument("--email", default="")
        parser.add_argument("--superuser", action="store_true", help="Also give Django admin access.")
        parser.add_argument(
            "--team", action="append", default=[], help="An extra case team (its code, e.g. renewal_ops); repeatable."
        )

    def handle(self, *args, username, role, region, password, email, superuser, team, **options):
        if role in User.REGIONAL_ROLES and not region:
            raise CommandError(f"--region is required for the {role} role")
        if password is None:
            password = self._prompt_password(username)
        try:
            user = user_upsert(
                username=username, role=role, region_code=region, password=password, email=email, superuser=superuser
            )
            teams = team_membership_add(user=user, team_codes=team)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{username}: {user.get_role_display()}{f' ({region})' if region else ''}"
                f"; case teams: {', '.join(t.name for t in teams) or 'none'}"
            )
        )

    def _prompt_password(self, username: str) -> str:
        while True:
            first = getpass.getpass("Password: ")
            if first != getpass.getpass("Password (again): "):
                self.stderr.write("Passwords do not match.")
                continue
            try:
                validate_password(first, User(username=username))
            except ValidationError as exc:
                self.stderr.write("\n".join(exc.messages))
                continue
            return first

import getpass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ordermgmt.models import Region, User
from ordermgmt.services import user_upsert


class Command(BaseCommand):
    help = "Create (or update) a user with a role: add_user USERNAME --role ROLE [--region CODE] [--password PW]"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=User.Role.values)
        parser.add_argument("--region", choices=Region.Code.values)
        parser.add_argument("--password", help="Without it you are prompted (twice), like createsuperuser.")
        parser.add_argument("--email", default="")
        parser.add_argument("--superuser", action="store_true", help="Also give Django admin access.")

    def handle(self, *args, username, role, region, password, email, superuser, **options):
        if role in User.REGIONAL_ROLES and not region:
            raise CommandError(f"--region is required for the {role} role")
        if password is None:
            password = self._prompt_password(username)
        user = user_upsert(
            username=username, role=role, region_code=region, password=password, email=email, superuser=superuser
        )
        self.stdout.write(
            self.style.SUCCESS(f"{username}: {user.get_role_display()}{f' ({region})' if region else ''}")
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

"""Create the district financial authority and its first administrator on a new installation."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from finbridge.accounts.services import district_authority_bootstrap
from finbridge.core.errors import DomainError

PASSWORD_ENV = "FINBRIDGE_ADMIN_PASSWORD"


class Command(BaseCommand):
    help = (
        "Create the district financial authority (or reuse it by name) and make USERNAME its administrator. "
        f"The password is read from {PASSWORD_ENV} or asked for."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organization", required=True, help="Name of the authority (Chinese).")
        parser.add_argument("--organization-en", default="", help="English name of the authority.")
        parser.add_argument("--district", default="", help="Administrative division code of its district, e.g. 440310.")
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", default="")

    def _password(self) -> str:
        if os.environ.get(PASSWORD_ENV):
            return os.environ[PASSWORD_ENV]
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ.")
        return first

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            membership = district_authority_bootstrap(
                name=options["organization"],
                name_en=options["organization_en"],
                district_code=options["district"],
                username=options["username"],
                email=options["email"],
                password=self._password(),
            )
        except DomainError as error:
            details = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.fields.items())
            raise CommandError(f"{error.message} {details}".strip()) from None
        self.stdout.write(
            self.style.SUCCESS(f"{membership.user.username} is now an administrator of {membership.organization.name}.")
        )

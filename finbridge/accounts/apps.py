from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "finbridge.accounts"
    verbose_name = _("Organisations and people")

    def ready(self) -> None:
        from finbridge.accounts.models import Organization
        from finbridge.accounts.rules import organization_object_rule
        from finbridge.core.permissions import register_object_rule

        register_object_rule(Organization, organization_object_rule)

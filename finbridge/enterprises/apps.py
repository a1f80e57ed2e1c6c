from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnterprisesConfig(AppConfig):
    name = "finbridge.enterprises"
    verbose_name = _("MSME registry")

    def ready(self) -> None:
        from finbridge.core.permissions import register_object_rule
        from finbridge.enterprises.models import Enterprise
        from finbridge.enterprises.selectors import enterprise_object_rule

        register_object_rule(Enterprise, enterprise_object_rule)

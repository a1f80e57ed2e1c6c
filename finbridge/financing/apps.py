from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinancingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "finbridge.financing"
    verbose_name = _("Financing")

    def ready(self) -> None:
        from finbridge.financing import notices

        notices.register()

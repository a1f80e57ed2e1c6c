from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskpoolConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "finbridge.riskpool"
    verbose_name = _("Risk-sharing pool")

    def ready(self) -> None:
        from finbridge.riskpool import notices

        notices.register()

"""Reference data kept as rows so that any district can configure its own: districts, subdistricts,
industrial clusters. The national industry classification is a shipped data file (industries.py)."""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class BilingualNameMixin(models.Model):
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language."""
        return self.name_zh if (get_language() or "zh-hans").startswith("zh") else self.name_en


class District(BilingualNameMixin):
    code = models.CharField(_("code"), max_length=12, unique=True, help_text=_("Administrative division code."))

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["code"]


class Subdistrict(BilingualNameMixin):
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="subdistricts", verbose_name=_("district")
    )
    code = models.CharField(_("code"), max_length=12, unique=True)

    class Meta:
        verbose_name = _("subdistrict")
        verbose_name_plural = _("subdistricts")
        ordering = ["code"]


class IndustrialCluster(BilingualNameMixin):
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="clusters", verbose_name=_("district")
    )
    code = models.SlugField(_("code"), max_length=40, unique=True)

    class Meta:
        verbose_name = _("industrial cluster")
        verbose_name_plural = _("industrial clusters")
        ordering = ["code"]

"""The audit trail: one immutable row per write, with who, when, what, before and after."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
        help_text=_("Empty for changes made by the system itself."),
    )
    actor_name = models.CharField(
        _("actor name"), max_length=150, blank=True, help_text=_("Kept if the user is deleted.")
    )
    action = models.CharField(
        _("action"), max_length=64, db_index=True, help_text=_("Service name, e.g. enterprise_update.")
    )
    object_type = models.CharField(_("object type"), max_length=64, db_index=True, help_text=_("app_label.model"))
    object_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "-created_at"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"

    @property
    def action_label(self) -> str:
        """The action in words, in the active language."""
        from finbridge.audit.labels import action_label

        return action_label(self.action)

    @property
    def object_type_label(self) -> str:
        """The record type in words, in the active language."""
        from finbridge.audit.labels import object_type_label

        return object_type_label(self.object_type)

    @property
    def changed_fields(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for every field whose value differs."""
        before, after = self.before or {}, self.after or {}
        keys = sorted(set(before) | set(after))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]

"""Serializers of the audit API."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from finbridge.audit.models import AuditEvent


class AuditFilterSerializer(serializers.Serializer):
    actor = serializers.CharField(required=False, max_length=150, help_text="Part of the actor's username, any case.")
    action = serializers.CharField(required=False, max_length=64, help_text="Exact action, e.g. membership_remove.")
    object_type = serializers.CharField(
        required=False, max_length=64, help_text="app_label.model, e.g. accounts.membership."
    )
    object_id = serializers.CharField(required=False, max_length=64)
    date_from = serializers.DateField(required=False, help_text="From this date (inclusive, China Standard Time).")
    date_to = serializers.DateField(required=False, help_text="Up to this date (inclusive).")


class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)


class AuditEventSerializer(serializers.ModelSerializer):
    changes = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "created_at",
            "actor",
            "actor_name",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "before",
            "after",
            "changes",
        ]
        read_only_fields = fields

    @extend_schema_field(ChangeSerializer(many=True))
    def get_changes(self, event: AuditEvent) -> list[dict[str, Any]]:
        return [{"field": f, "before": b, "after": a} for f, b, a in event.changed_fields]

"""Serializers of the notifications API."""

from __future__ import annotations

from rest_framework import serializers

from finbridge.notifications.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    """One notification; `text` is rendered in the caller's language from `kind` and `params`."""

    text = serializers.CharField(read_only=True)
    is_read = serializers.SerializerMethodField()
    organization_name = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "text",
            "params",
            "link",
            "organization",
            "organization_name",
            "created_at",
            "read_at",
            "is_read",
        ]
        read_only_fields = fields

    def get_is_read(self, notification: Notification) -> bool:
        return notification.read_at is not None

    def get_organization_name(self, notification: Notification) -> str:
        return notification.organization.display_name if notification.organization_id else ""


class MarkReadInputSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, help_text="Leave out to mark every one read."
    )


class MarkReadOutputSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField()

"""The notifications API: the caller's own notifications, how many are unread, and marking them read."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from finbridge.core.errors import ValidationFailed
from finbridge.core.pagination import CappedPageNumberPagination
from finbridge.enterprises.api.views import PARSERS, errors, request_fields
from finbridge.enterprises.selectors import parse_id
from finbridge.notifications.api.serializers import (
    MarkReadInputSerializer,
    MarkReadOutputSerializer,
    NotificationSerializer,
    UnreadCountSerializer,
)
from finbridge.notifications.services import notification_mark_read
from finbridge.notifications.views import notification_list, unread_count

MSG_IDS = _("Send a list of notification ids, or nothing to mark every one read.")
MSG_UNREAD = _("Use true or false.")


class NotificationViewSet(viewsets.GenericViewSet):
    """The caller's own notifications (nobody sees anyone else's)."""

    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = CappedPageNumberPagination
    parser_classes = PARSERS
    filter_backends: list[Any] = []

    def get_queryset(self) -> Any:
        return notification_list(actor=self.request.user)

    @extend_schema(
        summary="Your notifications, newest first",
        parameters=[OpenApiParameter("unread", OpenApiTypes.BOOL, description="Only the unread ones.")],
        responses={200: NotificationSerializer(many=True), **errors(400, 401)},
    )
    def list(self, request: Request) -> Response:
        raw = request.query_params.get("unread", "").strip().lower()
        if raw not in ("", "true", "false", "1", "0"):
            raise ValidationFailed(MSG_UNREAD, fields={"unread": [str(MSG_UNREAD)]})
        queryset = notification_list(actor=request.user, unread=raw in ("true", "1"))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(NotificationSerializer(page, many=True).data)

    @extend_schema(
        summary="How many of your notifications are unread",
        responses={200: UnreadCountSerializer, **errors(401)},
    )
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request: Request) -> Response:
        return Response({"unread": unread_count(actor=request.user)})

    @extend_schema(
        summary="Mark notifications read (the given ids, or all)",
        request=MarkReadInputSerializer,
        responses={200: MarkReadOutputSerializer, **errors(400, 401)},
    )
    @action(detail=False, methods=["post"], url_path="mark-read")
    def mark_read(self, request: Request) -> Response:
        data = request_fields(request)
        unknown = sorted(set(data) - {"ids"})
        if unknown:
            raise ValidationFailed(MSG_IDS, fields={name: [str(_("Unknown field."))] for name in unknown})
        raw = data.get("ids")
        ids: list[int] | None = None
        if raw is not None:
            items = raw if isinstance(raw, list) else [raw]
            ids = [parse_id(item) for item in items]
            if any(i is None for i in ids) or any(isinstance(item, bool) for item in items):
                raise ValidationFailed(MSG_IDS, fields={"ids": [str(MSG_IDS)]})
        marked = notification_mark_read(actor=request.user, ids=ids)
        return Response({"marked": marked})

"""The audit API: the district authority reads who changed what."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from finbridge.audit import selectors
from finbridge.audit.api.serializers import AuditEventSerializer, AuditFilterSerializer
from finbridge.audit.models import AuditEvent
from finbridge.audit.permissions import VIEW_AUDIT
from finbridge.core.api import ErrorSerializer, HasPermCode

_ERROR = OpenApiResponse(ErrorSerializer)


@extend_schema_view(
    list=extend_schema(
        parameters=[AuditFilterSerializer], responses={200: AuditEventSerializer(many=True), 400: _ERROR, 403: _ERROR}
    ),
    retrieve=extend_schema(responses={200: AuditEventSerializer, 403: _ERROR, 404: _ERROR}),
)
class AuditEventViewSet(viewsets.GenericViewSet):
    """Audit events, newest first (district authority only: audit.view_audit)."""

    permission_classes = [HasPermCode]
    perm_codes = {"list": VIEW_AUDIT, "retrieve": VIEW_AUDIT}
    serializer_class = AuditEventSerializer
    queryset = AuditEvent.objects.none()

    def list(self, request: Request) -> Response:
        filters = AuditFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        events = selectors.audit_event_list(actor=request.user, filters=filters.validated_data)
        page = self.paginate_queryset(events)
        return self.get_paginated_response(AuditEventSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(AuditEventSerializer(selectors.audit_event_get(actor=request.user, pk=pk)).data)

"""The bulk import API: upload a list (dry run by default), list and read runs, apply a dry run,
download the rejected rows and the template."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from finbridge.core.api import ErrorSerializer, HasPermCode
from finbridge.core.errors import ValidationFailed
from finbridge.enterprises import import_files
from finbridge.enterprises import permissions as perms
from finbridge.enterprises.api import import_serializers as s
from finbridge.enterprises.models import ImportRun
from finbridge.enterprises.selectors_import import import_run_get, import_run_list, importing_organizations
from finbridge.enterprises.services import importing

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="The file cannot be imported; nothing was changed."),
    403: OpenApiResponse(ErrorSerializer, description="Not signed in, or not allowed to import."),
    404: OpenApiResponse(ErrorSerializer, description="No such run, or not one of your organisations."),
    409: OpenApiResponse(ErrorSerializer, description="The run is still queued or running."),
}
RUN_RESPONSES = {
    201: OpenApiResponse(s.ImportRunDetailSerializer, description="A small file, imported (or checked): the run."),
    202: OpenApiResponse(
        s.ImportRunDetailSerializer,
        description=(
            "A large file, accepted for a background worker: the run with its status (queued, running, or "
            "already done). Poll GET /enterprise-imports/{id}/ until the status is done or failed."
        ),
    ),
}
XLSX_RESPONSE = {(200, import_files.CONTENT_TYPES[import_files.XLSX]): OpenApiTypes.BINARY}


def _download(content: bytes, file_name: str, file_format: str) -> HttpResponse:
    response = HttpResponse(content, content_type=import_files.CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


@extend_schema_view(
    list=extend_schema(summary="Import runs of your organisations", responses={200: s.ImportRunSerializer(many=True)}),
    retrieve=extend_schema(
        summary="One import run with its status, counts and rejected rows",
        responses={200: s.ImportRunDetailSerializer, 403: ERRORS[403], 404: ERRORS[404]},
    ),
)
class ImportRunViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Bulk import of enterprise lists. Every action needs enterprises.import_enterprises."""

    permission_classes = [HasPermCode]
    perm_codes = dict.fromkeys(("list", "retrieve", "create", "apply", "report", "template"), perms.IMPORT_ENTERPRISES)
    serializer_class = s.ImportRunSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self) -> Any:
        return import_run_list(actor=self.request.user)

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # Download routes answer with files and errors with JSON (whatever the method):
        # `?format=` names the file format there, not a renderer.
        if {"report", "template"} & set(getattr(self, "action_map", {}).values()):
            renderer = self.get_renderers()[0]
            return renderer, renderer.media_type
        return super().perform_content_negotiation(request, force)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        run = import_run_get(actor=request.user, pk=pk)
        return Response(s.ImportRunDetailSerializer(run, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Upload an enterprise list",
        description=(
            "Multipart upload of an .xlsx or .csv file. With dry_run (the default) nothing is saved and the "
            "run reports what would be created, updated, left unchanged and rejected; apply it later with "
            "POST /enterprise-imports/{id}/apply/. Rows are matched by credit code. A file of more rows than "
            "the background threshold (5,000 by default) is answered 202 and runs in the background."
        ),
        request={"multipart/form-data": s.ImportUploadSerializer},
        responses={**RUN_RESPONSES, 400: ERRORS[400], 403: ERRORS[403]},
    )
    def create(self, request: Request) -> Response:
        upload = s.ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        run = importing.enterprise_import(
            actor=request.user,
            organization=self._organization(data.get("organization")),
            file_name=data["file"].name,
            content=data["file"].read(settings.FINBRIDGE_IMPORT_MAX_BYTES + 1),
            dry_run=data["dry_run"],
        )
        return self._created(run)

    def _organization(self, pk: int | None) -> Any:
        organizations = importing_organizations(actor=self.request.user)
        if pk is not None:
            matching = [org for org in organizations if org.pk == pk]
            if matching:
                return matching[0]
            message = _("You cannot import enterprises for this organisation.")
            raise ValidationFailed(message, code="bad_organization", fields={"organization": [message]})
        if len(organizations) != 1:
            message = _("Choose the organisation you import for.")
            raise ValidationFailed(message, code="organization_required", fields={"organization": [message]})
        return organizations[0]

    def _created(self, run: ImportRun) -> Response:
        """201 with the finished run; 202 with its status when the file went to a background worker."""
        run = import_run_get(actor=self.request.user, pk=run.pk)
        data = s.ImportRunDetailSerializer(run, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_202_ACCEPTED if run.background else status.HTTP_201_CREATED)

    @extend_schema(
        summary="Apply the file of a dry run",
        request=None,
        responses={**RUN_RESPONSES, 400: ERRORS[400], 403: ERRORS[403], 404: ERRORS[404], 409: ERRORS[409]},
    )
    @action(detail=True, methods=["post"])
    def apply(self, request: Request, pk: str | None = None) -> Response:
        return self._created(importing.import_run_apply(actor=request.user, pk=pk))

    @extend_schema(
        summary="Download the rejected rows (.xlsx)",
        responses={**XLSX_RESPONSE, 403: ERRORS[403], 404: ERRORS[404]},
    )
    @action(detail=True, methods=["get"])
    def report(self, request: Request, pk: str | None = None) -> HttpResponse:
        run = import_run_get(actor=request.user, pk=pk)
        return _download(importing.import_report(run), f"enterprise-import-{run.pk}-rejected-rows.xlsx", "xlsx")

    @extend_schema(
        summary="Download the import template",
        parameters=[
            OpenApiParameter("lang", str, enum=["zh-hans", "en"], description="Language of the column titles."),
            OpenApiParameter("format", str, enum=list(import_files.FORMATS), description="File format."),
        ],
        responses={
            **XLSX_RESPONSE,
            (200, import_files.CONTENT_TYPES[import_files.CSV]): OpenApiTypes.BINARY,
            400: ERRORS[400],
            403: ERRORS[403],
        },
    )
    @action(detail=False, methods=["get"])
    def template(self, request: Request) -> HttpResponse:
        default_language = "zh-hans" if (get_language() or "zh-hans").startswith("zh") else "en"
        file_format = request.query_params.get("format", import_files.XLSX)
        content, file_name = importing.import_template(
            language=request.query_params.get("lang", default_language), file_format=file_format
        )
        return _download(content, file_name, file_format)

"""Serializers of the bulk import API: the upload and the import runs with their row errors."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from finbridge.enterprises.models import ImportRun
from finbridge.enterprises.selectors_import import import_run_rows_done


class ImportUploadSerializer(serializers.Serializer):
    """A file to import, checked by a dry run unless dry_run is false."""

    file = serializers.FileField(
        allow_empty_file=True,  # the service answers an empty file with its own message
        help_text=_("The enterprise list, .xlsx or .csv, with the template's columns."),
    )
    dry_run = serializers.BooleanField(
        default=True, help_text=_("Check the file and report what would happen, saving nothing (default).")
    )
    organization = serializers.IntegerField(
        required=False,
        help_text=_("The organisation importing; needed only when you may import for several."),
    )


class ImportErrorSerializer(serializers.Serializer):
    """One problem of one row: the spreadsheet line, the field, the value as given and the reason."""

    line = serializers.IntegerField()
    field = serializers.CharField(allow_blank=True)
    value = serializers.CharField(allow_blank=True)
    message = serializers.CharField()


class ImportRunSerializer(serializers.ModelSerializer):
    """An import run (dry or applied) with its status and counts. A large file runs in the background:
    `status` goes queued -> running -> done (counts final) or failed (`failure_message`; nothing changed);
    the counts stay 0 until it is done, `rows_total` is the number of rows found in the file."""

    organization_name = serializers.CharField(source="organization.display_name", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    rows_processed = serializers.SerializerMethodField()
    report_url = serializers.SerializerMethodField()

    class Meta:
        model = ImportRun
        fields = [
            "id",
            "organization",
            "organization_name",
            "created_by",
            "created_at",
            "file_name",
            "file_sha256",
            "dry_run",
            "status",
            "background",
            "started_at",
            "finished_at",
            "failure_message",
            "rows_processed",
            "rows_total",
            "rows_created",
            "rows_updated",
            "rows_unchanged",
            "rows_rejected",
            "report_url",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField())
    def get_rows_processed(self, run: ImportRun) -> int:
        """Rows processed so far (all of them once done; 0 while queued or after a failure)."""
        return import_run_rows_done(run)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_report_url(self, run: ImportRun) -> str | None:
        """Where to download the rejected rows as .xlsx (null when no row was rejected)."""
        if not run.rows_rejected:
            return None
        path = reverse("api-enterprise-import-report", args=[run.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class ImportRunDetailSerializer(ImportRunSerializer):
    """An import run with every rejected row's problems."""

    errors = ImportErrorSerializer(many=True, read_only=True)

    class Meta(ImportRunSerializer.Meta):
        fields = [*ImportRunSerializer.Meta.fields, "errors"]
        read_only_fields = fields

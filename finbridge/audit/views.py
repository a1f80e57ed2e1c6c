"""The audit page: who changed what, with filters and each event's before/after diff."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from finbridge.accounts.forms import add_domain_error
from finbridge.accounts.views import PermissionRequiredPageMixin
from finbridge.audit import selectors
from finbridge.audit.forms import AuditFilterForm
from finbridge.audit.labels import field_label
from finbridge.audit.models import AuditEvent
from finbridge.audit.permissions import VIEW_AUDIT
from finbridge.core.errors import ValidationFailed
from finbridge.core.pagination import CappedPaginator

PAGE_SIZE = 50


def _shown(value: Any) -> str:
    """A value of a before/after snapshot as text ("—" when absent)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def event_changes(event: AuditEvent) -> list[tuple[str, str, str]]:
    """(field, before, after) as text for every field the event changed (an empty text and None count as equal)."""
    shown = [(field, _shown(before), _shown(after)) for field, before, after in event.changed_fields]
    return [(field_label(event.object_type, field), before, after) for field, before, after in shown if before != after]


class AuditListView(PermissionRequiredPageMixin, View):
    """Audit events for the district authority, filtered and paginated; htmx requests get the results only."""

    perm_code = VIEW_AUDIT

    def get(self, request: HttpRequest) -> HttpResponse:
        actor = request.user
        form = AuditFilterForm(request.GET or None, facets=selectors.audit_event_facets(actor=actor))
        events = AuditEvent.objects.none()
        if not form.is_bound or form.is_valid():
            filters = form.cleaned_data if form.is_bound else {}
            try:
                events = selectors.audit_event_list(actor=actor, filters=filters)
            except ValidationFailed as error:
                add_domain_error(form, error)
        page = CappedPaginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = [{"event": event, "changes": event_changes(event)} for event in page]
        context = {"form": form, "page_obj": page, "rows": rows}
        htmx = getattr(request, "htmx", None)
        partial = bool(htmx) and not htmx.boosted
        template = "audit/partials/_results.html" if partial else "audit/list.html"
        return render(request, template, context)

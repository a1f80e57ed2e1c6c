"""Helpers shared by the supply-chain pages: the page decorator, list paging and file downloads."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from finbridge.core import pagination
from finbridge.core.errors import Conflict, DomainError
from finbridge.enterprises import import_files
from finbridge.enterprises.views import registry_page, wants_partial

__all__ = ["error_status", "page_context", "registry_page", "sc_page", "wants_partial", "xlsx_download"]

PAGE_SIZE = 25

# Sign-in required; NotFound answers 404 and PermissionDenied 403 (as on the registry pages).
sc_page = registry_page


def error_status(error: DomainError) -> int:
    """The status a page answers a failed action with: 409 for a conflict with the record's state, else 400."""
    return 409 if isinstance(error, Conflict) else 400


def page_context(request: HttpRequest, queryset: Any, page_size: int = PAGE_SIZE) -> dict[str, Any]:
    """A capped page of `queryset` (?page=) with its count, as the list templates expect."""
    page = pagination.CappedPaginator(queryset, page_size).get_page(request.GET.get("page"))
    return {
        "page": page,
        "count": min(page.paginator.count, pagination.COUNT_CAP),
        "count_capped": page.paginator.count_capped,
        "page_range": list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)),
    }


def xlsx_download(content: bytes, file_name: str, file_format: str = import_files.XLSX) -> HttpResponse:
    response = HttpResponse(content, content_type=import_files.CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response

"""Pagination that never counts more than it must: counts stop at COUNT_CAP rows."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """A Paginator whose count is exact up to COUNT_CAP and COUNT_CAP + 1 beyond (shown as "10,000+")."""

    @cached_property
    def count(self) -> int:  # type: ignore[override]
        queryset = self.object_list
        if hasattr(queryset, "order_by"):
            return queryset.order_by()[: COUNT_CAP + 1].count()
        return len(queryset)

    @property
    def count_capped(self) -> bool:
        return self.count > COUNT_CAP


class CappedPageNumberPagination(PageNumberPagination):
    """Page-number pagination with `page_size` up to 100 and a capped, flagged count."""

    django_paginator_class = CappedPaginator
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_paginated_response(self, data: Any) -> Response:
        paginator = self.page.paginator
        return Response(
            {
                "count": min(paginator.count, COUNT_CAP),
                "count_capped": paginator.count_capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        base = super().get_paginated_response_schema(schema)
        base["properties"]["count_capped"] = {"type": "boolean"}
        return base

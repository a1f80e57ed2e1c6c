"""Pages of the notifications app: the user's notifications (unread first highlighted), opening one (which
marks it read and follows its link), and marking them read. Also the two reads the pages, the API and the
navbar bell share: notification_list and unread_count (a user only ever sees their own notifications)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from finbridge.core import pagination
from finbridge.notifications.models import Notification
from finbridge.notifications.services import notification_mark_read

PAGE_SIZE = 25


def notification_list(*, actor: Any, unread: bool = False) -> QuerySet[Notification]:
    """The actor's own notifications, newest first (only unread ones with `unread`). Anonymous: none."""
    if not getattr(actor, "is_authenticated", False):
        return Notification.objects.none()
    qs = Notification.objects.filter(recipient=actor).select_related("organization")
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def unread_count(*, actor: Any) -> int:
    """How many of the actor's notifications are unread."""
    return notification_list(actor=actor, unread=True).count()


def _ids(values: list[str]) -> list[int] | None:
    """Ids from the form (None: none given = all); invalid values are ignored."""
    if not values:
        return None
    return [int(v) for v in values if v.isascii() and v.isdigit() and len(v) < 19]


@login_required
@require_http_methods(["GET"])
def notification_list_view(request: HttpRequest) -> HttpResponse:
    """The user's notifications; ?unread=1 shows only the unread ones."""
    only_unread = request.GET.get("unread") == "1"
    queryset = notification_list(actor=request.user, unread=only_unread)
    page = pagination.CappedPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "only_unread": only_unread,
        "unread": unread_count(actor=request.user),
    }
    return render(request, "notifications/list.html", context)


@login_required
@require_POST
def notification_mark_read_view(request: HttpRequest) -> HttpResponse:
    """Mark the given notifications (field `ids`, repeated) or all of them read."""
    changed = notification_mark_read(actor=request.user, ids=_ids(request.POST.getlist("ids")))
    if getattr(request, "htmx", None):
        return render(
            request,
            "notifications/partials/_bell.html",
            {"notifications_unread_count": unread_count(actor=request.user)},
        )
    if changed:
        messages.success(request, _("Marked as read."))
    return redirect("notifications:list")


@login_required
@require_POST
def notification_open_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read and go where it points (a page of this site), or back to the list."""
    notification = notification_list(actor=request.user).filter(pk=pk).first()
    if notification is None:
        raise Http404()
    notification_mark_read(actor=request.user, ids=[notification.pk])
    link = notification.link
    if link and link.startswith("/") and url_has_allowed_host_and_scheme(link, allowed_hosts=None):
        return redirect(link)
    return redirect("notifications:list")

"""Pages of payment vouchers: the list of parts the user may see, a part with its trace back to the debtor's
confirmation and, for the debtor and the district authority, the whole tree (drawn with ECharts, listed for
screen readers), and the holder's actions: split, pass on, request financing.

Views parse input, call a selector or service and render. NotFound answers 404, PermissionDenied 403;
ValidationFailed and Conflict show the page again with the message (400 / 409) and change nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from finbridge.core.errors import DomainError, NotFound, PermissionDenied
from finbridge.core.permissions import require_perm
from finbridge.core.templatetags.finbridge import money
from finbridge.supplychain import permissions as perms
from finbridge.supplychain.choices import VoucherStatus
from finbridge.supplychain.forms_receivables import add_domain_errors
from finbridge.supplychain.forms_vouchers import SplitFormSet, TransferForm, split_parts
from finbridge.supplychain.models import ReceivableConfirmation, Voucher
from finbridge.supplychain.selectors import vouchers as selectors
from finbridge.supplychain.selectors._common import trade_scope
from finbridge.supplychain.services import vouchers as services
from finbridge.supplychain.services.confirmation import invoice_label
from finbridge.supplychain.views._common import error_status, page_context, sc_page, wants_partial
from finbridge.supplychain.views.abilities import voucher_abilities
from finbridge.supplychain.views.queries import organization_for_uscc


def voucher_url(pk: int) -> str:
    return reverse("supplychain:vouchers-detail", args=[pk])


@sc_page
@require_GET
def voucher_list_view(request: HttpRequest) -> HttpResponse:
    """Voucher parts the user may see (?status=, ?live=true for parts not split)."""
    require_perm(request.user, perms.VIEW_SUPPLY_CHAIN)
    status = request.GET.get("status") if request.GET.get("status") in VoucherStatus.values else None
    live = {"true": True, "false": False}.get(request.GET.get("live", ""))
    queryset = selectors.voucher_list(actor=request.user, status=status, live=live)
    context = {
        "status": status or "",
        "statuses": VoucherStatus.choices,
        "live": live,
        **page_context(request, queryset),
    }
    if wants_partial(request):
        return render(request, "supplychain/vouchers/partials/_results.html", context)
    return render(request, "supplychain/vouchers/list.html", context)


def _tree(parts: list[Voucher], current: int) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Nested nodes for the list and the ECharts tree ({name, value, children}) of one voucher's parts."""
    nodes: dict[int, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for part in parts:
        nodes[part.pk] = {"part": part, "children": [], "current": part.pk == current}
    for part in parts:
        parent = nodes.get(part.parent_id) if part.parent_id else None
        (parent["children"] if parent else roots).append(nodes[part.pk])

    def chart(node: dict[str, Any]) -> dict[str, Any]:
        part = node["part"]
        return {
            "name": f"{part.holder.display_name} · T{part.tier}",
            "value": money(part.amount),
            "status": part.get_status_display(),
            "current": node["current"],
            "children": [chart(child) for child in node["children"]],
        }

    return roots, (chart(roots[0]) if roots else None)


def _depth(parts: list[Voucher]) -> int:
    """How many levels the tree has below its root (for the chart's height)."""
    depth: dict[int, int] = {}
    for part in parts:  # parents come before their children (creation order)
        depth[part.pk] = depth.get(part.parent_id, -1) + 1 if part.parent_id else 0
    return max(depth.values(), default=0)


def _detail_context(request: HttpRequest, voucher: Voucher, **forms: Any) -> dict[str, Any]:
    trace = selectors.voucher_trace(actor=request.user, pk=voucher.pk)
    scope = trade_scope(request.user)
    shows_tree = scope.sees_all or voucher.receivable.debtor_id in scope.org_ids
    parts = selectors.voucher_tree(actor=request.user, pk=voucher.pk) if shows_tree else []
    tree, chart = _tree(parts, voucher.pk) if parts else ([], None)
    children = selectors.voucher_list(actor=request.user).filter(parent=voucher)
    return {
        "voucher": voucher,
        "invoice": invoice_label(voucher.receivable),
        "trace": list(reversed(trace)),  # the issued voucher first
        "confirmation": ReceivableConfirmation.objects.filter(receivable_id=voucher.receivable_id).first(),
        "children": list(children),
        "tree": tree,
        "tree_chart": chart,
        "tree_height": 140 + 130 * _depth(parts),
        "split_formset": forms.get("split_formset") or SplitFormSet(prefix="split"),
        "transfer_form": forms.get("transfer_form") or TransferForm(auto_id="id_transfer_%s"),
        "action_error": forms.get("action_error", ""),
        **voucher_abilities(request.user, voucher),
    }


def _detail(request: HttpRequest, pk: Any, status: int = 200, **forms: Any) -> HttpResponse:
    voucher = selectors.voucher_get(actor=request.user, pk=pk)
    return render(
        request, "supplychain/vouchers/detail.html", _detail_context(request, voucher, **forms), status=status
    )


@sc_page
@require_GET
def voucher_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm(request.user, perms.VIEW_SUPPLY_CHAIN)
    return _detail(request, pk)


def _fail(request: HttpRequest, pk: int, error: DomainError, **forms: Any) -> HttpResponse:
    return _detail(request, pk, error_status(error), action_error=error.message, **forms)


@sc_page
@require_POST
def voucher_split_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Split a held part into amounts passed to suppliers or kept; what is left over is kept."""
    selectors.voucher_get(actor=request.user, pk=pk)
    require_perm(request.user, perms.TRADE)
    formset = SplitFormSet(request.POST, prefix="split")
    parts = split_parts(formset) if formset.is_valid() else None
    if parts is None:
        return _detail(request, pk, 400, split_formset=formset)
    try:
        children = services.voucher_split(actor=request.user, pk=pk, parts=parts)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as error:
        return _fail(request, pk, error, split_formset=formset)
    messages.success(request, _("The voucher part was split into %(count)s parts.") % {"count": len(children)})
    return redirect(voucher_url(pk))


@sc_page
@require_POST
def voucher_transfer_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Pass a whole held part to a supplier (one tier further down)."""
    selectors.voucher_get(actor=request.user, pk=pk)
    require_perm(request.user, perms.TRADE)
    form = TransferForm(request.POST, auto_id="id_transfer_%s")
    form.is_valid()
    try:
        recipient = organization_for_uscc(form.cleaned_data.get("recipient_uscc"), "recipient_uscc")
        services.voucher_transfer(actor=request.user, pk=pk, recipient=recipient)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as error:
        add_domain_errors(form, error)
        return _fail(request, pk, error, transfer_form=form)
    messages.success(request, _("The voucher part was passed on."))
    return redirect(voucher_url(pk))

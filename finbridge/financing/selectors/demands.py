"""Reads of financing demands, institutions' responses and the demand timeline. Row visibility lives here.

Who sees a demand:
- the firm: every demand of its own enterprise (drafts included);
- government staff: demands of enterprises in their remit (district authority: all; industry authority: the
  enterprises it manages; subdistrict office: those of its subdistrict) once published, and the drafts their
  own organisation recorded on a firm's behalf;
- banks and guarantors: demands that were published (whatever their status now) and are visible to "all"
  admitted institutions, or "chosen" with the institution or its head office among the chosen ones; and any
  demand they answered;
- nobody else.
A demand the actor may not see answers NotFound, exactly like a missing one. Seeing a demand lets an
institution see the enterprise summary embedded in it (name, size class, industry, subdistrict, labels,
years in operation): posting the demand is the firm's consent to that summary.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.accounts.choices import OrgType
from finbridge.accounts.models import Organization
from finbridge.accounts.roles import codes_for
from finbridge.accounts.selectors import actor_scope
from finbridge.core.errors import NotFound, ValidationFailed
from finbridge.core.permissions import has_perm, require_perm
from finbridge.enterprises.models import Enterprise
from finbridge.enterprises.selectors import parse_id
from finbridge.financing import permissions as perms
from finbridge.financing.choices import (
    DemandPurpose,
    DemandStatus,
    DemandVisibility,
    EngagementStatus,
    ResponseKind,
)
from finbridge.financing.models import Demand, DemandEvent, DemandResponse

# Organisations that answer demands, and those that record demands on a firm's behalf.
LENDER_TYPES = frozenset({OrgType.BANK, OrgType.GUARANTOR})
GOVERNMENT_ORG_TYPES = (OrgType.DISTRICT_AUTHORITY, OrgType.INDUSTRY_AUTHORITY, OrgType.SUBDISTRICT_OFFICE)
# A demand institutions can still act on (take up, pass, review...).
OPEN_STATUSES = (
    DemandStatus.PUBLISHED,
    DemandStatus.TAKEN_UP,
    DemandStatus.UNDER_REVIEW,
    DemandStatus.APPROVED,
)
# An institution's engagement that is still running.
OPEN_ENGAGEMENT_STATUSES = (EngagementStatus.TAKEN_UP, EngagementStatus.UNDER_REVIEW, EngagementStatus.APPROVED)

# Timeline actions (DemandEvent.action) and their words.
EVENT_LABELS = {
    "created": _("Demand created"),
    "recorded": _("Recorded on the firm's behalf"),
    "updated": _("Demand edited"),
    "published": _("Published to institutions"),
    "republished": _("Published again"),
    "withdrawn": _("Withdrawn"),
    "expired": _("Expired"),
    "taken_up": _("Taken up"),
    "passed": _("Passed"),
    "review_started": _("Review started"),
    "approved": _("Approved"),
    "declined": _("Declined"),
    "disbursed": _("Loan disbursed"),
    "closed": _("Closed"),
    "escalated": _("Escalated to the district authority"),
    "overdue": _("Answer overdue"),
}
# Events the firm does not see in its timeline (they concern one institution's compliance).
INTERNAL_EVENTS = frozenset({"overdue"})

FILTER_NAMES = ("status", "purpose", "enterprise", "answered", "overdue", "recorded_on_behalf", "q")
MSG_BAD_FILTER = _("%(value)s is not an accepted value.")
MSG_UNKNOWN_FILTER = _("Unknown filter.")
Q_MAX_LENGTH = 200


def event_label(action: str) -> str:
    """The timeline action in words, in the active language."""
    return str(EVENT_LABELS.get(action, action))


# ---- the actor's organisations ------------------------------------------------------------------------


def acting_organizations(*, actor: Any, code: str, org_types: Iterable[str]) -> list[Organization]:
    """The actor's active organisations of the given types in which their role grants `code`.

    A person may belong to several organisations; a service acts for one of them, and the code must come
    from the membership in that organisation (not from another). Anonymous or without the code: [].
    """
    if not has_perm(actor, code):
        return []
    types = frozenset(org_types)
    return [
        m.organization
        for m in actor.active_memberships
        if m.organization.org_type in types and code in codes_for(m.organization.org_type, m.role)
    ]


def lender_organizations(*, actor: Any) -> list[Organization]:
    """The banks and guarantors the actor belongs to (any role)."""
    if not getattr(actor, "is_authenticated", False):
        return []
    return [m.organization for m in actor.active_memberships if m.organization.org_type in LENDER_TYPES]


def _with_head_offices(organizations: Iterable[Organization]) -> set[int]:
    ids: set[int] = set()
    for org in organizations:
        ids.add(org.pk)
        if org.parent_id:
            ids.add(org.parent_id)
    return ids


# ---- visibility ---------------------------------------------------------------------------------------


def _chosen_exists(organization_ids: Iterable[int]) -> Exists:
    through = Demand.chosen_institutions.through
    return Exists(through.objects.filter(demand_id=OuterRef("pk"), organization_id__in=list(organization_ids)))


def _institution_condition(lenders: list[Organization]) -> Q:
    """Published demands shown to these institutions (or their head offices), and demands they answered."""
    visible_to = _with_head_offices(lenders)
    shown = Q(published_at__isnull=False) & (
        Q(visibility=DemandVisibility.ALL) | Q(visibility=DemandVisibility.CHOSEN) & Q(_chosen_exists(visible_to))
    )
    answered = Exists(
        DemandResponse.objects.filter(demand_id=OuterRef("pk"), institution_id__in=[o.pk for o in lenders])
    )
    return shown | Q(answered)


def demand_visible_queryset(*, actor: Any) -> QuerySet[Demand]:
    """Every demand the actor may see (see the module docstring), unordered. Anonymous: none."""
    scope = actor_scope(actor)
    if not scope.organization_ids:
        return Demand.objects.none()
    condition = Q(pk__in=[])
    if scope.own_organization_ids:
        condition |= Q(enterprise__organization_id__in=scope.own_organization_ids)
    if scope.is_government:
        if scope.is_district_authority:
            remit = Q()
        else:
            remit = Q(pk__in=[])
            if scope.industry_authority_ids:
                remit |= Q(enterprise__managing_authority_id__in=scope.industry_authority_ids)
            if scope.subdistrict_ids:
                remit |= Q(enterprise__subdistrict_id__in=scope.subdistrict_ids)
        condition |= remit & Q(published_at__isnull=False)
        condition |= Q(recorded_by_organization_id__in=scope.organization_ids)
    lenders = lender_organizations(actor=actor)
    if lenders:
        condition |= _institution_condition(lenders)
    return Demand.objects.filter(condition)


def institutions_that_can_see(demand: Demand) -> QuerySet[Organization]:
    """The active banks and guarantors a demand is shown to: none before it was ever published; every one
    for visibility "all"; for "chosen", the chosen ones and the branches of chosen head offices.

    Any caller (a read used by matching, deadlines and pages); raises nothing.
    """
    qs = Organization.objects.filter(org_type__in=LENDER_TYPES, is_active=True)
    if demand.published_at is None:
        return qs.none()
    if demand.visibility == DemandVisibility.CHOSEN:
        chosen = Demand.chosen_institutions.through.objects.filter(demand_id=demand.pk).values("organization_id")
        qs = qs.filter(Q(pk__in=chosen) | Q(parent_id__in=chosen))
    return qs


def can_institution_see(*, demand: Demand, institution: Organization) -> bool:
    """Whether the demand is shown to this institution (or it already answered it)."""
    if DemandResponse.objects.filter(demand=demand, institution=institution).exists():
        return True
    return institutions_that_can_see(demand).filter(pk=institution.pk).exists()


def _detail_queryset(actor: Any) -> QuerySet[Demand]:
    return demand_visible_queryset(actor=actor).select_related(
        "enterprise", "enterprise__subdistrict", "enterprise__organization", "recorded_by_organization", "created_by"
    )


def demand_get(*, actor: Any, pk: Any) -> Demand:
    """One demand the actor may see, with its enterprise loaded; NotFound otherwise (also for a bad id)."""
    record_id = parse_id(pk)
    if record_id is None:
        raise NotFound()
    demand = _detail_queryset(actor).filter(pk=record_id).first()
    if demand is None:
        raise NotFound()
    return demand


def demand_is_visible(*, actor: Any, demand: Demand) -> bool:
    """Whether the actor may see this demand."""
    return demand.pk is not None and demand_visible_queryset(actor=actor).filter(pk=demand.pk).exists()


# ---- who may manage a demand ---------------------------------------------------------------------------


def managing_organization(*, actor: Any, demand: Demand) -> Organization | None:
    """The organisation through which the actor may edit, publish, withdraw or republish the demand: the
    firm's own organisation (financing.post_demand there), or, for a demand recorded on the firm's behalf,
    the recording organisation (financing.record_demand_on_behalf there). None when neither."""
    firm_org_id = demand.enterprise.organization_id
    for org in acting_organizations(actor=actor, code=perms.POST_DEMAND, org_types=[OrgType.MSME]):
        if firm_org_id is not None and org.pk == firm_org_id:
            return org
    if demand.recorded_by_organization_id:
        for org in acting_organizations(
            actor=actor, code=perms.RECORD_DEMAND_ON_BEHALF, org_types=GOVERNMENT_ORG_TYPES
        ):
            if org.pk == demand.recorded_by_organization_id:
                return org
    return None


def can_manage_demand(*, actor: Any, demand: Demand) -> bool:
    """Read-only guard for pages: may the actor edit, publish, withdraw or republish this demand?"""
    return managing_organization(actor=actor, demand=demand) is not None


def remit_organization(*, actor: Any, enterprise: Enterprise) -> Organization | None:
    """The actor's government organisation (with financing.record_demand_on_behalf) whose remit covers the
    enterprise, preferring the most specific: subdistrict office, then industry authority, then district."""
    orgs = acting_organizations(actor=actor, code=perms.RECORD_DEMAND_ON_BEHALF, org_types=GOVERNMENT_ORG_TYPES)
    for org in orgs:
        if org.org_type == OrgType.SUBDISTRICT_OFFICE and org.subdistrict_id == enterprise.subdistrict_id:
            return org
    for org in orgs:
        if org.org_type == OrgType.INDUSTRY_AUTHORITY and enterprise.managing_authority_id == org.pk:
            return org
    for org in orgs:
        if org.org_type == OrgType.DISTRICT_AUTHORITY:
            return org
    return None


def enterprises_for_demands(*, actor: Any) -> QuerySet[Enterprise]:
    """The enterprises the actor may post demands for: its own (financing.post_demand), or those in its
    government remit (financing.record_demand_on_behalf)."""
    from finbridge.enterprises.selectors import enterprise_visible_queryset

    condition = Q(pk__in=[])
    own = [o.pk for o in acting_organizations(actor=actor, code=perms.POST_DEMAND, org_types=[OrgType.MSME])]
    if own:
        condition |= Q(organization_id__in=own)
    gov = acting_organizations(actor=actor, code=perms.RECORD_DEMAND_ON_BEHALF, org_types=GOVERNMENT_ORG_TYPES)
    if gov:
        if any(o.org_type == OrgType.DISTRICT_AUTHORITY for o in gov):
            condition = Q()
        else:
            condition |= Q(managing_authority_id__in=[o.pk for o in gov if o.org_type == OrgType.INDUSTRY_AUTHORITY])
            condition |= Q(
                subdistrict_id__in=[o.subdistrict_id for o in gov if o.org_type == OrgType.SUBDISTRICT_OFFICE]
            )
    return enterprise_visible_queryset(actor=actor).filter(condition).order_by("name", "id")


# ---- lists --------------------------------------------------------------------------------------------


def _bad_filter(name: str, value: Any) -> ValidationFailed:
    message = str(MSG_BAD_FILTER) % {"value": value}
    return ValidationFailed(message, code="invalid_filter", fields={name: [message]})


def _values(raw: Any) -> list[str]:
    items = [str(v) for v in raw] if isinstance(raw, (list, tuple)) else str(raw).split(",")
    return [item.strip() for item in items if item.strip()]


def _boolean_filter(name: str, raw: Any) -> bool:
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes"):
        return True
    if text in ("0", "false", "no"):
        return False
    raise _bad_filter(name, raw)


def _answered_by(lender_ids: list[int]) -> Exists:
    return Exists(DemandResponse.objects.filter(demand_id=OuterRef("pk"), institution_id__in=lender_ids))


def demand_list(*, actor: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[Demand]:
    """The demands the actor may see, newest publication first (unpublished drafts first), filtered.

    Filters: status (one value or a comma list), purpose, enterprise (id), q (a part of the enterprise's
    name), recorded_on_behalf (true/false), answered (true/false: whether the actor's institution answered),
    overdue (true: the actor's institution has not answered and the deadline has passed). Any signed-in
    user; raises ValidationFailed for an unknown filter or value.
    """
    filters = {k: v for k, v in (filters or {}).items() if v not in (None, "", [])}
    unknown = [name for name in filters if name not in FILTER_NAMES]
    if unknown:
        raise ValidationFailed(
            code="invalid_filter", fields={name: [str(MSG_UNKNOWN_FILTER)] for name in sorted(unknown)}
        )
    qs = _detail_queryset(actor)
    if "status" in filters:
        statuses = _values(filters["status"])
        bad = [s for s in statuses if s not in DemandStatus.values]
        if bad:
            raise _bad_filter("status", bad[0])
        qs = qs.filter(status__in=statuses)
    if "purpose" in filters:
        purposes = _values(filters["purpose"])
        bad = [p for p in purposes if p not in DemandPurpose.values]
        if bad:
            raise _bad_filter("purpose", bad[0])
        qs = qs.filter(purpose__in=purposes)
    if "enterprise" in filters:
        enterprise_id = parse_id(filters["enterprise"])
        if enterprise_id is None:
            raise _bad_filter("enterprise", filters["enterprise"])
        qs = qs.filter(enterprise_id=enterprise_id)
    if "q" in filters:
        text = " ".join(str(filters["q"]).split())
        if len(text) > Q_MAX_LENGTH:
            raise _bad_filter("q", text[:20] + "…")
        if text:
            qs = qs.filter(Q(enterprise__name__icontains=text) | Q(enterprise__name_en__icontains=text))
    if "recorded_on_behalf" in filters:
        qs = qs.filter(recorded_on_behalf=_boolean_filter("recorded_on_behalf", filters["recorded_on_behalf"]))
    lender_ids = [o.pk for o in lender_organizations(actor=actor)]
    if "answered" in filters:
        answered = _boolean_filter("answered", filters["answered"])
        qs = qs.filter(_answered_by(lender_ids)) if answered else qs.exclude(_answered_by(lender_ids))
    if "overdue" in filters and _boolean_filter("overdue", filters["overdue"]):
        qs = qs.filter(
            status__in=OPEN_STATUSES, respond_by__lt=timezone.localdate(), published_at__isnull=False
        ).exclude(_answered_by(lender_ids))
        if not lender_ids:
            qs = qs.none()
    return qs.prefetch_related("chosen_institutions").order_by(F("published_at").desc(nulls_first=True), "-id")


def institution_overdue(*, actor: Any, today: datetime.date | None = None) -> QuerySet[Demand]:
    """Open demands shown to the actor's institution that it has not answered although the answer was due
    (respond_by is past). Banks and guarantors; everyone else gets none. Raises nothing."""
    lenders = lender_organizations(actor=actor)
    if not lenders:
        return Demand.objects.none()
    today = today or timezone.localdate()
    joined = min(timezone.localdate(o.created_at) for o in lenders)
    return (
        _detail_queryset(actor)
        .filter(status__in=OPEN_STATUSES, respond_by__lt=today, respond_by__gte=joined, published_at__isnull=False)
        .exclude(_answered_by([o.pk for o in lenders]))
        .order_by("respond_by", "id")
    )


# ---- responses and timeline ----------------------------------------------------------------------------


def responses_visible(*, actor: Any, demand: Demand) -> QuerySet[DemandResponse]:
    """The answers to a demand the actor may see: the firm and government see every answer; an institution
    its own and its branches'. NotFound when the actor may not see the demand."""
    if not demand_is_visible(actor=actor, demand=demand):
        raise NotFound()
    qs = DemandResponse.objects.filter(demand=demand).select_related(
        "institution", "institution__parent", "product", "responded_by"
    )
    scope = actor_scope(actor)
    firm_org_id = demand.enterprise.organization_id
    if scope.is_government or (firm_org_id is not None and firm_org_id in scope.own_organization_ids):
        return qs
    own_ids = [o.pk for o in lender_organizations(actor=actor)]
    return qs.filter(Q(institution_id__in=own_ids) | Q(institution__parent_id__in=own_ids))


def engagement_get(*, actor: Any, demand: Demand, pk: Any) -> DemandResponse:
    """One take-up of the demand that the actor may see; NotFound otherwise."""
    record_id = parse_id(pk)
    if record_id is None:
        raise NotFound()
    engagement = responses_visible(actor=actor, demand=demand).filter(pk=record_id, kind=ResponseKind.TAKE_UP).first()
    if engagement is None:
        raise NotFound()
    return engagement


def own_response(*, actor: Any, demand: Demand) -> DemandResponse | None:
    """The answer of the actor's institution to the demand (the first, for people in several)."""
    ids = [o.pk for o in lender_organizations(actor=actor)]
    if not ids:
        return None
    return DemandResponse.objects.filter(demand=demand, institution_id__in=ids).select_related("institution").first()


def demand_timeline(*, actor: Any, demand: Demand) -> list[DemandEvent]:
    """The demand's steps in order. The firm sees every step except institutions' overdue flags; an
    institution sees the firm's and the system's steps and its own (a head office: its branches' too);
    government sees everything. NotFound when the actor may
    not see the demand."""
    if not demand_is_visible(actor=actor, demand=demand):
        raise NotFound()
    qs = DemandEvent.objects.filter(demand=demand).select_related("actor", "organization").order_by("at", "id")
    scope = actor_scope(actor)
    firm_org_id = demand.enterprise.organization_id
    if scope.is_government:
        return list(qs)
    if firm_org_id is not None and firm_org_id in scope.own_organization_ids:
        return list(qs.exclude(action__in=INTERNAL_EVENTS))
    lenders = [o.pk for o in lender_organizations(actor=actor)]
    own_ids = set(lenders) | set(Organization.objects.filter(parent_id__in=lenders).values_list("pk", flat=True))
    return list(
        qs.filter(
            Q(organization__isnull=True) | ~Q(organization__org_type__in=LENDER_TYPES) | Q(organization_id__in=own_ids)
        ).exclude(Q(action__in=INTERNAL_EVENTS) & ~Q(organization_id__in=own_ids))
    )


# ---- oversight ------------------------------------------------------------------------------------------


def _overdue_event_still_open() -> Exists:
    responders = DemandResponse.objects.filter(demand_id=OuterRef(OuterRef("pk"))).values("institution_id")
    return Exists(
        DemandEvent.objects.filter(demand_id=OuterRef("pk"), action="overdue").exclude(organization_id__in=responders)
    )


def oversight_overdue(*, actor: Any) -> QuerySet[Demand]:
    """Open demands with at least one institution flagged overdue that still has not answered, oldest
    deadline first. District authority (financing.view_oversight); raises PermissionDenied otherwise."""
    require_perm(actor, perms.VIEW_OVERSIGHT)
    return (
        _detail_queryset(actor)
        .filter(status__in=OPEN_STATUSES)
        .filter(_overdue_event_still_open())
        .order_by("respond_by", "id")
    )


def oversight_escalated(*, actor: Any) -> QuerySet[Demand]:
    """Escalated demands (nobody took them up in time) that are still open, latest escalation first.
    District authority (financing.view_oversight); raises PermissionDenied otherwise."""
    require_perm(actor, perms.VIEW_OVERSIGHT)
    return (
        _detail_queryset(actor)
        .filter(status__in=OPEN_STATUSES, escalated_at__isnull=False)
        .order_by("-escalated_at", "-id")
    )


def overdue_institutions(demands: Iterable[Demand]) -> dict[int, list[Organization]]:
    """For each given demand: the institutions flagged overdue that still have not answered (one query
    for the flags, one for the answers)."""
    ids = [d.pk for d in demands]
    if not ids:
        return {}
    answered = set(DemandResponse.objects.filter(demand_id__in=ids).values_list("demand_id", "institution_id"))
    result: dict[int, list[Organization]] = {pk: [] for pk in ids}
    events = (
        DemandEvent.objects.filter(demand_id__in=ids, action="overdue", organization__isnull=False)
        .select_related("organization")
        .order_by("organization__name")
    )
    seen: set[tuple[int, int]] = set()
    for event in events:
        key = (event.demand_id, event.organization_id)
        if key in answered or key in seen:
            continue
        seen.add(key)
        result[event.demand_id].append(event.organization)
    return result


# ---- enterprise summary ----------------------------------------------------------------------------------


def years_in_operation(enterprise: Enterprise, today: datetime.date | None = None) -> int | None:
    """Whole years since the enterprise was established (None when the date is unknown)."""
    if enterprise.established_on is None:
        return None
    today = today or timezone.localdate()
    start = enterprise.established_on
    years = today.year - start.year - ((today.month, today.day) < (start.month, start.day))
    return max(years, 0)


@dataclass(frozen=True)
class EnterpriseSummary:
    """What an institution seeing a demand may know of the firm."""

    id: int
    name: str
    name_en: str
    size_class: str
    size_class_label: str
    industry_code: str
    industry_name: str
    subdistrict_code: str
    subdistrict_name: str
    labels: list[str]
    years_in_operation: int | None


def enterprise_summary(enterprise: Enterprise) -> EnterpriseSummary:
    """The enterprise summary embedded in a demand, names in the active language."""
    from finbridge.enterprises.choices import SizeClass
    from finbridge.reference.industries import industry_get

    industry = industry_get(enterprise.industry_code)
    industry_name = industry.name if industry is not None else ""
    subdistrict = enterprise.subdistrict
    return EnterpriseSummary(
        id=enterprise.pk,
        name=enterprise.name,
        name_en=enterprise.name_en,
        size_class=enterprise.size_class,
        size_class_label=str(SizeClass(enterprise.size_class).label) if enterprise.size_class else "",
        industry_code=enterprise.industry_code,
        industry_name=industry_name,
        subdistrict_code=subdistrict.code if subdistrict else "",
        subdistrict_name=subdistrict.name if subdistrict else "",
        labels=enterprise.tech_labels,
        years_in_operation=years_in_operation(enterprise),
    )

"""Reads of the chain databases. Row visibility is enforced here and nowhere else.

Everyone below needs supplychain.view (VIEW_SUPPLY_CHAIN) in the organisation that gives the access:
- district financial authority: everything;
- core enterprise: its own chain (partners, recommendations with every recipient, summaries with every share,
  import runs for the members who may manage the chain);
- partner (the enterprise's own organisation on the platform): the rows that list it, and the recommendations
  and summaries about it, so that it knows what its customers tell funders;
- funder (a bank, or a branch of it): only the recommendations sent to it (its own recipient row, not who
  else received them), and only the summaries shared with it while the partner's consent covering figures
  to that funder (or its head office) is live. Revoking or letting the consent expire hides them at once.
Anything else answers NotFound, exactly like a missing record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from finbridge.accounts.choices import OrgType
from finbridge.accounts.models import Organization
from finbridge.core.errors import NotFound, ValidationFailed
from finbridge.enterprises.choices import ConsentScope
from finbridge.enterprises.models import Consent, Enterprise
from finbridge.enterprises.selectors import consent_state_filter, parse_id
from finbridge.financing.selectors.demands import acting_organizations
from finbridge.supplychain import permissions as perms
from finbridge.supplychain.models.chain import (
    ChainDirection,
    ChainImportRun,
    ChainPartner,
    ChainPartnerStatus,
    FinancingRecommendation,
    RecommendationRecipient,
    RecommendationStatus,
    SummaryShare,
    TransactionSummary,
)

FUNDER_TYPES = (OrgType.BANK,)
QUERY_MAX_LENGTH = 200


# ---- who the actor is ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainScope:
    """What the actor's memberships (with supplychain.view) cover in the chain databases."""

    is_authority: bool
    core_ids: frozenset[int]
    partner_org_ids: frozenset[int]
    funder_ids: frozenset[int]  # the actor's banks and their head offices

    @property
    def is_empty(self) -> bool:
        return not (self.is_authority or self.core_ids or self.partner_org_ids or self.funder_ids)


def _orgs(actor: Any, types: Iterable[str]) -> list[Organization]:
    return acting_organizations(actor=actor, code=perms.VIEW_SUPPLY_CHAIN, org_types=types)


def chain_scope(*, actor: Any) -> ChainScope:
    """The actor's reach in the chain databases (cached on the user for the request). Any caller."""
    cached = getattr(actor, "__dict__", {}).get("_chain_scope")
    if cached is not None:
        return cached
    funders = _orgs(actor, FUNDER_TYPES)
    scope = ChainScope(
        is_authority=bool(_orgs(actor, [OrgType.DISTRICT_AUTHORITY])),
        core_ids=frozenset(org.pk for org in _orgs(actor, [OrgType.CORE_ENTERPRISE])),
        partner_org_ids=frozenset(org.pk for org in _orgs(actor, [OrgType.MSME, OrgType.CORE_ENTERPRISE])),
        funder_ids=frozenset({org.pk for org in funders} | {org.parent_id for org in funders if org.parent_id}),
    )
    if getattr(actor, "is_authenticated", False):
        actor.__dict__["_chain_scope"] = scope
    return scope


def managing_cores(*, actor: Any) -> list[Organization]:
    """The core enterprises in which the actor's role grants supplychain.manage_chain ([] for anyone else)."""
    return acting_organizations(actor=actor, code=perms.MANAGE_CHAIN, org_types=[OrgType.CORE_ENTERPRISE])


def acting_funders(*, actor: Any, recipient_funder: Organization, code: str) -> list[Organization]:
    """The actor's banks, with `code` there, that may act for `recipient_funder`: the funder itself or a branch
    of it."""
    return [
        org
        for org in acting_organizations(actor=actor, code=code, org_types=FUNDER_TYPES)
        if recipient_funder.pk in (org.pk, org.parent_id)
    ]


def can_manage_chain_partner(*, actor: Any, partner: ChainPartner) -> bool:
    """Read-only guard for pages: may the actor edit, end, recommend or summarise this listing?"""
    return partner.core_id in {org.pk for org in managing_cores(actor=actor)}


def funder_choices() -> QuerySet[Organization]:
    """The funders a core enterprise may choose: active banks (head offices and branches). Any caller."""
    return (
        Organization.objects.filter(org_type__in=FUNDER_TYPES, is_active=True)
        .select_related("parent")
        .order_by("name", "id")
    )


# ---- chain partners ------------------------------------------------------------------------------------


def _partner_condition(scope: ChainScope, prefix: str = "") -> Q | None:
    """A Q selecting chain rows (through `prefix`) the scope covers as core or partner; None = every row."""
    if scope.is_authority:
        return None
    condition = Q(pk__in=[])
    if scope.core_ids:
        condition |= Q(**{f"{prefix}core_id__in": scope.core_ids})
    if scope.partner_org_ids:
        condition |= Q(**{f"{prefix}enterprise__organization_id__in": scope.partner_org_ids})
    return condition


def chain_partner_visible_queryset(*, actor: Any) -> QuerySet[ChainPartner]:
    """Every chain row the actor may see (the core's own chain, the rows listing the partner, everything for
    the district authority), unordered. Funders see none here: they see partners through what was sent to them."""
    scope = chain_scope(actor=actor)
    if scope.is_empty:
        return ChainPartner.objects.none()
    condition = _partner_condition(scope)
    qs = ChainPartner.objects.all()
    return qs if condition is None else qs.filter(condition)


def _bad_filter(name: str, value: Any) -> ValidationFailed:
    message = _("%(value)s is not an accepted value.") % {"value": str(value)[:50]}
    return ValidationFailed(message, code="bad_filter", fields={name: [message]})


def chain_partner_list(
    *, actor: Any, core: Any = None, direction: str = "", status: str = "", q: str = ""
) -> QuerySet[ChainPartner]:
    """The visible chain rows, by partner name, optionally of one core (id or Organization), direction, status,
    or with a name or credit code containing `q`. Raises ValidationFailed for an unknown filter value."""
    qs = chain_partner_visible_queryset(actor=actor).select_related("core", "enterprise", "enterprise__organization")
    if core not in (None, ""):
        core_id = core.pk if isinstance(core, Organization) else parse_id(core)
        if core_id is None:
            raise _bad_filter("core", core)
        qs = qs.filter(core_id=core_id)
    if direction:
        if direction not in ChainDirection.values:
            raise _bad_filter("direction", direction)
        qs = qs.filter(direction=direction)
    if status:
        if status not in ChainPartnerStatus.values:
            raise _bad_filter("status", status)
        qs = qs.filter(status=status)
    text = " ".join(str(q or "").split())
    if text:
        if len(text) > QUERY_MAX_LENGTH:
            raise _bad_filter("q", text)
        qs = qs.filter(
            Q(enterprise__name__icontains=text)
            | Q(enterprise__name_en__icontains=text)
            | Q(enterprise__uscc=text.upper())
        )
    return qs.order_by("enterprise__name", "direction", "id")


def chain_partner_get(*, actor: Any, pk: Any) -> ChainPartner:
    """One visible chain row with its core and enterprise; NotFound otherwise (also for a bad id)."""
    record_id = parse_id(pk)
    if record_id is None:
        raise NotFound()
    partner = (
        chain_partner_visible_queryset(actor=actor)
        .select_related("core", "enterprise", "enterprise__organization", "created_by")
        .filter(pk=record_id)
        .first()
    )
    if partner is None:
        raise NotFound()
    return partner


def chain_listings_of(*, actor: Any, enterprise: Enterprise) -> QuerySet[ChainPartner]:
    """The visible rows listing `enterprise` (for its profile page: who lists it, in which direction)."""
    return chain_partner_list(actor=actor).filter(enterprise=enterprise)


# ---- recommendations -----------------------------------------------------------------------------------


def _recommendation_condition(scope: ChainScope) -> Q | None:
    condition = _partner_condition(scope, "chain_partner__")
    if condition is None:
        return None
    if scope.funder_ids:
        received = RecommendationRecipient.objects.filter(
            recommendation_id=OuterRef("pk"), funder_id__in=scope.funder_ids
        )
        condition |= Q(Exists(received))
    return condition


def recommendation_visible_queryset(*, actor: Any) -> QuerySet[FinancingRecommendation]:
    """Every recommendation the actor may see (core, partner, authority; a funder only those sent to it)."""
    scope = chain_scope(actor=actor)
    if scope.is_empty:
        return FinancingRecommendation.objects.none()
    condition = _recommendation_condition(scope)
    qs = FinancingRecommendation.objects.all()
    return qs if condition is None else qs.filter(condition)


def recommendation_list(*, actor: Any, partner: ChainPartner | None = None) -> QuerySet[FinancingRecommendation]:
    """The visible recommendations, newest first, optionally about one chain row."""
    qs = recommendation_visible_queryset(actor=actor).select_related(
        "chain_partner", "chain_partner__core", "chain_partner__enterprise", "created_by"
    )
    if partner is not None:
        qs = qs.filter(chain_partner=partner)
    return qs.order_by("-created_at", "-id")


def recommendation_get(*, actor: Any, pk: Any) -> FinancingRecommendation:
    """One visible recommendation; NotFound otherwise."""
    record_id = parse_id(pk)
    recommendation = None if record_id is None else recommendation_list(actor=actor).filter(pk=record_id).first()
    if recommendation is None:
        raise NotFound()
    return recommendation


def _recipient_condition(scope: ChainScope) -> Q | None:
    condition = _partner_condition(scope, "recommendation__chain_partner__")
    if condition is None:
        return None
    if scope.funder_ids:
        condition |= Q(funder_id__in=scope.funder_ids)
    return condition


def recommendation_recipient_list(
    *, actor: Any, recommendation: FinancingRecommendation | None = None, status: str = ""
) -> QuerySet[RecommendationRecipient]:
    """The recipient rows the actor may see: all of a visible recommendation for its core, its partner and the
    authority; a funder only its own. Newest recommendation first. Raises ValidationFailed for a bad status."""
    scope = chain_scope(actor=actor)
    if scope.is_empty:
        return RecommendationRecipient.objects.none()
    qs = RecommendationRecipient.objects.select_related(
        "funder",
        "funder__parent",
        "recommendation",
        "recommendation__chain_partner",
        "recommendation__chain_partner__core",
        "recommendation__chain_partner__enterprise",
    )
    condition = _recipient_condition(scope)
    if condition is not None:
        qs = qs.filter(condition)
    if recommendation is not None:
        qs = qs.filter(recommendation=recommendation)
    if status:
        if status not in RecommendationStatus.values:
            raise _bad_filter("status", status)
        qs = qs.filter(status=status)
    return qs.order_by("-recommendation__created_at", "-recommendation_id", "funder__name", "id")


def recommendation_inbox(*, actor: Any, status: str = "") -> QuerySet[RecommendationRecipient]:
    """The recommendations sent to the actor's banks (or their head offices), newest first: a funder's inbox."""
    scope = chain_scope(actor=actor)
    if not scope.funder_ids:
        return RecommendationRecipient.objects.none()
    return recommendation_recipient_list(actor=actor, status=status).filter(funder_id__in=scope.funder_ids)


def recommendation_recipient_get(*, actor: Any, pk: Any) -> RecommendationRecipient:
    """One visible recipient row; NotFound otherwise."""
    record_id = parse_id(pk)
    recipient = None if record_id is None else recommendation_recipient_list(actor=actor).filter(pk=record_id).first()
    if recipient is None:
        raise NotFound()
    return recipient


# ---- consent and transaction summaries -----------------------------------------------------------------


def _live_figures_consents() -> QuerySet[Consent]:
    return Consent.objects.filter(consent_state_filter("active"), scope=ConsentScope.FINANCIALS)


def consent_refusal(*, enterprise: Enterprise, funder: Organization) -> str | None:
    """Why a transaction summary about `enterprise` may not be shared with `funder` now (translated), or None
    when the enterprise's consent covering its figures, given to the funder or its head office, is live.

    The registry's consent rules apply: consent to a head office covers its branches. Any caller.
    """
    grantees = [funder.pk] + ([funder.parent_id] if funder.parent_id else [])
    consents = Consent.objects.filter(enterprise=enterprise, grantee_id__in=grantees)
    if _live_figures_consents().filter(pk__in=consents.values("pk")).exists():
        return None
    params = {"enterprise": enterprise.name, "funder": funder.name}
    if consents.filter(consent_state_filter("active")).exists():
        return _("The consent of %(enterprise)s to %(funder)s covers its profile only, not its figures.") % params
    latest = consents.order_by("-granted_at", "-id").first()
    if latest is None:
        return _("%(enterprise)s has not given %(funder)s its consent to see its figures.") % params
    if latest.revoked_at is not None:
        return _("%(enterprise)s has revoked its consent to %(funder)s.") % params
    return _("The consent of %(enterprise)s to %(funder)s expired on %(date)s.") % {
        **params,
        "date": latest.expires_on.isoformat() if latest.expires_on else "",
    }


def _share_consent_exists(prefix: str = "") -> Exists:
    """EXISTS a live figures consent of the summary's partner to the share's funder or its head office."""
    consents = (
        _live_figures_consents()
        .filter(enterprise_id=OuterRef(f"{prefix}summary__chain_partner__enterprise_id"))
        .filter(Q(grantee_id=OuterRef(f"{prefix}funder_id")) | Q(grantee_id=OuterRef(f"{prefix}funder__parent_id")))
    )
    return Exists(consents)


def _funder_share_q(scope: ChainScope, prefix: str = "") -> Q:
    """Live shares with the scope's funders whose consent is live (through `prefix` from a share)."""
    return (
        Q(**{f"{prefix}funder_id__in": scope.funder_ids})
        & Q(**{f"{prefix}withdrawn_at__isnull": True})
        & Q(_share_consent_exists(prefix))
    )


def summary_visible_queryset(*, actor: Any) -> QuerySet[TransactionSummary]:
    """Every transaction summary the actor may see (core, partner, authority; a funder only those shared with it
    while the partner's consent is live)."""
    scope = chain_scope(actor=actor)
    if scope.is_empty:
        return TransactionSummary.objects.none()
    condition = _partner_condition(scope, "chain_partner__")
    if condition is None:
        return TransactionSummary.objects.all()
    if scope.funder_ids:
        shared = SummaryShare.objects.filter(_funder_share_q(scope), summary_id=OuterRef("pk"))
        condition |= Q(Exists(shared))
    return TransactionSummary.objects.filter(condition)


def summary_list(*, actor: Any, partner: ChainPartner | None = None) -> QuerySet[TransactionSummary]:
    """The visible summaries, latest period first, optionally of one chain row."""
    qs = summary_visible_queryset(actor=actor).select_related(
        "chain_partner", "chain_partner__core", "chain_partner__enterprise", "created_by"
    )
    if partner is not None:
        qs = qs.filter(chain_partner=partner)
    return qs.order_by("-period_end", "-id")


def summary_get(*, actor: Any, pk: Any) -> TransactionSummary:
    """One visible summary; NotFound otherwise (for a funder also once the consent is revoked or expired)."""
    record_id = parse_id(pk)
    summary = None if record_id is None else summary_list(actor=actor).filter(pk=record_id).first()
    if summary is None:
        raise NotFound()
    return summary


def summary_share_list(*, actor: Any, summary: TransactionSummary | None = None) -> QuerySet[SummaryShare]:
    """The shares the actor may see: every share (withdrawn ones too) of the summaries of its chain, or about
    itself, for a core, a partner and the authority; a funder only its live shares with a live consent."""
    scope = chain_scope(actor=actor)
    if scope.is_empty:
        return SummaryShare.objects.none()
    qs = SummaryShare.objects.select_related(
        "funder", "funder__parent", "summary", "summary__chain_partner", "summary__chain_partner__enterprise"
    )
    condition = _partner_condition(scope, "summary__chain_partner__")
    if condition is not None:
        if scope.funder_ids:
            condition |= _funder_share_q(scope)
        qs = qs.filter(condition)
    if summary is not None:
        qs = qs.filter(summary=summary)
    return qs.order_by("-shared_at", "-id")


def summary_share_get(*, actor: Any, pk: Any) -> SummaryShare:
    """One visible share; NotFound otherwise."""
    record_id = parse_id(pk)
    share = None if record_id is None else summary_share_list(actor=actor).filter(pk=record_id).first()
    if share is None:
        raise NotFound()
    return share


# ---- import runs ---------------------------------------------------------------------------------------


def chain_import_run_list(*, actor: Any) -> QuerySet[ChainImportRun]:
    """Import runs of the core enterprises whose chain the actor manages, newest first."""
    core_ids = [org.pk for org in managing_cores(actor=actor)]
    return (
        ChainImportRun.objects.filter(core_id__in=core_ids)
        .select_related("core", "created_by")
        .defer("errors")
        .order_by("-created_at", "-id")
    )


def chain_import_run_get(*, actor: Any, pk: Any) -> ChainImportRun:
    """One import run (with its errors) of a core enterprise whose chain the actor manages; NotFound otherwise."""
    record_id = parse_id(pk)
    core_ids = [org.pk for org in managing_cores(actor=actor)]
    run = (
        None
        if record_id is None
        else ChainImportRun.objects.select_related("core", "created_by")
        .filter(pk=record_id, core_id__in=core_ids)
        .first()
    )
    if run is None:
        raise NotFound()
    return run

"""Reads of the MSME registry. Row visibility is enforced here and nowhere else.

Who sees an enterprise:
- district financial authority: every enterprise;
- industry authority: enterprises it manages (assigned from the industry code by its sectors);
- subdistrict office: enterprises in its subdistrict;
- bank, guarantor, insurer, investor, securities firm, core enterprise: enterprises that granted
  their organisation (or, for a branch, its head office) a consent that is neither revoked nor expired;
- MSME: its own record.
A record the actor may not see answers NotFound, exactly like a missing one.

Who sees a consent:
- the enterprise that granted it (every consent, live or not);
- the institution that received it (or a branch of it), only while it is live (neither revoked nor expired);
- government users: the consents of the enterprises in their remit.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from finbridge.accounts.choices import CONSENT_TYPES
from finbridge.accounts.models import Organization, User
from finbridge.accounts.selectors import actor_scope
from finbridge.audit.labels import action_label
from finbridge.core.errors import NotFound, PermissionDenied, ValidationFailed
from finbridge.core.permissions import has_perm
from finbridge.enterprises import permissions as perms
from finbridge.enterprises.choices import ConsentScope, SizeClass, TechLabel, VerificationState
from finbridge.enterprises.models import Consent, Enterprise, EnterpriseContact, EnterpriseFinancials
from finbridge.enterprises.search import consent_visibility_q, name_fragment_q
from finbridge.reference.industries import all_industries, normalize_industry_code
from finbridge.reference.models import IndustrialCluster, Subdistrict

MAX_ID = 2**63 - 1  # the largest value of a BigAutoField


def parse_id(value: Any) -> int | None:
    """A record id from user input (int or digits), or None when it cannot be one (so it is never sent to
    the database, where an out-of-range number is an error rather than "not found")."""
    if isinstance(value, bool):
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


# ---- visibility ------------------------------------------------------------------------------------


def active_consents(*, grantee_ids: Any) -> QuerySet[Consent]:
    """Consents to the given organisations that are neither revoked nor expired today."""
    today = timezone.localdate()
    return Consent.objects.filter(grantee_id__in=grantee_ids, revoked_at__isnull=True).filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=today)
    )


def _visibility_filter(actor: Any) -> Q | None:
    """A Q selecting the enterprises `actor` may see; None means every enterprise."""
    scope = actor_scope(actor)
    if scope.is_district_authority:
        return None
    condition = Q(pk__in=[])
    if scope.industry_authority_ids:
        condition |= Q(managing_authority_id__in=scope.industry_authority_ids)
    if scope.subdistrict_ids:
        condition |= Q(subdistrict_id__in=scope.subdistrict_ids)
    if scope.own_organization_ids:
        condition |= Q(organization_id__in=scope.own_organization_ids)
    if scope.consent_grantee_ids:
        consents = active_consents(grantee_ids=scope.consent_grantee_ids).filter(enterprise_id=OuterRef("pk"))
        condition |= consent_visibility_q(
            grantee_ids=scope.consent_grantee_ids, live_consent_exists=Q(Exists(consents))
        )
    return condition


def enterprise_visible_queryset(*, actor: Any) -> QuerySet[Enterprise]:
    """Every enterprise the actor may see (unordered, unfiltered otherwise)."""
    if not actor_scope(actor).organization_ids:
        return Enterprise.objects.none()
    condition = _visibility_filter(actor)
    qs = Enterprise.objects.all()
    return qs if condition is None else qs.filter(condition)


def enterprise_get(*, actor: Any, pk: Any) -> Enterprise:
    """One enterprise the actor may see, with its relations loaded; NotFound otherwise."""
    record_id = parse_id(pk)
    if record_id is None:
        raise NotFound()
    try:
        return (
            enterprise_visible_queryset(actor=actor)
            .select_related("subdistrict", "managing_authority", "organization", "last_verified_by")
            .prefetch_related("clusters", "contacts", "financials")
            .get(pk=record_id)
        )
    except Enterprise.DoesNotExist:
        raise NotFound() from None


def can_see_financials(*, actor: Any, enterprise: Enterprise) -> bool:
    """Whether the actor may see the enterprise's figures (government, owner, or a financials consent)."""
    scope = actor_scope(actor)
    if scope.is_government or (enterprise.organization_id in scope.own_organization_ids):
        return True
    return (
        active_consents(grantee_ids=scope.consent_grantee_ids)
        .filter(enterprise=enterprise, scope=ConsentScope.FINANCIALS)
        .exists()
    )


def financials_visible_ids(*, actor: Any, enterprises: Iterable[Enterprise]) -> set[int]:
    """The ids of the given enterprises whose figures the actor may see, in at most one query.

    The same rule as can_see_financials, for a page of a list. Any caller; raises nothing.
    """
    enterprises = list(enterprises)
    scope = actor_scope(actor)
    if scope.is_government:
        return {e.pk for e in enterprises}
    visible = {
        e.pk for e in enterprises if e.organization_id is not None and e.organization_id in scope.own_organization_ids
    }
    others = [e.pk for e in enterprises if e.pk not in visible]
    if others and scope.consent_grantee_ids:
        consents = active_consents(grantee_ids=scope.consent_grantee_ids).filter(
            enterprise_id__in=others, scope=ConsentScope.FINANCIALS
        )
        visible |= set(consents.values_list("enterprise_id", flat=True))
    return visible


def is_in_remit(*, actor: Any, enterprise: Enterprise) -> bool:
    """Whether the enterprise falls in the actor's government remit or is the actor's own."""
    scope = actor_scope(actor)
    return (
        scope.is_district_authority
        or enterprise.managing_authority_id in scope.industry_authority_ids
        or enterprise.subdistrict_id in scope.subdistrict_ids
        or (enterprise.organization_id is not None and enterprise.organization_id in scope.own_organization_ids)
    )


def enterprise_object_rule(actor: Any, code: str, obj: Enterprise) -> bool:
    """Object rule for has_perm: reading needs visibility, writing needs remit (or ownership)."""
    if code in (perms.VIEW_ENTERPRISE,):
        return enterprise_visible_queryset(actor=actor).filter(pk=obj.pk).exists()
    if code == perms.MANAGE_CONSENT:
        scope = actor_scope(actor)
        return obj.organization_id is not None and obj.organization_id in scope.own_organization_ids
    return is_in_remit(actor=actor, enterprise=obj)


# ---- list and search -------------------------------------------------------------------------------

USCC_PATTERN = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")
FILTER_NAMES = ("subdistrict", "cluster", "size_class", "label", "verification", "industry")
ORDERINGS: dict[str, tuple[str, ...]] = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "uscc": ("uscc",),
    "-uscc": ("-uscc",),
    "established_on": ("established_on", "id"),
    "-established_on": ("-established_on", "-id"),
    "verification_due_on": ("verification_due_on", "id"),
    "-verification_due_on": ("-verification_due_on", "-id"),
    "-updated_at": ("-updated_at", "-id"),
    "updated_at": ("updated_at", "id"),
    "-id": ("-id",),
}
# Without an explicit ordering a list is sorted by name and a name search newest first: sorting every match of a
# common fragment by name costs a sort of up to a million rows, while newest first walks the primary key and stops
# at the first page (docs/performance.md).
DEFAULT_ORDERING = "name"
DEFAULT_SEARCH_ORDERING = "-id"
MSG_BAD_FILTER = _("%(value)s is not an accepted value.")
MSG_BAD_ORDERING = _("Sort by one of: %(choices)s.")
MSG_QUERY_TOO_LONG = _("Search with at most %(limit)d characters.")
QUERY_MAX_LENGTH = 200


def normalize_search(q: str) -> str:
    """The search text with runs of white space made single and the ends trimmed."""
    return " ".join(str(q or "").split())


def as_credit_code(q: str) -> str | None:
    """The text as a credit code (spaces removed, upper-cased) when it looks like one, else None."""
    compact = "".join(str(q or "").split()).upper()
    return compact if USCC_PATTERN.match(compact) else None


def _has_cased_letters(text: str) -> bool:
    return text.upper() != text.lower()


def _search_filter(q: str) -> Q:
    """A credit code → exact lookup (unique index); otherwise a name fragment.

    A fragment without cased letters (Chinese, digits) is matched with `contains` on `name` only: it cannot
    match the English name, and on PostgreSQL search.name_fragment_q adds the condition the bigram index
    of migration 0002 answers (same results, without reading every row). A fragment with Latin letters is
    matched case-insensitively on both names.
    """
    code = as_credit_code(q)
    if code is not None:
        return Q(uscc=code)
    if not _has_cased_letters(q):
        return name_fragment_q(q)
    return Q(name__icontains=q) | Q(name_en__icontains=q)


def industry_codes_under(prefix: str) -> list[str]:
    """Every GB/T 4754-2017 code that starts with `prefix` (the code itself and the codes below it).

    Stored codes are always codes of the classification, so `industry_code IN (...)` on the indexed column
    selects exactly the enterprises whose code starts with the prefix, whatever the database collation.
    """
    prefix = normalize_industry_code(prefix)
    return [code for code in all_industries() if code.startswith(prefix)]


def _bad_filter(name: str, value: Any) -> ValidationFailed:
    message = str(MSG_BAD_FILTER) % {"value": value}
    return ValidationFailed(message, code="invalid_filter", fields={name: [message]})


def _apply_filters(qs: QuerySet[Enterprise], filters: Mapping[str, Any]) -> QuerySet[Enterprise]:
    unknown = [name for name in filters if name not in FILTER_NAMES]
    if unknown:
        raise ValidationFailed(code="invalid_filter", fields={name: [gettext("Unknown filter.")] for name in unknown})
    values = {name: str(value).strip() for name, value in filters.items() if value not in (None, "")}
    if "subdistrict" in values:
        qs = qs.filter(subdistrict_id__in=Subdistrict.objects.filter(code=values["subdistrict"]).values("id"))
    if "cluster" in values:
        through = Enterprise.clusters.through.objects.filter(industrialcluster__code=values["cluster"])
        qs = qs.filter(pk__in=through.values("enterprise_id"))
    if "size_class" in values:
        if values["size_class"] not in SizeClass.values:
            raise _bad_filter("size_class", values["size_class"])
        qs = qs.filter(size_class=values["size_class"])
    if "label" in values:
        if values["label"] not in TechLabel.values:
            raise _bad_filter("label", values["label"])
        qs = qs.filter(**{f"is_{values['label']}": True})
    if "verification" in values:
        qs = qs.filter(_verification_filter(values["verification"]))
    if "industry" in values:
        qs = qs.filter(industry_code__in=industry_codes_under(values["industry"]))
    return qs


def _verification_filter(state: str) -> Q:
    today = timezone.localdate()
    if state == VerificationState.DUE:
        return Q(verification_due_on__lte=today)
    if state == VerificationState.NEVER:
        return Q(verification_due_on__isnull=True)
    if state == VerificationState.CURRENT:
        return Q(verification_due_on__gt=today)
    raise _bad_filter("verification", state)


def enterprise_list(
    *, actor: Any, q: str = "", filters: Mapping[str, Any] | None = None, ordering: str = ""
) -> QuerySet[Enterprise]:
    """The enterprises the actor may see, searched, filtered and ordered.

    `q` is a name fragment (Chinese or English name) or a credit code (spaces and case ignored; exact
    match). `filters`: subdistrict (code), cluster (code), size_class, label (a TechLabel value),
    verification ("due", "never", "current"), industry (a GB/T 4754-2017 code; its sub-codes match too).
    `ordering` is a key of ORDERINGS; when empty, name searches come newest first and everything else by name.
    Any signed-in user; rows outside the
    actor's visibility are never returned. Raises ValidationFailed for an unknown filter, value or ordering.
    """
    q = normalize_search(q)
    ordering = ordering or (DEFAULT_SEARCH_ORDERING if q and as_credit_code(q) is None else DEFAULT_ORDERING)
    if len(q) > QUERY_MAX_LENGTH:
        message = str(MSG_QUERY_TOO_LONG) % {"limit": QUERY_MAX_LENGTH}
        raise ValidationFailed(message, code="invalid_filter", fields={"q": [message]})
    if ordering not in ORDERINGS:
        message = str(MSG_BAD_ORDERING) % {"choices": ", ".join(ORDERINGS)}
        raise ValidationFailed(message, code="invalid_filter", fields={"ordering": [message]})
    qs = enterprise_visible_queryset(actor=actor)
    if q:
        qs = qs.filter(_search_filter(q))
    qs = _apply_filters(qs, filters or {})
    return qs.select_related("subdistrict").prefetch_related("clusters").order_by(*ORDERINGS[ordering])


def own_enterprises(*, actor: Any) -> QuerySet[Enterprise]:
    """The enterprises that are the actor's own organisation on the platform (for an MSME: its record)."""
    scope = actor_scope(actor)
    return Enterprise.objects.filter(organization_id__in=scope.own_organization_ids).order_by("name", "id")


def verification_overdue_count(*, actor: Any) -> int:
    """How many records in the actor's government remit are due for re-verification today or earlier.

    Government users only (they keep the records current); everyone else gets 0. Raises nothing.
    """
    if not actor_scope(actor).is_government:
        return 0
    return enterprise_visible_queryset(actor=actor).filter(_verification_filter(VerificationState.DUE)).count()


# ---- contacts and yearly figures -------------------------------------------------------------------


def contact_get(*, actor: Any, pk: Any) -> EnterpriseContact:
    """A contact of an enterprise the actor may see; NotFound otherwise."""
    record_id = parse_id(pk)
    if record_id is None:
        raise NotFound()
    try:
        return (
            EnterpriseContact.objects.select_related("enterprise")
            .filter(enterprise__in=enterprise_visible_queryset(actor=actor))
            .get(pk=record_id)
        )
    except EnterpriseContact.DoesNotExist:
        raise NotFound() from None


def financials_list(*, actor: Any, enterprise: Enterprise) -> QuerySet[EnterpriseFinancials]:
    """The yearly figures of an enterprise, newest first.

    The actor must see the enterprise (else NotFound) and its figures (else PermissionDenied: the
    enterprise has not shared its figures with the actor's organisation).
    """
    if not enterprise_visible_queryset(actor=actor).filter(pk=enterprise.pk).exists():
        raise NotFound()
    if not can_see_financials(actor=actor, enterprise=enterprise):
        raise PermissionDenied(
            _("This enterprise has not shared its financial figures with your organisation."),
            code="financials_not_shared",
        )
    return EnterpriseFinancials.objects.filter(enterprise=enterprise).order_by("-year")


# ---- consents ---------------------------------------------------------------------------------------


def _live_consent_q(prefix: str = "") -> Q:
    today = timezone.localdate()
    return Q(**{f"{prefix}revoked_at__isnull": True}) & (
        Q(**{f"{prefix}expires_on__isnull": True}) | Q(**{f"{prefix}expires_on__gte": today})
    )


def _consent_visibility_filter(actor: Any) -> Q | None:
    """A Q selecting the consents `actor` may see; None means every consent."""
    scope = actor_scope(actor)
    if scope.is_district_authority:
        return None
    condition = Q(pk__in=[])
    if scope.own_organization_ids:
        condition |= Q(enterprise__organization_id__in=scope.own_organization_ids)
    if scope.consent_grantee_ids:
        condition |= Q(grantee_id__in=scope.consent_grantee_ids) & _live_consent_q()
    if scope.industry_authority_ids:
        condition |= Q(enterprise__managing_authority_id__in=scope.industry_authority_ids)
    if scope.subdistrict_ids:
        condition |= Q(enterprise__subdistrict_id__in=scope.subdistrict_ids)
    return condition


def consent_list(*, actor: Any, enterprise: Enterprise | None = None) -> QuerySet[Consent]:
    """The consents the actor may see (see the module docstring), newest first; optionally of one enterprise.

    An MSME sees the consents it granted, an institution the live consents it (or its head office)
    received, government users those of the enterprises in their remit. Raises nothing.
    """
    if not actor_scope(actor).organization_ids:
        return Consent.objects.none()
    qs = Consent.objects.select_related("enterprise", "grantee", "granted_by", "revoked_by")
    condition = _consent_visibility_filter(actor)
    if condition is not None:
        qs = qs.filter(condition)
    if enterprise is not None:
        qs = qs.filter(enterprise=enterprise)
    return qs.order_by("-granted_at", "-id")


def consent_get(*, actor: Any, pk: Any) -> Consent:
    """One consent the actor may see; NotFound otherwise (also once revoked or expired, for the grantee)."""
    record_id = parse_id(pk)
    if record_id is None:
        raise NotFound()
    try:
        return consent_list(actor=actor).get(pk=record_id)
    except Consent.DoesNotExist:
        raise NotFound() from None


def consent_state_filter(state: str) -> Q:
    """A Q selecting consents in `state` ("active", "expired" or "revoked") today."""
    today = timezone.localdate()
    if state == "revoked":
        return Q(revoked_at__isnull=False)
    if state == "expired":
        return Q(revoked_at__isnull=True, expires_on__lt=today)
    if state == "active":
        return _live_consent_q()
    raise _bad_filter("state", state)


def consent_state(consent: Consent, today: datetime.date | None = None) -> str:
    """ "active", "expired" or "revoked"."""
    if consent.revoked_at is not None:
        return "revoked"
    return "active" if consent.is_active(today) else "expired"


def grantee_choices(*, actor: Any) -> QuerySet[Organization]:
    """Organisations an enterprise may grant consent to: active banks, guarantors, insurers, investors,
    securities firms and core enterprises, other than the actor's own organisations. Any caller."""
    scope = actor_scope(actor)
    return (
        Organization.objects.filter(org_type__in=CONSENT_TYPES, is_active=True)
        .exclude(pk__in=scope.own_organization_ids)
        .select_related("parent")
        .order_by("org_type", "name", "id")
    )


# ---- history ---------------------------------------------------------------------------------------

HISTORY_KINDS = {"+": "created", "~": "changed", "-": "deleted"}
HISTORY_KIND_LABELS = {"created": _("Created"), "changed": _("Changed"), "deleted": _("Deleted")}
HISTORY_LIMIT = 200


@dataclass(frozen=True)
class FieldChange:
    """One changed field of a history entry, with the old and new values as readable text."""

    field: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    """One recorded version of an enterprise: when, who, what kind of change and which fields changed."""

    when: datetime.datetime
    user: User | None
    user_name: str
    kind: str
    reason: str
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return str(HISTORY_KIND_LABELS.get(self.kind, self.kind))

    @property
    def reason_label(self) -> str:
        """The change reason (the service that made the change) in words, in the active language."""
        return action_label(self.reason)


class _ValueFormatter:
    """Turns raw values of historical records into readable text, loading related names in bulk."""

    RELATED: dict[str, type[Model]] = {
        "subdistrict": Subdistrict,
        "managing_authority": Organization,
        "organization": Organization,
        "last_verified_by": User,
    }

    def __init__(self, records: list[Any]) -> None:
        self._names: dict[tuple[str, Any], str] = {}
        for name, model in self.RELATED.items():
            ids = {getattr(r, f"{name}_id") for r in records} - {None}
            for obj in model.objects.filter(pk__in=ids):
                self._names[(name, obj.pk)] = str(obj)
        self._clusters = {c.pk: c.code for c in IndustrialCluster.objects.all()}

    def text(self, name: str, value: Any) -> str:
        if value is None or value == "":
            return ""
        if name in self.RELATED:
            return self._names.get((name, value), f"#{value}")
        if name == "clusters":
            codes = sorted(self._clusters.get(row.get("industrialcluster"), "?") for row in value)
            return ", ".join(codes)
        model_field = Enterprise._meta.get_field(name)
        if getattr(model_field, "choices", None):
            return str(dict(model_field.flatchoices).get(value, value))
        if isinstance(value, bool):
            return gettext("Yes") if value else gettext("No")
        if isinstance(value, datetime.datetime):
            return date_format(timezone.localtime(value), "Y-m-d H:i")
        if isinstance(value, datetime.date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return f"{value:.2f}"
        return str(value)


def _field_label(name: str) -> str:
    return str(capfirst(Enterprise._meta.get_field(name).verbose_name))


def _creation_changes(record: Any, fmt: _ValueFormatter) -> list[FieldChange]:
    changes = []
    for model_field in record.instance_type._meta.concrete_fields:
        if model_field.name in ("id", "created_at") or not model_field.editable:
            continue
        value = getattr(record, model_field.attname, None)
        text = fmt.text(model_field.name, value)
        if text and value is not False:
            changes.append(FieldChange(model_field.name, _field_label(model_field.name), "", text))
    clusters = list(record.clusters.values("industrialcluster"))
    if clusters:
        changes.append(FieldChange("clusters", _field_label("clusters"), "", fmt.text("clusters", clusters)))
    return changes


def enterprise_history(*, actor: Any, enterprise: Enterprise, limit: int = HISTORY_LIMIT) -> list[HistoryEntry]:
    """Every recorded version of an enterprise, newest first, with each changed field old → new.

    Who: holders of enterprises.view_history who may see the enterprise (government remit, own record).
    Raises NotFound when the actor may not see the enterprise, PermissionDenied without view_history.
    """
    if not enterprise_visible_queryset(actor=actor).filter(pk=enterprise.pk).exists():
        raise NotFound()
    if not has_perm(actor, perms.VIEW_HISTORY, enterprise):
        raise PermissionDenied()
    records = list(
        enterprise.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1]
    )
    fmt = _ValueFormatter(records)
    entries = []
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        kind = HISTORY_KINDS.get(record.history_type, "changed")
        if previous is None or kind == "created":
            changes = _creation_changes(record, fmt)
        else:
            delta = record.diff_against(previous, excluded_fields=["id"])
            changes = [
                FieldChange(c.field, _field_label(c.field), fmt.text(c.field, c.old), fmt.text(c.field, c.new))
                for c in delta.changes
            ]
        user = record.history_user
        entries.append(
            HistoryEntry(
                when=record.history_date,
                user=user,
                user_name=str(user) if user else gettext("system"),
                kind=kind,
                reason=record.history_change_reason or "",
                changes=changes,
            )
        )
    return entries

"""Writes of enterprise records, their yearly figures and their contacts.

Who may change what:
- create: holders of enterprises.add_enterprise (government staff and admins); the new record must fall in
  the actor's remit (a subdistrict office adds only in its subdistrict, an industry authority only in its
  sectors, the district authority anywhere);
- update: holders of enterprises.change_enterprise whose remit covers the record (and, after the change,
  still covers it), or the enterprise itself (its own organisation on the platform) for the fields in
  MSME_EDITABLE_FIELDS;
- verify: holders of enterprises.verify_enterprise whose remit covers the record;
- yearly figures and contacts: like update (government remit or the enterprise itself).

Every write runs in one transaction, re-reads the row with select_for_update, records an audit event with
before/after snapshots and a history version (django-simple-history) carrying the acting user and the
service name as change reason. The managing authority follows from the industry code
(managing_authority_for) and the size class from industry and figures (sizing.classify) on every change.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.accounts.choices import OrgType
from finbridge.accounts.models import Organization
from finbridge.accounts.selectors import actor_scope
from finbridge.audit.services import log_event, snapshot
from finbridge.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from finbridge.core.permissions import require_perm
from finbridge.enterprises import permissions as perms
from finbridge.enterprises.models import Enterprise, EnterpriseContact, EnterpriseFinancials
from finbridge.enterprises.selectors import enterprise_visible_queryset, is_in_remit
from finbridge.enterprises.sizing import classify
from finbridge.enterprises.validation import (
    MAX_EMPLOYEES,
    MSG_REQUIRED,
    MSG_UNKNOWN_FIELD,
    FieldError,
    _amount,
    _boolean,
    _is_blank,
    _limited_text,
    _whole_number,
    clean_enterprise_data,
)
from finbridge.reference.industries import normalize_industry_code

# What an enterprise may change in its own record: how it describes itself and its own figures. Its
# identity (uscc), what decides who manages it (subdistrict, industry_code), the district's cluster tags,
# the technology labels (certifications awarded by government) and the bad-credit flag are kept by its
# managing authorities only.
MSME_EDITABLE_FIELDS = frozenset(
    {
        "name",
        "name_en",
        "legal_representative",
        "established_on",
        "registered_capital",
        "address",
        "employees",
        "annual_revenue",
        "total_assets",
        "patents_held",
    }
)
SIZE_INPUTS = ("industry_code", "employees", "annual_revenue", "total_assets")
MANAGING_INPUTS = ("subdistrict", "industry_code")

MSG_DUPLICATE_USCC = _("An enterprise with the credit code %(uscc)s is already in the registry.")
MSG_OUTSIDE_SUBDISTRICT = _("You may only add or keep enterprises in your own subdistrict.")
MSG_OUTSIDE_SECTORS = _("The industry %(code)s is outside the sectors your authority manages.")
MSG_OUTSIDE_REMIT = _("This enterprise is outside your remit.")
MSG_NOT_EDITABLE = _("Only the enterprise's managing authority may change this field.")
MSG_YEAR = _("Enter a year from %(min)s to %(max)s.")
MSG_BAD_PHONE = _("Enter a phone number with digits, spaces, +, - or brackets only.")
MSG_BAD_EMAIL = _("Enter a valid email address.")

FINANCIALS_FIELDS = ("revenue", "total_assets", "net_profit", "rd_expense", "employees")
CONTACT_FIELDS = ("name", "title", "phone", "email", "is_primary")
FIRST_FINANCIAL_YEAR = 1949
PHONE_CHARACTERS = frozenset("0123456789+-() ")


# ---- shared helpers ----------------------------------------------------------------------------------


def _require_visible(actor: Any, enterprise: Enterprise) -> None:
    """NotFound unless the actor may see the enterprise (a hidden record answers like a missing one)."""
    if enterprise.pk is None or not enterprise_visible_queryset(actor=actor).filter(pk=enterprise.pk).exists():
        raise NotFound()


def _lock_enterprise(enterprise: Enterprise) -> Enterprise:
    try:
        return Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    except Enterprise.DoesNotExist:
        raise NotFound() from None


def _history_user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _mark_history(instance: Any, *, actor: Any, reason: str) -> None:
    """Make the history version that the next save writes carry the acting user and the service name."""
    instance._history_user = _history_user(actor)
    instance._change_reason = reason[:100]


def _in_government_remit(actor: Any, enterprise: Enterprise) -> bool:
    scope = actor_scope(actor)
    return (
        scope.is_district_authority
        or enterprise.managing_authority_id in scope.industry_authority_ids
        or enterprise.subdistrict_id in scope.subdistrict_ids
    )


def _duplicate_uscc(uscc: str) -> Conflict:
    message = str(MSG_DUPLICATE_USCC) % {"uscc": uscc}
    return Conflict(message, code="duplicate_uscc", fields={"uscc": [message]})


# ---- managing authority and size class -------------------------------------------------------------------


def _sector_prefixes(organization: Organization) -> list[str]:
    sectors = organization.industry_sectors if isinstance(organization.industry_sectors, list) else []
    return [normalize_industry_code(prefix) for prefix in sectors if isinstance(prefix, str) and prefix.strip()]


def managing_authority_for(industry_code: str) -> Organization | None:
    """The active industry authority whose sector prefix is the longest match of the code, or None.

    Ties go to the authority created first. Pure read; anyone may call it; raises nothing.
    """
    code = normalize_industry_code(industry_code or "")
    best: Organization | None = None
    best_length = 0
    authorities = Organization.objects.filter(org_type=OrgType.INDUSTRY_AUTHORITY, is_active=True).order_by("id")
    for authority in authorities.only("id", "name", "name_en", "org_type", "industry_sectors"):
        for prefix in _sector_prefixes(authority):
            if code.startswith(prefix) and len(prefix) > best_length:
                best, best_length = authority, len(prefix)
    return best


def _derived_size_class(enterprise: Enterprise) -> str:
    return classify(
        industry_code=enterprise.industry_code,
        employees=enterprise.employees,
        revenue=enterprise.annual_revenue,
        assets=enterprise.total_assets,
    )


# ---- create or update (shared with the bulk import) ---------------------------------------------------


def _differs(enterprise: Enterprise, name: str, value: Any) -> bool:
    if name == "clusters":
        return {c.pk for c in value} != set(enterprise.clusters.values_list("pk", flat=True))
    if name == "subdistrict":
        return (value.pk if value is not None else None) != enterprise.subdistrict_id
    return getattr(enterprise, name) != value


def _assign(enterprise: Enterprise, data: Mapping[str, Any]) -> set[str]:
    """Set the given plain fields (not clusters) on the instance; return the names that changed."""
    changed = set()
    for name, value in data.items():
        if name == "clusters":
            continue
        if enterprise.pk is None or _differs(enterprise, name, value):
            setattr(enterprise, name, value)
            changed.add(name)
    return changed


def _remit_error(actor: Any, enterprise: Enterprise) -> ValidationFailed:
    """Why a record would fall outside the actor's government remit, on the fields that decide it."""
    scope = actor_scope(actor)
    fields: dict[str, list[str]] = {}
    if scope.subdistrict_ids:
        fields["subdistrict"] = [str(MSG_OUTSIDE_SUBDISTRICT)]
    if scope.industry_authority_ids:
        fields["industry_code"] = [str(MSG_OUTSIDE_SECTORS) % {"code": enterprise.industry_code}]
    message = next(iter(fields.values()))[0] if len(fields) == 1 else str(MSG_OUTSIDE_REMIT)
    return ValidationFailed(message, code="outside_remit", fields=fields or {"non_field_errors": [message]})


def _check_fields_editable(actor: Any, enterprise: Enterprise, data: Mapping[str, Any]) -> None:
    """An enterprise editing its own record may change only MSME_EDITABLE_FIELDS (unchanged values pass)."""
    if _in_government_remit(actor, enterprise):
        return
    forbidden = [name for name in data if name not in MSME_EDITABLE_FIELDS and _differs(enterprise, name, data[name])]
    if forbidden:
        raise PermissionDenied(
            MSG_NOT_EDITABLE, code="field_not_editable", fields={name: [str(MSG_NOT_EDITABLE)] for name in forbidden}
        )


def _check_required(data: Mapping[str, Any]) -> None:
    missing = [name for name in ("uscc", "name", "industry_code") if _is_blank(data.get(name))]
    if missing:
        raise ValidationFailed(fields={name: [str(MSG_REQUIRED)] for name in missing})


def _save_enterprise(
    enterprise: Enterprise, *, actor: Any, reason: str, clusters: list[Any] | None, created: bool
) -> None:
    """Save with one history version that includes the clusters; a duplicate credit code → Conflict."""
    _mark_history(enterprise, actor=actor, reason=reason)
    try:
        with transaction.atomic():
            if created and clusters:
                # The m2m change writes the single history version (it needs the row's id first); it is
                # the record's creation, so it is labelled as such.
                enterprise.save_without_historical_record()
                enterprise.clusters.set(clusters)
                Enterprise.history.filter(id=enterprise.pk).update(history_type="+")
                return
            if clusters is not None and not created:
                enterprise.skip_history_when_saving = True
                try:
                    enterprise.clusters.set(clusters)
                finally:
                    del enterprise.skip_history_when_saving
            enterprise.save()
    except IntegrityError:
        if Enterprise.objects.filter(uscc=enterprise.uscc).exclude(pk=enterprise.pk).exists():
            raise _duplicate_uscc(enterprise.uscc) from None
        raise


def _create(actor: Any, data: Mapping[str, Any], action: str) -> Enterprise:
    _check_required(data)
    enterprise = Enterprise()
    _assign(enterprise, data)
    enterprise.managing_authority = managing_authority_for(enterprise.industry_code)
    enterprise.size_class = _derived_size_class(enterprise)
    if not _in_government_remit(actor, enterprise):
        raise _remit_error(actor, enterprise)
    if Enterprise.objects.filter(uscc=enterprise.uscc).exists():
        raise _duplicate_uscc(enterprise.uscc)
    _save_enterprise(enterprise, actor=actor, reason=action, clusters=list(data.get("clusters") or []), created=True)
    log_event(actor=actor, action=action, obj=enterprise, before=None, after=snapshot(enterprise))
    return enterprise


def _update(actor: Any, data: Mapping[str, Any], existing: Enterprise, action: str) -> tuple[Enterprise, bool]:
    enterprise = _lock_enterprise(existing)
    if not is_in_remit(actor=actor, enterprise=enterprise):
        raise PermissionDenied(MSG_OUTSIDE_REMIT, code="outside_remit")
    _check_fields_editable(actor, enterprise, data)
    for name in ("uscc", "name", "industry_code"):
        if name in data and _is_blank(data[name]):
            raise ValidationFailed(fields={name: [str(MSG_REQUIRED)]})
    before = snapshot(enterprise)
    was_in_government_remit = _in_government_remit(actor, enterprise)
    clusters = data.get("clusters")
    clusters_changed = clusters is not None and _differs(enterprise, "clusters", clusters)
    changed = _assign(enterprise, data)
    if "industry_code" in changed:
        enterprise.managing_authority = managing_authority_for(enterprise.industry_code)
    size_class = _derived_size_class(enterprise)
    if size_class != enterprise.size_class:
        enterprise.size_class = size_class
        changed.add("size_class")
    if not changed and not clusters_changed:
        return enterprise, False
    if changed & set(MANAGING_INPUTS) and was_in_government_remit and not _in_government_remit(actor, enterprise):
        raise _remit_error(actor, enterprise)
    if "uscc" in changed and Enterprise.objects.filter(uscc=enterprise.uscc).exclude(pk=enterprise.pk).exists():
        raise _duplicate_uscc(enterprise.uscc)
    _save_enterprise(
        enterprise, actor=actor, reason=action, clusters=list(clusters) if clusters_changed else None, created=False
    )
    log_event(actor=actor, action=action, obj=enterprise, before=before, after=snapshot(enterprise))
    return enterprise, True


def apply_enterprise_data(
    *, actor: Any, data: Mapping[str, Any], existing: Enterprise | None, action: str
) -> tuple[Enterprise, bool]:
    """Create (existing=None) or update an enterprise from VALIDATED data (clean_enterprise_data output).

    The one create-or-update step shared by enterprise_create, enterprise_update and the bulk import:
    derives the managing authority (on create or when the industry changes) and the size class, checks
    the remit and the uniqueness of the credit code, saves with one history version carrying the actor
    and `action` as change reason, and records an audit event named `action`. Returns (record, changed);
    an update that changes nothing writes nothing and returns changed=False.

    It does NOT check permission codes (callers do: add_enterprise, change_enterprise or
    import_enterprises). Raises ValidationFailed (missing required field; the record would fall outside
    the actor's remit, code "outside_remit"), PermissionDenied (existing record outside the remit; a field
    the enterprise itself may not change, code "field_not_editable"), Conflict (code "duplicate_uscc"),
    NotFound (the existing record was deleted meanwhile).
    """
    with transaction.atomic():
        if existing is None:
            return _create(actor, data, action), True
        return _update(actor, data, existing, action)


def enterprise_create(*, actor: Any, data: Mapping[str, Any]) -> Enterprise:
    """Add an enterprise from raw input (validated here with clean_enterprise_data).

    Who: holders of enterprises.add_enterprise; the record must fall in their remit. Raises
    PermissionDenied, ValidationFailed (with per-field messages; code "outside_remit" for the remit),
    Conflict (code "duplicate_uscc").
    """
    require_perm(actor, perms.ADD_ENTERPRISE)
    cleaned = clean_enterprise_data(data)
    enterprise, _created = apply_enterprise_data(actor=actor, data=cleaned, existing=None, action="enterprise_create")
    return enterprise


def enterprise_update(
    *, actor: Any, enterprise: Enterprise, data: Mapping[str, Any], partial: bool = True
) -> Enterprise:
    """Change the given fields of an enterprise from raw input (partial update; partial=False for PUT
    also requires uscc, name and industry_code).

    Who: holders of enterprises.change_enterprise with the record in their remit, or the enterprise itself
    for MSME_EDITABLE_FIELDS. Raises NotFound (record not visible), PermissionDenied, ValidationFailed,
    Conflict (code "duplicate_uscc").
    """
    _require_visible(actor, enterprise)
    require_perm(actor, perms.CHANGE_ENTERPRISE, enterprise)
    cleaned = clean_enterprise_data(data, partial=partial)
    updated, _changed = apply_enterprise_data(
        actor=actor, data=cleaned, existing=enterprise, action="enterprise_update"
    )
    return updated


def enterprise_verify(*, actor: Any, enterprise: Enterprise) -> Enterprise:
    """Confirm the record is current: sets last_verified_at/by and the next due date
    (today + FINBRIDGE_VERIFICATION_INTERVAL_DAYS).

    Who: holders of enterprises.verify_enterprise with the record in their remit. Raises NotFound,
    PermissionDenied.
    """
    _require_visible(actor, enterprise)
    require_perm(actor, perms.VERIFY_ENTERPRISE, enterprise)
    with transaction.atomic():
        locked = _lock_enterprise(enterprise)
        before = snapshot(locked)
        now = timezone.now()
        locked.last_verified_at = now
        locked.last_verified_by = _history_user(actor)
        interval = datetime.timedelta(days=settings.FINBRIDGE_VERIFICATION_INTERVAL_DAYS)
        locked.verification_due_on = timezone.localdate(now) + interval
        _mark_history(locked, actor=actor, reason="enterprise_verify")
        locked.save()
        log_event(actor=actor, action="enterprise_verify", obj=locked, before=before, after=snapshot(locked))
    return locked


# ---- yearly figures -------------------------------------------------------------------------------------


def _employees(value: Any) -> int | None:
    return None if _is_blank(value) else _whole_number(value, maximum=MAX_EMPLOYEES)


FINANCIALS_CLEANERS = {
    "revenue": _amount,
    "total_assets": _amount,
    "net_profit": partial(_amount, allow_negative=True),
    "rd_expense": _amount,
    "employees": _employees,
}


def _clean_year(year: Any) -> int:
    last = timezone.localdate().year
    message = str(MSG_YEAR) % {"min": FIRST_FINANCIAL_YEAR, "max": last}
    try:
        number = _whole_number(year, maximum=last)
    except FieldError:
        raise ValidationFailed(message, fields={"year": [message]}) from None
    if number < FIRST_FINANCIAL_YEAR:
        raise ValidationFailed(message, fields={"year": [message]})
    return number


def _clean_fields(data: Any, cleaners: Mapping[str, Any], required: Iterable[str] = ()) -> dict[str, Any]:
    """Run each given field through its cleaner, collecting every error; unknown keys and missing
    required fields are errors too."""
    if not isinstance(data, Mapping):
        raise ValidationFailed(_("Send the fields as an object of names and values."))
    errors: dict[str, list[str]] = {str(k): [str(MSG_UNKNOWN_FIELD)] for k in data if k not in cleaners}
    errors.update({name: [str(MSG_REQUIRED)] for name in required if name not in data})
    cleaned: dict[str, Any] = {}
    for name, cleaner in cleaners.items():
        if name not in data or name in errors:
            continue
        try:
            cleaned[name] = cleaner(data[name])
        except FieldError as error:
            errors[name] = [error.message]
    if errors:
        messages = [m for ms in errors.values() for m in ms]
        raise ValidationFailed(messages[0] if len(messages) == 1 else None, fields=errors)
    return cleaned


def financials_upsert(
    *, actor: Any, enterprise: Enterprise, year: int, data: Mapping[str, Any]
) -> EnterpriseFinancials:
    """Record or change an enterprise's figures for one year (fields given are set, others kept).

    Fields: revenue, total_assets, rd_expense (CNY, not negative), net_profit (CNY, may be negative),
    employees. Who: like enterprise_update (remit, or the enterprise itself). Raises NotFound,
    PermissionDenied, ValidationFailed.
    """
    _require_visible(actor, enterprise)
    require_perm(actor, perms.CHANGE_ENTERPRISE, enterprise)
    year = _clean_year(year)
    cleaned = _clean_fields(data, FINANCIALS_CLEANERS)
    with transaction.atomic():
        locked = _lock_enterprise(enterprise)
        financials = EnterpriseFinancials.objects.select_for_update().filter(enterprise=locked, year=year).first()
        before = snapshot(financials) if financials is not None else None
        if financials is None:
            financials = EnterpriseFinancials(enterprise=locked, year=year)
        changed = financials.pk is None
        for name, value in cleaned.items():
            if getattr(financials, name) != value:
                setattr(financials, name, value)
                changed = True
        if changed:
            _mark_history(financials, actor=actor, reason="financials_upsert")
            financials.save()
            log_event(
                actor=actor, action="financials_upsert", obj=financials, before=before, after=snapshot(financials)
            )
    return financials


def financials_delete(*, actor: Any, financials: EnterpriseFinancials) -> None:
    """Delete one year's figures. Who: like enterprise_update. Raises NotFound, PermissionDenied."""
    enterprise = financials.enterprise
    _require_visible(actor, enterprise)
    require_perm(actor, perms.CHANGE_ENTERPRISE, enterprise)
    with transaction.atomic():
        locked = EnterpriseFinancials.objects.select_for_update().filter(pk=financials.pk).first()
        if locked is None:
            raise NotFound()
        before = snapshot(locked)
        _mark_history(locked, actor=actor, reason="financials_delete")
        log_event(actor=actor, action="financials_delete", obj=locked, before=before, after=None)
        locked.delete()


# ---- contacts -----------------------------------------------------------------------------------------


def _contact_name(value: Any) -> str:
    name = _limited_text(100)(value)
    if not name:
        raise FieldError(MSG_REQUIRED)
    return name


def _phone(value: Any) -> str:
    phone = _limited_text(40)(value)
    if phone and not set(phone) <= PHONE_CHARACTERS:
        raise FieldError(MSG_BAD_PHONE)
    return phone


def _email(value: Any) -> str:
    email = _limited_text(254)(value)
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            raise FieldError(MSG_BAD_EMAIL) from None
    return email


CONTACT_CLEANERS = {
    "name": _contact_name,
    "title": _limited_text(100),
    "phone": _phone,
    "email": _email,
    "is_primary": _boolean,
}


def contact_add(*, actor: Any, enterprise: Enterprise, data: Mapping[str, Any]) -> EnterpriseContact:
    """Add a contact person (name required; title, phone, email, is_primary). A new primary contact
    makes the others non-primary. Who: like enterprise_update. Raises NotFound, PermissionDenied,
    ValidationFailed."""
    _require_visible(actor, enterprise)
    require_perm(actor, perms.CHANGE_ENTERPRISE, enterprise)
    cleaned = _clean_fields(data, CONTACT_CLEANERS, required=("name",))
    with transaction.atomic():
        locked = _lock_enterprise(enterprise)
        demoted: Iterable[int] = []
        if cleaned.get("is_primary"):
            previous = EnterpriseContact.objects.filter(enterprise=locked, is_primary=True)
            demoted = list(previous.values_list("pk", flat=True))
            previous.update(is_primary=False)
        contact = EnterpriseContact.objects.create(enterprise=locked, **cleaned)
        after = {**snapshot(contact), "demoted_primary_contacts": list(demoted)}
        log_event(actor=actor, action="contact_add", obj=contact, before=None, after=after)
    return contact


def contact_remove(*, actor: Any, contact: EnterpriseContact) -> None:
    """Remove a contact person. Who: like enterprise_update. Raises NotFound, PermissionDenied."""
    enterprise = contact.enterprise
    _require_visible(actor, enterprise)
    require_perm(actor, perms.CHANGE_ENTERPRISE, enterprise)
    with transaction.atomic():
        locked = EnterpriseContact.objects.select_for_update().filter(pk=contact.pk).first()
        if locked is None:
            raise NotFound()
        log_event(actor=actor, action="contact_remove", obj=locked, before=snapshot(locked), after=None)
        locked.delete()

"""Claims on covered loans: filing with evidence, review, payout by the loan's rule version, owed amounts.

Who:
- a bank (riskpool.file_claim) files, amends after a return, adds evidence to and withdraws claims on its own
  covered loans (loans of its head office, filed from the head office or any of its branches);
- the pool's managing authority (riskpool.review_claim) approves, approves in part, rejects or returns them.

Rules:
- A claim is filed on an enrolment that is covered (active) whose loan is non-performing (substandard,
  doubtful or loss), with the lost principal (at most the loan's outstanding balance: the loss), the lost
  interest, the date it became non-performing (not before enrolment, not in the future) and at least one
  evidence document. One claim per default: while a claim on the enrolment is not withdrawn, another is refused
  (also by a unique constraint); a rejected claim is final.
- On approval the payout is computed by the enrolment's rule version (`sharing.compute_payout`, caps counting
  payouts granted before) and stored with its arithmetic; the enrolment becomes compensated. The pool pays
  what its cash allows after earlier owed amounts are settled; the rest is owed and settled oldest first
  whenever money comes in (`owed_settle_pending`, called by the capital, interest and recovery services).
  The pool's cash never goes below zero. A claim is paid at most once: the pool row and the claim row are
  locked, the status is checked against the transition table, and a payout is one-to-one with its claim.
- Every change is audited, added to the claim's timeline (ClaimEvent) and notified (bank or authority).
Bad input raises ValidationFailed / Conflict / PermissionDenied / NotFound and changes nothing.
Lock order: the pool first (pool_lock), then claim, enrolment, payout and owed rows.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finbridge.audit.services import log_event
from finbridge.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from finbridge.core.permissions import has_perm
from finbridge.financing.choices import NON_PERFORMING, LoanClassification
from finbridge.notifications.services import notify_organizations
from finbridge.riskpool import notices
from finbridge.riskpool import permissions as perms
from finbridge.riskpool.choices import (
    Account,
    ClaimAction,
    ClaimDecision,
    ClaimDocumentKind,
    ClaimStatus,
    EnrolmentStatus,
    EntryKind,
    OwedStatus,
    ReleaseReason,
)
from finbridge.riskpool.models import (
    Claim,
    ClaimDocument,
    ClaimEvent,
    Enrolment,
    OwedAmount,
    OwedSettlement,
    Payout,
    Pool,
)
from finbridge.riskpool.selectors.pools import rule_set_of, visible_institution_ids
from finbridge.riskpool.services.alerts import require_pool_authority
from finbridge.riskpool.services.inputs import Errors, parse_amount, parse_date, parse_text
from finbridge.riskpool.services.ledger import Line, ledger_post
from finbridge.riskpool.services.locks import pool_lock, refresh_instance
from finbridge.riskpool.sharing import LoanFacts, Loss, PaidContext, PayoutBreakdown, compute_payout
from finbridge.riskpool.transitions import assert_claim_transition, assert_owed_transition

ZERO = Decimal("0")
ACTION_FILE = "riskpool.claim_file"
ACTION_DOCUMENT = "riskpool.claim_document_add"
ACTION_RESUBMIT = "riskpool.claim_resubmit"
ACTION_WITHDRAW = "riskpool.claim_withdraw"
ACTION_RETURN = "riskpool.claim_return"
ACTION_REJECT = "riskpool.claim_reject"
ACTION_APPROVE = "riskpool.claim_approve"
ACTION_SETTLE = "riskpool.owed_settle"

EVIDENCE_MAX_BYTES = 20 * 1024 * 1024
EVIDENCE_MAX_FILES = 20
DESCRIPTION_LIMIT = 4000
REASON_LIMIT = 2000
# Extensions accepted as evidence and the first bytes their content must start with.
_PDF, _PNG, _JPEG, _ZIP, _OLE = b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"PK\x03\x04", b"\xd0\xcf\x11\xe0"
EVIDENCE_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "pdf": (_PDF,),
    "png": (_PNG,),
    "jpg": (_JPEG,),
    "jpeg": (_JPEG,),
    "ofd": (_ZIP,),
    "docx": (_ZIP,),
    "xlsx": (_ZIP,),
    "zip": (_ZIP,),
    "doc": (_OLE,),
    "xls": (_OLE,),
}
OPEN_FOR_EVIDENCE = frozenset({ClaimStatus.SUBMITTED, ClaimStatus.RETURNED})
DECIDED = frozenset({ClaimStatus.APPROVED, ClaimStatus.PAID})

MSG_NOT_COVERED = _("This loan is not covered by the pool (its enrolment is “%(status)s”).")
MSG_NOT_ENROLLED = _("This loan is not enrolled in any risk-sharing pool.")
MSG_COMPENSATED = _("This loan has already been compensated; a default is compensated once.")
MSG_PERFORMING = _(
    "Only a non-performing loan (substandard, doubtful or loss) can be claimed; this loan is “%(status)s”."
)
MSG_CLAIM_EXISTS = _("There is already a claim (%(reference)s) on this default.")
MSG_ABOVE_LOSS = _("The lost principal cannot be more than the loan's outstanding balance of %(balance)s CNY.")
MSG_DEFAULT_FUTURE = _("The loan cannot have become non-performing after today.")
MSG_DEFAULT_EARLY = _("The default must come after the loan was enrolled on %(date)s.")
MSG_EVIDENCE_REQUIRED = _("Attach at least one evidence document.")
MSG_EVIDENCE_KIND = _("%(kind)s is not a kind of evidence document.")
MSG_EVIDENCE_NAME = _("Give the document a file name of at most 255 characters.")
MSG_EVIDENCE_TYPE = _("%(file)s: only PDF, image, OFD, Word, Excel or ZIP files can be attached.")
MSG_EVIDENCE_CONTENT = _("%(file)s: the content does not match its .%(extension)s name.")
MSG_EVIDENCE_EMPTY = _("%(file)s is empty.")
MSG_EVIDENCE_SIZE = _("%(file)s is larger than the limit of %(limit)s MB.")
MSG_EVIDENCE_COUNT = _("A claim can have at most %(limit)s documents.")
MSG_NOT_OPEN = _("Documents can be added only while the claim is submitted or returned; it is “%(status)s”.")
MSG_ALREADY_APPROVED = _("This claim has already been approved; a claim is paid once.")
MSG_ABOVE_CLAIMED = _("The accepted amount cannot be more than the %(claimed)s CNY claimed.")
MSG_NO_LOWER_AMOUNT = _("Approving in part needs an amount below the claim.")
MSG_REASON_REQUIRED = _("Give the reason.")
MSG_NOT_YOURS = _("Only the bank that filed the claim may do this.")


# ---- evidence -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """An evidence document to attach: its kind (ClaimDocumentKind), original file name and content."""

    kind: str
    name: str
    content: bytes


def evidence_from_upload(kind: str, upload: Any) -> Evidence:
    """An Evidence from an uploaded file (a Django UploadedFile or any object with `.name` and `.read()`);
    reads at most one byte more than the limit, so an oversized file is refused without reading it all."""
    content = upload.read(EVIDENCE_MAX_BYTES + 1) if hasattr(upload, "read") else b""
    return Evidence(kind=kind, name=str(getattr(upload, "name", "") or ""), content=bytes(content or b""))


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


def _check_evidence(errors: Errors, documents: Iterable[Any], *, existing: int, required: bool) -> list[Evidence]:
    """The documents, each checked (kind, name, extension, content, size); messages under "documents"."""
    checked: list[Evidence] = []
    items = list(documents or ())
    if required and not items and not existing:
        errors.add("documents", MSG_EVIDENCE_REQUIRED)
    if existing + len(items) > EVIDENCE_MAX_FILES:
        errors.add("documents", MSG_EVIDENCE_COUNT, limit=EVIDENCE_MAX_FILES)
        return checked
    for item in items:
        if not isinstance(item, Evidence):
            errors.add("documents", MSG_EVIDENCE_REQUIRED)
            continue
        name = PurePath(str(item.name or "").replace("\\", "/")).name.strip()
        if item.kind not in ClaimDocumentKind.values:
            errors.add("documents", MSG_EVIDENCE_KIND, kind=str(item.kind) or "—")
        if not name or len(name) > 255:
            errors.add("documents", MSG_EVIDENCE_NAME)
            continue
        extension = PurePath(name).suffix.lower().lstrip(".")
        content = bytes(item.content or b"")
        if extension not in EVIDENCE_SIGNATURES:
            errors.add("documents", MSG_EVIDENCE_TYPE, file=name)
        elif not content:
            errors.add("documents", MSG_EVIDENCE_EMPTY, file=name)
        elif len(content) > EVIDENCE_MAX_BYTES:
            errors.add("documents", MSG_EVIDENCE_SIZE, file=name, limit=_megabytes(EVIDENCE_MAX_BYTES))
        elif not content.startswith(EVIDENCE_SIGNATURES[extension]):
            errors.add("documents", MSG_EVIDENCE_CONTENT, file=name, extension=extension)
        else:
            checked.append(Evidence(kind=item.kind, name=name, content=content))
    return checked


def _store_evidence(claim: Claim, documents: Sequence[Evidence], actor: Any) -> list[ClaimDocument]:
    """Save the documents of a claim (files named by their fingerprint; the original name is kept)."""
    stored = []
    for item in documents:
        digest = hashlib.sha256(item.content).hexdigest()
        extension = PurePath(item.name).suffix.lower()
        document = ClaimDocument(
            claim=claim,
            kind=item.kind,
            name=item.name,
            size=len(item.content),
            sha256=digest,
            uploaded_by=user_or_none(actor),
        )
        document.file.save(f"{digest[:32]}{extension}", ContentFile(item.content), save=False)
        document.save()
        stored.append(document)
    return stored


# ---- helpers ------------------------------------------------------------------------------------------


def user_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def require_bank(actor: Any, bank_id: int, code: str) -> None:
    """NotFound unless the actor acts for the bank (or a branch of it); PermissionDenied without `code`."""
    if bank_id not in visible_institution_ids(actor):
        raise NotFound()
    if not has_perm(actor, code):
        raise PermissionDenied()


def record_event(
    claim: Claim, action: str, actor: Any, *, reason: str = "", amount: Any = None, **details: Any
) -> None:
    ClaimEvent.objects.create(
        claim=claim,
        action=action,
        reason=reason,
        amount=amount,
        details={key: (str(value) if isinstance(value, Decimal) else value) for key, value in details.items()},
        actor=user_or_none(actor),
    )


def _claim_params(claim: Claim, pool: Pool, **extra: Any) -> dict[str, Any]:
    return {"reference": claim.reference, "pool": pool.name, "bank": claim.bank.name, **extra}


def _bank_organizations(claim: Claim) -> list[Any]:
    """The claimant bank and the branch that made the loan (each told once)."""
    organizations = [claim.bank]
    lender = claim.enrolment.loan.lender
    if lender.pk != claim.bank_id:
        organizations.append(lender)
    return organizations


def _notify_bank(claim: Claim, pool: Pool, kind: str, **params: Any) -> None:
    notify_organizations(
        organizations=_bank_organizations(claim), kind=kind, params=_claim_params(claim, pool, **params)
    )


def _notify_authority(claim: Claim, pool: Pool, kind: str, **params: Any) -> None:
    notify_organizations(organizations=[pool.authority], kind=kind, params=_claim_params(claim, pool, **params))


def lock_claim(claim: Claim | int) -> Claim:
    pk = claim.pk if isinstance(claim, Claim) else claim
    try:
        return (
            Claim.objects.select_for_update(of=("self",))
            .select_related("bank", "enrolment__loan__lender", "rule_version")
            .get(pk=pk)
        )
    except (Claim.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def _next_reference(pool: Pool, day: datetime.date) -> str:
    """RP<pool>-<year>-<nnnn>, numbered per pool and year (the pool row is locked by the caller)."""
    prefix = f"RP{pool.pk}-{day.year}-"
    count = Claim.objects.filter(pool=pool, reference__startswith=prefix).count()
    return f"{prefix}{count + 1:04d}"


def _check_claimable(enrolment: Enrolment) -> None:
    """Conflict / ValidationFailed unless the enrolment is covered and its loan non-performing."""
    if enrolment.status == EnrolmentStatus.COMPENSATED:
        raise Conflict(MSG_COMPENSATED, code="already_compensated")
    if enrolment.status != EnrolmentStatus.ACTIVE:
        raise ValidationFailed(
            MSG_NOT_COVERED, code="loan_not_covered", params={"status": EnrolmentStatus(enrolment.status).label}
        )
    loan = enrolment.loan
    if loan.classification not in NON_PERFORMING:
        raise ValidationFailed(
            MSG_PERFORMING,
            code="loan_performing",
            params={"status": LoanClassification(loan.classification).label},
        )
    existing = Claim.objects.filter(enrolment=enrolment).exclude(status=ClaimStatus.WITHDRAWN).first()
    if existing is not None:
        raise Conflict(MSG_CLAIM_EXISTS, code="claim_exists", params={"reference": existing.reference})


def _check_loss(errors: Errors, enrolment: Enrolment, principal: Decimal | None, day: datetime.date | None) -> None:
    loan = enrolment.loan
    if principal is not None and principal > loan.outstanding_balance:
        errors.add("lost_principal", MSG_ABOVE_LOSS, balance=f"{loan.outstanding_balance:,.2f}")
    if day is not None:
        if day > timezone.localdate():
            errors.add("defaulted_on", MSG_DEFAULT_FUTURE)
        elif day < enrolment.enrolled_on:
            errors.add("defaulted_on", MSG_DEFAULT_EARLY, date=enrolment.enrolled_on.isoformat())


# ---- filing -------------------------------------------------------------------------------------------


def claim_file(
    *,
    actor: Any,
    enrolment: Enrolment,
    lost_principal: Any,
    defaulted_on: Any,
    lost_interest: Any = 0,
    description: str = "",
    documents: Iterable[Evidence] = (),
) -> Claim:
    """File a claim on a covered, non-performing loan of the actor's bank (see the module docstring).

    Raises NotFound (not the actor's loan), PermissionDenied (no riskpool.file_claim), ValidationFailed (bad
    amounts or dates, loss above the outstanding balance, missing or bad evidence, loan not covered or
    performing), Conflict (already compensated, a claim on the default exists). Nothing changed on error."""
    require_bank(actor, enrolment.bank_id, perms.FILE_CLAIM)
    errors = Errors()
    principal = parse_amount(errors, "lost_principal", lost_principal)
    interest = parse_amount(errors, "lost_interest", lost_interest, required=False, positive=False) or ZERO
    day = parse_date(errors, "defaulted_on", defaulted_on)
    text = parse_text(errors, "description", description, limit=DESCRIPTION_LIMIT)
    evidence = _check_evidence(errors, documents, existing=0, required=True)
    errors.raise_if_any()
    assert principal is not None and day is not None
    with transaction.atomic():
        pool = pool_lock(enrolment.pool_id)
        locked = Enrolment.objects.select_for_update(of=("self",)).select_related("loan").get(pk=enrolment.pk)
        _check_claimable(locked)
        _check_loss(errors, locked, principal, day)
        errors.raise_if_any()
        now = timezone.now()
        try:
            with transaction.atomic():
                claim = Claim.objects.create(
                    pool=pool,
                    enrolment=locked,
                    bank_id=locked.bank_id,
                    rule_version_id=locked.rule_version_id,
                    reference=_next_reference(pool, timezone.localdate()),
                    status=ClaimStatus.SUBMITTED,
                    loan_classification=locked.loan.classification,
                    defaulted_on=day,
                    lost_principal=principal,
                    lost_interest=interest,
                    description=text,
                    filed_by=user_or_none(actor),
                    filed_at=now,
                    submitted_at=now,
                )
        except IntegrityError:
            raise Conflict(MSG_CLAIM_EXISTS, code="claim_exists", params={"reference": "—"}) from None
        _store_evidence(claim, evidence, actor)
        record_event(
            claim, ClaimAction.SUBMIT, actor, amount=principal + interest, principal=principal, interest=interest
        )
        log_event(
            actor=actor,
            action=ACTION_FILE,
            obj=claim,
            after={
                "enrolment": locked.pk,
                "lost_principal": principal,
                "lost_interest": interest,
                "defaulted_on": day,
                "documents": len(evidence),
            },
        )
        _notify_authority(claim, pool, notices.CLAIM_SUBMITTED, amount=notices.amount_param(principal + interest))
    return claim


def claim_file_for_loan(*, actor: Any, loan: Any, **fields: Any) -> Claim:
    """File a claim on `loan` through its covering enrolment (see claim_file). A loan never enrolled, or whose
    enrolments are all released, raises ValidationFailed "loan_not_covered"."""
    if loan.bank_id not in visible_institution_ids(actor):
        raise NotFound()
    enrolments = Enrolment.objects.filter(loan=loan)
    covering = enrolments.filter(status__in=[EnrolmentStatus.ACTIVE, EnrolmentStatus.COMPENSATED]).first()
    enrolment = covering or enrolments.order_by("-enrolled_at", "-id").first()
    if enrolment is None:
        raise ValidationFailed(MSG_NOT_ENROLLED, code="loan_not_covered")
    return claim_file(actor=actor, enrolment=enrolment, **fields)


def claim_document_add(*, actor: Any, claim: Claim, documents: Iterable[Evidence]) -> list[ClaimDocument]:
    """Attach evidence to a submitted or returned claim of the actor's bank.

    Raises NotFound, PermissionDenied, ValidationFailed (bad documents), Conflict (claim decided)."""
    require_bank(actor, claim.bank_id, perms.FILE_CLAIM)
    errors = Errors()
    items = list(documents or ())
    if not items:
        errors.add("documents", MSG_EVIDENCE_REQUIRED)
    with transaction.atomic():
        locked = lock_claim(claim)
        if locked.status not in OPEN_FOR_EVIDENCE:
            raise Conflict(MSG_NOT_OPEN, code="claim_closed", params={"status": ClaimStatus(locked.status).label})
        evidence = _check_evidence(errors, items, existing=locked.documents.count(), required=True)
        errors.raise_if_any()
        stored = _store_evidence(locked, evidence, actor)
        log_event(actor=actor, action=ACTION_DOCUMENT, obj=locked, after={"documents": [d.pk for d in stored]})
    return stored


def claim_resubmit(
    *,
    actor: Any,
    claim: Claim,
    lost_principal: Any = None,
    lost_interest: Any = None,
    defaulted_on: Any = None,
    description: str | None = None,
    documents: Iterable[Evidence] = (),
) -> Claim:
    """Resubmit a claim returned for more information, with amended figures and more evidence if given.

    Raises NotFound, PermissionDenied, ValidationFailed, Conflict (not returned; loan no longer claimable)."""
    require_bank(actor, claim.bank_id, perms.FILE_CLAIM)
    errors = Errors()
    principal = parse_amount(errors, "lost_principal", lost_principal, required=False)
    interest = parse_amount(errors, "lost_interest", lost_interest, required=False, positive=False)
    day = parse_date(errors, "defaulted_on", defaulted_on, required=False)
    text = None if description is None else parse_text(errors, "description", description, limit=DESCRIPTION_LIMIT)
    errors.raise_if_any()
    with transaction.atomic():
        pool = pool_lock(claim.pool_id)
        locked = lock_claim(claim)
        assert_claim_transition(locked.status, ClaimStatus.SUBMITTED)
        enrolment = Enrolment.objects.select_for_update(of=("self",)).select_related("loan").get(pk=locked.enrolment_id)
        _check_still_claimable(enrolment)
        evidence = _check_evidence(errors, documents, existing=locked.documents.count(), required=False)
        principal = locked.lost_principal if principal is None else principal
        interest = locked.lost_interest if interest is None else interest
        day = locked.defaulted_on if day is None else day
        _check_loss(errors, enrolment, principal, day)
        errors.raise_if_any()
        before = {"lost_principal": locked.lost_principal, "lost_interest": locked.lost_interest}
        locked.lost_principal, locked.lost_interest, locked.defaulted_on = principal, interest, day
        if text is not None:
            locked.description = text
        locked.status, locked.submitted_at = ClaimStatus.SUBMITTED, timezone.now()
        locked.loan_classification = enrolment.loan.classification
        locked.save()
        _store_evidence(locked, evidence, actor)
        record_event(
            locked, ClaimAction.RESUBMIT, actor, amount=principal + interest, principal=principal, interest=interest
        )
        log_event(
            actor=actor,
            action=ACTION_RESUBMIT,
            obj=locked,
            before=before,
            after={"lost_principal": principal, "lost_interest": interest, "documents": len(evidence)},
        )
        _notify_authority(locked, pool, notices.CLAIM_RESUBMITTED, amount=notices.amount_param(principal + interest))
    return locked


def _check_still_claimable(enrolment: Enrolment) -> None:
    """A claim under way stays decidable only while its loan is covered and non-performing."""
    if enrolment.status != EnrolmentStatus.ACTIVE:
        if enrolment.status == EnrolmentStatus.COMPENSATED:
            raise Conflict(MSG_COMPENSATED, code="already_compensated")
        raise ValidationFailed(
            MSG_NOT_COVERED, code="loan_not_covered", params={"status": EnrolmentStatus(enrolment.status).label}
        )
    if enrolment.loan.classification not in NON_PERFORMING:
        raise ValidationFailed(
            MSG_PERFORMING,
            code="loan_performing",
            params={"status": LoanClassification(enrolment.loan.classification).label},
        )


def claim_withdraw(*, actor: Any, claim: Claim, reason: str = "") -> Claim:
    """Withdraw a submitted or returned claim of the actor's bank (a new claim on the default may follow).

    Raises NotFound, PermissionDenied, ValidationFailed (reason too long), Conflict (already decided)."""
    require_bank(actor, claim.bank_id, perms.FILE_CLAIM)
    errors = Errors()
    text = parse_text(errors, "reason", reason, limit=REASON_LIMIT)
    errors.raise_if_any()
    with transaction.atomic():
        pool = pool_lock(claim.pool_id)
        locked = lock_claim(claim)
        assert_claim_transition(locked.status, ClaimStatus.WITHDRAWN)
        before = locked.status
        locked.status = ClaimStatus.WITHDRAWN
        locked.save(update_fields=["status"])
        record_event(locked, ClaimAction.WITHDRAW, actor, reason=text)
        log_event(
            actor=actor, action=ACTION_WITHDRAW, obj=locked, before={"status": before}, after={"status": locked.status}
        )
        _notify_authority(locked, pool, notices.CLAIM_WITHDRAWN, reason=text)
    return locked


# ---- review -------------------------------------------------------------------------------------------


def _decide(*, actor: Any, claim: Claim, target: str, decision: str, reason: Any) -> tuple[Claim, Pool]:
    """Shared by return and reject: authority check, a reason, lock, transition, record."""
    require_pool_authority(actor, claim.pool, perms.REVIEW_CLAIM)
    errors = Errors()
    text = parse_text(errors, "reason", reason, limit=REASON_LIMIT, required=True)
    errors.raise_if_any()
    with transaction.atomic():
        pool = pool_lock(claim.pool_id)
        locked = lock_claim(claim)
        if locked.status in DECIDED:
            raise Conflict(MSG_ALREADY_APPROVED, code="claim_already_approved")
        assert_claim_transition(locked.status, target)
        before = locked.status
        locked.status, locked.decision, locked.decision_reason = target, decision, text
        locked.decided_by, locked.decided_at = user_or_none(actor), timezone.now()
        locked.save(update_fields=["status", "decision", "decision_reason", "decided_by", "decided_at"])
        action = ClaimAction.RETURN if target == ClaimStatus.RETURNED else ClaimAction.REJECT
        record_event(locked, action, actor, reason=text)
        log_event(
            actor=actor,
            action=ACTION_RETURN if target == ClaimStatus.RETURNED else ACTION_REJECT,
            obj=locked,
            before={"status": before},
            after={"status": target, "reason": text},
        )
        kind = notices.CLAIM_RETURNED if target == ClaimStatus.RETURNED else notices.CLAIM_REJECTED
        _notify_bank(locked, pool, kind, reason=text)
    return locked, pool


def claim_return(*, actor: Any, claim: Claim, reason: str) -> Claim:
    """Return a submitted claim to the bank for more information (the bank may resubmit). Authority only.
    Raises PermissionDenied, ValidationFailed (no reason), Conflict (not submitted)."""
    return _decide(actor=actor, claim=claim, target=ClaimStatus.RETURNED, decision=ClaimDecision.RETURN, reason=reason)[
        0
    ]


def claim_reject(*, actor: Any, claim: Claim, reason: str) -> Claim:
    """Reject a submitted claim (final). Authority only. Raises PermissionDenied, ValidationFailed (no
    reason), Conflict (not submitted)."""
    return _decide(actor=actor, claim=claim, target=ClaimStatus.REJECTED, decision=ClaimDecision.REJECT, reason=reason)[
        0
    ]


def paid_context(*, pool: Pool, bank_id: int, loan_id: int, on: datetime.date) -> PaidContext:
    """What the pool granted before a payout to `bank_id` on `loan_id` in the year of `on`, and the bank's
    covered portfolio (every enrolment of the bank in the pool except those released as enrolled in error)."""
    sums = Payout.objects.filter(pool=pool).aggregate(
        by_pool=Sum("amount"),
        to_bank=Sum("amount", filter=Q(bank_id=bank_id)),
        to_bank_in_year=Sum("amount", filter=Q(bank_id=bank_id, created_at__year=on.year)),
        on_loan=Sum("amount", filter=Q(claim__enrolment__loan_id=loan_id)),
    )
    portfolio = (
        Enrolment.objects.filter(pool=pool, bank_id=bank_id)
        .exclude(release_reason=ReleaseReason.ERROR)
        .aggregate(total=Sum("loan_amount"))["total"]
    )
    return PaidContext(
        on_loan=sums["on_loan"] or ZERO,
        to_bank_in_year=sums["to_bank_in_year"] or ZERO,
        year=on.year,
        by_pool=sums["by_pool"] or ZERO,
        to_bank=sums["to_bank"] or ZERO,
        bank_portfolio=portfolio or ZERO,
    )


def compute_claim_payout(*, claim: Claim, principal: Decimal, interest: Decimal, on: datetime.date) -> PayoutBreakdown:
    """The payout a claim would get on `on` for the accepted loss, by its rule version (a read; used by the
    approval and by the review page's preview)."""
    version = claim.rule_version
    enrolment = claim.enrolment
    return compute_payout(
        rule_set_of(version),
        LoanFacts(enrolment.category, frozenset(enrolment.flags or ())),
        Loss(principal, interest),
        paid_context(pool=claim.pool, bank_id=claim.bank_id, loan_id=enrolment.loan_id, on=on),
        version={"number": version.number, "effective_from": version.effective_from.isoformat()},
    )


def _accepted_amounts(claim: Claim, principal: Any, interest: Any, reason: Any) -> tuple[Decimal, Decimal, str, bool]:
    """The accepted principal and interest (default: as claimed), the reason, and whether in part."""
    errors = Errors()
    accepted_principal = parse_amount(errors, "principal", principal, required=False)
    accepted_interest = parse_amount(errors, "interest", interest, required=False, positive=False)
    text = parse_text(errors, "reason", reason, limit=REASON_LIMIT)
    errors.raise_if_any()
    accepted_principal = claim.lost_principal if accepted_principal is None else accepted_principal
    accepted_interest = claim.lost_interest if accepted_interest is None else accepted_interest
    if accepted_principal > claim.lost_principal:
        errors.add("principal", MSG_ABOVE_CLAIMED, claimed=f"{claim.lost_principal:,.2f}")
    if accepted_interest > claim.lost_interest:
        errors.add("interest", MSG_ABOVE_CLAIMED, claimed=f"{claim.lost_interest:,.2f}")
    in_part = accepted_principal < claim.lost_principal or accepted_interest < claim.lost_interest
    if in_part and not text:
        errors.add("reason", MSG_REASON_REQUIRED)
    errors.raise_if_any()
    return accepted_principal, accepted_interest, text, in_part


def claim_approve(*, actor: Any, claim: Claim, principal: Any = None, interest: Any = None, reason: str = "") -> Payout:
    """Approve a submitted claim, in full or in part (accepted principal / interest below the claim, with a
    reason), compute its payout by the claim's rule version, pay what the pool's cash allows after earlier
    owed amounts and record the rest as owed. Authority only.

    Raises PermissionDenied, ValidationFailed (amounts above the claim, no reason for a partial approval, loan
    no longer covered or performing), Conflict (already approved, not submitted). Nothing changed on error."""
    require_pool_authority(actor, claim.pool, perms.REVIEW_CLAIM)
    with transaction.atomic():
        pool = pool_lock(claim.pool_id)
        locked = lock_claim(claim)
        if locked.status in DECIDED or Payout.objects.filter(claim=locked).exists():
            raise Conflict(MSG_ALREADY_APPROVED, code="claim_already_approved")
        assert_claim_transition(locked.status, ClaimStatus.PAID)
        accepted_principal, accepted_interest, text, in_part = _accepted_amounts(locked, principal, interest, reason)
        enrolment = Enrolment.objects.select_for_update(of=("self",)).select_related("loan").get(pk=locked.enrolment_id)
        _check_still_claimable(enrolment)
        owed_settle_pending(actor=actor, pool=pool)  # earlier owed amounts come first
        today = timezone.localdate()
        breakdown = compute_claim_payout(
            claim=locked, principal=accepted_principal, interest=accepted_interest, on=today
        )
        payout = _record_payout(actor, pool, locked, breakdown, accepted_principal, accepted_interest, today)
        _compensate(actor, enrolment)
        _record_decision(actor, pool, locked, payout, accepted_principal, accepted_interest, text, in_part)
    if isinstance(claim, Claim) and "pool" in claim._state.fields_cache:
        refresh_instance(claim.pool, pool)
    _after_approval(pool, locked)
    return payout


def _record_payout(
    actor: Any,
    pool: Pool,
    claim: Claim,
    breakdown: PayoutBreakdown,
    principal: Decimal,
    interest: Decimal,
    today: datetime.date,
) -> Payout:
    """Post the payout entry (paid from cash, the rest owed) and create the Payout and its OwedAmount."""
    amount = breakdown.payout
    paid = min(amount, max(pool.cash_balance, ZERO))
    owed = amount - paid
    entry = None
    if amount > 0:
        lines = [Line(Account.PAYOUTS, debit=amount, counterparty=claim.bank)]
        if paid:
            lines.append(Line(Account.CASH, credit=paid))
        if owed:
            lines.append(Line(Account.OWED, credit=owed, counterparty=claim.bank))
        entry = ledger_post(
            actor=actor,
            pool=pool,
            kind=EntryKind.PAYOUT,
            lines=lines,
            value_date=today,
            memo=str(_("Compensation on claim %(reference)s") % {"reference": claim.reference}),
            counterparty=claim.bank,
            claim=claim,
        )
    stored = breakdown.as_dict()
    stored["rule_version"] = {"id": claim.rule_version_id, "number": claim.rule_version.number}
    payout = Payout.objects.create(
        claim=claim,
        pool=pool,
        bank=claim.bank,
        rule_version_id=claim.rule_version_id,
        loss_principal=principal,
        loss_interest=interest,
        amount=amount,
        paid_amount=paid,
        owed_amount=owed,
        breakdown=stored,
        entry=entry,
        created_by=user_or_none(actor),
    )
    if owed:
        OwedAmount.objects.create(pool=pool, bank=claim.bank, payout=payout, amount=owed)
    return payout


def _compensate(actor: Any, enrolment: Enrolment) -> None:
    """The enrolment's coverage is used up (R1's enrolment_compensate frees its covered balance)."""
    from finbridge.riskpool.services.enrolment import enrolment_compensate

    enrolment_compensate(actor=actor, enrolment=enrolment)


def _record_decision(
    actor: Any,
    pool: Pool,
    claim: Claim,
    payout: Payout,
    principal: Decimal,
    interest: Decimal,
    reason: str,
    in_part: bool,
) -> None:
    before = claim.status
    claim.status = ClaimStatus.PAID if payout.owed_amount == 0 else ClaimStatus.APPROVED
    claim.decision = ClaimDecision.APPROVE_IN_PART if in_part else ClaimDecision.APPROVE
    claim.decision_reason = reason
    claim.decided_by, claim.decided_at = user_or_none(actor), timezone.now()
    claim.approved_principal, claim.approved_interest = principal, interest
    claim.save(
        update_fields=[
            "status",
            "decision",
            "decision_reason",
            "decided_by",
            "decided_at",
            "approved_principal",
            "approved_interest",
        ]
    )
    action = ClaimAction.APPROVE_IN_PART if in_part else ClaimAction.APPROVE
    record_event(
        claim,
        action,
        actor,
        reason=reason,
        amount=payout.amount,
        principal=principal,
        interest=interest,
        paid=payout.paid_amount,
        owed=payout.owed_amount,
        bound_by=list(payout.breakdown.get("bound_by") or []),
    )
    if payout.paid_amount:
        record_event(claim, ClaimAction.PAY, actor, amount=payout.paid_amount)
    log_event(
        actor=actor,
        action=ACTION_APPROVE,
        obj=claim,
        before={"status": before},
        after={
            "status": claim.status,
            "decision": claim.decision,
            "approved_principal": principal,
            "approved_interest": interest,
            "payout": payout.pk,
            "amount": payout.amount,
            "paid": payout.paid_amount,
            "owed": payout.owed_amount,
        },
    )
    kind = notices.CLAIM_APPROVED_IN_PART if in_part else notices.CLAIM_APPROVED
    _notify_bank(
        claim,
        pool,
        kind,
        amount=notices.amount_param(payout.amount),
        paid=notices.amount_param(payout.paid_amount),
        owed=notices.amount_param(payout.owed_amount),
        reason=reason,
    )


def _after_approval(pool: Pool, claim: Claim) -> None:
    """The compensated loan leaves the bank's covered loans: its non-performing ratio may fall back."""
    from finbridge.riskpool.services.risk_control import risk_check_bank

    risk_check_bank(actor=None, pool=pool, bank=claim.bank)


# ---- owed amounts -------------------------------------------------------------------------------------


def owed_settle_pending(*, actor: Any, pool: Pool) -> list[OwedSettlement]:
    """Pay open owed amounts of the pool oldest first with the cash it has (each in full or, for the last
    one reached, in part); a claim whose owed amount is settled in full becomes paid.

    Called inside the transaction of every service that brings money in (capital, top-up, interest,
    recovery) and before a new payout; locks the pool itself. Raises nothing for a pool with no cash."""
    settlements: list[OwedSettlement] = []
    with transaction.atomic():
        locked = pool_lock(pool)
        if locked.cash_balance <= 0:
            return settlements
        queue = (
            OwedAmount.objects.select_for_update(of=("self",))
            .filter(pool=locked, status=OwedStatus.OPEN)
            .select_related("payout__claim__bank", "payout__claim__enrolment__loan__lender", "bank")
            .order_by("created_at", "id")
        )
        for owed in queue:
            if locked.cash_balance <= 0:
                break
            settlements.append(_settle_one(actor, locked, owed, min(owed.outstanding, locked.cash_balance)))
        refresh_instance(pool, locked)
    return settlements


def _settle_one(actor: Any, pool: Pool, owed: OwedAmount, amount: Decimal) -> OwedSettlement:
    claim = owed.payout.claim
    entry = ledger_post(
        actor=actor,
        pool=pool,
        kind=EntryKind.SETTLEMENT,
        lines=[Line(Account.OWED, debit=amount, counterparty=owed.bank), Line(Account.CASH, credit=amount)],
        memo=str(_("Owed compensation on claim %(reference)s") % {"reference": claim.reference}),
        counterparty=owed.bank,
        claim=claim,
    )
    settlement = OwedSettlement.objects.create(owed=owed, amount=amount, entry=entry)
    owed.settled_amount += amount
    fields = ["settled_amount"]
    if owed.outstanding == 0:
        assert_owed_transition(owed.status, OwedStatus.SETTLED)
        owed.status, owed.settled_at = OwedStatus.SETTLED, timezone.now()
        fields += ["status", "settled_at"]
    owed.save(update_fields=fields)
    payout = Payout.objects.select_for_update(of=("self",)).get(pk=owed.payout_id)
    payout.paid_amount += amount
    payout.owed_amount -= amount
    payout.save(update_fields=["paid_amount", "owed_amount"])
    if payout.owed_amount == 0:
        locked_claim = lock_claim(claim.pk)
        assert_claim_transition(locked_claim.status, ClaimStatus.PAID)
        locked_claim.status = ClaimStatus.PAID
        locked_claim.save(update_fields=["status"])
    record_event(claim, ClaimAction.SETTLE, actor, amount=amount, owed_left=payout.owed_amount)
    log_event(
        actor=actor,
        action=ACTION_SETTLE,
        obj=owed,
        after={"amount": amount, "settled": owed.settled_amount, "entry": entry.pk, "status": owed.status},
    )
    _notify_bank(claim, pool, notices.OWED_SETTLED, amount=notices.amount_param(amount))
    return settlement

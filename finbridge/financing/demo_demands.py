"""Demo data for financing demands: a believable set of demands in every state, with institutions' answers and
each demand's timeline, so that the demand pages, the institution's inbox and the oversight page have content.

`seed_demands(rng=...)` is called by the demo loader (manage.py seed_demo) after the registry (and the
products) are loaded. Like the rest of the demo loader it writes directly, bypassing the per-row services
(no notifications, no audit rows, no matching run: the matching demo recomputes matches after loading), but
every demand follows the services' rules: deadlines on the official calendar (core/workdays.py), expiry at
needed_by or 90 days, a status derived from its engagements exactly as services/responses.py derives it,
escalation and overdue flags as the deadlines run would have set them. The demo MSME login's own enterprise
gets three demands (a draft, one taken up, one declined) so the firm's pages show every part.
Idempotent: when any demand exists it does nothing.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from finbridge.accounts.choices import OrgType
from finbridge.accounts.models import Organization
from finbridge.core.workdays import add_workdays
from finbridge.enterprises.models import Enterprise
from finbridge.financing.choices import (
    Collateral,
    DeclineReason,
    DemandPurpose,
    DemandStatus,
    DemandVisibility,
    EngagementStatus,
    ResponseKind,
)
from finbridge.financing.models import Demand, DemandEvent, DemandResponse

DEFAULT_DEMANDS = 80
D = DemandStatus
E = EngagementStatus
# (status, weight): the mix of the demo's demands.
STATUS_MIX = (
    (D.DRAFT, 5),
    (D.PUBLISHED, 22),
    (D.TAKEN_UP, 18),
    (D.UNDER_REVIEW, 16),
    (D.APPROVED, 10),
    (D.DECLINED, 12),
    (D.WITHDRAWN, 9),
    (D.EXPIRED, 8),
)
AMOUNTS_WAN = (50, 80, 100, 150, 200, 300, 500, 800, 1000, 1500, 2000, 3000)
TERMS = (6, 12, 12, 12, 24, 36)
NOTES = (
    ("我行科技支行客户经理将于两个工作日内联系贵司。", "Our sci-tech desk will call you within two working days."),
    ("请准备近两年财务报表及纳税证明。", "Please prepare the last two years' accounts and tax certificates."),
    ("超出我行行业授信政策范围。", "Outside our sector credit policy."),
)
DESCRIPTIONS = (
    "用于购置自动化生产线设备，扩大产能。",
    "研发新一代产品，需补充研发投入资金。",
    "订单增长较快，需补充流动资金。",
    "科技成果转化项目中试阶段资金需求。",
    "新建厂房配套设备采购。",
)


@dataclass
class DemandSeedReport:
    demands: int = 0
    responses: int = 0
    events: int = 0


def _lenders() -> list[Organization]:
    return list(
        Organization.objects.filter(org_type__in=(OrgType.BANK, OrgType.GUARANTOR), is_active=True).order_by("id")
    )


def _pick_status(rng: random.Random) -> str:
    statuses, weights = zip(*STATUS_MIX, strict=True)
    return rng.choices(statuses, weights=weights)[0]


def _engagement_plan(status: str, rng: random.Random) -> list[str]:
    """The engagement statuses of a demand in `status` (the furthest one gives the demand its status)."""
    if status in (D.DRAFT, D.PUBLISHED):
        return []
    if status == D.TAKEN_UP:
        return [E.TAKEN_UP] * rng.randint(1, 2)
    if status == D.UNDER_REVIEW:
        return [E.UNDER_REVIEW] + rng.choice([[], [E.TAKEN_UP], [E.DECLINED]])
    if status == D.APPROVED:
        return [E.APPROVED] + rng.choice([[], [E.UNDER_REVIEW], [E.DECLINED]])
    if status == D.DECLINED:
        return [E.DECLINED] * rng.randint(1, 2)
    # withdrawn or expired: what was running was closed
    return rng.choice([[], [E.CLOSED]])


class _Builder:
    def __init__(self, rng: random.Random, lenders: list[Organization]) -> None:
        self.rng = rng
        self.lenders = lenders
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.report = DemandSeedReport()
        self.events: list[DemandEvent] = []
        self.responses: list[tuple[Demand, DemandResponse]] = []

    def event(self, demand: Demand, action: str, at: datetime.datetime, **fields) -> None:
        self.events.append(DemandEvent(demand=demand, action=action, at=at, **fields))

    def demand(self, enterprise: Enterprise, status: str) -> Demand:
        rng = self.rng
        days_ago = {
            D.DRAFT: rng.randint(0, 10),
            D.PUBLISHED: rng.randint(0, 12),
            D.EXPIRED: rng.randint(95, 150),
        }.get(status, rng.randint(3, 60))
        published_at = self.now - datetime.timedelta(days=days_ago, hours=rng.randint(0, 8))
        published_on = timezone.localdate(published_at)
        needed_by = None
        if status != D.EXPIRED and rng.random() < 0.4:
            needed_by = self.today + datetime.timedelta(days=rng.randint(15, 120))
        amount = Decimal(rng.choice(AMOUNTS_WAN)) * Decimal("10000")
        visibility = DemandVisibility.CHOSEN if rng.random() < 0.25 and self.lenders else DemandVisibility.ALL
        demand = Demand(
            enterprise=enterprise,
            amount=amount,
            term_months=rng.choice(TERMS),
            purpose=rng.choice(DemandPurpose.values),
            collateral_offered=rng.choice(
                [
                    [],
                    [Collateral.NONE],
                    [Collateral.EQUIPMENT],
                    [Collateral.INTELLECTUAL_PROPERTY, Collateral.RECEIVABLES],
                    [Collateral.REAL_ESTATE],
                ]
            ),
            max_annual_rate=rng.choice([None, Decimal("0.045"), Decimal("0.05"), Decimal("0.06")]),
            needed_by=needed_by,
            description=rng.choice(DESCRIPTIONS),
            visibility=visibility,
            status=status,
            created_at=published_at - datetime.timedelta(hours=rng.randint(1, 48)),
        )
        if status != D.DRAFT:
            demand.published_at = published_at
            demand.respond_by = add_workdays(published_on, settings.FINBRIDGE_RESPONSE_WORKING_DAYS)
            demand.expires_on = needed_by or published_on + datetime.timedelta(days=90)
        return demand

    def fill(self, demand: Demand, chosen: list[Organization]) -> None:
        """Answers, engagement steps and the timeline of a saved demand."""
        rng = self.rng
        self.event(demand, "created", demand.created_at, organization=demand.enterprise.organization, to_status=D.DRAFT)
        if demand.status == D.DRAFT:
            return
        self.event(demand, "published", demand.published_at, from_status=D.DRAFT, to_status=D.PUBLISHED)
        audience = chosen or self.lenders
        plan = _engagement_plan(demand.status, rng)
        answering = rng.sample(audience, k=min(len(audience), len(plan) + rng.randint(0, 2)))
        for index, institution in enumerate(answering):
            at = min(demand.published_at + datetime.timedelta(hours=rng.randint(2, 96)), self.now)
            on_time = timezone.localdate(at) <= demand.respond_by
            if index < len(plan):
                status = plan[index]
                response = DemandResponse(
                    demand=demand,
                    institution=institution,
                    kind=ResponseKind.TAKE_UP,
                    status=status,
                    responded_at=at,
                    on_time=on_time,
                    note=rng.choice(NOTES)[0],
                )
                self.event(demand, "taken_up", at, organization=institution)
                decided = min(at + datetime.timedelta(days=rng.randint(1, 6)), self.now)
                if status in (E.UNDER_REVIEW, E.APPROVED) or (status == E.DECLINED and rng.random() < 0.5):
                    self.event(
                        demand,
                        "review_started",
                        min(at + datetime.timedelta(hours=6), decided),
                        organization=institution,
                    )
                if status == E.APPROVED:
                    response.approved_amount = demand.amount
                    response.approved_rate = Decimal(rng.choice(["0.0345", "0.0385", "0.0420"]))
                    response.decided_at = decided
                    self.event(demand, "approved", decided, organization=institution)
                if status == E.DECLINED:
                    response.decline_reason = rng.choice(DeclineReason.values[:-2])
                    response.decided_at = decided
                    self.event(demand, "declined", decided, organization=institution)
                if status == E.CLOSED:
                    response.decided_at = decided
            else:
                response = DemandResponse(
                    demand=demand,
                    institution=institution,
                    kind=ResponseKind.PASS,
                    status="",
                    responded_at=at,
                    on_time=on_time,
                    note=rng.choice(NOTES)[1],
                )
                self.event(demand, "passed", at, organization=institution)
            self.responses.append((demand, response))
        declined = [r for d, r in self.responses if d is demand and r.status == E.DECLINED]
        if demand.status == D.DECLINED and declined:
            last = max(declined, key=lambda r: r.decided_at)
            demand.decline_reason, demand.decline_note = last.decline_reason, last.decline_note
        closing = self.now - datetime.timedelta(days=rng.randint(0, 2))
        if demand.status == D.WITHDRAWN:
            demand.closed_at = closing
            self.event(demand, "withdrawn", closing, organization=demand.enterprise.organization)
        if demand.status == D.EXPIRED:
            demand.closed_at = timezone.make_aware(
                datetime.datetime.combine(demand.expires_on + datetime.timedelta(days=1), datetime.time(1))
            )
            self.event(demand, "expired", demand.closed_at)
        self._deadline_steps(demand, audience, {r.institution_id for d, r in self.responses if d is demand})

    def _deadline_steps(self, demand: Demand, audience: list[Organization], answered: set[int]) -> None:
        """What the deadlines run would have recorded: overdue flags and the escalation."""
        if (
            demand.status not in (D.PUBLISHED, D.TAKEN_UP, D.UNDER_REVIEW, D.APPROVED)
            or demand.respond_by >= self.today
        ):
            return
        flagged_at = timezone.make_aware(
            datetime.datetime.combine(demand.respond_by + datetime.timedelta(days=1), datetime.time(0, 15))
        )
        for institution in audience:
            if institution.pk not in answered:
                self.event(
                    demand,
                    "overdue",
                    flagged_at,
                    organization=institution,
                    from_status=demand.status,
                    to_status=demand.status,
                )
        if demand.status == D.PUBLISHED:
            demand.escalated_at = flagged_at
            self.event(demand, "escalated", flagged_at, from_status=demand.status, to_status=demand.status)


def seed_demands(*, rng: random.Random, count: int = DEFAULT_DEMANDS) -> DemandSeedReport:
    """Create about `count` demo demands with answers and timelines (nothing when demands exist)."""
    if Demand.objects.exists():
        return DemandSeedReport()
    lenders = _lenders()
    builder = _Builder(rng, lenders)
    own = list(Enterprise.objects.filter(organization__org_type=OrgType.MSME).order_by("id")[:1])
    ids = list(Enterprise.objects.filter(subdistrict__isnull=False).order_by("id").values_list("id", flat=True)[:5000])
    picked = rng.sample(ids, k=min(len(ids), count))
    enterprises = {e.pk: e for e in Enterprise.objects.filter(pk__in=picked).select_related("organization")}
    plan: list[tuple[Enterprise, str]] = []
    for enterprise in own:
        plan += [(enterprise, D.DRAFT), (enterprise, D.TAKEN_UP), (enterprise, D.DECLINED)]
    plan += [(enterprises[pk], _pick_status(rng)) for pk in picked if pk in enterprises]
    with transaction.atomic():
        pending: list[tuple[Demand, list[Organization]]] = []
        for enterprise, status in plan:
            demand = builder.demand(enterprise, status)
            chosen = rng.sample(lenders, k=min(2, len(lenders))) if demand.visibility == DemandVisibility.CHOSEN else []
            pending.append((demand, chosen))
        Demand.objects.bulk_create([d for d, _ in pending])
        through = Demand.chosen_institutions.through
        through.objects.bulk_create(
            [through(demand_id=d.pk, organization_id=o.pk) for d, chosen in pending for o in chosen]
        )
        for demand, chosen in pending:
            builder.fill(demand, chosen)
        Demand.objects.bulk_update(
            [d for d, _ in pending], ["decline_reason", "decline_note", "closed_at", "escalated_at"]
        )
        DemandResponse.objects.bulk_create([r for _, r in builder.responses])
        DemandEvent.objects.bulk_create(builder.events)
    builder.report.demands = len(pending)
    builder.report.responses = len(builder.responses)
    builder.report.events = len(builder.events)
    return builder.report

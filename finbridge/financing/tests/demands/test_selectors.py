"""Who sees which demand, answer and timeline step; lists, filters and the oversight lists."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from finbridge.accounts.choices import Role
from finbridge.accounts.tests.factories import OrganizationFactory
from finbridge.core.errors import NotFound, PermissionDenied, ValidationFailed
from finbridge.financing.choices import DemandStatus, EngagementStatus, ResponseKind
from finbridge.financing.selectors import demands as selectors
from finbridge.financing.services import demands as services
from finbridge.financing.services import responses
from finbridge.financing.tests.demands.conftest import demand_data, demand_in
from finbridge.financing.tests.setup import make_demand, make_response

pytestmark = pytest.mark.django_db


def visible(user) -> set[int]:
    return set(selectors.demand_visible_queryset(actor=user).values_list("pk", flat=True))


@pytest.fixture
def demands(market):
    return {
        "draft": make_demand(market, status=DemandStatus.DRAFT),
        "all": make_demand(market),
        "chosen_head": make_demand(market, chosen=[market.head]),
        "chosen_scitech": make_demand(market, chosen=[market.scitech]),
        "chosen_guarantor": make_demand(market, chosen=[market.guarantor]),
        "software": make_demand(market, enterprise=market.software),
        "withdrawn_draft": make_demand(market, status=DemandStatus.WITHDRAWN, published_at=None),
    }


def ids(demands, *names) -> set[int]:
    return {demands[name].pk for name in names}


def test_the_firm_sees_all_its_own_demands_and_nothing_else(market, demands):
    everything_of_factory = ids(demands, "draft", "all", "chosen_head", "chosen_scitech", "chosen_guarantor")
    assert visible(market.firm_user) == everything_of_factory | ids(demands, "withdrawn_draft")
    assert visible(market.member("msme", Role.VIEWER)) == visible(market.firm_user)
    assert visible(market.other_firm_user) == ids(demands, "software")


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("head_user", {"all", "chosen_head", "software"}),
        ("branch_user", {"all", "chosen_head", "software"}),  # the head office was chosen
        ("scitech_user", {"all", "chosen_head", "chosen_scitech", "software"}),
        ("other_bank_user", {"all", "software"}),
        ("guarantor_user", {"all", "chosen_guarantor", "software"}),
        ("insurer_user", set()),  # not a lender: never sees demands
    ],
)
def test_institutions_see_published_demands_shown_to_them(market, demands, user, expected):
    assert visible(getattr(market, user)) == ids(demands, *expected)


def test_a_bank_never_sees_a_demand_not_shown_to_it(market, demands):
    for name in ("draft", "chosen_scitech", "chosen_guarantor", "withdrawn_draft"):
        with pytest.raises(NotFound):
            selectors.demand_get(actor=market.head_user, pk=demands[name].pk)
        with pytest.raises(NotFound):
            selectors.demand_timeline(actor=market.head_user, demand=demands[name])


def test_an_institution_keeps_seeing_a_demand_it_answered(market):
    demand = make_demand(market, chosen=[market.other_bank])
    make_response(demand, market.other_bank, kind=ResponseKind.PASS)
    services.demand_update(actor=market.firm_user, demand=demand, data={"chosen_institutions": [market.guarantor.pk]})
    assert demand.pk in visible(market.other_bank_user)
    assert demand.pk not in visible(market.head_user)


def test_institutions_that_can_see(market, demands):
    assert set(selectors.institutions_that_can_see(demands["all"])) == set(market.lenders)
    assert set(selectors.institutions_that_can_see(demands["chosen_head"])) == {
        market.head,
        market.branch,
        market.scitech,
    }
    assert set(selectors.institutions_that_can_see(demands["chosen_scitech"])) == {market.scitech}
    assert list(selectors.institutions_that_can_see(demands["draft"])) == []
    inactive = OrganizationFactory(org_type="bank", is_active=False)
    assert inactive not in selectors.institutions_that_can_see(demands["all"])


def test_government_sees_published_demands_in_its_remit(market, demands):
    published_factory = ids(demands, "all", "chosen_head", "chosen_scitech", "chosen_guarantor")
    assert visible(market.district_user) == published_factory | ids(demands, "software")
    assert visible(market.ia_user) == published_factory  # manages the factory (sector C)
    assert visible(market.so_s1_user) == published_factory  # the factory is in S1
    assert visible(market.member("so_s2")) == ids(demands, "software")


def test_government_sees_the_drafts_it_recorded(market):
    recorded = services.demand_create(
        actor=market.so_s1_user, enterprise=market.factory, data=demand_data(recorded_source="visit")
    )
    assert recorded.pk in visible(market.so_s1_user)
    assert recorded.pk in visible(market.firm_user)
    assert recorded.pk not in visible(market.ia_user)  # a draft of another office
    assert recorded.pk not in visible(market.district_user)


def test_anonymous_sees_nothing(market, demands):
    from django.contrib.auth.models import AnonymousUser

    assert visible(AnonymousUser()) == set()


def test_demand_get_rejects_bad_ids(market):
    for bad in ("abc", "-1", "0", "99999999999999999999999", None, True):
        with pytest.raises(NotFound):
            selectors.demand_get(actor=market.firm_user, pk=bad)


def test_responses_visible_to_each(market):
    demand = make_demand(market)
    scitech = make_response(demand, market.scitech)
    other = make_response(demand, market.other_bank, kind=ResponseKind.PASS)
    assert set(selectors.responses_visible(actor=market.firm_user, demand=demand)) == {scitech, other}
    assert set(selectors.responses_visible(actor=market.district_user, demand=demand)) == {scitech, other}
    assert set(selectors.responses_visible(actor=market.scitech_user, demand=demand)) == {scitech}
    assert set(selectors.responses_visible(actor=market.head_user, demand=demand)) == {scitech}  # its branch
    assert set(selectors.responses_visible(actor=market.branch_user, demand=demand)) == set()
    with pytest.raises(NotFound):
        selectors.responses_visible(actor=market.other_firm_user, demand=demand)


def test_timeline_per_reader(market):
    assert market.firm_user
    draft = services.demand_create(actor=market.firm_user, enterprise=market.factory, data=demand_data())
    services.demand_publish(actor=market.firm_user, demand=draft)
    responses.demand_take_up(actor=market.scitech_user, demand=draft)
    responses.demand_pass(actor=market.guarantor_user, demand=draft)
    services.demand_deadlines_check(now=timezone.now() + datetime.timedelta(days=20))
    actions = lambda user: [e.action for e in selectors.demand_timeline(actor=user, demand=draft)]  # noqa: E731
    assert actions(market.firm_user) == ["created", "published", "taken_up", "passed"]
    assert actions(market.scitech_user) == ["created", "published", "taken_up"]
    assert actions(market.guarantor_user) == ["created", "published", "passed"]
    assert "overdue" in actions(market.district_user)
    assert actions(market.other_bank_user)[-1] == "overdue"  # its own flag


def test_list_filters(market, demands):
    qs = selectors.demand_list(actor=market.firm_user, filters={"status": "draft"})
    assert set(qs) == {demands["draft"]}
    qs = selectors.demand_list(actor=market.firm_user, filters={"status": ["draft", "withdrawn"]})
    assert set(qs) == {demands["draft"], demands["withdrawn_draft"]}
    assert set(selectors.demand_list(actor=market.district_user, filters={"enterprise": market.software.pk})) == {
        demands["software"]
    }
    assert set(selectors.demand_list(actor=market.district_user, filters={"q": "马峦"})) == {demands["software"]}
    assert set(selectors.demand_list(actor=market.district_user, filters={"q": "maluan"})) == {demands["software"]}
    make_response(demands["all"], market.head)
    assert set(selectors.demand_list(actor=market.head_user, filters={"answered": "true"})) == {demands["all"]}
    assert set(selectors.demand_list(actor=market.head_user, filters={"answered": "false"})) == {
        demands["chosen_head"],
        demands["software"],
    }
    assert set(selectors.demand_list(actor=market.firm_user, filters={"purpose": "working_capital"})) == set(
        selectors.demand_visible_queryset(actor=market.firm_user)
    )


@pytest.mark.parametrize(
    "filters",
    [{"status": "lost"}, {"purpose": "fun"}, {"enterprise": "x"}, {"answered": "maybe"}, {"colour": "red"}],
)
def test_bad_filters_are_refused(market, filters):
    with pytest.raises(ValidationFailed) as error:
        selectors.demand_list(actor=market.firm_user, filters=filters)
    assert set(error.value.fields) == set(filters)


def test_list_puts_drafts_first_then_latest_publication(market):
    old = make_demand(market, published_at=timezone.now() - datetime.timedelta(days=3))
    new = make_demand(market, published_at=timezone.now() - datetime.timedelta(days=1))
    draft = make_demand(market, status=DemandStatus.DRAFT)
    assert list(selectors.demand_list(actor=market.firm_user)) == [draft, new, old]


def test_oversight_lists(market):
    from finbridge.accounts.models import Organization

    Organization.objects.update(created_at=timezone.now() - datetime.timedelta(days=400))
    demand = make_demand(market, published_at=timezone.now() - datetime.timedelta(days=10))
    other = make_demand(market, status=DemandStatus.TAKEN_UP, published_at=timezone.now() - datetime.timedelta(days=10))
    make_response(other, market.scitech, status=EngagementStatus.TAKEN_UP)
    services.demand_deadlines_check()
    overdue = list(selectors.oversight_overdue(actor=market.district_user))
    assert set(overdue) == {demand, other}
    assert list(selectors.oversight_escalated(actor=market.district_user)) == [demand]
    flagged = selectors.overdue_institutions(overdue)
    assert set(flagged[demand.pk]) == set(market.lenders)
    assert market.scitech not in flagged[other.pk]
    for user in (market.ia_user, market.head_user, market.firm_user, market.member("district", Role.VIEWER)):
        if user.pk == market.member("district", Role.VIEWER).pk:
            assert selectors.oversight_overdue(actor=user).count() == 2  # every district role has oversight
            continue
        with pytest.raises(PermissionDenied):
            selectors.oversight_overdue(actor=user)
        with pytest.raises(PermissionDenied):
            selectors.oversight_escalated(actor=user)


def test_enterprises_for_demands(market):
    assert list(selectors.enterprises_for_demands(actor=market.firm_user)) == [market.factory]
    assert list(selectors.enterprises_for_demands(actor=market.member("msme", Role.VIEWER))) == []
    assert set(selectors.enterprises_for_demands(actor=market.district_user)) == {
        market.factory,
        market.software,
        market.shop,
    }
    assert set(selectors.enterprises_for_demands(actor=market.member("so_s2"))) == {market.software, market.shop}
    assert list(selectors.enterprises_for_demands(actor=market.head_user)) == []


def test_enterprise_summary(market):
    summary = selectors.enterprise_summary(market.factory)
    assert summary.labels == ["high_tech"] and summary.size_class == "small"
    assert summary.subdistrict_code == "440310001" and summary.industry_code == "C3670"
    expected = selectors.years_in_operation(market.factory, today=datetime.date(2025, 2, 28))
    assert expected == 6  # established 2018-03-01
    assert selectors.years_in_operation(market.factory, today=datetime.date(2025, 3, 1)) == 7


def test_demand_in_helper_is_consistent(market):
    for status in DemandStatus.values:
        demand = demand_in(market, status)
        assert demand.status == status

"""The pool API: pools (/api/v1/riskpool/pools/), their capital, interest and withdrawals, members and their
suspensions, rule versions and the preset sharing models.

Views only parse the request, call a selector or service, and serialise. A pool the caller may not see answers
404 for every verb (the pool is resolved through the selectors before the permission code is checked).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from finbridge.accounts.models import Organization
from finbridge.accounts.selectors import actor_scope
from finbridge.core.api import HasPermCode
from finbridge.core.errors import NotFound
from finbridge.riskpool import permissions as perms
from finbridge.riskpool.api import serializers_pools as s
from finbridge.riskpool.api.common import (
    MSG_NO_ORGANIZATION,
    MSG_RULES_OR_PRESET,
    PARSERS,
    VisibleObjectFirstMixin,
    errors,
    field_error,
    object_id,
    validated,
)
from finbridge.riskpool.models import MemberSuspension, Pool, PoolAlert, PoolMember, RuleVersion
from finbridge.riskpool.presets import preset_get, preset_list
from finbridge.riskpool.selectors import pools as selectors
from finbridge.riskpool.services import members as member_services
from finbridge.riskpool.services import pools as services
from finbridge.riskpool.services import rules as rule_services


def pool_detail_context(actor: Any, pool: Pool) -> dict[str, Any]:
    """The summary (government only) and open alerts shown with a pool."""
    government = actor_scope(actor).is_government
    return {
        "summary": selectors.pool_summary(pool=pool) if government else None,
        "alerts": list(PoolAlert.objects.filter(pool=pool, cleared_at__isnull=True)) if government else [],
    }


@extend_schema_view(
    list=extend_schema(summary="Risk-sharing pools you may see", responses={200: s.RiskPoolSerializer(many=True)}),
    retrieve=extend_schema(
        summary="One pool with its summary and open alerts",
        description="The summary (capital, cash, owed, free balance, payouts ...) and the alerts are shown to "
        "government only; institutions get null and an empty list.",
        responses={200: s.RiskPoolDetailSerializer, **errors(404)},
    ),
    create=extend_schema(
        summary="Create a draft pool (district authority)",
        request=s.RiskPoolInputSerializer,
        responses={201: s.RiskPoolDetailSerializer, **errors(400, 403)},
    ),
    partial_update=extend_schema(
        summary="Change a pool's settings (its authority)",
        request=s.RiskPoolInputSerializer(partial=True),
        responses={200: s.RiskPoolDetailSerializer, **errors(400, 403, 404, 409)},
    ),
)
class PoolViewSet(
    VisibleObjectFirstMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Pools: government sees every pool (drafts only their authority), banks and guarantors their own pools."""

    queryset = Pool.objects.none()
    serializer_class = s.RiskPoolSerializer
    permission_classes = [HasPermCode]
    parser_classes = PARSERS
    filter_backends: list[Any] = []
    http_method_names = ["get", "post", "patch", "head", "options"]
    perm_codes = {
        "list": perms.VIEW_POOL,
        "retrieve": perms.VIEW_POOL,
        "create": perms.MANAGE_POOL,
        "partial_update": perms.MANAGE_POOL,
        "activate": perms.MANAGE_POOL,
        "close": perms.MANAGE_POOL,
        "capital": perms.MANAGE_POOL,
        "interest": perms.MANAGE_POOL,
        "withdrawals": perms.MANAGE_POOL,
        "members": perms.VIEW_POOL,
        "admit": perms.MANAGE_POOL,
        "rule_versions": perms.VIEW_POOL,
        "add_rule_version": perms.MANAGE_POOL,
        "suspensions": perms.VIEW_POOL,
    }

    def get_queryset(self) -> QuerySet[Pool]:
        return selectors.pool_list(actor=self.request.user)

    def resolve_object(self, pk: Any) -> Pool:
        return selectors.pool_get(actor=self.request.user, pk=object_id(pk))

    def _detail(self, pool: Pool, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.pool_get(actor=self.request.user, pk=pool.pk)
        context = {**self.get_serializer_context(), **pool_detail_context(self.request.user, fresh)}
        return Response(s.RiskPoolDetailSerializer(fresh, context=context).data, status=code)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._detail(self.get_object())

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(s.RiskPoolInputSerializer, request.data)
        pool = services.pool_create(actor=request.user, **data)
        return self._detail(pool, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        pool = self.get_object()
        data = validated(s.RiskPoolInputSerializer, request.data, partial=True)
        services.pool_update(actor=request.user, pool=pool, **data)
        return self._detail(pool)

    @extend_schema(
        summary="Activate a draft pool (needs a rule version and capital)",
        request=None,
        responses={200: s.RiskPoolDetailSerializer, **errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: Any = None) -> Response:
        services.pool_activate(actor=request.user, pool=self.get_object())
        return self._detail(self.get_object())

    @extend_schema(
        summary="Close a pool (no more enrolments; claims go on)",
        request=None,
        responses={200: s.RiskPoolDetailSerializer, **errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: Any = None) -> Response:
        services.pool_close(actor=request.user, pool=self.get_object())
        return self._detail(self.get_object())

    def _money(self, request: Request, service: Any) -> Response:
        data = validated(s.PoolMoneyInputSerializer, request.data)
        entry = service(
            actor=request.user,
            pool=self.get_object(),
            amount=data["amount"],
            value_date=data.get("value_date"),
            memo=data.get("memo", ""),
        )
        return Response(s.JournalEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Pay capital into the pool (the first payment is its capital, later ones top-ups)",
        description="Posted to the ledger (cash against capital); owed amounts are then settled oldest first.",
        request=s.PoolMoneyInputSerializer,
        responses={201: s.JournalEntrySerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def capital(self, request: Request, pk: Any = None) -> Response:
        return self._money(request, services.pool_capital_contribute)

    @extend_schema(
        summary="Record interest the pool's account earned",
        request=s.PoolMoneyInputSerializer,
        responses={201: s.JournalEntrySerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def interest(self, request: Request, pk: Any = None) -> Response:
        return self._money(request, services.pool_interest_record)

    @extend_schema(
        summary="Return capital to the funder (at most the free balance)",
        request=s.PoolMoneyInputSerializer,
        responses={201: s.JournalEntrySerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def withdrawals(self, request: Request, pk: Any = None) -> Response:
        return self._money(request, services.pool_capital_withdraw)

    @extend_schema(summary="Members of a pool", responses={200: s.PoolMemberSerializer(many=True), **errors(404)})
    @action(detail=True, methods=["get"], pagination_class=None)
    def members(self, request: Request, pk: Any = None) -> Response:
        members = selectors.member_list(actor=request.user, pool=self.get_object())
        return Response(s.PoolMemberSerializer(members, many=True).data)

    @extend_schema(
        summary="Admit a bank head office, guarantee agency or insurer",
        request=s.PoolMemberInputSerializer,
        responses={201: s.PoolMemberSerializer, **errors(400, 403, 404, 409)},
    )
    @members.mapping.post
    def admit(self, request: Request, pk: Any = None) -> Response:
        pool = self.get_object()
        data = validated(s.PoolMemberInputSerializer, request.data)
        organization = Organization.objects.filter(pk=data.pop("organization")).first()
        if organization is None:
            raise field_error("organization", MSG_NO_ORGANIZATION)
        member = member_services.member_admit(actor=request.user, pool=pool, organization=organization, **data)
        return Response(s.PoolMemberSerializer(member).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Rule versions of a pool, newest first",
        responses={200: s.RuleVersionSerializer(many=True), **errors(404)},
    )
    @action(detail=True, methods=["get"], url_path="rule-versions", pagination_class=None)
    def rule_versions(self, request: Request, pk: Any = None) -> Response:
        versions = selectors.rule_version_list(actor=request.user, pool=self.get_object())
        return Response(s.RuleVersionSerializer(versions, many=True).data)

    @extend_schema(
        summary="Add a rule version, from a preset or by hand",
        description=(
            "Give `preset` (a code of /riskpool/presets/) or `rules`. Shares are fractions that add up to exactly "
            "1 per category; uplifts are percentage points. A version takes effect after the latest one and, on "
            "an active pool, not before today: 409 otherwise. Invalid rules answer 400 with a message per field "
            "(e.g. categories.0.shares)."
        ),
        request=s.RuleVersionCreateInputSerializer,
        responses={201: s.RuleVersionSerializer, **errors(400, 403, 404, 409)},
    )
    @rule_versions.mapping.post
    def add_rule_version(self, request: Request, pk: Any = None) -> Response:
        pool = self.get_object()
        data = validated(s.RuleVersionCreateInputSerializer, request.data)
        common = {
            "actor": request.user,
            "pool": pool,
            "effective_from": data["effective_from"],
            "label": data.get("label", ""),
            "notes": data.get("notes", ""),
        }
        if data.get("preset"):
            try:
                version = rule_services.rule_version_from_preset(preset=data["preset"], **common)
            except NotFound as error:
                raise field_error("preset", error.message) from None
        elif "rules" in data:
            version = rule_services.rule_version_create(rules=data["rules"], **common)
        else:
            raise field_error("rules", MSG_RULES_OR_PRESET)
        return Response(s.RuleVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Suspensions and resumptions of the pool's banks, newest first",
        responses={200: s.MemberSuspensionSerializer(many=True), **errors(404)},
    )
    @action(detail=True, methods=["get"])
    def suspensions(self, request: Request, pk: Any = None) -> Response:
        members = selectors.member_list(actor=request.user, pool=self.get_object())
        events = (
            MemberSuspension.objects.filter(member__in=members)
            .select_related("member__organization")
            .order_by("-created_at", "-id")
        )
        page = self.paginate_queryset(events)
        return self.get_paginated_response(s.MemberSuspensionSerializer(page, many=True).data)


@extend_schema_view(
    retrieve=extend_schema(summary="One pool member", responses={200: s.PoolMemberSerializer, **errors(404)}),
    partial_update=extend_schema(
        summary="Change a member's agreement dates",
        request=s.PoolMemberUpdateSerializer,
        responses={200: s.PoolMemberSerializer, **errors(400, 403, 404, 409)},
    ),
)
class MemberViewSet(VisibleObjectFirstMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Members of the pools the caller may see; changes by the pool's authority."""

    queryset = PoolMember.objects.none()
    serializer_class = s.PoolMemberSerializer
    permission_classes = [HasPermCode]
    parser_classes = PARSERS
    filter_backends: list[Any] = []
    http_method_names = ["get", "post", "patch", "head", "options"]
    perm_codes = {
        "retrieve": perms.VIEW_POOL,
        "partial_update": perms.MANAGE_POOL,
        "end": perms.MANAGE_POOL,
        "suspend": perms.MANAGE_POOL,
        "resume": perms.MANAGE_POOL,
        "history": perms.VIEW_POOL,
    }

    def resolve_object(self, pk: Any) -> PoolMember:
        number = object_id(pk)
        member = PoolMember.objects.select_related("pool", "organization").filter(pk=number).first()
        if member is None:
            raise NotFound()
        selectors.pool_get(actor=self.request.user, pk=member.pool_id)
        return member

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(s.PoolMemberUpdateSerializer, request.data, partial=True)
        member = member_services.member_update(actor=request.user, member=self.get_object(), **data)
        return Response(s.PoolMemberSerializer(member).data)

    @extend_schema(
        summary="End a member's agreement now (its enrolled loans stay covered)",
        request=None,
        responses={200: s.PoolMemberSerializer, **errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: Any = None) -> Response:
        member = member_services.member_end(actor=request.user, member=self.get_object())
        return Response(s.PoolMemberSerializer(member).data)

    @extend_schema(
        summary="Suspend a bank from new enrolments (by decision of the authority)",
        request=s.MemberSuspensionInputSerializer,
        responses={200: s.PoolMemberSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, pk: Any = None) -> Response:
        data = validated(s.MemberSuspensionInputSerializer, request.data)
        member = member_services.member_suspend(actor=request.user, member=self.get_object(), note=data.get("note", ""))
        return Response(s.PoolMemberSerializer(member).data)

    @extend_schema(
        summary="Resume a suspended bank",
        request=s.MemberSuspensionInputSerializer,
        responses={200: s.PoolMemberSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: Any = None) -> Response:
        data = validated(s.MemberSuspensionInputSerializer, request.data)
        member = member_services.member_resume(actor=request.user, member=self.get_object(), note=data.get("note", ""))
        return Response(s.PoolMemberSerializer(member).data)

    @extend_schema(
        summary="A member's suspensions and resumptions, newest first",
        responses={200: s.MemberSuspensionSerializer(many=True), **errors(404)},
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request: Request, pk: Any = None) -> Response:
        events = self.get_object().suspensions.select_related("member__organization").order_by("-created_at", "-id")
        return Response(s.MemberSuspensionSerializer(events, many=True).data)


@extend_schema_view(
    retrieve=extend_schema(summary="One rule version", responses={200: s.RuleVersionSerializer, **errors(404)})
)
class RuleVersionViewSet(VisibleObjectFirstMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Rule versions of the pools the caller may see (immutable: a change is a new version)."""

    queryset = RuleVersion.objects.none()
    serializer_class = s.RuleVersionSerializer
    permission_classes = [HasPermCode]
    filter_backends: list[Any] = []
    perm_codes = {"retrieve": perms.VIEW_POOL}

    def resolve_object(self, pk: Any) -> RuleVersion:
        version = RuleVersion.objects.filter(pk=object_id(pk)).first()
        if version is None:
            raise NotFound()
        selectors.pool_get(actor=self.request.user, pk=version.pool_id)
        return version


class PresetViewSet(viewsets.GenericViewSet):
    """The preset sharing models (Pingshan, Shenzhen, Anhui, 4:3:2:1, 2:8, EU COSME)."""

    permission_classes = [HasPermCode]
    serializer_class = s.SharingPresetSerializer
    filter_backends: list[Any] = []
    pagination_class = None
    lookup_value_regex = "[a-z0-9_]+"
    perm_codes = {"list": perms.VIEW_POOL, "retrieve": perms.VIEW_POOL}

    @extend_schema(summary="Preset sharing models", responses={200: s.SharingPresetSerializer(many=True)})
    def list(self, request: Request) -> Response:
        return Response(s.SharingPresetSerializer(preset_list(), many=True).data)

    @extend_schema(summary="One preset sharing model", responses={200: s.SharingPresetSerializer, **errors(404)})
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(s.SharingPresetSerializer(preset_get(str(pk))).data)

"""The accounts API: tokens, the current person, organisations, members and invitations."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate, user_logged_in
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from finbridge.accounts import permissions as perms
from finbridge.accounts import selectors, services
from finbridge.accounts.api import serializers as s
from finbridge.accounts.models import Organization
from finbridge.core.api import ErrorSerializer, HasPermCode
from finbridge.core.errors import ValidationFailed

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input; nothing was changed."),
    403: OpenApiResponse(ErrorSerializer, description="Not signed in, or not allowed."),
    404: OpenApiResponse(ErrorSerializer, description="No such record, or not visible to you."),
    409: OpenApiResponse(ErrorSerializer, description="Conflicts with the current state."),
}


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERRORS[code] for code in codes}


class AuthTokenView(APIView):
    """Obtain (POST, with username and password) or revoke (DELETE, authenticated) one's API token.

    Failed attempts count towards the sign-in throttle: after repeated failures the answer is 429.
    """

    def _obtaining(self) -> bool:
        return getattr(getattr(self, "request", None), "method", None) == "POST"

    def get_authenticators(self) -> list[Any]:
        # Obtaining a token is a sign-in: no session, so no CSRF check on a credentials POST.
        return [] if self._obtaining() else super().get_authenticators()

    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self._obtaining() else [IsAuthenticated()]

    @extend_schema(
        request=s.TokenObtainSerializer,
        responses={200: s.TokenSerializer, 400: ERRORS[400], 429: OpenApiResponse(ErrorSerializer, "Locked out.")},
        auth=[],
        summary="Obtain an API token",
    )
    def post(self, request: Request) -> Response:
        serializer = s.TokenObtainSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        django_request = request._request
        user = authenticate(django_request, **serializer.validated_data)
        if user is None:
            message = _("Unable to sign in with this username and password.")
            raise ValidationFailed(message, code="invalid_credentials", fields={"non_field_errors": [message]})
        user_logged_in.send(sender=user.__class__, request=django_request, user=user)
        token = services.api_token_obtain(actor=user)
        return Response({"token": token.key})

    @extend_schema(responses={204: None, 403: ERRORS[403]}, summary="Revoke your API token")
    def delete(self, request: Request) -> Response:
        services.api_token_revoke(actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    """The signed-in person with their memberships and permission codes."""

    @extend_schema(responses={200: s.MeSerializer, 403: ERRORS[403]}, summary="The signed-in person")
    def get(self, request: Request) -> Response:
        return Response(s.MeSerializer(request.user).data)


class PasswordChangeView(APIView):
    """Change one's own password (password rules of the settings); revokes the API token."""

    @extend_schema(
        request=s.PasswordChangeSerializer, responses={204: None, **_errors(400, 403)}, summary="Change your password"
    )
    def post(self, request: Request) -> Response:
        serializer = s.PasswordChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_password_change(actor=request.user, **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        parameters=[s.OrganizationFilterSerializer], responses={200: s.OrganizationSerializer(many=True)}
    ),
    retrieve=extend_schema(responses={200: s.OrganizationSerializer, **_errors(403, 404)}),
    create=extend_schema(
        request=s.OrganizationCreateSerializer,
        responses={201: s.OrganizationSerializer, **_errors(400, 403, 409)},
        description="District authority admins only (accounts.manage_organizations).",
    ),
)
class OrganizationViewSet(viewsets.GenericViewSet):
    """Organisations: the district authority sees all, everyone else their own."""

    permission_classes = [HasPermCode]
    perm_codes = {
        "list": perms.VIEW_ORGANIZATION,
        "retrieve": perms.VIEW_ORGANIZATION,
        "create": perms.MANAGE_ORGANIZATIONS,
    }
    serializer_class = s.OrganizationSerializer
    queryset = Organization.objects.none()

    def list(self, request: Request) -> Response:
        filters = s.OrganizationFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        qs = selectors.organization_list(actor=request.user)
        if org_type := filters.validated_data.get("org_type"):
            qs = qs.filter(org_type=org_type)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(s.OrganizationSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        organization = selectors.organization_get(actor=request.user, pk=pk)
        return Response(s.OrganizationSerializer(organization).data)

    def create(self, request: Request) -> Response:
        serializer = s.OrganizationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organization = services.organization_create(actor=request.user, data=serializer.validated_data)
        return Response(s.OrganizationSerializer(organization).data, status=status.HTTP_201_CREATED)


class _OrganizationMembersBase(viewsets.GenericViewSet):
    """Base for the member-management endpoints of one organisation (admins of it, district authority admins)."""

    permission_classes = [HasPermCode]
    queryset = Organization.objects.none()

    def organization(self) -> Organization:
        return selectors.organization_get_for_members(actor=self.request.user, pk=self.kwargs["organization_pk"])


@extend_schema_view(
    list=extend_schema(responses={200: s.MembershipSerializer(many=True), **_errors(403, 404)}),
    partial_update=extend_schema(
        request=s.MembershipRoleSerializer,
        responses={200: s.MembershipSerializer, **_errors(400, 403, 404, 409)},
        description="Change a member's role. The last administrator cannot be demoted (409 `last_admin`).",
    ),
    destroy=extend_schema(
        responses={204: None, **_errors(403, 404, 409)},
        description="Remove a member at once. The last administrator cannot be removed (409 `last_admin`).",
    ),
)
class MembershipViewSet(_OrganizationMembersBase):
    """Members of an organisation."""

    perm_codes = dict.fromkeys(("list", "partial_update", "destroy"), perms.MANAGE_MEMBERS)
    serializer_class = s.MembershipSerializer

    def list(self, request: Request, organization_pk: str) -> Response:
        memberships = selectors.membership_list(actor=request.user, organization=self.organization())
        page = self.paginate_queryset(memberships)
        return self.get_paginated_response(s.MembershipSerializer(page, many=True).data)

    def partial_update(self, request: Request, organization_pk: str, pk: str) -> Response:
        membership = selectors.membership_get(actor=request.user, organization=self.organization(), pk=pk)
        serializer = s.MembershipRoleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.membership_change_role(
            actor=request.user, membership=membership, role=serializer.validated_data["role"]
        )
        return Response(s.MembershipSerializer(membership).data)

    def destroy(self, request: Request, organization_pk: str, pk: str) -> Response:
        membership = selectors.membership_get(actor=request.user, organization=self.organization(), pk=pk)
        services.membership_remove(actor=request.user, membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(responses={200: s.InvitationSerializer(many=True), **_errors(403, 404)}),
    create=extend_schema(
        request=s.InvitationCreateSerializer,
        responses={201: s.InvitationSerializer, **_errors(400, 403, 404, 409)},
        description="Invite a person by email; the link is emailed in the caller's language.",
    ),
    revoke=extend_schema(request=None, responses={200: s.InvitationSerializer, **_errors(403, 404, 409)}),
)
class InvitationViewSet(_OrganizationMembersBase):
    """Invitations of an organisation."""

    perm_codes = dict.fromkeys(("list", "create", "revoke"), perms.MANAGE_MEMBERS)
    serializer_class = s.InvitationSerializer

    def list(self, request: Request, organization_pk: str) -> Response:
        invitations = selectors.invitation_list(actor=request.user, organization=self.organization())
        page = self.paginate_queryset(invitations)
        return self.get_paginated_response(s.InvitationSerializer(page, many=True).data)

    def create(self, request: Request, organization_pk: str) -> Response:
        organization = self.organization()
        serializer = s.InvitationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation = services.invitation_create(
            actor=request.user,
            organization=organization,
            site_url=request.build_absolute_uri("/"),
            **serializer.validated_data,
        )
        return Response(s.InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, organization_pk: str, pk: str) -> Response:
        invitation = selectors.invitation_get(actor=request.user, organization=self.organization(), pk=pk)
        invitation = services.invitation_revoke(actor=request.user, invitation=invitation)
        return Response(s.InvitationSerializer(invitation).data)


class InvitationAcceptView(APIView):
    """Accept an invitation by its token: as the signed-in person, or as a new person (username, password)."""

    def get_permissions(self) -> list[Any]:
        # Anyone holding a token may accept (POST); other methods are not offered to anonymous callers.
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    @extend_schema(
        request=s.InvitationAcceptSerializer,
        responses={201: s.InvitationAcceptedSerializer, **_errors(400, 404, 409)},
        summary="Accept an invitation",
    )
    def post(self, request: Request) -> Response:
        serializer = s.InvitationAcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.invitation_accept(actor=request.user, **serializer.validated_data)
        return Response(s.InvitationAcceptedSerializer(membership).data, status=status.HTTP_201_CREATED)

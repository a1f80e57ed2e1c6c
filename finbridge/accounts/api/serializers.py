"""Serializers of the accounts API. They shape input and output; the rules live in accounts.services."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from finbridge.accounts.choices import BankTier, InvitationStatus, OrgType, Role
from finbridge.accounts.models import Invitation, Membership, Organization, User
from finbridge.accounts.selectors import invitation_status


class TokenObtainSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})
    new_password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})


class UserSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "display_name", "email"]
        read_only_fields = fields


class MeMembershipSerializer(serializers.Serializer):
    organization_id = serializers.IntegerField(source="organization.pk")
    organization_name = serializers.CharField(source="organization.display_name")
    org_type = serializers.ChoiceField(source="organization.org_type", choices=OrgType.choices)
    bank_tier = serializers.CharField(source="organization.bank_tier")
    role = serializers.ChoiceField(choices=Role.choices)


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    email = serializers.EmailField()
    memberships = MeMembershipSerializer(many=True, source="active_memberships")
    permissions = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_permissions(self, user: User) -> list[str]:
        return sorted(user.permission_codes())


class OrganizationSerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(read_only=True)

    class Meta:
        model = Organization
        fields = [
            "id",
            "name",
            "name_en",
            "display_name",
            "org_type",
            "bank_tier",
            "parent",
            "district",
            "subdistrict",
            "industry_sectors",
            "is_active",
            "created_at",
        ]
        read_only_fields = fields


class OrganizationCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    name_en = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    org_type = serializers.ChoiceField(choices=OrgType.choices)
    bank_tier = serializers.ChoiceField(choices=BankTier.choices, required=False, allow_blank=True, default="")
    parent = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Head office id (bank branches)."
    )
    district = serializers.IntegerField(required=False, allow_null=True, default=None)
    subdistrict = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Subdistrict id (subdistrict offices)."
    )
    industry_sectors = serializers.ListField(
        child=serializers.CharField(max_length=5),
        required=False,
        default=list,
        help_text='GB/T 4754-2017 code prefixes (industry authorities), e.g. ["C", "I65"].',
    )


class OrganizationFilterSerializer(serializers.Serializer):
    org_type = serializers.ChoiceField(choices=OrgType.choices, required=False)


class MembershipSerializer(serializers.ModelSerializer):
    user = UserSummarySerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "role", "created_at"]
        read_only_fields = ["id", "user", "created_at"]


class MembershipRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class InvitationSerializer(serializers.ModelSerializer):
    status = serializers.SerializerMethodField()
    invited_by = serializers.CharField(source="invited_by.username", default=None, read_only=True)

    class Meta:
        model = Invitation
        fields = [
            "id",
            "email",
            "role",
            "status",
            "invited_by",
            "created_at",
            "expires_at",
            "accepted_at",
            "revoked_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=InvitationStatus.choices))
    def get_status(self, invitation: Invitation) -> str:
        return str(invitation_status(invitation))


class InvitationCreateSerializer(serializers.Serializer):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices)


class InvitationAcceptSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=64)
    username = serializers.CharField(
        max_length=150, required=False, allow_blank=True, default="", help_text="New account (ignored when signed in)."
    )
    password = serializers.CharField(
        required=False, allow_blank=True, default="", trim_whitespace=False, style={"input_type": "password"}
    )
    display_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class InvitationAcceptedSerializer(serializers.Serializer):
    user = UserSummarySerializer()
    membership = MeMembershipSerializer()

    def to_representation(self, membership: Any) -> dict[str, Any]:
        return {
            "user": UserSummarySerializer(membership.user).data,
            "membership": MeMembershipSerializer(membership).data,
        }

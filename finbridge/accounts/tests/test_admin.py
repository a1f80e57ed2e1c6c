"""The Django admin pages of people, organisations, memberships and invitations open for a superuser."""

from __future__ import annotations

import pytest
from django.urls import reverse

from finbridge.accounts.choices import Role
from finbridge.accounts.models import User
from finbridge.accounts.services import invitation_create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["user", "organization", "membership", "invitation"])
def test_changelist_and_change_pages(client, bank_admin, bank, model):
    invitation = invitation_create(actor=bank_admin, organization=bank, email="x@example.com", role=Role.STAFF)
    objects = {
        "user": bank_admin,
        "organization": bank,
        "membership": bank_admin.memberships.get(),
        "invitation": invitation,
    }
    client.force_login(User.objects.create_superuser("root", "root@example.com", "Root-Password-123"))
    assert client.get(reverse(f"admin:accounts_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:accounts_{model}_change", args=[objects[model].pk])).status_code == 200


def test_admin_is_closed_to_platform_users(client, bank_admin):
    client.force_login(bank_admin)
    response = client.get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]

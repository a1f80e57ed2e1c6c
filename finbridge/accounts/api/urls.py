from django.urls import path

from finbridge.accounts.api import views

organizations = views.OrganizationViewSet.as_view({"get": "list", "post": "create"})
organization = views.OrganizationViewSet.as_view({"get": "retrieve"})
members = views.MembershipViewSet.as_view({"get": "list"})
member = views.MembershipViewSet.as_view({"patch": "partial_update", "delete": "destroy"})
invitations = views.InvitationViewSet.as_view({"get": "list", "post": "create"})
invitation_revoke = views.InvitationViewSet.as_view({"post": "revoke"})

urlpatterns = [
    path("auth/token/", views.AuthTokenView.as_view(), name="api-auth-token"),
    path("me/", views.MeView.as_view(), name="api-me"),
    path("me/password/", views.PasswordChangeView.as_view(), name="api-me-password"),
    path("organizations/", organizations, name="api-organization-list"),
    path("organizations/<str:pk>/", organization, name="api-organization-detail"),
    path("organizations/<str:organization_pk>/members/", members, name="api-membership-list"),
    path("organizations/<str:organization_pk>/members/<str:pk>/", member, name="api-membership-detail"),
    path("organizations/<str:organization_pk>/invitations/", invitations, name="api-invitation-list"),
    path(
        "organizations/<str:organization_pk>/invitations/<str:pk>/revoke/",
        invitation_revoke,
        name="api-invitation-revoke",
    ),
    path("invitations/accept/", views.InvitationAcceptView.as_view(), name="api-invitation-accept"),
]

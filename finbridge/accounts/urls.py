from django.urls import path

from finbridge.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("token/", views.TokenView.as_view(), name="token"),
    path("organizations/", views.OrganizationListView.as_view(), name="organizations"),
    path("organizations/new/", views.OrganizationCreateView.as_view(), name="organization_create"),
    path("organizations/<int:pk>/members/", views.MembersView.as_view(), name="members"),
    path(
        "organizations/<int:pk>/members/<int:mid>/role/",
        views.MembershipRoleView.as_view(),
        name="membership_role",
    ),
    path(
        "organizations/<int:pk>/members/<int:mid>/remove/",
        views.MembershipRemoveView.as_view(),
        name="membership_remove",
    ),
    path(
        "organizations/<int:pk>/invitations/<int:iid>/revoke/",
        views.InvitationRevokeView.as_view(),
        name="invitation_revoke",
    ),
    path("invite/<str:token>/", views.InvitationAcceptView.as_view(), name="invitation_accept"),
]

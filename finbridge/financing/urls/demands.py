"""Pages of the financing app: demands (mounted at /financing/demands/, namespace "financing")."""

from django.urls import path

from finbridge.financing.views import demands as views

urlpatterns = [
    path("", views.demand_list_view, name="demands-list"),
    path("new/", views.demand_create_view, name="demands-create"),
    path("record/", views.demand_record_view, name="demands-record"),
    path("oversight/", views.demand_oversight_view, name="demands-oversight"),
    path("<int:pk>/", views.demand_detail_view, name="demands-detail"),
    path("<int:pk>/edit/", views.demand_edit_view, name="demands-edit"),
    path("<int:pk>/publish/", views.demand_publish_view, name="demands-publish"),
    path("<int:pk>/withdraw/", views.demand_withdraw_view, name="demands-withdraw"),
    path("<int:pk>/republish/", views.demand_republish_view, name="demands-republish"),
    path("<int:pk>/take-up/", views.demand_take_up_view, name="demands-take-up"),
    path("<int:pk>/pass/", views.demand_pass_view, name="demands-pass"),
    path(
        "<int:pk>/engagements/<int:engagement_id>/review/",
        views.engagement_review_view,
        name="demands-engagement-review",
    ),
    path(
        "<int:pk>/engagements/<int:engagement_id>/approve/",
        views.engagement_approve_view,
        name="demands-engagement-approve",
    ),
    path(
        "<int:pk>/engagements/<int:engagement_id>/decline/",
        views.engagement_decline_view,
        name="demands-engagement-decline",
    ),
    path(
        "<int:pk>/engagements/<int:engagement_id>/disburse/",
        views.engagement_disburse_view,
        name="demands-engagement-disburse",
    ),
]

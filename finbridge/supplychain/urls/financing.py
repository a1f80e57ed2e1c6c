"""Pages of supply-chain financing: requests, offers and registrations (under /supplychain/financing/)."""

from django.urls import path

from finbridge.supplychain.views import financing as views

urlpatterns = [
    path("requests/", views.request_list_view, name="requests-list"),
    path("requests/new/", views.request_create_view, name="requests-create"),
    path("requests/<int:pk>/", views.request_detail_view, name="requests-detail"),
    path("requests/<int:pk>/withdraw/", views.request_withdraw_view, name="requests-withdraw"),
    path("offers/", views.offer_list_view, name="offers-list"),
    path("offers/<int:pk>/", views.offer_detail_view, name="offers-detail"),
    path("offers/<int:pk>/make/", views.offer_make_view, name="offers-make"),
    path("offers/<int:pk>/refuse/", views.offer_refuse_view, name="offers-refuse"),
    path("offers/<int:pk>/withdraw/", views.offer_withdraw_view, name="offers-withdraw"),
    path("offers/<int:pk>/accept/", views.offer_accept_view, name="offers-accept"),
    path("registrations/", views.registration_list_view, name="registrations-list"),
    path("registrations/<int:pk>/release/", views.registration_release_view, name="registrations-release"),
]

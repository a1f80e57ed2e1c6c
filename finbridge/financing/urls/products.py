"""Pages of the financing app: the product catalogue and the LPR table (under /financing/products/)."""

from django.urls import path

from finbridge.financing.views import products as views

urlpatterns = [
    path("", views.product_list_view, name="products-list"),
    path("new/", views.product_create_view, name="products-create"),
    path("lpr/", views.lpr_list_view, name="lpr-list"),
    path("<int:pk>/", views.product_detail_view, name="products-detail"),
    path("<int:pk>/edit/", views.product_edit_view, name="products-edit"),
    path("<int:pk>/publish/", views.product_publish_view, name="products-publish"),
    path("<int:pk>/withdraw/", views.product_withdraw_view, name="products-withdraw"),
]

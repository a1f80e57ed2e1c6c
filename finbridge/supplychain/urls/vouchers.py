"""Pages of payment vouchers (under /supplychain/vouchers/)."""

from django.urls import path

from finbridge.supplychain.views import vouchers as views

urlpatterns = [
    path("", views.voucher_list_view, name="vouchers-list"),
    path("<int:pk>/", views.voucher_detail_view, name="vouchers-detail"),
    path("<int:pk>/split/", views.voucher_split_view, name="vouchers-split"),
    path("<int:pk>/transfer/", views.voucher_transfer_view, name="vouchers-transfer"),
]

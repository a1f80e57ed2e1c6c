from django.urls import include, path

from finbridge.enterprises import views

app_name = "enterprises"

urlpatterns = [
    path("", views.enterprise_list_view, name="list"),
    path("new/", views.enterprise_create_view, name="create"),
    path("<int:pk>/", views.enterprise_detail_view, name="detail"),
    path("<int:pk>/edit/", views.enterprise_edit_view, name="edit"),
    path("<int:pk>/history/", views.enterprise_history_view, name="history"),
    path("<int:pk>/verify/", views.enterprise_verify_view, name="verify"),
    path("<int:pk>/contacts/", views.contact_add_view, name="contact_add"),
    path("<int:pk>/financials/", views.financials_save_view, name="financials_save"),
    path("<int:pk>/financials/<int:year>/delete/", views.financials_delete_view, name="financials_delete"),
    path("contacts/<int:pk>/remove/", views.contact_remove_view, name="contact_remove"),
    path("consents/", views.consents_view, name="consents"),
    path("consents/<int:pk>/revoke/", views.consent_revoke_view, name="consent_revoke"),
    path("import/", include("finbridge.enterprises.urls_import")),
]

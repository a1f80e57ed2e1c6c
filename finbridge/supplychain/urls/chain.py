"""Pages of the chain databases, included by urls/__init__.py under /supplychain/chain/ (namespace "supplychain")."""

from django.urls import path

from finbridge.supplychain.views import chain as views

urlpatterns = [
    path("", views.chain_list_view, name="chain-list"),
    path("new/", views.chain_partner_create_view, name="chain-create"),
    path("<int:pk>/", views.chain_partner_detail_view, name="chain-detail"),
    path("<int:pk>/edit/", views.chain_partner_edit_view, name="chain-edit"),
    path("<int:pk>/end/", views.chain_partner_end_view, name="chain-end"),
    path("<int:pk>/recommend/", views.recommendation_create_view, name="chain-recommend"),
    path("<int:pk>/summaries/new/", views.summary_create_view, name="chain-summary-create"),
    path("recommendations/", views.recommendation_list_view, name="chain-recommendations"),
    path("recommendations/<int:pk>/", views.recommendation_detail_view, name="chain-recommendation-detail"),
    *(
        path(
            f"recommendations/recipients/<int:pk>/{verb}/",
            views.recommendation_answer_view,
            {"verb": verb},
            name=f"chain-recommendation-{verb}",
        )
        for verb in ("act", "decline", "withdraw")
    ),
    path("summaries/", views.summary_list_view, name="chain-summaries"),
    path("summaries/<int:pk>/", views.summary_detail_view, name="chain-summary-detail"),
    path("summaries/<int:pk>/share/", views.summary_share_view, name="chain-summary-share"),
    path("summaries/shares/<int:pk>/withdraw/", views.summary_unshare_view, name="chain-summary-unshare"),
    path("import/", views.chain_import_view, name="chain-import"),
    path("import/template/", views.chain_import_template_view, name="chain-import-template"),
    path("import/runs/<int:pk>/", views.chain_import_run_view, name="chain-import-run"),
    path("import/runs/<int:pk>/report/", views.chain_import_report_view, name="chain-import-report"),
]

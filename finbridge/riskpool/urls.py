"""Pages of the risk-sharing pool (mounted at /riskpool/, namespace "riskpool")."""

from django.urls import path

from finbridge.riskpool.views import claims, enrolments, ledger, pools

app_name = "riskpool"

urlpatterns = [
    # pools, members, rules
    path("", pools.pool_list_view, name="pools-list"),
    path("new/", pools.pool_create_view, name="pool-create"),
    path("<int:pk>/", pools.pool_detail_view, name="pool-detail"),
    path("<int:pk>/edit/", pools.pool_edit_view, name="pool-edit"),
    path("<int:pk>/money/", pools.pool_money_view, name="pool-money"),
    path("<int:pk>/activate/", pools.pool_activate_view, name="pool-activate"),
    path("<int:pk>/close/", pools.pool_close_view, name="pool-close"),
    path("<int:pk>/members/", pools.members_view, name="members"),
    path("<int:pk>/members/<int:member_pk>/", pools.member_detail_view, name="member-detail"),
    path("<int:pk>/members/<int:member_pk>/<str:action>/", pools.member_action_view, name="member-action"),
    path("<int:pk>/rules/", pools.rules_view, name="rules"),
    path("<int:pk>/rules/new/", pools.rule_version_create_view, name="rule-version-create"),
    path("<int:pk>/rules/<int:version_pk>/", pools.rule_version_view, name="rule-version"),
    # enrolments
    path("<int:pk>/enrolments/", enrolments.enrolments_view, name="enrolments"),
    path("<int:pk>/enrol/", enrolments.enrol_view, name="enrol"),
    path("<int:pk>/enrol/check/<int:loan_pk>/", enrolments.eligibility_view, name="eligibility"),
    path("enrolments/<int:enrolment_pk>/", enrolments.enrolment_detail_view, name="enrolment-detail"),
    path("enrolments/<int:enrolment_pk>/release/", enrolments.enrolment_release_view, name="enrolment-release"),
    path("enrolments/<int:enrolment_pk>/claim/", claims.claim_file_view, name="claim-file"),
    # claims, owed amounts, recoveries
    path("claims/", claims.all_claims_view, name="claims-all"),
    path("<int:pk>/claims/", claims.claims_view, name="claims"),
    path("claims/<int:claim_pk>/", claims.claim_detail_view, name="claim-detail"),
    path("claims/<int:claim_pk>/review/", claims.claim_review_view, name="claim-review"),
    path("claims/<int:claim_pk>/preview/", claims.claim_preview_view, name="claim-preview"),
    path("claims/<int:claim_pk>/documents/", claims.claim_documents_view, name="claim-documents"),
    path("claims/<int:claim_pk>/documents/<int:document_pk>/", claims.claim_document_view, name="claim-document"),
    path("claims/<int:claim_pk>/resubmit/", claims.claim_resubmit_view, name="claim-resubmit"),
    path("claims/<int:claim_pk>/withdraw/", claims.claim_withdraw_view, name="claim-withdraw"),
    path("claims/<int:claim_pk>/recoveries/", claims.claim_recovery_view, name="claim-recovery"),
    path("<int:pk>/owed/", claims.owed_view, name="owed"),
    # ledger, risk, stress test
    path("<int:pk>/statement/", ledger.statement_view, name="statement"),
    path("<int:pk>/risk/", ledger.risk_view, name="risk"),
    path("<int:pk>/stress/", ledger.stress_view, name="stress"),
    path("<int:pk>/stress/<int:run_pk>/", ledger.stress_run_view, name="stress-run"),
    path("<int:pk>/stress/<int:run_pk>/progress/", ledger.stress_run_progress_view, name="stress-run-progress"),
]

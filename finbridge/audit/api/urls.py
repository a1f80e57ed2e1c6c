from django.urls import path

from finbridge.audit.api.views import AuditEventViewSet

urlpatterns = [
    path("audit-events/", AuditEventViewSet.as_view({"get": "list"}), name="api-audit-event-list"),
    path("audit-events/<str:pk>/", AuditEventViewSet.as_view({"get": "retrieve"}), name="api-audit-event-detail"),
]

"""API of the notifications app (mounted at /api/v1/)."""

from rest_framework.routers import SimpleRouter

from finbridge.notifications.api.views import NotificationViewSet

router = SimpleRouter()
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = router.urls

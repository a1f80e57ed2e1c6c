from django.urls import include, path

urlpatterns = [
    path("", include("finbridge.enterprises.api.import_urls")),
]

from django.contrib import admin

from finbridge.reference.models import District, IndustrialCluster, Subdistrict


@admin.register(District, Subdistrict, IndustrialCluster)
class ReferenceAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en")
    search_fields = ("code", "name_zh", "name_en")

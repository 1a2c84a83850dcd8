from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Assignment, User


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    fields = ["role", "level", "district", "street", "community", "grid", "building"]
    raw_id_fields = ["district", "street", "community", "grid", "building"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "display_name", "organisation", "is_active", "is_superuser"]
    search_fields = ["username", "display_name"]
    fieldsets = (*BaseUserAdmin.fieldsets, (None, {"fields": ("display_name", "organisation")}))
    inlines = [AssignmentInline]

"""User administration for superusers. Every save here writes the audit trail, like a service."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from gongzhi.core.audit import log_change, serialize_object
from gongzhi.core.choices import ChangeAction

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

    def save_model(self, request, obj, form, change):
        before = serialize_object(User.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        log_change(
            actor=request.user, obj=obj, action=ChangeAction.UPDATE if change else ChangeAction.CREATE, before=before
        )

    def save_formset(self, request, form, formset, change):
        befores = {
            f.instance.pk: serialize_object(Assignment.objects.get(pk=f.instance.pk))
            for f in formset.forms
            if f.instance.pk
        }
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            pk = obj.pk
            obj.delete()
            obj.pk = pk
            log_change(actor=request.user, obj=obj, action=ChangeAction.DELETE, before=befores.get(pk))
        for obj in instances:
            existed = obj.pk is not None
            obj.full_clean()
            obj.save()
            action = ChangeAction.UPDATE if existed else ChangeAction.CREATE
            log_change(actor=request.user, obj=obj, action=action, before=befores.get(obj.pk) if existed else None)
        formset.save_m2m()

    def delete_model(self, request, obj):
        before = serialize_object(obj)
        pk = obj.pk
        super().delete_model(request, obj)
        obj.pk = pk
        log_change(actor=request.user, obj=obj, action=ChangeAction.DELETE, before=before)

"""User administration for superusers. Every change made here writes the audit trail.

The audit rows are written from the admin's own logging hooks (log_addition, log_change,
log_deletion), which Django calls for every save, password change and deletion, so no path
through the admin escapes the trail. Bulk deletion is switched off.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from gongzhi.core import audit
from gongzhi.core.choices import ChangeAction

from .models import Assignment, User

admin.site.disable_action("delete_selected")


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

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:  # the state before this request changes it
            request._audit_before = {
                "user": audit.serialize_object(obj),
                "assignments": {a.pk: audit.serialize_object(a) for a in obj.assignments.all()},
            }
        return obj

    def _before(self, request):
        return getattr(request, "_audit_before", {"user": None, "assignments": {}})

    def save_formset(self, request, form, formset, change):
        before = self._before(request)["assignments"]
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            pk = obj.pk
            obj.delete()
            obj.pk = pk
            audit.log_change(actor=request.user, obj=obj, action=ChangeAction.DELETE, before=before.get(pk))
        for obj in instances:
            existed = obj.pk is not None
            obj.full_clean()
            obj.save()
            action = ChangeAction.UPDATE if existed else ChangeAction.CREATE
            audit.log_change(actor=request.user, obj=obj, action=action, before=before.get(obj.pk))
        formset.save_m2m()

    def log_addition(self, request, obj, message):
        super().log_addition(request, obj, message)
        audit.log_change(actor=request.user, obj=obj, action=ChangeAction.CREATE)

    def log_change(self, request, obj, message):
        super().log_change(request, obj, message)
        audit.log_change(actor=request.user, obj=obj, action=ChangeAction.UPDATE, before=self._before(request)["user"])

    def delete_model(self, request, obj):
        for assignment in obj.assignments.all():  # they go with the user
            before = audit.serialize_object(assignment)
            audit.log_change(actor=request.user, obj=assignment, action=ChangeAction.DELETE, before=before)
        before = audit.serialize_object(obj)
        pk = obj.pk
        super().delete_model(request, obj)
        obj.pk = pk
        audit.log_change(actor=request.user, obj=obj, action=ChangeAction.DELETE, before=before)

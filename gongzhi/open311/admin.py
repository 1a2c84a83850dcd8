"""Open311 keys in the admin: a read-only list with a revoke action (through the services, so
the audit trail records it). Keys are created with `manage.py open311 create-key`, the only
place the key itself is shown."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import services
from .models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "key_prefix", "street", "created", "created_by", "last_used", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "key_prefix"]
    fields = ["name", "key_prefix", "street", "user", "created", "created_by", "last_used", "revoked_at"]
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=gettext_lazy("吊销所选密钥"))
    def revoke(self, request, queryset):
        done = 0
        for key in queryset:
            try:
                services.revoke_key(key, actor=request.user, now=timezone.now())
                done += 1
            except ValidationError as exc:
                self.message_user(request, f"{key}：{'；'.join(exc.messages)}", messages.WARNING)
        self.message_user(request, _("已吊销 %(n)s 个密钥。") % {"n": done}, messages.SUCCESS)

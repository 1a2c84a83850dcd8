"""DRF permission: a role that grants `<scope_app>.view` for reads, `.change` for writes."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission


class ScopePermission(BasePermission):
    message = _("您的角色没有此操作的权限。")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        action = "view" if request.method in SAFE_METHODS else "change"
        return user.has_scope_perm(f"{view.scope_app}.{action}")

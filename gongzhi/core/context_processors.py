from django.conf import settings

from gongzhi.accounts.roles import AUDIT_VIEW, TERRITORY_VIEW


def gongzhi(request):
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    return {
        "MAP_TILES_URL": settings.GONGZHI_MAP_TILES_URL,
        "MAP_TILES_ATTRIBUTION": settings.GONGZHI_MAP_TILES_ATTRIBUTION,
        "current_roles": user.role_labels() if signed_in else [],
        "can_view_territory": signed_in and user.has_scope_perm(TERRITORY_VIEW),
        "can_view_audit": signed_in and user.has_scope_perm(AUDIT_VIEW),
    }

from django.conf import settings

from gongzhi.accounts.roles import AUDIT_VIEW, POPULATION_VIEW, TERRITORY_VIEW


def gongzhi(request):
    context = {
        "MAP_TILES_URL": settings.GONGZHI_MAP_TILES_URL,
        "MAP_TILES_ATTRIBUTION": settings.GONGZHI_MAP_TILES_ATTRIBUTION,
        "current_roles": [],
        "can_view_territory": False,
        "can_view_audit": False,
        "can_view_population": False,
    }
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context.update(
            current_roles=user.role_labels(),
            can_view_territory=user.has_scope_perm(TERRITORY_VIEW),
            can_view_audit=user.has_scope_perm(AUDIT_VIEW),
            can_view_population=user.has_scope_perm(POPULATION_VIEW),
        )
    return context

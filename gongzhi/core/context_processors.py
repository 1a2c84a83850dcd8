from django.conf import settings


def gongzhi(request):
    user = getattr(request, "user", None)
    return {
        "MAP_TILES_URL": settings.GONGZHI_MAP_TILES_URL,
        "MAP_TILES_ATTRIBUTION": settings.GONGZHI_MAP_TILES_ATTRIBUTION,
        "current_roles": user.role_labels() if user is not None and user.is_authenticated else [],
    }

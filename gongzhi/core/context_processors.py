from django.conf import settings

from gongzhi.accounts.roles import AUDIT_VIEW, CARE_VIEW, PARTY_VIEW, POPULATION_VIEW, TERRITORY_VIEW


def gongzhi(request):
    context = {
        "MAP_TILES_URL": settings.GONGZHI_MAP_TILES_URL,
        "MAP_TILES_ATTRIBUTION": settings.GONGZHI_MAP_TILES_ATTRIBUTION,
        "current_roles": [],
        "can_view_territory": False,
        "can_view_audit": False,
        "can_view_party": False,
        "can_view_population": False,
        "can_view_care": False,
        "can_view_cases": False,
        "can_report_cases": False,
        "can_dispatch_cases": False,
        "can_patrol": False,
        "can_view_assessment": False,
    }
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context.update(
            current_roles=user.role_labels(),
            can_view_territory=user.has_scope_perm(TERRITORY_VIEW),
            can_view_audit=user.has_scope_perm(AUDIT_VIEW),
            can_view_party=user.has_scope_perm(PARTY_VIEW),
            can_view_population=user.has_scope_perm(POPULATION_VIEW),
        )
        context["can_view_care"] = user.has_scope_perm(CARE_VIEW) or _is_paired_member(user)
        context["can_view_cases"] = user.has_scope_perm("cases.view") or _is_handler(user)
        context["can_report_cases"] = user.has_scope_perm("cases.report")
        context["can_dispatch_cases"] = user.has_scope_perm("cases.dispatch")
        context["can_patrol"] = user.has_scope_perm("grids.patrol")
        context["can_view_assessment"] = user.has_scope_perm("assessment.view")
    return context


def _is_paired_member(user) -> bool:
    """A party member with care pairings sees the care pages for their own pairs."""
    from gongzhi.care.models import CareProfile

    return CareProfile.objects.filter(paired_member__user=user).exists()


def _is_handler(user) -> bool:
    """Handling-body staff see the cases dispatched to their bodies."""
    from gongzhi.cases.services import body_ids

    return bool(body_ids(user))

from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from .forms import LoginForm
from .roles import TERRITORY_VIEW


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class HomeView(LoginRequiredMixin, TemplateView):
    """Where everyone lands: their roles and territory, and the places they can go."""

    template_name = "home.html"

    def get_context_data(self, **kwargs):
        from gongzhi.territory import stats
        from gongzhi.territory.views import LEVEL_LABELS, scope_roots

        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        ctx["assignments"] = user.assignments.select_related("district", "street", "community", "grid", "building")
        roots = scope_roots(user) if user.has_scope_perm(TERRITORY_VIEW) else []
        ctx["my_pairs"] = _my_care_pairs(user)
        ctx["roots"] = [
            {"node": r, "label": LEVEL_LABELS[r.level], "counts": stats.counts(r.level, [r.pk])[r.pk]}
            for r in roots[:12]
        ]
        return ctx


def _my_care_pairs(user):
    """The care files paired with this user as a party member, with when each visit is due."""
    from django.utils import timezone

    from gongzhi.care.models import CareProfile
    from gongzhi.care.services import due_rows

    return due_rows(CareProfile.objects.filter(paired_member__user=user), timezone.localdate())

"""View helpers shared by apps: permission gate (403 without a role) and scoped lookups (404)."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404


class ScopePermissionMixin(LoginRequiredMixin):
    """Anonymous → login; signed in without a role granting `permission` → 403."""

    permission: str = ""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_scope_perm(self.permission):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def scoped_get(model, user, action: str = "view", queryset=None, **lookup):
    """The object the user may act on, or 404 (never 403, so scope does not leak existence)."""
    qs = queryset if queryset is not None else model.objects.all()
    return get_object_or_404(qs.restrict(user, action), **lookup)


def paginate(request, queryset, per_page: int = 50):
    paginator = Paginator(queryset, per_page)
    return paginator.get_page(request.GET.get("page"))


def style_form(form):
    """Give a plain Django form Tabler's classes (filter forms rendered field by field)."""
    for field in form.fields.values():
        widget = field.widget
        if getattr(widget, "input_type", "") in ("checkbox", "radio"):
            continue
        base = "form-select" if widget.__class__.__name__.endswith("Select") else "form-control"
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {base} form-control-sm".strip()
    return form

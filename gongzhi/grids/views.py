"""Grid management pages: the standard check, staffing and the division of a community."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView


class GridHomeView(LoginRequiredMixin, TemplateView):
    template_name = "grids/home.html"


class StandardReportView(GridHomeView):
    pass


class StaffingView(GridHomeView):
    pass


class DivisionView(GridHomeView):
    pass

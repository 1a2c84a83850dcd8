"""The grid map pages: a choropleth of streets, communities or grids with drill-down, and the
boundary editor of one community's grids. The figures come from the API (gongzhi.grids.api.map_views)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.generic import TemplateView

from gongzhi.accounts.roles import GRIDS_DIVIDE, TERRITORY_VIEW
from gongzhi.core.views import ScopePermissionMixin
from gongzhi.territory.models import Community

from . import measures


class GridMapView(ScopePermissionMixin, TemplateView):
    """/grids/map/?level=&id=&measure=: the viewer's top node unless told; out of scope is 404."""

    permission = TERRITORY_VIEW
    template_name = "grids/map.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        level = self.request.GET.get("level")
        pk = self.request.GET.get("id", "")
        if level or pk:
            if level not in measures.MAP_CHILD or not pk.isdigit() or len(pk) > 9:
                raise Http404
            node = measures.map_node(user, level, int(pk))
        else:
            node = measures.top_node(user)
        if node is None:
            raise Http404
        measure = self.request.GET.get("measure")
        if measure not in measures.MEASURES:
            measure = measures.DEFAULT_MEASURE
        ctx.update(
            node=node,
            crumbs=measures.crumbs(user, node),
            measure=measure,
            measures=list(measures.MEASURES.items()),
            territory_url=reverse("territory:node", args=[node.level, node.pk]) if measures.covers(user, node) else "",
        )
        return ctx


class BoundaryEditView(ScopePermissionMixin, TemplateView):
    """/grids/map/community/<id>/edit/: drag the vertices of a community's grids (grids.divide over it)."""

    permission = GRIDS_DIVIDE
    template_name = "grids/map_edit.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        community = get_object_or_404(
            Community.objects.restrict(self.request.user, "divide", app="grids").select_related("street"),
            pk=kwargs["pk"],
        )
        ctx.update(community=community, crumbs=measures.crumbs(self.request.user, community))
        return ctx

"""Territory pages: the browser that walks down the levels, search, and the map."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from gongzhi.accounts.roles import TERRITORY_VIEW
from gongzhi.core.views import ScopePermissionMixin, paginate, scoped_get

from . import stats
from .filtersets import FILTERSETS
from .models import CHILD_LEVEL, LEVEL_MODELS, District, ancestors

LEVEL_LABELS = {level: model._meta.verbose_name for level, model in LEVEL_MODELS.items()}
PLURAL_LABELS = {level: model._meta.verbose_name_plural for level, model in LEVEL_MODELS.items()}
SELECT_RELATED = {
    "street": ["district"],
    "community": ["street", "district"],
    "grid": ["community", "street", "district"],
    "compound": ["grid", "community", "street", "district"],
    "building": ["compound", "grid", "community", "street", "district"],
}
PARENT_FIELD = {
    "street": "district",
    "community": "street",
    "grid": "community",
    "compound": "grid",
    "building": "compound",
}


def model_for(level: str):
    try:
        return LEVEL_MODELS[level]
    except KeyError:
        raise Http404 from None


def scope_roots(user) -> list:
    """The highest nodes the user may view: their assignments (all districts for a superuser)."""
    if user.is_superuser:
        return list(District.objects.all())
    nodes = user.scope_nodes(TERRITORY_VIEW)
    roots = []
    for level in ["district", "street", "community", "grid", "building"]:
        ids = nodes.get(level)
        if ids:
            roots.extend(LEVEL_MODELS[level].objects.filter(pk__in=ids).order_by("code"))
    return roots


def breadcrumb(user, node) -> list[dict]:
    """Ancestors from the top, each marked with whether the user may open it."""
    crumbs = []
    for obj in ancestors(node):
        visible = type(obj).objects.restrict(user).filter(pk=obj.pk).exists()
        crumbs.append({"node": obj, "level": obj.level, "visible": visible})
    return crumbs


class TerritoryRootView(ScopePermissionMixin, TemplateView):
    permission = TERRITORY_VIEW
    template_name = "territory/root.html"

    def get(self, request, *args, **kwargs):
        roots = scope_roots(request.user)
        if len(roots) == 1:
            root = roots[0]
            return redirect("territory:node", level=root.level, pk=root.pk)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        roots = scope_roots(self.request.user)
        figures = {}
        for level in {r.level for r in roots}:
            figures.update(
                {(level, k): v for k, v in stats.counts(level, [r.pk for r in roots if r.level == level]).items()}
            )
        ctx["roots"] = [{"node": r, "counts": figures[(r.level, r.pk)], "label": LEVEL_LABELS[r.level]} for r in roots]
        return ctx


class NodeView(ScopePermissionMixin, TemplateView):
    """One node: its figures, its ancestors and a searchable, paginated table of its children."""

    permission = TERRITORY_VIEW
    template_name = "territory/node.html"

    def get_template_names(self):
        if self.request.htmx:
            return ["territory/_children.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        level = kwargs["level"]
        model = model_for(level)
        node = scoped_get(
            model, user, queryset=model.objects.select_related(*SELECT_RELATED.get(level, [])), pk=kwargs["pk"]
        )
        child_level = CHILD_LEVEL[level]
        ctx.update(node=node, level=level, level_label=LEVEL_LABELS[level], crumbs=breadcrumb(user, node))
        ctx["node_counts"] = stats.counts(level, [node.pk])[node.pk]
        if child_level:
            child_model = LEVEL_MODELS[child_level]
            base = child_model.objects.restrict(user).filter(**{PARENT_FIELD[child_level]: node})
            filterset = FILTERSETS[child_level](self.request.GET, queryset=base)
            page = paginate(self.request, filterset.qs.order_by("code"))
            figures = stats.counts(child_level, [c.pk for c in page])
            ctx.update(
                child_level=child_level,
                child_label=PLURAL_LABELS[child_level],
                filterset=filterset,
                page=page,
                children=[{"node": c, "counts": figures[c.pk]} for c in page],
                count_keys=stats.COUNTS_BELOW[child_level],
                q=self.request.GET.get("q", ""),
            )
        ctx["map_url"] = reverse("territory:map") + f"?level={level}&id={node.pk}"
        return ctx


COUNT_LABELS = {
    "grids": _("网格"),
    "compounds": _("小区"),
    "buildings": _("楼栋"),
    "households": _("户数"),
    "residents": _("人口"),
}


class SearchView(ScopePermissionMixin, TemplateView):
    """Find communities, grids, compounds and buildings by name or code, within scope."""

    permission = TERRITORY_VIEW
    template_name = "territory/search.html"
    per_level = 20

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        q = self.request.GET.get("q", "").strip()[:50]
        groups = []
        if q:
            for level in ["street", "community", "grid", "compound", "building"]:
                model = LEVEL_MODELS[level]
                qs = FILTERSETS[level]({"q": q}, queryset=model.objects.restrict(self.request.user)).qs
                qs = qs.select_related(*SELECT_RELATED[level]).order_by("code")
                rows = list(qs[: self.per_level + 1])
                if rows:
                    groups.append(
                        {
                            "level": level,
                            "label": LEVEL_LABELS[level],
                            "rows": rows[: self.per_level],
                            "more": len(rows) > self.per_level,
                        }
                    )
        ctx.update(q=q, groups=groups)
        return ctx


class MapView(ScopePermissionMixin, TemplateView):
    """Leaflet map of a node's children; click a polygon to drill down."""

    permission = TERRITORY_VIEW
    template_name = "territory/map.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        level = self.request.GET.get("level")
        pk = self.request.GET.get("id")
        if level and pk:
            if not pk.isdigit():
                raise Http404
            node = scoped_get(model_for(level), user, pk=int(pk))
        else:
            roots = scope_roots(user)
            if not roots:
                raise Http404
            node = roots[0]
        ctx.update(node=node, level=node.level, level_label=LEVEL_LABELS[node.level], crumbs=breadcrumb(user, node))
        ctx["child_level"] = CHILD_LEVEL[node.level]
        return ctx

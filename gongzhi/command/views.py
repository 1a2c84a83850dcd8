"""The command centre page (指挥中心): /command/?level=district|street|community&id=<pk>.

The viewer's own node unless told (`figures.default_node`); a node out of the viewer's cases.view
scope, an unknown one or a malformed query is 404; signed in without cases.view anywhere 403. The
page is a frame: its figures, map, charts and feed come from the API (gongzhi.command.api) and the
live socket (/ws/cases/live/?level=&id=)."""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from gongzhi.cases.choices import Category, Channel, State, Tier
from gongzhi.core.views import ScopePermissionMixin
from gongzhi.territory.models import Community, District, Street

from . import figures


def chosen_node(request):
    level, pk = request.GET.get("level"), request.GET.get("id")
    if level or pk:
        if level not in figures.LEVELS or not (pk or "").isdigit() or len(pk) > 9:
            raise Http404
        node = figures.node_in_scope(request.user, level, int(pk))
    else:
        node = figures.default_node(request.user)
    if node is None:
        raise Http404
    return node


def switch_options(user, node) -> list[dict]:
    """The nodes the viewer may switch to from here: the district and its streets (when the viewer
    sees them), and the communities of the current street."""
    district_id = node.pk if node.level == "district" else node.district_id
    options = []
    district = District.objects.restrict(user, "view", app="cases").filter(pk=district_id).first()
    if district is not None:
        options.append({"level": "district", "id": district.pk, "name": district.name, "depth": 0})
    streets = Street.objects.restrict(user, "view", app="cases").filter(district_id=district_id).order_by("code")
    street_id = node.pk if node.level == "street" else getattr(node, "street_id", None)
    communities = (
        list(
            Community.objects.restrict(user, "view", app="cases")
            .filter(street_id=street_id)
            .order_by("code")
            .values("id", "name")
        )
        if street_id
        else []
    )
    listed_street = False
    for street in streets.values("id", "name"):
        options.append({"level": "street", "id": street["id"], "name": street["name"], "depth": 1})
        if street["id"] == street_id:
            listed_street = True
            options.extend({"level": "community", "depth": 2, **c} for c in communities)
    if not listed_street:
        options.extend({"level": "community", "depth": 1, **c} for c in communities)
    for option in options:
        option["url"] = f"{reverse('command:centre')}?level={option['level']}&id={option['id']}"
        option["current"] = option["level"] == node.level and option["id"] == node.pk
    return options


class CommandCentreView(ScopePermissionMixin, TemplateView):
    permission = figures.CASES_VIEW
    template_name = "command/centre.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        node = chosen_node(self.request)
        query = f"level={node.level}&id={node.pk}"
        ctx.update(
            node=node,
            level_label=figures.LEVEL_LABELS[node.level],
            options=switch_options(user, node),
            today=timezone.localdate(),
            api={
                "summary": f"{reverse('command-summary')}?{query}",
                "map": f"{reverse('command-map')}?{query}",
                "charts": f"{reverse('command-charts')}?{query}",
                "feed": f"{reverse('command-feed')}?{query}",
                "socket": f"/ws/cases/live/?{query}",
            },
            case_url=reverse("cases:detail", args=[0]),
            list_url=figures.list_url(node),
            sla_classes=[(key, figures.SLA_LABELS[key]) for key in figures.SLA_CLASSES],
            labels={
                "category": {k: str(v) for k, v in Category.choices},
                "channel": {k: str(v) for k, v in Channel.choices},
                "state": {k: str(v) for k, v in State.choices},
                "tier": {k: str(v) for k, v in Tier.choices},
            },
            child_label=_("网格") if node.level == "community" else _("社区"),
        )
        return ctx

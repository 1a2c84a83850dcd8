"""Grid management pages: the standard check, staffing and the division of a community into grids."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from gongzhi.accounts.roles import GRIDS_DIVIDE, TERRITORY_VIEW
from gongzhi.core.exports import wants_export, xlsx_response
from gongzhi.core.views import ScopePermissionMixin, paginate, scoped_get
from gongzhi.territory.models import LEVEL_MODELS, Community, Grid
from gongzhi.territory.views import breadcrumb, scope_roots

from . import services
from .choices import MemberKind, ProposalStatus
from .models import DivisionProposal, GridMember
from .standard import Failure, check_grids, standard_for, summarise

AREA_LEVELS = ("district", "street", "community")
FAILURE_LABELS = {
    Failure.AREA: _("面积超标"),
    Failure.HOUSEHOLDS: _("户数超标"),
    Failure.FULL_TIME: _("缺专职网格员"),
    Failure.PARTY: _("专职网格员非党员"),
    Failure.PART_TIME: _("缺兼职网格员"),
    Failure.BOUNDARY: _("无边界"),
}


def chosen_node(request, levels=AREA_LEVELS):
    """The node named by ?level=&id= (scoped, 404 otherwise), or the viewer's top node."""
    level, pk = request.GET.get("level"), request.GET.get("id")
    if level or pk:
        if level not in levels or not (pk or "").isdigit():
            raise Http404
        return scoped_get(LEVEL_MODELS[level], request.user, pk=int(pk))
    roots = [r for r in scope_roots(request.user) if r.level in levels]
    if not roots:
        raise Http404
    return roots[0]


def grids_under(node, user):
    qs = Grid.objects.restrict(user).select_related("community")
    return qs.filter(**{"pk" if node.level == "grid" else node.level: node.pk})


def communities_under(node, user):
    qs = Community.objects.restrict(user)
    if node.level == "district":
        return qs.filter(district=node)
    if node.level == "street":
        return qs.filter(street=node)
    return qs.filter(pk=node.pk)


class GridHomeView(ScopePermissionMixin, TemplateView):
    """The entry to grid management: the standard at a glance and the ways in."""

    permission = TERRITORY_VIEW
    template_name = "grids/home.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        node = chosen_node(self.request)
        today = timezone.localdate()
        checks = check_grids(grids_under(node, self.request.user), today)
        failing: dict[str, int] = {}
        for check in checks:
            for code in check.failures:
                failing[code] = failing.get(code, 0) + 1
        ctx.update(
            node=node,
            standard=standard_for(node.district_id if node.level != "district" else node.pk),
            grids=len(checks),
            ok=sum(1 for c in checks if c.ok),
            failing=[(FAILURE_LABELS[code], code, failing.get(code, 0)) for code in FAILURE_LABELS],
            can_divide=self.request.user.has_scope_perm(GRIDS_DIVIDE),
            communities=communities_under(node, self.request.user).order_by("code"),
        )
        return ctx


class StandardReportView(GridHomeView):
    """达标核查: per community, its grids against the standard and the fewest grids it needs."""

    template_name = "grids/standard.html"

    def get(self, request, *args, **kwargs):
        if wants_export(request):
            node = chosen_node(request)
            checks = check_grids(grids_under(node, request.user), timezone.localdate())
            return xlsx_response(
                _("网格达标核查"),
                [
                    _("网格编码"),
                    _("网格"),
                    _("社区"),
                    _("户数"),
                    _("面积（平方公里）"),
                    _("专职"),
                    _("兼职"),
                    _("联络干部"),
                    _("问题"),
                ],
                (
                    [
                        c.grid.code,
                        c.grid.name,
                        c.grid.community.name,
                        c.households,
                        c.area_km2,
                        c.full_time,
                        c.part_time,
                        c.liaison,
                        "；".join(c.failures.values()) or _("达标"),
                    ]
                    for c in checks
                ),
                stem="grid-standard",
            )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super(GridHomeView, self).get_context_data(**kwargs)
        node = chosen_node(self.request)
        checks = check_grids(grids_under(node, self.request.user), timezone.localdate())
        reason = self.request.GET.get("reason", "")
        shown = [c for c in checks if (c.failures if not reason else reason in c.failures)]
        if self.request.GET.get("all") == "1":
            shown = checks
        ctx.update(
            node=node,
            crumbs=breadcrumb(self.request.user, node),
            standard=standard_for(node.district_id if node.level != "district" else node.pk),
            summary=summarise(checks, communities_under(node, self.request.user)),
            page=paginate(self.request, shown),
            reason=reason,
            reasons=list(FAILURE_LABELS.items()),
            total=len(checks),
            failing=sum(1 for c in checks if not c.ok),
        )
        return ctx


class StaffingView(GridHomeView):
    """网格力量: who staffs each grid and the gaps against 1 full-time + 2 part-time."""

    template_name = "grids/staffing.html"

    def get(self, request, *args, **kwargs):
        if wants_export(request):
            node = chosen_node(request)
            members = (
                GridMember.objects.restrict(request.user)
                .filter(grid__in=grids_under(node, request.user), ended_on__isnull=True)
                .select_related("grid", "community")
                .order_by("grid__code", "kind", "name")
            )
            return xlsx_response(
                _("网格力量台账"),
                [
                    _("网格编码"),
                    _("网格"),
                    _("社区"),
                    _("类别"),
                    _("姓名"),
                    _("党员"),
                    _("电话"),
                    _("所在单位"),
                    _("到岗日期"),
                ],
                (
                    [
                        m.grid.code,
                        m.grid.name,
                        m.community.name,
                        m.get_kind_display(),
                        m.name,
                        _("是") if m.is_party_member else _("否"),
                        m.masked_phone,
                        m.organisation,
                        m.started_on,
                    ]
                    for m in members
                ),
                stem="grid-staff",
            )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super(GridHomeView, self).get_context_data(**kwargs)
        node = chosen_node(self.request)
        checks = check_grids(grids_under(node, self.request.user), timezone.localdate())
        standards: dict[int, int] = {}

        def needed(district_id: int) -> int:  # one standard per district, not one query per grid
            if district_id not in standards:
                standards[district_id] = standard_for(district_id).part_time_workers
            return standards[district_id]

        staffing_codes = {Failure.FULL_TIME, Failure.PARTY, Failure.PART_TIME}
        gaps = [c for c in checks if staffing_codes & set(c.failures)]
        shown = gaps if self.request.GET.get("all") != "1" else checks
        page = paginate(self.request, shown)
        ids = [c.grid.pk for c in page]
        members: dict[int, list[GridMember]] = {pk: [] for pk in ids}
        for m in GridMember.objects.filter(grid_id__in=ids, ended_on__isnull=True).order_by("kind", "name"):
            members[m.grid_id].append(m)
        ctx.update(
            node=node,
            crumbs=breadcrumb(self.request.user, node),
            page=page,
            rows=[(c, members[c.grid.pk], {k: v for k, v in c.failures.items() if k in staffing_codes}) for c in page],
            gaps=len(gaps),
            total=len(checks),
            short_full_time=sum(1 for c in gaps if Failure.FULL_TIME in c.failures),
            short_part_time=sum(max(0, needed(c.grid.district_id) - c.part_time) for c in gaps),
        )
        return ctx


class GridStaffView(ScopePermissionMixin, TemplateView):
    """One grid's staff: add a person, record a departure."""

    permission = TERRITORY_VIEW
    template_name = "grids/grid_staff.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.grid = scoped_get(
                Grid, request.user, pk=kwargs["grid"], queryset=Grid.objects.select_related("community")
            )
        return super().dispatch(request, *args, **kwargs)

    def can_change(self) -> bool:
        return Grid.objects.restrict(self.request.user, "staff", app="grids").filter(pk=self.grid.pk).exists()

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        check = check_grids(Grid.objects.filter(pk=self.grid.pk), timezone.localdate())
        ctx.update(
            grid=self.grid,
            check=check[0] if check else None,
            members=GridMember.objects.filter(grid=self.grid).order_by("ended_on", "kind", "name"),
            kinds=MemberKind.choices,
            can_change=self.can_change(),
            today=timezone.localdate(),
            errors=kwargs.get("errors"),
            posted=kwargs.get("posted", {}),
        )
        return ctx

    def post(self, request, *args, **kwargs):
        if not self.can_change():
            raise Http404
        try:
            if request.POST.get("action") == "end":
                member = get_object_or_404(GridMember, pk=request.POST.get("member"), grid=self.grid)
                services.end_member(member, actor=request.user, ended_on=_date(request.POST.get("ended_on")))
                messages.success(request, _("已登记 %(name)s 离岗。") % {"name": member.name})
            else:
                member = services.add_member(
                    self.grid,
                    actor=request.user,
                    kind=request.POST.get("kind", ""),
                    name=request.POST.get("name", ""),
                    started_on=_date(request.POST.get("started_on")),
                    phone=request.POST.get("phone", "").strip(),
                    is_party_member=request.POST.get("is_party_member") == "1",
                    organisation=request.POST.get("organisation", "").strip(),
                )
                messages.success(request, _("已添加 %(name)s。") % {"name": member.name})
        except ValidationError as exc:
            return self.render_to_response(
                self.get_context_data(errors=_messages(exc), posted=request.POST), status=400
            )
        return redirect("grids:grid-staff", grid=self.grid.pk)


def _date(value) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value or "")
    except ValueError as exc:
        raise ValidationError(_("日期格式应为 年-月-日，例如 2026-12-01。")) from exc


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "message_dict"):
        return [m for values in exc.message_dict.values() for m in values]
    return list(exc.messages)


class DivisionView(ScopePermissionMixin, TemplateView):
    """网格划分: today's grids beside a proposed division, and applying it."""

    permission = TERRITORY_VIEW
    template_name = "grids/division.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.community = scoped_get(Community, request.user, pk=kwargs["community"])
        return super().dispatch(request, *args, **kwargs)

    def can_divide(self) -> bool:
        return (
            Community.objects.restrict(self.request.user, "divide", app="grids").filter(pk=self.community.pk).exists()
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        today = timezone.localdate()
        checks = check_grids(Grid.objects.filter(community=self.community), today)
        summary = summarise(checks, Community.objects.filter(pk=self.community.pk))[0]
        proposal = (
            DivisionProposal.objects.filter(community=self.community).exclude(status=ProposalStatus.SUPERSEDED).first()
        )
        features = proposal.result["features"] if proposal else []
        ctx.update(
            community=self.community,
            crumbs=breadcrumb(self.request.user, self.community),
            checks=checks,
            summary=summary,
            proposal=proposal,
            features=features,
            kept=sum(1 for f in features if f["properties"].get("replaces")),
            standard=standard_for(self.community.district_id),
            can_divide=self.can_divide(),
            current_url=reverse("grids:division-geojson", args=[self.community.pk]),
            errors=kwargs.get("errors"),
        )
        return ctx

    def post(self, request, *args, **kwargs):
        if not self.can_divide():
            raise Http404
        action = request.POST.get("action")
        try:
            if action == "propose":
                proposal = services.propose_division(self.community, actor=request.user)
                messages.success(
                    request,
                    _("已生成方案：%(n)s 个网格（下界 %(lb)s）。")
                    % {"n": proposal.grid_count, "lb": proposal.lower_bound},
                )
            elif action == "apply":
                proposal = get_object_or_404(
                    DivisionProposal, pk=request.POST.get("proposal"), community=self.community
                )
                counts = services.apply_division(proposal, actor=request.user)
                messages.success(
                    request,
                    _(
                        "方案已应用：保留 %(kept)s 个网格，新建 %(created)s 个，撤销 %(retired)s 个；"
                        "调整楼栋 %(buildings)s 栋，在办事项 %(cases)s 件。"
                    )
                    % {
                        "kept": counts["grids_kept"],
                        "created": counts["grids_created"],
                        "retired": counts["grids_retired"],
                        "buildings": counts["buildings_moved"],
                        "cases": counts["cases_moved"],
                    },
                )
            else:
                raise ValidationError(_("未知的操作。"))
        except ValidationError as exc:
            return self.render_to_response(self.get_context_data(errors=_messages(exc)), status=400)
        return redirect("grids:division", community=self.community.pk)


class DivisionGeoJSONView(DivisionView):
    """Today's grids of the community as GeoJSON, with their figures, for the division map."""

    def get(self, request, *args, **kwargs):
        from django.http import JsonResponse

        from gongzhi.territory.models import Building

        checks = check_grids(Grid.objects.filter(community=self.community), timezone.localdate())
        features = [
            {
                "type": "Feature",
                "geometry": c.grid.geometry,
                "properties": {
                    "id": c.grid.pk,
                    "code": c.grid.code,
                    "name": c.grid.name,
                    "households": c.households,
                    "area_km2": c.area_km2,
                    "ok": c.ok,
                    "failures": list(c.failures.values()),
                },
            }
            for c in checks
            if c.grid.geometry
        ]
        buildings = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {"id": pk, "name": name},
            }
            for pk, lon, lat, name in Building.objects.filter(community=self.community).values_list(
                "pk", "lon", "lat", "name"
            )
        ]
        return JsonResponse(
            {
                "community": {
                    "type": "Feature",
                    "geometry": self.community.geometry,
                    "properties": {"name": self.community.name},
                },
                "grids": {"type": "FeatureCollection", "features": features},
                "buildings": {"type": "FeatureCollection", "features": buildings},
            }
        )

    def post(self, request, *args, **kwargs):
        raise Http404

"""Party pages: the organisation tree, an organisation, coverage, members, report-ins (all read-only)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from gongzhi.accounts.roles import PARTY_CHANGE, PARTY_VIEW
from gongzhi.core.exports import wants_export, xlsx_response
from gongzhi.core.views import ScopePermissionMixin, paginate, scoped_get, style_form
from gongzhi.territory.models import Community, Compound

from . import coverage as cov
from . import rules, tree
from .choices import CoverageStatus, OrgKind, PartyRoleKind
from .filtersets import PartyMemberFilterSet, ReportInFilterSet
from .models import CentralHouseholdLink, PartyMember, PartyOrganisation, PartyRole, ReportIn

# Gap tables list at most this many rows when no community is chosen.
GAP_ROWS = 100
# A tree this small is shown fully expanded.
EXPAND_ALL_UNDER = 80
MEMBER_RELATED = ["organisation", "compound", "building"]
LEADER_ORDER = [PartyRoleKind.SECRETARY, PartyRoleKind.GROUP_LEADER, PartyRoleKind.COMMITTEE_MEMBER]


def visible_organisations(user, org_ids) -> set[int]:
    """Which of these organisations the user may open (one query)."""
    ids = {pk for pk in org_ids if pk}
    if not ids:
        return set()
    return set(PartyOrganisation.objects.restrict(user).filter(pk__in=ids).values_list("pk", flat=True))


def annotate_members(user, members) -> None:
    """Role labels and whether the member's organisation may be opened, for a page of members."""
    visible = visible_organisations(user, [m.organisation_id for m in members])
    for m in members:
        m.role_labels = sorted({r.get_role_display() for r in m.roles.all()})
        m.organisation_visible = m.organisation_id in visible


class PartySectionMixin(ScopePermissionMixin):
    permission = PARTY_VIEW
    section = ""

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["section"] = self.section
        return ctx


class TreeView(PartySectionMixin, TemplateView):
    """The organisation tree of the caller's scope, with member counts and the coverage gaps."""

    template_name = "party/tree.html"
    section = "tree"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        coverage = cov.coverage_for(user)
        roots = tree.build(user, {c.id: c.gaps for c in coverage.communities})
        size = sum(root.size for root in roots)
        ctx.update(
            roots=roots,
            items=tree.flatten(roots),
            size=size,
            expand_all=size <= EXPAND_ALL_UNDER,
            groups_listed=any(node.is_group for node in tree.walk(roots)),
            summary=coverage.summary,
            gap_count=coverage.gap_count,
        )
        return ctx


class OrganisationView(PartySectionMixin, TemplateView):
    """One organisation: its place, leaders, what it covers, sub-organisations and members."""

    template_name = "party/organisation.html"
    section = "tree"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        related = ["district", "street", "community", "grid", "compound", "parent__parent__parent__parent"]
        org = scoped_get(
            PartyOrganisation, user, queryset=PartyOrganisation.objects.select_related(*related), pk=kwargs["pk"]
        )
        chain = []
        current = org.parent
        while current is not None:
            chain.append(current)
            current = current.parent  # loaded by select_related: the tree is at most five deep
        chain.reverse()
        visible = visible_organisations(user, [a.pk for a in chain])
        ctx["crumbs"] = [{"org": a, "visible": a.pk in visible} for a in chain]
        ctx["org"] = org
        ctx["leaders"] = sorted(
            PartyRole.objects.filter(organisation=org).select_related("member"),
            key=lambda r: (LEADER_ORDER.index(r.role), r.member.name, r.pk),
        )
        children = list(PartyOrganisation.objects.restrict(user).filter(parent=org).order_by("pk"))
        ctx["children"] = sorted(tree.decorate(user, children), key=tree.sort_key)
        if org.kind in rules.COMPOUND_COVERING_KINDS:
            ctx["coverage_rows"] = cov.compute(Compound.objects.filter(pk__in=org.compounds.values("pk"))).compounds
        if org.kind == OrgKind.BUILDING_GROUP:
            buildings = list(org.buildings.select_related("compound").order_by("code"))
            central: dict[int, list[str]] = {}
            for building_id, name in PartyRole.objects.filter(
                role=PartyRoleKind.CENTRAL_HOUSEHOLD, building__in=[b.pk for b in buildings]
            ).values_list("building_id", "member__name"):
                central.setdefault(building_id, []).append(name)
            ctx["group_buildings"] = [{"building": b, "central": central.get(b.pk, [])} for b in buildings]
            ctx["oversized"] = rules.group_oversized(len(buildings))
            members = PartyMember.objects.restrict(user).filter(building__in=[b.pk for b in buildings])
        else:
            members = PartyMember.objects.restrict(user).filter(organisation=org)
        page = paginate(self.request, members.select_related(*MEMBER_RELATED).prefetch_related("roles"))
        annotate_members(user, page)
        ctx["page"] = page
        return ctx


class CoverageView(PartySectionMixin, TemplateView):
    """The gaps: compounds off the S4 rule, buildings without a group or a central household."""

    template_name = "party/coverage.html"
    section = "coverage"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        communities = cov.party_scoped(Community.objects.all(), user).order_by("code")
        community = None
        raw = self.request.GET.get("community", "")
        if raw:
            if not raw.isdigit():
                raise Http404
            community = get_object_or_404(communities, pk=int(raw))
        coverage = cov.coverage_for(user, community)
        limit = None if community is not None else GAP_ROWS
        gaps = coverage.with_status(CoverageStatus.MISSING, CoverageStatus.MISMATCH, CoverageStatus.NO_MEMBERS)
        tables = {
            "compounds": gaps,
            "without_group": coverage.buildings_without_group,
            "without_central": coverage.buildings_without_central_household,
        }
        ctx.update(
            community=community,
            communities=list(communities.values("id", "name")),
            coverage=coverage,
            summary=coverage.summary,
            gap_count=coverage.gap_count,
            limit=limit,
            **{f"{key}_rows": rows[:limit] for key, rows in tables.items()},
            **{f"{key}_more": len(rows) - limit if limit and len(rows) > limit else 0 for key, rows in tables.items()},
        )
        return ctx


class MemberListView(PartySectionMixin, TemplateView):
    """Members in scope: searchable by name or phone, filterable, 50 per page, phones masked."""

    template_name = "party/member_list.html"
    section = "members"

    def get_template_names(self):
        return ["party/_member_table.html"] if self.request.htmx else [self.template_name]

    def get(self, request, *args, **kwargs):
        if wants_export(request):
            base = PartyMember.objects.restrict(request.user).select_related(*MEMBER_RELATED, "community")
            base = base.prefetch_related("roles")
            members = PartyMemberFilterSet(request.GET, queryset=base, request=request).qs.order_by("name", "pk")
            headers = [
                _("姓名"),
                _("性别"),
                _("党员类型"),
                _("工作单位"),
                _("手机号码"),
                _("所在组织"),
                _("所在社区"),
                _("党内职务"),
            ]
            rows = (
                [
                    m.name,
                    m.get_gender_display(),
                    m.get_member_type_display(),
                    m.workplace,
                    m.phone_masked,
                    m.organisation.name if m.organisation else "",
                    m.community.name,
                    "、".join(r.get_role_display() for r in m.roles.all()),
                ]
                for m in members.iterator(chunk_size=2000)
            )
            return xlsx_response(_("党员名册"), headers, rows, stem="party-members")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        base = PartyMember.objects.restrict(user).select_related(*MEMBER_RELATED).prefetch_related("roles")
        filterset = PartyMemberFilterSet(self.request.GET, queryset=base, request=self.request)
        style_form(filterset.form)
        page = paginate(self.request, filterset.qs.order_by("name", "pk"))
        annotate_members(user, page)
        ctx.update(filterset=filterset, page=page, can_change=user.has_scope_perm(PARTY_CHANGE))
        return ctx


class MemberView(PartySectionMixin, TemplateView):
    template_name = "party/member.html"
    section = "members"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        member = scoped_get(
            PartyMember,
            user,
            queryset=PartyMember.objects.select_related(*MEMBER_RELATED, "community", "resident", "user"),
            pk=kwargs["pk"],
        )
        roles = list(member.roles.select_related("organisation", "building__compound", "compound"))
        visible = visible_organisations(user, [member.organisation_id, *[r.organisation_id for r in roles]])
        ctx.update(
            member=member,
            roles=[{"role": r, "visible": r.organisation_id in visible} for r in roles],
            organisation_visible=member.organisation_id in visible,
            links=list(
                CentralHouseholdLink.objects.filter(member=member)
                .select_related("household__building__compound")
                .order_by("household__building__code", "household__room")
            ),
            report_ins=list(member.report_ins.select_related("community")),
        )
        return ctx


class ReportInListView(PartySectionMixin, TemplateView):
    """双报到: in-service members reported to the communities in scope, with their skills."""

    template_name = "party/report_ins.html"
    section = "report_ins"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        base = ReportIn.objects.restrict(self.request.user).select_related("member", "community")
        filterset = ReportInFilterSet(self.request.GET, queryset=base, request=self.request)
        style_form(filterset.form)
        ctx.update(filterset=filterset, page=paginate(self.request, filterset.qs))
        return ctx
